"""The client side of a sweep: check everything, connect to Dask (a local cluster by default, or a
real scheduler), submit the cells not done yet, append each finished one to results.jsonl, show progress,
and write the report at the end."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chapter12.imdb.sample import default_epochs
from chapter12.errors import Chapter12Error, exit_status, how_stopped
from chapter12.notebook.progress import clock
from chapter12.sweep.cell import available_cores, host_of, run_cell, train_command
from chapter12.sweep.grid import Grid, Settings
from chapter12.report.notebooks import SWEEP_SOURCE
from chapter12.report.records import RESULTS_NAME, append_line, done_keys, start_file

SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
CONNECT_TIMEOUT = "10s"
LOGS = "logs"
# What `--overwrite` removes: the sweep's own outputs, nothing else in the folder.
OUTPUTS = (RESULTS_NAME, LOGS, "summary.md", "figures", "sweep.ipynb", "sweep.log")


@dataclass
class SweepOptions:
    out: Path
    values: dict[str, Any] = field(default_factory=dict)  # axes from flags and the grid file
    data: str | None = None
    quick: bool = False
    vocabulary: str = "keras"
    epochs: int | None = None
    batch_size: int | None = None
    workers: int | None = None
    threads_per_worker: int = 1
    scheduler: str | None = None
    scheduler_file: Path | None = None
    dry_run: bool = False
    overwrite: bool = False
    notebook: bool = True


def _data_and_fingerprint(options: SweepOptions) -> tuple[str, str, Any]:
    """The data as every worker will be told it (sample, keras, or an absolute path), its fingerprint and source."""
    from chapter12.imdb import resolve_source

    source = resolve_source("sample" if options.quick else options.data, options.vocabulary)
    name = source.kind if source.kind in ("keras", "sample") else str(Path(source.path).resolve())  # --data sample too
    return name, source.fingerprint(), source


def make_grid(options: SweepOptions) -> tuple[Grid, Any]:
    """The checked grid and its data source (nothing written, nothing trained)."""
    from chapter12.book import BookConfig
    from chapter12.checks import check_positive_int, check_vocabulary

    book = BookConfig()
    # On the bundled sample the book's simple RNN needs one more epoch to learn (chapter12.imdb.sample).
    epochs = options.epochs if options.epochs is not None else default_epochs(options.quick)
    batch_size = options.batch_size if options.batch_size is not None else book.batch_size
    check_positive_int("--epochs", epochs)
    check_positive_int("--batch-size", batch_size)
    check_vocabulary(options.vocabulary)
    grid = Grid.from_values(options.values, Settings())  # the axes first: quick to check, before the data is hashed
    data, fingerprint, source = _data_and_fingerprint(options)
    if not (options.scheduler or options.scheduler_file or os.environ.get(SCHEDULER_ENV)):
        from chapter12.memory import check_memory

        # Every cell against this machine's memory, where a local cluster will train it. A remote cluster's
        # workers may have more or less: there each cell's `train` checks its own host, and a cell too big for
        # it fails alone, with its one-line error in the results.
        n_train, n_test = source.review_counts()
        check_memory([cell.params() for cell in grid.cells()], batch_size=batch_size, n_train=n_train, n_test=n_test)
    settings = Settings(
        data=data, data_fingerprint=fingerprint, vocabulary=options.vocabulary, epochs=epochs, batch_size=batch_size
    )
    return Grid(grid.axes, settings), source


def _check_out(options: SweepOptions, settings: dict) -> set[str]:
    """The keys already done in --out; an error (nothing changed) for a folder that holds something else."""
    out = options.out
    results = out / RESULTS_NAME
    if out.exists() and not out.is_dir():
        raise Chapter12Error(f"--out {out} is a file; pass a folder")
    if options.overwrite:
        return set()
    if results.exists():
        return done_keys(results, settings)
    if out.exists() and any(p.name not in OUTPUTS for p in out.iterdir()):
        raise Chapter12Error(f"--out {out} holds files that are not a sweep's; choose a new folder")
    from chapter12.checks import check_can_create_folder

    check_can_create_folder(out)
    return set()


def scheduler_address(options: SweepOptions) -> str | None:
    """The address of the scheduler to use: --scheduler, the address in --scheduler-file, $DASK_SCHEDULER_ADDRESS,
    or None for a local cluster."""
    import json

    if options.scheduler_file is not None:
        path = Path(options.scheduler_file)
        if not path.is_file():
            raise Chapter12Error(
                f"--scheduler-file {path} does not exist; start the scheduler "
                "with `dask scheduler --scheduler-file FILE` first"
            )
        try:
            address = json.loads(path.read_text(encoding="utf-8")).get("address")
        except (OSError, UnicodeDecodeError, ValueError, AttributeError):
            address = None
        if not isinstance(address, str) or not address:
            raise Chapter12Error(
                f"--scheduler-file {path} is not a file that a Dask scheduler wrote (no address in "
                "it); pass the file of `dask scheduler --scheduler-file FILE`"
            )
        return address
    return options.scheduler or os.environ.get(SCHEDULER_ENV) or None


def connect(options: SweepOptions):
    """A Dask client: on --scheduler, --scheduler-file or $DASK_SCHEDULER_ADDRESS, else on a new local cluster.
    Returns (client, cluster or None, where in words)."""
    from distributed import Client, LocalCluster

    from chapter12.sweep.scheduler import check_scheduler

    address = scheduler_address(options)
    if address:
        check_scheduler(address)  # a peer that is not a Dask scheduler: one line, not a wait without end
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as e:
            reason = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise Chapter12Error(
                f"cannot reach the Dask scheduler at {address} ({reason}); check that it runs and "
                f"the address, or leave --scheduler out (and unset {SCHEDULER_ENV}) for a local "
                "cluster"
            ) from None
        source = f" (from {options.scheduler_file})" if options.scheduler_file is not None else ""
        return client, None, f"scheduler {address}{source}"
    workers = options.workers or max(1, available_cores() // options.threads_per_worker)
    # Saturation 1.0: a worker holds only the cells it runs. Dask's default (1.1) also queues one more on each
    # busy worker, where a long cell can wait while another worker has nothing left to do.
    import dask

    client = cluster = None
    try:
        with _signals_deferred(), dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=options.threads_per_worker,
                processes=True,
                dashboard_address="127.0.0.1:0",
                silence_logs=logging.ERROR,
                host="127.0.0.1",
                preload=["chapter12.sweep.quiet_worker"],
            )
            client = Client(cluster)
    except BaseException:  # a signal held back while the cluster started is raised as the block ends: close it
        if client is not None:
            client.close(timeout=10)
        if cluster is not None:
            cluster.close(timeout=10)
        raise
    return client, cluster, f"local cluster, {workers} worker(s) x {options.threads_per_worker} thread(s)"


@contextmanager
def _signals_deferred():
    """Ctrl-C, SIGTERM and SIGHUP held back while the local cluster starts, and delivered when it is up (the
    caller then closes it as for any stop). A cluster cut short as it starts would leave its processes.

    The processes started here keep the signals blocked until they set their own handling: multiprocessing's
    resource tracker, which ignores Ctrl-C and SIGTERM but not SIGHUP (killed by a closed terminal, it
    printed a traceback per semaphore), and each worker until its preload (`quiet_worker`) ignores them."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = [s for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP) if signal.getsignal(s) != signal.SIG_IGN]
    arrived: list[int] = []
    old = {s: signal.signal(s, lambda signum, frame: arrived.append(signum)) for s in held}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # one still pending reaches its own handler now
    if arrived:
        signal.raise_signal(arrived[0])


def _has_dashboard() -> bool:
    import importlib.util

    return importlib.util.find_spec("bokeh") is not None


def threads_by_host(client) -> dict[str, int]:
    """How many Dask threads each host runs (the cells' share of its cores is counted from it)."""
    hosts: dict[str, int] = {}
    for address, info in client.scheduler_info().get("workers", {}).items():
        host = host_of(address)
        hosts[host] = hosts.get(host, 0) + int(info.get("nthreads", 1))
    return hosts


def predict_seconds(finished: list[tuple[str, int, float]], model: str, maxlen: int) -> float | None:
    """A guess of a cell's seconds from the cells finished so far, (model, maxlen, seconds): a straight line in
    maxlen through the same model's cells when they have two lengths or more, else their mean, else the mean
    of all; None before any cell finished."""
    from chapter12.report.sweep import linear_fit

    same = [(m, s) for kind, m, s in finished if kind == model]
    if len({m for m, _ in same}) > 1:
        intercept, slope = linear_fit([m for m, _ in same], [s for _, s in same])
        return max(0.0, intercept + slope * maxlen)
    pool = [s for _, s in same] or [s for _, _, s in finished]
    return sum(pool) / len(pool) if pool else None


class Progress:
    """Cells finished (done or failed) out of the grid, and an estimate of the time left: a tqdm bar redrawn in
    place on a terminal, with a line above it per finished cell; one line per finished cell elsewhere. The
    estimate fits each model's seconds against maxlen over the cells finished so far, and divides the cells left
    by the threads running them (but never says less than the longest cell left); it does not know how far the
    running cells have got."""

    BAR_FORMAT = "[{bar:24}] {n_fmt}/{total_fmt} cells{postfix}"  # tqdm puts ", " before the postfix

    def __init__(
        self, cells: list, total: int, threads: int = 1, stream=None, done_before: list[tuple[str, int, float]] = ()
    ) -> None:
        """cells: those to run; total: the grid's size (the others were done before: their (model, maxlen,
        seconds) start the estimate of the time left)."""
        from tqdm import tqdm

        self.total, self.skipped, self.threads = total, total - len(cells), max(1, threads)
        self.left = {cell.key: cell for cell in cells}
        self.done = self.failed = 0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.start = time.perf_counter()
        self.finished: list[tuple[str, int, float]] = list(done_before)
        self.bar = tqdm(
            total=total,
            initial=self.skipped,
            file=self.stream,
            bar_format=self.BAR_FORMAT,
            ascii=" #",
            disable=not self.tty,
            leave=True,
            mininterval=0,
        )

    def seconds_left(self) -> float | None:
        guesses = [predict_seconds(self.finished, c.model, c.maxlen) for c in self.left.values()]
        if not guesses or None in guesses:
            return None
        return max(sum(guesses) / self.threads, max(guesses))  # the longest cell alone takes at least itself

    def status(self, running: int) -> str:
        """Done, failed, running, the time so far and the time left."""
        left = self.seconds_left()
        eta = f", about {clock(left)} left" if left else ""
        elapsed = clock(time.perf_counter() - self.start)
        return f"{self.skipped + self.done} done, {self.failed} failed, {running} running, {elapsed}{eta}"

    def line(self, running: int) -> str:
        """The line a pipe gets after each finished cell."""
        return f"{self.skipped + self.done + self.failed}/{self.total} cells, {self.status(running)}"

    def cell_finished(self, cell, record: dict, running: int) -> None:
        self.left.pop(cell.key, None)
        if record["status"] == "ok":
            self.done += 1
            self.finished.append((cell.model, cell.maxlen, float(record["seconds"])))
            what = f"ok  accuracy {record['test_accuracy']:.4f} in {record['seconds']:.0f} s on {record['worker']}"
        else:
            self.failed += 1
            what = f"FAILED ({record.get('error', '')})"
        self._write(f"  {cell.label()}: {what}")
        self.bar.update(1)
        self.draw(running)

    def draw(self, running: int) -> None:
        if self.tty:
            self.bar.set_postfix_str(self.status(running))
        else:
            self._write(self.line(running))

    def _write(self, line: str) -> None:
        if self.tty:
            self.bar.write(line, file=self.stream)  # above the bar, which is then drawn again
        else:
            self.stream.write(line + "\n")
            self.stream.flush()

    def end(self) -> None:
        self.bar.close()


def _record(cell, outcome: dict) -> dict:
    """The line results.jsonl gets for a finished cell."""
    record = {
        "key": cell.key,
        "status": outcome["status"],
        "params": cell.params(),
        "worker": outcome.get("worker"),
        "threads": outcome.get("threads"),
        "seconds": round(float(outcome.get("seconds", 0.0)), 3),
        "log": outcome.get("log"),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    result = outcome.get("result")
    if result:
        record.update(
            test_accuracy=result["test_accuracy"],
            test_loss=result["test_loss"],
            epoch_seconds=result["epoch_seconds"],
            history=result["history"],
            n_train=result["n_train"],
            n_val=result["n_val"],
            n_test=result["n_test"],
            phases=result.get("seconds"),
            keras_backend=result.get("backend"),
        )
    else:
        record["error"] = outcome.get("error", "")
        record["log_tail"] = outcome.get("log_tail", [])
    from chapter12.report.schema import cell_problem

    problem = cell_problem(record)
    if problem and result:  # e.g. a run that diverged to a NaN loss: kept as failed, so the file stays readable
        record = {
            k: v for k, v in record.items() if k in ("key", "params", "worker", "threads", "seconds", "log", "finished")
        }
        record.update(status="failed", error=f"its result cannot be kept: {problem}", log_tail=[])
    return record


def _killed_record(cell, error: BaseException) -> dict:
    reason = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}".strip(": ")
    if type(error).__name__ == "KilledWorker":
        reason = "every worker that ran it died (Dask's KilledWorker); see the workers' logs"
    return {"status": "failed", "error": reason, "seconds": 0.0}


def sweep(options: SweepOptions, log=print) -> int:
    """Run the grid; returns the exit status (0 all done, 1 some cells failed, 128 + the signal's number when
    stopped: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP)."""
    grid, source = make_grid(options)
    cells = grid.cells()
    settings = grid.settings.to_dict()
    done = _check_out(options, settings) if not options.dry_run or (options.out / RESULTS_NAME).exists() else set()
    todo = [c for c in cells if c.key not in done]
    if options.dry_run:
        log(f"grid: {len(cells)} cells, {len(cells) - len(todo)} done in {options.out / RESULTS_NAME}")
        log(grid.describe())
        for cell in cells:
            log(f"  {cell.key}  {'done' if cell.key not in {c.key for c in todo} else 'todo'}  {cell.label()}")
        if todo:
            log("one cell alone: python " + " ".join(train_command(todo[0].params(), settings, 1, "cell.json")[1:]))
        return 0
    if todo and grid.settings.data != "sample":
        t = time.perf_counter()
        source.raw()  # once here, so the cells find the prepared data (the Stanford cache) instead of each making it
        if time.perf_counter() - t > 5:
            log(f"prepared the data in {time.perf_counter() - t:.0f} s")
    client = cluster = None
    try:
        # Before anything is written: an unreachable scheduler leaves no trace. Inside the try: a signal that
        # lands as connect returns still closes what it started.
        # Nothing left to train: no cluster to start or scheduler to reach; the report and notebook are made again.
        client, cluster, where = connect(options) if todo else (None, None, "")
        if options.overwrite:
            for name in OUTPUTS:
                target = options.out / name
                if target.is_dir():
                    shutil.rmtree(target)
                elif target.exists():
                    target.unlink()
        options.out.mkdir(parents=True, exist_ok=True)
        results = options.out / RESULTS_NAME
        start_file(results, settings)
        counts = f"{len(cells)} cells ({len(cells) - len(todo)} done before, {len(todo)} to run)"
        log(f"sweep: {counts} on {where}" if todo else f"sweep: {counts}: nothing to train")
        if client is not None and client.scheduler_info().get("services", {}).get("dashboard"):
            hint = (
                "" if cluster is None or _has_dashboard() else " (its live plots need bokeh: pip install 'bokeh>=3.1')"
            )
            log(f"Dask dashboard: {client.dashboard_link}{hint}")
        log(f"results: {results}")
        status = _run(client, todo, settings, options.out, results, len(cells), len(cells) - len(todo))
    finally:
        _close(client, cluster)
    if status > 128:
        return status
    from chapter12.report.sweep import write_report

    for path in write_report(options.out / RESULTS_NAME, options.out):
        log(f"wrote {path}")
    if options.notebook:
        path = sweep_notebook(options.out)
        log(f"wrote {path}")
    return status


def _close(client, cluster) -> None:
    try:
        if client is not None:
            client.close(timeout=10)
    finally:
        if cluster is not None:
            cluster.close(timeout=10)


def priorities(cells: list) -> list[int]:
    """Dask priorities (higher starts first): the seeds in their order, so a sweep stopped early has whole
    seeds done; within a seed the dearest cell first, so no long cell starts last while the other workers
    wait with nothing to do."""
    rank = {seed: i for i, seed in enumerate(dict.fromkeys(cell.seed for cell in cells))}
    return [(len(rank) - rank[cell.seed]) * 10**9 + min(int(cell.cost()), 10**9 - 1) for cell in cells]


def _run(client, todo: list, settings: dict, out: Path, results: Path, total: int, skipped: int) -> int:
    from distributed import as_completed

    from chapter12.report.records import read_sweep

    _, before = read_sweep(results)
    timed = [(r["params"]["model"], r["params"]["maxlen"], float(r["seconds"])) for r in before if r["status"] == "ok"]
    if not todo:  # and no client: nothing was started
        progress = Progress(todo, total, done_before=timed)
        progress.draw(0)
        progress.end()
        return 0
    hosts = threads_by_host(client)
    progress = Progress(todo, total, sum(hosts.values()), done_before=timed)
    session = (
        f"{os.getpid()}-{time.time_ns()}"  # a fresh key per run: a long-lived scheduler never hands back an old result
    )
    futures = {}
    logs = out / LOGS
    for cell, priority in zip(todo, priorities(todo)):
        future = client.submit(
            run_cell,
            cell.key,
            cell.params(),
            settings,
            str((logs / f"{cell.key}.log").resolve()),
            hosts,
            key=f"cell-{cell.key}-{session}",
            pure=False,
            priority=priority,
        )
        futures[future] = cell
    progress.draw(0)
    pending = len(futures)
    stopped = 0
    try:
        for future in as_completed(futures):
            cell = futures[future]
            pending -= 1
            try:
                outcome = future.result()
            except Exception as e:  # the task itself raised: the worker could not start it, or workers kept dying
                outcome = _killed_record(cell, e)
            if outcome["status"] == "interrupted":  # its worker's host stopped it (a signal): not a result
                stopped += 1
                continue
            record = _record(cell, outcome)
            append_line(results, record)
            running = min(pending, sum(hosts.values()) or 1)
            progress.cell_finished(cell, record, running)
    except KeyboardInterrupt as e:  # Ctrl-C, SIGTERM or SIGHUP (see chapter12.run.cli.stop_signals)
        try:
            progress.end()
        except (OSError, ValueError):  # the terminal is gone (SIGHUP)
            pass
        for future in futures:
            future.cancel()
        try:
            print(
                f"error: {how_stopped(e)}; {skipped + progress.done} of {total} cells are done and kept in {results}; "
                "run the same command again to go on from there",
                file=sys.stderr,
                flush=True,
            )
        except (OSError, ValueError):
            pass
        return exit_status(e)
    progress.end()
    if progress.failed or stopped:
        said = []
        if progress.failed:
            said.append(
                f"{progress.failed} of {len(todo)} cells failed (their errors are in {results}, their logs in "
                f"{out / LOGS})"
            )
        if stopped:  # a worker's host stopped its cell (SIGTERM from a batch system): no result, not a failure
            said.append(
                f"{stopped} of {len(todo)} cells were stopped on their workers by a signal and are not recorded"
            )
        print(f"error: {'; '.join(said)}; run the same command again to retry them", file=sys.stderr)
        return 1
    return 0


def sweep_notebook(out: Path, results: "Path | None" = None) -> Path:
    """Execute notebooks/06_sweep.ipynb on a sweep's results (default OUT/results.jsonl) into OUT/sweep.ipynb,
    the sweep's handout page; its output and the kernel's stderr go to OUT/sweep.log, not the terminal."""
    from chapter12.notebook.execute import NotebookJob, run_notebook

    results_file = str(Path(results).resolve()) if results is not None else RESULTS_NAME
    job = NotebookJob(SWEEP_SOURCE, {"results_file": results_file, "output_dir": "."}, None, output="sweep.ipynb")
    record = run_notebook(job, out, out / "sweep.log")
    if record["status"] != "ok":
        raise Chapter12Error(
            f"the sweep notebook failed ({record.get('error')}); the results and summary are "
            f"written; see {out / 'sweep.log'}"
        )
    return out / "sweep.ipynb"
