"""Command line: python -m chapter12 reproduce | time | handouts | predict | sweep | report | train | make-sample."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, NoReturn

from chapter12.book import QUICK_EPOCHS, BookConfig
from chapter12.checks import MODEL_KINDS, VOCABULARIES, check_can_create_folder
from chapter12.errors import Chapter12Error, Stopped, exit_status, how_stopped
from chapter12.report.notebooks import NOTEBOOKS


class _OneLineParser(argparse.ArgumentParser):
    """Usage mistakes get one line that says what to do, not the whole usage text."""

    def error(self, message: str):
        self.exit(2, f"error: {one_line(message)}; see {self.prog} --help\n")


def _parser() -> argparse.ArgumentParser:
    book = BookConfig()  # every default of the book's settings comes from here
    parser = _OneLineParser(prog="python -m chapter12", description="Reproduce textbook chapter 12.3 (RNNs on IMDB).")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)

    rep = sub.add_parser("reproduce", help="execute the chapter's notebooks and write results, summary and figures")
    rep.add_argument("--out", type=Path, required=True, help="output folder (must be new or empty, or use --overwrite)")
    rep.add_argument(
        "--quick", action="store_true", help="use the bundled sample of 16,000/2,000 reviews (offline, minutes)"
    )
    rep.add_argument(
        "--data",
        metavar="PATH",
        help="aclImdb_v1.tar.gz, an aclImdb/ folder or imdb.npz (default: $CHAPTER12_DATA, else the Keras download)",
    )
    rep.add_argument(
        "--seeds", type=int, nargs="+", default=[0], metavar="N", help="one run per seed and model (default: 0)"
    )
    rep.add_argument(
        "--models",
        nargs="+",
        default=["simple_rnn", "lstm"],
        metavar="KIND",
        help=f"models to train, from: {', '.join(MODEL_KINDS)} (default: simple_rnn lstm)",
    )
    rep.add_argument(
        "--epochs",
        type=int,
        help=f"epochs per run (default: each notebook's own; the accuracy notebook the book's {book.epochs}, "
        f"{QUICK_EPOCHS} with --quick)",
    )
    rep.add_argument("--batch-size", type=int, help=f"batch size (default: the book's {book.batch_size})")
    rep.add_argument(
        "--only",
        nargs="+",
        default=None,
        metavar="NOTEBOOK",
        help=f"run only these notebooks, from: {', '.join(NOTEBOOKS)} (default: all)",
    )
    rep.add_argument("--overwrite", action="store_true", help="replace the output folder of an earlier run")
    rep.add_argument(
        "--backend",
        help="Keras backend for the notebooks: tensorflow, jax or torch (default: $KERAS_BACKEND, else tensorflow)",
    )
    rep.add_argument("--repeats", type=int, metavar="N", help="timed runs per model and variant (default: 2)")
    rep.add_argument(
        "--verbose",
        action="store_true",
        help="stream every notebook's output instead of a progress line "
        "per notebook (the output also goes to RUN/reproduce.log)",
    )
    rep.add_argument(
        "--vocabulary",
        choices=VOCABULARIES,
        default="keras",
        help="how the Stanford reviews become words: keras (default: exactly Keras's imdb.npz, the "
        "book's data) or clean (chapter12's own tokenizer, no 'br')",
    )

    tim = sub.add_parser("time", help="time simple RNN vs LSTM on one or more Keras backends (no notebook needed)")
    tim.add_argument(
        "--backends",
        nargs="+",
        default=None,
        metavar="NAME",
        help="Keras backends, each timed in its own process (default: $KERAS_BACKEND, else tensorflow)",
    )
    tim.add_argument("--data", metavar="PATH", help="as for reproduce")
    tim.add_argument("--quick", action="store_true", help="time on the bundled sample")
    tim.add_argument("--vocabulary", choices=VOCABULARIES, default="keras", help="as for reproduce")
    tim.add_argument("--variants", nargs="+", default=["book", "fused"], metavar="NAME", help="book and/or fused")
    tim.add_argument("--epochs", type=int, default=3, help="epochs per timed run, at least 3 (default: 3)")
    tim.add_argument("--repeats", type=int, default=2, help="interleaved repeats (default: 2)")
    tim.add_argument(
        "--batch-size", type=int, default=book.batch_size, help=f"batch size (default: the book's {book.batch_size})"
    )
    tim.add_argument("--json", type=Path, help="also write the measurements to this JSON file")

    hnd = sub.add_parser("handouts", help="turn a reproduce run's executed notebooks into standalone HTML pages")
    hnd.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="the --out folder of a reproduce run")
    hnd.add_argument(
        "--hide-code", action="store_true", help="show the prose, printed results and figures, not the code"
    )
    hnd.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="folder for the pages (default: RUN_DIR/handouts)"
    )
    hnd.add_argument("--answers", action="store_true", help="include the answers to the exercises (a teacher's copy)")
    hnd.add_argument(
        "--pdf",
        action="store_true",
        help="also print every page to an A4 PDF with headless Chromium (found on the PATH, or $CHAPTER12_CHROMIUM)",
    )

    prd = sub.add_parser("predict", help="P(positive) of a review of your own, from every model a reproduce run saved")
    prd.add_argument(
        "run_dir", type=Path, metavar="RUN_DIR", help="the --out folder of a reproduce run (accuracy notebook)"
    )
    prd.add_argument("text", nargs="?", help="the review; leave it out to read --file or standard input")
    prd.add_argument("--file", type=Path, metavar="PATH", help="read the review from this text file")

    swp = sub.add_parser(
        "sweep", help="train a grid of the chapter's experiment on Dask (a local cluster, or --scheduler)"
    )
    swp.add_argument(
        "--out",
        type=Path,
        required=True,
        help="folder for results.jsonl, logs, summary and figures; "
        "running the same command again goes on where it stopped",
    )
    swp.add_argument(
        "--grid",
        type=Path,
        metavar="FILE",
        help="axes and settings from a .toml, .yaml or .json file "
        "(keys as the flags below, e.g. maxlen = [25, 50, 100]); flags given here win",
    )
    swp.add_argument(
        "--models", nargs="+", metavar="KIND", help=f"from: {', '.join(MODEL_KINDS)} (default: simple_rnn lstm)"
    )
    swp.add_argument("--seeds", type=int, nargs="+", metavar="N", help="(default: 0)")
    swp.add_argument(
        "--maxlen", type=int, nargs="+", metavar="N", help=f"words kept per review (default: the book's {book.maxlen})"
    )
    swp.add_argument(
        "--num-words", type=int, nargs="+", metavar="N", help=f"vocabulary size (default: the book's {book.num_words})"
    )
    swp.add_argument(
        "--units", type=int, nargs="+", metavar="N", help=f"recurrent units (default: the book's {book.units})"
    )
    swp.add_argument(
        "--recurrent-dropout",
        type=float,
        nargs="+",
        metavar="P",
        help=f"(default: the book's {book.recurrent_dropout})",
    )
    swp.add_argument(
        "--backend",
        nargs="+",
        metavar="NAME",
        help="Keras backends, each cell in its own process (default: $KERAS_BACKEND, else tensorflow)",
    )
    swp.add_argument("--data", metavar="PATH", help="as for reproduce; on a cluster, a path every worker can read")
    swp.add_argument(
        "--quick", action="store_true", default=None, help="the bundled sample (offline, seconds per cell)"
    )
    swp.add_argument("--vocabulary", choices=VOCABULARIES, help="as for reproduce (default: keras)")
    swp.add_argument(
        "--epochs", type=int, help=f"epochs per cell (default: the book's {book.epochs}, {QUICK_EPOCHS} with --quick)"
    )
    swp.add_argument("--batch-size", type=int, help=f"batch size (default: the book's {book.batch_size})")
    swp.add_argument(
        "--workers", type=int, help="local cluster: worker processes (default: cores / threads per worker)"
    )
    swp.add_argument(
        "--threads-per-worker", type=int, default=1, help="local cluster: cells each worker runs at once (default: 1)"
    )
    swp.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a running Dask scheduler, e.g. tcp://host:8786 (default: $DASK_SCHEDULER_ADDRESS, else a local cluster)",
    )
    swp.add_argument(
        "--scheduler-file",
        type=Path,
        metavar="FILE",
        help="the file a Dask scheduler wrote (dask scheduler --scheduler-file FILE)",
    )
    swp.add_argument("--dry-run", action="store_true", help="print the grid, which cells are done, and stop")
    swp.add_argument("--overwrite", action="store_true", help="forget the results in --out and start again")
    swp.add_argument("--no-notebook", action="store_true", help="write summary and figures but not the sweep notebook")

    rpt = sub.add_parser("report", help="redraw a sweep's summary.md and figures from its results.jsonl")
    rpt.add_argument("results", type=Path, metavar="RESULTS", help="a sweep's results.jsonl")
    rpt.add_argument(
        "--out", type=Path, metavar="DIR", help="folder for summary.md and figures/ (default: the results' folder)"
    )
    rpt.add_argument(
        "--notebook", action="store_true", help="also execute the sweep notebook on them (its handout page)"
    )
    rpt.add_argument(
        "--distribution",
        action="store_true",
        help="also write distribution.md and figures/distribution.png: each model's runs over seeds per backend, "
        "against the book's numbers",
    )

    trn = sub.add_parser(
        "train", help="one training run with the book's settings but those given (one cell of a sweep)"
    )
    trn.add_argument("--model", default="lstm", help=f"from: {', '.join(MODEL_KINDS)} (default: lstm)")
    trn.add_argument("--seed", type=int, default=0)
    trn.add_argument("--maxlen", type=int, default=book.maxlen, help=f"(default: the book's {book.maxlen})")
    trn.add_argument("--num-words", type=int, default=book.num_words, help=f"(default: the book's {book.num_words})")
    trn.add_argument("--units", type=int, default=book.units, help=f"(default: the book's {book.units})")
    trn.add_argument(
        "--recurrent-dropout",
        type=float,
        default=book.recurrent_dropout,
        help=f"(default: the book's {book.recurrent_dropout})",
    )
    trn.add_argument("--backend", help="default: $KERAS_BACKEND, else tensorflow")
    trn.add_argument("--epochs", type=int, default=book.epochs, help=f"(default: the book's {book.epochs})")
    trn.add_argument("--batch-size", type=int, default=book.batch_size, help=f"(default: the book's {book.batch_size})")
    trn.add_argument("--data", metavar="PATH", help="as for reproduce")
    trn.add_argument("--quick", action="store_true", help="the bundled sample")
    trn.add_argument("--vocabulary", choices=VOCABULARIES, default="keras")
    trn.add_argument("--threads", type=int, default=0, help="threads for the backend (default: every core)")
    trn.add_argument("--json", type=Path, metavar="PATH", help="write the run's results to this JSON file")

    pub = sub.add_parser(
        "publish",
        help="make a reproduce run the committed reference: notebooks without volatile metadata, results, figures, "
        "one seed's models, the full-data sweep, provenance",
    )
    pub.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="the --out folder of a finished reproduce run")
    pub.add_argument("--out", type=Path, default=Path("reference"), metavar="DIR", help="default: reference")
    pub.add_argument("--overwrite", action="store_true", help="replace DIR whole if it exists")
    pub.add_argument("--command", dest="run_command", help="the command that made RUN_DIR, kept in provenance.json")

    ste = sub.add_parser("site", help="build the static site (offline) from the reference run and the docs")
    ste.add_argument(
        "reference", type=Path, nargs="?", default=Path("reference"), help="the reference run (default: reference)"
    )
    ste.add_argument("--out", type=Path, default=Path("site"), metavar="DIR", help="default: site")
    ste.add_argument("--overwrite", action="store_true", help="replace DIR whole if it exists")

    clm = sub.add_parser(
        "claims",
        help="the chapter's claims, each with a verdict computed from the runs' results and the committed ones",
    )
    clm.add_argument(
        "run_dirs",
        type=Path,
        nargs="*",
        metavar="RUN_DIR",
        help="reproduce run folders, searched in order for each results file (e.g. reference)",
    )
    written = clm.add_mutually_exclusive_group()
    written.add_argument("--write", type=Path, metavar="FILE", help="write the claims page (Markdown) to FILE")
    written.add_argument(
        "--check", type=Path, metavar="FILE", help="exit 1 if FILE differs from the page these results give"
    )

    sub.add_parser(
        "doctor",
        help="check this environment: packages against their tested ranges, the Keras backends "
        "and the devices they see, Chromium and pdftoppm, the data sources; says what to do about each problem",
    )

    smp = sub.add_parser("make-sample", help="rebuild the bundled sample from the Stanford archive (maintainers)")
    smp.add_argument("archive", help="aclImdb_v1.tar.gz or an aclImdb/ folder")
    smp.add_argument(
        "--out", type=Path, default=Path(__file__).parents[1] / "imdb" / "files", help="folder for the sample file"
    )
    return parser


def _run(args) -> int:
    if args.command == "doctor":
        from chapter12.run.doctor import doctor

        return doctor()
    if args.command == "reproduce":
        from chapter12.run.reproduce import ReproduceOptions, reproduce

        options = ReproduceOptions(
            out=args.out,
            quick=args.quick,
            data=args.data,
            seeds=args.seeds,
            models=args.models,
            epochs=args.epochs,
            batch_size=args.batch_size,
            only=args.only or list(NOTEBOOKS),
            overwrite=args.overwrite,
            backend=args.backend,
            repeats=args.repeats,
            vocabulary=args.vocabulary,
            verbose=args.verbose,
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
            TimingSettings(
                backend=b,
                variants=args.variants,
                epochs=args.epochs,
                repeats=args.repeats,
                batch_size=args.batch_size,
                data_source=args.data,
                quick=args.quick,
                vocabulary=args.vocabulary,
            ).check()
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

        for path in make_handouts(
            args.run_dir, out_dir=args.out, hide_code=args.hide_code, answers=args.answers, pdf=args.pdf
        ):
            print(f"wrote {path}")
        return 0
    if args.command == "predict":
        from chapter12.predict import predict, report

        print(report(*predict(args.run_dir, _review_text(args))))
        return 0
    if args.command == "sweep":
        from chapter12.sweep.engine import sweep

        return sweep(_sweep_options(args))
    if args.command == "report":
        from chapter12.report.sweep import write_report

        out = args.out or args.results.parent
        paths = write_report(args.results, out)
        if args.distribution:
            from chapter12.report.distribution import write_distribution

            paths += write_distribution(args.results, out)
        if args.notebook:
            from chapter12.sweep.engine import sweep_notebook

            paths.append(sweep_notebook(out, args.results))
        for path in paths:
            print(f"wrote {path}")
        return 0
    if args.command == "train":
        return _train(args)
    if args.command == "publish":
        from chapter12.run.publish import publish

        out = publish(args.run_dir, args.out, overwrite=args.overwrite, command=args.run_command)
        print(f"wrote {out}")
        return 0
    if args.command == "site":
        from chapter12.report.site import build_site

        pages = build_site(args.reference, args.out, overwrite=args.overwrite)
        print(f"wrote {len(pages)} pages into {args.out}; open {args.out / 'index.html'}")
        return 0
    if args.command == "claims":
        from chapter12.files import write_text
        from chapter12.report.claims import evaluate_claims, render_markdown, render_text

        evaluations = evaluate_claims(args.run_dirs)
        if args.write is None and args.check is None:
            print(render_text(evaluations), end="")
            return 0
        page = render_markdown(evaluations, [d.as_posix() for d in args.run_dirs])
        if args.write is not None:
            if args.write.is_dir():
                raise Chapter12Error(f"--write {args.write} is a folder; pass the name of a file to write")
            check_can_create_folder(args.write, "--write")
            write_text(args.write, page)
            print(f"wrote {args.write}")
            return 0
        if not args.check.is_file():
            print(f"{args.check} does not exist; make it with --write {args.check}")
            return 1
        if args.check.read_text(encoding="utf-8") != page:
            print(f"{args.check} is out of date; rerun with --write {args.check}")
            return 1
        print(f"{args.check} is current")
        return 0
    if args.command == "make-sample":
        from chapter12.imdb.sample import build_sample

        for path in build_sample(args.archive, args.out):
            print(f"wrote {path}")
        return 0
    raise AssertionError(args.command)


def _sweep_options(args):
    from chapter12.sweep.engine import SweepOptions
    from chapter12.sweep.grid import AXES, read_grid_file

    values = read_grid_file(args.grid) if args.grid is not None else {}
    flags = {
        "models": args.models,
        "seeds": args.seeds,
        "maxlen": args.maxlen,
        "num_words": args.num_words,
        "units": args.units,
        "recurrent_dropout": args.recurrent_dropout,
        "backend": args.backend,
    }
    values.update({k: v for k, v in flags.items() if v is not None})
    settings = {k: values.pop(k) for k in list(values) if k not in AXES}
    for name in ("data", "quick", "vocabulary", "epochs", "batch_size"):
        if getattr(args, name) is not None:
            settings[name] = getattr(args, name)
    for name in ("workers", "threads_per_worker"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise Chapter12Error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.scheduler and args.scheduler_file:
        raise Chapter12Error("give --scheduler or --scheduler-file, not both")
    return SweepOptions(
        out=args.out,
        values=values,
        data=settings.get("data"),
        quick=bool(settings.get("quick")),
        vocabulary=settings.get("vocabulary") or "keras",
        epochs=settings.get("epochs"),
        batch_size=settings.get("batch_size"),
        workers=args.workers,
        threads_per_worker=args.threads_per_worker,
        scheduler=args.scheduler,
        scheduler_file=args.scheduler_file,
        dry_run=args.dry_run,
        overwrite=args.overwrite,
        notebook=not args.no_notebook,
    )


def _train(args) -> int:
    """python -m chapter12 train: one cell, in this process."""
    import os

    from chapter12.checks import check_positive_int
    from chapter12.sweep.cell import available_cores, train_here
    from chapter12.sweep.grid import Grid, Settings

    backend = args.backend or os.environ.get("KERAS_BACKEND") or "tensorflow"
    grid = Grid.from_values(
        {
            "models": [args.model],
            "seeds": [args.seed],
            "maxlen": [args.maxlen],
            "num_words": [args.num_words],
            "units": [args.units],
            "recurrent_dropout": [args.recurrent_dropout],
            "backend": [backend],
        },
        Settings(),
    )
    from chapter12.checks import check_backend

    check_backend(backend)
    check_positive_int("--epochs", args.epochs)
    check_positive_int("--batch-size", args.batch_size)
    threads = args.threads or available_cores()
    check_positive_int("--threads", threads)
    settings = {
        "data": "sample" if args.quick else args.data,
        "vocabulary": args.vocabulary,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
    }
    from chapter12.imdb import resolve_source
    from chapter12.memory import check_memory

    # The data, the vocabulary and the memory the cell needs, all checked before Keras starts.
    source = resolve_source(settings["data"], args.vocabulary)
    params = grid.cells()[0].params()
    n_train, n_test = source.review_counts()
    check_memory([params], batch_size=args.batch_size, n_train=n_train, n_test=n_test)
    os.environ["KERAS_BACKEND"] = backend  # before Keras is imported
    result = train_here(params, settings, threads, args.json)
    print(
        f"{args.model} seed {args.seed} maxlen {args.maxlen}: test accuracy {result['test_accuracy']:.4f}, "
        f"loss {result['test_loss']:.4f}, {result['seconds']['total']:.1f} s ({threads} thread(s))"
    )
    if args.json:
        print(f"wrote {args.json}")
    return 0


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
            raise Chapter12Error(
                f"cannot read the review from {args.file} ({getattr(e, 'strerror', None) or e})"
            ) from None
    if sys.stdin is None or sys.stdin.isatty():
        raise Chapter12Error(
            'no review given; pass it as text ("this movie was ..."), with --file PATH, or on standard input'
        )
    return sys.stdin.read()


def one_line(text: str) -> str:
    """`text` with every character that could break or hide the line (newlines, other line and record
    separators, control characters) written as its escape, so an error stays one readable line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


# What each command leaves when a signal stops it, and how to go on: the rest of its one error line.
# (A sweep stopped while its cells run says it itself: how many cells are done and kept.)
_KEPT = {
    "reproduce": "nothing was written to the output folder; run the same command again to start over",
    "sweep": "the cells finished before are kept in --out; run the same command again to go on from there",
    "time": "nothing was written; run the same command again to measure",
    "train": "nothing was written; run the same command again to train",
    "handouts": "the pages written so far are complete; run the same command again to write them all",
    "report": "the files written so far are complete; run the same command again to write them all",
}
_STOP_SIGNALS = (
    signal.SIGTERM,
    signal.SIGHUP,
)  # kill, a batch system's time limit, a container stop; a closed terminal


def _say(line: str) -> None:
    """Print an error line; a terminal that is gone (SIGHUP) cannot be told, and that is no new error."""
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the command given by argv; returns the exit status (the command itself runs it through console)."""
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
    except KeyboardInterrupt as e:  # Ctrl-C, or SIGTERM / SIGHUP through stop_signals
        kept = _KEPT.get(args.command, "no file was left half-written; run the same command again")
        _say(f"error: {how_stopped(e)}; {kept}")
        return exit_status(e)


@contextmanager
def stop_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP stop the command as Ctrl-C does: a `Stopped` raised where the program is, so the same
    clean-up runs and the same kind of line is printed. Once any of the three has stopped the run, SIGTERM and
    SIGHUP are ignored, so that the clean-up is not cut short (a second Ctrl-C still interrupts). A signal that
    was ignored when the command started (nohup, a background job's Ctrl-C) stays ignored."""
    if sys.platform == "win32":
        yield
        return
    installed: list[int] = []
    hook = sys.unraisablehook

    def quiet_the_others() -> None:
        for other in installed:
            if other != signal.SIGINT:
                signal.signal(other, signal.SIG_IGN)
        # What the signal cut short (an event loop half made as a kernel started, a coroutine never awaited) is
        # freed as the stop unwinds, and Python would report it, with a traceback, under the one error line. The
        # run is being stopped: those reports say nothing the line does not.
        sys.unraisablehook = lambda unraisable: None
        warnings.simplefilter("ignore")

    def stop(signum, frame):
        quiet_the_others()
        raise Stopped(signum)

    def interrupt(signum, frame):
        quiet_the_others()
        raise KeyboardInterrupt

    old = {s: signal.getsignal(s) for s in (signal.SIGINT, *_STOP_SIGNALS)}
    for s, handler in old.items():
        if s == signal.SIGINT and handler is signal.default_int_handler:
            signal.signal(s, interrupt)
            installed.append(s)
        elif s != signal.SIGINT and handler == signal.SIG_DFL:
            signal.signal(s, stop)
            installed.append(s)
    try:
        with warnings.catch_warnings():  # the filters as they were, once the command ends
            yield
    finally:
        for s in installed:
            signal.signal(s, old[s])
        sys.unraisablehook = hook


def _without_the_iri_format_checker() -> None:
    """Start 1.6 s sooner: keep jsonschema from importing rfc3987_syntax in this process.

    papermill imports nbformat, nbformat imports jsonschema, and jsonschema, where rfc3987_syntax is installed
    (jupyter-events asks for it), builds its Lark grammars of the IRI syntax as it is imported: 1.6 of the 2.1 s
    that importing papermill takes here (benchmarks/cli_start.py), for a format ("iri") that no notebook schema
    uses. A module set to None in sys.modules cannot be imported; jsonschema then does without that one format
    checker, as it does where the package is missing (python-jsonschema/jsonschema#1428). Only this command's own
    process is concerned: a kernel, a Jupyter server or a user's `import chapter12` is left as it is."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]


def console(argv: list[str] | None = None) -> NoReturn:
    """The `chapter12` command and `python -m chapter12`: main, then exit with its status.

    After Ctrl-C (or SIGTERM, SIGHUP) the process ends at once, without Python's own teardown. What
    the run had to undo (the staging folder, the kernels, a sweep's cluster) is undone before main
    returns; what is left are objects the signal cut short, and their finalizers can wait forever
    (a notebook client cut short as its kernel started waited in zmq's `Context.term` at exit; see the
    docs/bad-input.md and benchmarks/ctrl_c_at_kernel_start.py)."""
    _without_the_iri_format_checker()
    with stop_signals():
        status = main(argv)
    if status > 128:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed or broken stream: nothing more can be said on it
                pass
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":
    console()
