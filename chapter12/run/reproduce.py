"""Run the chapter's notebooks with papermill and gather what they measured.

Everything is written into a fresh folder beside the output folder first and moved into
place at the end, so an interrupted run never leaves a half-written output folder and never
replaces a good one.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from chapter12.book import BookConfig
from chapter12.checks import (
    check_backend,
    check_can_create_folder,
    check_model_kind,
    check_positive_int,
    check_seed,
    check_vocabulary,
)
from chapter12.errors import Chapter12Error
from chapter12.files import replace_folder, write_json, write_text
from chapter12.report.notebooks import NOTEBOOKS, notebook_key, read_results
from chapter12.report.results import (
    book_reference,
    summarize_runs,
    summary_markdown,
    terminal_summary,
    timing_summary,
)
from chapter12.notebook.execute import NotebookJob, cannot_write, execute_notebook, notebooks_dir, papermill_logging
from chapter12.notebook.kernel import KernelsAhead, current_interpreter_kernel, shut_down


@dataclass
class ReproduceOptions:
    """What `python -m chapter12 reproduce` was asked to do."""

    out: Path
    quick: bool = False
    data: str | None = None
    seeds: list[int] = field(default_factory=lambda: [0])
    models: list[str] = field(default_factory=lambda: ["simple_rnn", "lstm"])
    epochs: int | None = None
    batch_size: int | None = None
    only: list[str] = field(default_factory=lambda: list(NOTEBOOKS))
    overwrite: bool = False
    backend: str | None = None
    repeats: int | None = None
    vocabulary: str = "keras"  # how the Stanford reviews become words: "keras" (exactly imdb.npz) or "clean"
    verbose: bool = False  # stream every notebook's output to the terminal instead of a progress line

    def keras_backend(self) -> str:
        """The backend the notebooks will run on: --backend, else $KERAS_BACKEND, else TensorFlow."""
        return self.backend or os.environ.get("KERAS_BACKEND") or "tensorflow"

    def config(self) -> BookConfig:
        """The book's settings with this run's changes, checked."""
        changes = {k: v for k, v in (("epochs", self.epochs), ("batch_size", self.batch_size)) if v is not None}
        return BookConfig().replace(**changes)


def check_options(options: ReproduceOptions) -> BookConfig:
    """Validate everything before any work starts; raise Chapter12Error on the first problem."""
    config = options.config()
    check_vocabulary(options.vocabulary)
    if not options.models:
        raise Chapter12Error("no model chosen; pass --models simple_rnn lstm (or others)")
    for kind in options.models:
        check_model_kind(kind)
    if not options.seeds:
        raise Chapter12Error("no seed chosen; pass --seeds 0 1 2 (whole numbers)")
    for i, seed in enumerate(options.seeds):
        check_seed(seed)  # the range np.random.RandomState and Keras accept
        if seed in options.seeds[:i]:
            raise Chapter12Error(f"seed {seed} is given twice; each seed is one run per model, so pass each seed once")
    # A notebook's file name (old or numbered) names it too: --only sentiment_accuracy is --only accuracy.
    options.only = [notebook_key(name) for name in options.only]
    check_backend(options.keras_backend())
    if options.repeats is not None:
        check_positive_int("repeats", options.repeats)
    if "timing" in options.only and options.epochs is not None and config.epochs < 3:
        raise Chapter12Error(
            f"the timing notebook needs --epochs 3 or more (the first epoch compiles), got {config.epochs}; "
            "or pass --only accuracy"
        )
    out = Path(options.out)
    if out.exists() and not out.is_dir():
        raise Chapter12Error(f"--out {out} is a file; choose a folder")
    if out.is_dir() and any(out.iterdir()) and not options.overwrite:
        raise Chapter12Error(
            f"--out {out} already holds files from another run; choose a new folder or pass --overwrite to replace it"
        )
    check_can_create_folder(out)
    data = Path(options.data).expanduser() if options.data and not options.quick else None
    if data is not None and data.is_dir() and out.resolve().is_relative_to(data.resolve()):
        raise Chapter12Error(f"--out {out} is inside the data folder {data}; choose a folder outside it")
    from chapter12.imdb import resolve_source
    from chapter12.memory import check_memory

    # maxlen, num_words and units are the book's here; a --batch-size above the data's is one batch of all the
    # training reviews (Keras cuts a batch at the end of the data), which can be more than the machine has.
    n_train, n_test = resolve_source("sample" if options.quick else options.data, options.vocabulary).review_counts()
    cells = [
        {"model": kind, "maxlen": config.maxlen, "num_words": config.num_words, "units": config.units}
        for kind in options.models
    ]
    check_memory(cells, batch_size=config.batch_size, n_train=n_train, n_test=n_test)
    return config


def check_data(options: ReproduceOptions) -> str | None:
    """Make sure the data can be read (and the Stanford cache exists) before a kernel starts; returns the source."""
    from chapter12.imdb import resolve_source

    source = resolve_source("sample" if options.quick else options.data, options.vocabulary)
    # Reads the reviews once, here, with one-line errors (and builds the Stanford cache, or downloads).
    source.raw()
    if source.kind in ("sample", "keras"):
        return source.kind
    source.word_index()  # the notebooks decode reviews: for imdb.npz, imdb_word_index.json must be beside it
    return str(source.path.resolve())


def _jobs(options: ReproduceOptions, config: BookConfig, source: str | None) -> list[NotebookJob]:
    # Every notebook gets those of the run's settings that its parameters cell declares. Epochs,
    # batch size and repeats only when asked for: otherwise each notebook keeps its own default
    # (the book's 5 epochs for the accuracy notebook, 3 for timing, 2 for the embedding demo).
    offered = {
        "data_source": source,
        "quick": options.quick,
        "models": list(options.models),
        "seeds": list(options.seeds),
        "output_dir": ".",
        "verbose": 2,
        "backends": [options.keras_backend()],
        "vocabulary": options.vocabulary,
        # The inside notebook reads the models the accuracy notebook saved in this run (it runs after it),
        # or trains its own when the run has no accuracy notebook.
        "run_dir": "." if "accuracy" in options.only else None,
        "model_seed": options.seeds[0],
        "interactive": False,
    }
    # A quick run is a rehearsal: one timed repeat is enough to see the ratio.
    repeats = options.repeats if options.repeats is not None else (1 if options.quick else None)
    asked = {"epochs": options.epochs, "batch_size": options.batch_size, "repeats": repeats}
    offered |= {k: v for k, v in asked.items() if v is not None}
    import papermill as pm

    jobs = []
    for name in options.only:
        notebook = NOTEBOOKS[name]
        declared = pm.inspect_notebook(str(notebooks_dir() / notebook.filename))
        params = {k: v for k, v in offered.items() if k in declared}
        jobs.append(NotebookJob(notebook.filename, params, notebook.results_file))
    return jobs


LOG_FILE = "reproduce.log"  # beside the executed notebooks: everything they printed, and the kernels' C-level stderr


def collect(
    folder: Path, jobs: list[NotebookJob], records: list[dict], config: BookConfig, options: ReproduceOptions
) -> dict:
    """Merge the notebooks' result files into one results dict, each read by the kind it declares."""
    runs, timing, matmul, timing_envs, environment, configs, others = [], [], {}, {}, None, {}, {}
    for job in jobs:
        path = folder / job.results_file
        if not path.exists():
            continue
        part = read_results(path)
        kind = part["kind"]
        configs[job.name] = part["config"]
        if kind == "accuracy":
            runs.extend(part["runs"])
            environment = environment or part["environment"]
        elif kind == "timing":  # one environment per backend, each measured in its own process
            timing.extend(part["timing"])
            matmul.update(part["matmul_flops_per_second"])
            timing_envs.update(part["environment"])
        else:  # what the teaching notebooks measured (gradients, neighbours, ...)
            others[job.name] = part
            environment = environment or part["environment"]
    environment = environment or next(iter(timing_envs.values()), None)
    results = {
        "runs": runs,
        "summary": summarize_runs(runs),
        "book": book_reference(),
        "config": config.to_dict()
        | {
            "models": list(options.models),
            "seeds": list(options.seeds),
            "quick": options.quick,
            "data": options.data,
            "vocabulary": options.vocabulary,
            "backend": options.keras_backend(),
            "notebooks": configs,
        },
        "environment": environment,
        "notebooks": records,
        "notebook_results": others,
    }
    if timing:
        results |= {
            "timing": timing,
            "timing_summary": timing_summary(timing),
            "matmul_flops_per_second": matmul,
            "timing_environment": timing_envs,
        }
    return results


def reproduce(options: ReproduceOptions, log=print) -> int:
    """Execute the chosen notebooks into options.out; returns the exit status (0 ok, 1 a notebook failed).

    The terminal gets a progress line per notebook and a short table of results at the end (with
    options.verbose, every notebook's output instead); everything goes to RUN/reproduce.log too.
    """
    from chapter12.notebook.progress import NotebookProgress

    config = check_options(options)
    out = Path(options.out).resolve()
    source = check_data(options)
    # The folders above --out that this run creates, outermost first: removed again if the run does not finish.
    created = [p for p in reversed(out.parents) if not p.exists()]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)  # mkdtemp makes it private; the run folder is meant to be shared
    except OSError as e:
        raise Chapter12Error(f"cannot create the output folder {out} ({e.strerror}); choose a writable --out") from None
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of the notebooks
    os.environ["KERAS_BACKEND"] = options.keras_backend()  # the kernels inherit it
    width = max(len(name) for name in options.only)
    try:
        records = []
        with (
            papermill_logging(staging / LOG_FILE, options.verbose),
            current_interpreter_kernel(log_file=staging / LOG_FILE, preload=("keras",)) as kernel,
        ):
            kernels = KernelsAhead(kernel, staging)
            try:
                kernels.start_next()  # the first notebook's kernel starts while the notebooks are read
                jobs = _jobs(options, config, source)
                # The timing notebook runs last: the kernel of the next notebook is started while a notebook
                # runs, and nothing may run beside the one that measures time.
                order = sorted(zip(options.only, jobs), key=lambda pair: pair[0] == "timing")
                for i, (name, job) in enumerate(order, 1):
                    label = f"[{i}/{len(order)}] {name:<{width}}"
                    km = kernels.take()
                    if i < len(order) and name != "timing":
                        kernels.start_next()
                    try:
                        if options.verbose:
                            shown = ", ".join(
                                f"{k}={v}" for k, v in job.parameters.items() if k not in ("output_dir", "verbose")
                            )
                            log(f"{label} executing {job.name} ({shown})")
                            record = execute_notebook(job, staging, kernel, km=km)
                            log(f"{label} {job.name}: {record['status']} in {record['seconds']:.0f} s")
                        else:
                            progress = NotebookProgress(label)
                            progress.begin()
                            record = execute_notebook(job, staging, kernel, progress, km=km)
                            progress.end(record["status"], record["seconds"])
                    finally:
                        shut_down(km)
                    records.append(record)
            finally:
                kernels.close()
        jobs = [job for _, job in order]
        results = collect(staging, jobs, records, config, options)
        for record in records:  # point at the folder the files will live in
            record["path"] = str(out / record["name"])
        try:
            write_json(staging / "results.json", results)
            write_text(staging / "summary.md", summary_markdown(results))
            if results["runs"] or results.get("timing"):
                from chapter12.report.plots import save_figures

                save_figures(results["runs"], staging / "figures", timing=results.get("timing"))
        except OSError as e:
            raise cannot_write("results", e) from None
        replace_folder(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in reversed(created):  # innermost first; a folder that holds something else is left alone
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    log("")
    log((out / "summary.md").read_text(encoding="utf-8") if options.verbose else terminal_summary(results))
    log(f"wrote {out}/: results.json, summary.md, figures/ and the executed notebooks")
    log(f"log: {out / LOG_FILE}")
    failed = [r for r in records if r["status"] != "ok"]
    for r in failed:
        where = f"; last lines: {r['last_lines']}" if r.get("last_lines") else ""
        print(f"error: {r['name']} failed ({r['error']}){where}; open {r['path']} to see where", file=sys.stderr)
    return 1 if failed else 0
