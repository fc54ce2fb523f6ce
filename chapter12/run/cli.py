"""Command line: python -m chapter12 reproduce | time | handouts | predict | make-sample."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chapter12.checks import MODEL_KINDS, VOCABULARIES, check_can_create_folder
from chapter12.errors import Chapter12Error
from chapter12.report.notebooks import NOTEBOOKS


class _OneLineParser(argparse.ArgumentParser):
    """Usage mistakes get one line that says what to do, not the whole usage text."""

    def error(self, message: str):
        self.exit(2, f"error: {one_line(message)}; see {self.prog} --help\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="python -m chapter12", description="Reproduce textbook chapter 12.3 (RNNs on IMDB).")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)

    rep = sub.add_parser("reproduce", help="execute the chapter's notebooks and write results, summary and figures")
    rep.add_argument("--out", type=Path, required=True, help="output folder (must be new or empty, or use --overwrite)")
    rep.add_argument("--quick", action="store_true", help="use the bundled sample of 4,000/2,000 reviews (offline, minutes)")
    rep.add_argument("--data", metavar="PATH", help="aclImdb_v1.tar.gz, an aclImdb/ folder or imdb.npz (default: "
                     "$CHAPTER12_DATA, else the Keras download)")
    rep.add_argument("--seeds", type=int, nargs="+", default=[0], metavar="N", help="one run per seed and model (default: 0)")
    rep.add_argument("--models", nargs="+", default=["simple_rnn", "lstm"], metavar="KIND",
                     help=f"models to train, from: {', '.join(MODEL_KINDS)} (default: simple_rnn lstm)")
    rep.add_argument("--epochs", type=int, help="epochs per run (default: the book's 5)")
    rep.add_argument("--batch-size", type=int, help="batch size (default: the book's 128)")
    rep.add_argument("--only", nargs="+", default=None, metavar="NOTEBOOK",
                     help=f"run only these notebooks, from: {', '.join(NOTEBOOKS)} (default: all)")
    rep.add_argument("--overwrite", action="store_true", help="replace the output folder of an earlier run")
    rep.add_argument("--backend", help="Keras backend for the notebooks: tensorflow, jax or torch "
                     "(default: $KERAS_BACKEND, else tensorflow)")
    rep.add_argument("--repeats", type=int, metavar="N", help="timed runs per model and variant (default: 2)")
    rep.add_argument("--verbose", action="store_true", help="stream every notebook's output instead of a progress line "
                     "per notebook (the output also goes to RUN/reproduce.log)")
    rep.add_argument("--vocabulary", choices=VOCABULARIES, default="keras",
                     help="how the Stanford reviews become words: keras (default: exactly Keras's imdb.npz, the "
                          "book's data) or clean (chapter12's own tokenizer, no 'br')")

    tim = sub.add_parser("time", help="time simple RNN vs LSTM on one or more Keras backends (no notebook needed)")
    tim.add_argument("--backends", nargs="+", default=None, metavar="NAME",
                     help="Keras backends, each timed in its own process (default: $KERAS_BACKEND, else tensorflow)")
    tim.add_argument("--data", metavar="PATH", help="as for reproduce")
    tim.add_argument("--quick", action="store_true", help="time on the bundled sample")
    tim.add_argument("--vocabulary", choices=VOCABULARIES, default="keras", help="as for reproduce")
    tim.add_argument("--variants", nargs="+", default=["book", "fused"], metavar="NAME", help="book and/or fused")
    tim.add_argument("--epochs", type=int, default=3, help="epochs per timed run, at least 3 (default: 3)")
    tim.add_argument("--repeats", type=int, default=2, help="interleaved repeats (default: 2)")
    tim.add_argument("--batch-size", type=int, default=128, help="batch size (default: the book's 128)")
    tim.add_argument("--json", type=Path, help="also write the measurements to this JSON file")

    hnd = sub.add_parser("handouts", help="turn a reproduce run's executed notebooks into standalone HTML pages")
    hnd.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="the --out folder of a reproduce run")
    hnd.add_argument("--hide-code", action="store_true", help="show the prose, printed results and figures, not the code")
    hnd.add_argument("--out", type=Path, default=None, metavar="DIR", help="folder for the pages (default: RUN_DIR/handouts)")
    hnd.add_argument("--answers", action="store_true", help="include the answers to the exercises (a teacher's copy)")
    hnd.add_argument("--pdf", action="store_true", help="also print every page to an A4 PDF with headless Chromium "
                     "(found on the PATH, or $CHAPTER12_CHROMIUM)")

    prd = sub.add_parser("predict", help="P(positive) of a review of your own, from every model a reproduce run saved")
    prd.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="the --out folder of a reproduce run (accuracy notebook)")
    prd.add_argument("text", nargs="?", help="the review; leave it out to read --file or standard input")
    prd.add_argument("--file", type=Path, metavar="PATH", help="read the review from this text file")

    smp = sub.add_parser("make-sample", help="rebuild the bundled sample from the Stanford archive (maintainers)")
    smp.add_argument("archive", help="aclImdb_v1.tar.gz or an aclImdb/ folder")
    smp.add_argument("--out", type=Path, default=Path(__file__).parents[1] / "imdb" / "files", help="folder for the sample file")
    return parser


def _run(args) -> int:
    if args.command == "reproduce":
        from chapter12.run.reproduce import ReproduceOptions, reproduce

        options = ReproduceOptions(
            out=args.out, quick=args.quick, data=args.data, seeds=args.seeds, models=args.models,
            epochs=args.epochs, batch_size=args.batch_size, only=args.only or list(NOTEBOOKS), overwrite=args.overwrite,
            backend=args.backend, repeats=args.repeats, vocabulary=args.vocabulary, verbose=args.verbose,
        )
        return reproduce(options)
    if args.command == "time":
        import os

        from chapter12.book import BOOK_TIME_RATIO
        from chapter12.files import write_json
        from chapter12.report.results import timing_table_markdown
        from chapter12.timing import TimingSettings, measure_backend, merge_measurements

        if args.json is not None:  # checked now, not after the minutes of timing
            if args.json.is_dir():
                raise Chapter12Error(f"--json {args.json} is a folder; pass the name of a file to write")
            check_can_create_folder(args.json, "--json")
        backends = args.backends or [os.environ.get("KERAS_BACKEND") or "tensorflow"]
        all_settings = [
            TimingSettings(backend=b, variants=args.variants, epochs=args.epochs, repeats=args.repeats,
                           batch_size=args.batch_size, data_source=args.data, quick=args.quick,
                           vocabulary=args.vocabulary).check()
            for b in backends
        ]
        measured = merge_measurements([measure_backend(s) for s in all_settings])
        print()
        print(timing_table_markdown(measured))
        print(f"book: the LSTM takes roughly {BOOK_TIME_RATIO:g}x the simple RNN's time")
        if args.json:
            write_json(args.json, measured)
            print(f"wrote {args.json}")
        return 0
    if args.command == "handouts":
        from chapter12.report.handouts import make_handouts

        for path in make_handouts(args.run_dir, out_dir=args.out, hide_code=args.hide_code, answers=args.answers,
                                   pdf=args.pdf):
            print(f"wrote {path}")
        return 0
    if args.command == "predict":
        from chapter12.predict import predict, report

        print(report(*predict(args.run_dir, _review_text(args))))
        return 0
    if args.command == "make-sample":
        from chapter12.imdb.sample import build_sample

        for path in build_sample(args.archive, args.out):
            print(f"wrote {path}")
        return 0
    raise AssertionError(args.command)


def _review_text(args) -> str:
    """The review to predict: the argument, else --file, else standard input (not a terminal)."""
    if args.text is not None and args.file is not None:
        raise Chapter12Error("pass the review either as text or with --file, not both")
    if args.text is not None:
        return args.text
    if args.file is not None:
        try:
            return args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise Chapter12Error(f"cannot read the review from {args.file} ({getattr(e, 'strerror', None) or e})") from None
    if sys.stdin is None or sys.stdin.isatty():
        raise Chapter12Error('no review given; pass it as text ("this movie was ..."), with --file PATH, or on standard input')
    return sys.stdin.read()


def one_line(text: str) -> str:
    """`text` with every character that could break or hide the line (newlines, other line and record
    separators, control characters) written as its escape, so an error stays one readable line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except Chapter12Error as e:
        if args.debug:
            raise
        print(f"error: {one_line(str(e))}", file=sys.stderr)
        return 2
    except OSError as e:  # the operating system refused: a full disk, a size limit, a missing permission
        if args.debug:
            raise
        what = f"could not write {e.filename}" if e.filename else "a file could not be read or written"
        print(f"error: {one_line(what)} ({e.strerror or e}); free some space or choose another place", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; nothing was written to the output folder", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
