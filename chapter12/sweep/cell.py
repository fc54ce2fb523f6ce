"""One cell of a sweep, both sides of it.

`run_cell` is what a Dask worker runs: it starts `python -m chapter12 train ...` as a fresh process, so
TensorFlow never loads in the worker (no fork trouble, no memory growing from cell to cell), waits for
it and returns what it measured, or why it failed. `train_here` is that process's body.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from chapter12.errors import Chapter12Error
from chapter12.process import run_child

# The thread pools each backend sizes from these when it starts.
THREAD_ENV = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)
# How a cell's process ends when a signal stopped it (killed by it, or `train`'s own 128 + its number): not a
# result and not a failure, so the cell runs again next time.
_STOPPED = {status for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP) for status in (-s, 128 + s)}


def share_of_cores(cores: int, threads_on_host: int) -> int:
    """The threads one cell may use: the host's cores shared evenly among the Dask threads running cells on
    that host (each Dask thread runs one cell at a time), at least 1."""
    return max(1, int(cores) // max(1, int(threads_on_host)))


def available_cores() -> int:
    """The cores this process may run on (its affinity where the system says, else the CPU count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def train_command(
    params: dict[str, Any], settings: dict[str, Any], threads: int, json_out: "str | os.PathLike"
) -> list[str]:
    """The command line that trains one cell alone (also how to re-run a cell by hand)."""
    cmd = [
        sys.executable,
        "-m",
        "chapter12",
        "train",
        "--model",
        str(params["model"]),
        "--seed",
        str(params["seed"]),
        "--maxlen",
        str(params["maxlen"]),
        "--num-words",
        str(params["num_words"]),
        "--units",
        str(params["units"]),
        "--recurrent-dropout",
        repr(float(params["recurrent_dropout"])),
        "--backend",
        str(params["backend"]),
        "--epochs",
        str(settings["epochs"]),
        "--batch-size",
        str(settings["batch_size"]),
        "--vocabulary",
        str(settings["vocabulary"]),
        "--threads",
        str(threads),
        "--json",
        str(json_out),
    ]
    if settings["data"] == "sample":
        cmd.append("--quick")
    else:
        cmd += ["--data", str(settings["data"])]
    return cmd


def _worker_identity() -> tuple[str, int | None]:
    """This worker's address and number of threads, or ('local', None) outside a Dask worker."""
    try:
        from distributed import get_worker

        worker = get_worker()
        return worker.address, worker.state.nthreads
    except (ImportError, ValueError):
        return "local", None


def host_of(address: str) -> str:
    """The host name or IP of a Dask address (tcp://10.0.0.5:8786 -> 10.0.0.5)."""
    from urllib.parse import urlparse

    return urlparse(address if "://" in address else f"tcp://{address}").hostname or address


def _log_path(wanted: str | None, key: str) -> Path:
    """The log file the client asked for (a shared folder), else one in this machine's temporary folder."""
    if wanted:
        try:
            Path(wanted).parent.mkdir(parents=True, exist_ok=True)
            Path(wanted).touch()
            return Path(wanted)
        except OSError:
            pass
    return Path(tempfile.gettempdir()) / f"chapter12-cell-{key}.log"


def result_path(log: Path) -> Path:
    """Where an attempt at a cell has its child write the result: beside the cell's log, named for this attempt.

    The child writes it whole or not at all (atomically), and run_cell removes it once read: a worker killed
    mid-cell (a stopped sweep's cluster closes its workers) leaves the log and at most the `.part` file of a write
    it cut short, where a temporary folder of its own was left behind in the machine's temporary folder. The name
    holds the host, the process and the thread, so that two attempts at one cell never share it: on a cluster
    that outlives a stopped sweep, the attempt the stop left running goes on beside the new sweep's attempt."""
    return log.with_name(f"{log.name}.{socket.gethostname()}-{os.getpid()}-{threading.get_ident()}.result.json")


def run_cell(
    key: str,
    params: dict[str, Any],
    settings: dict[str, Any],
    log_file: str | None = None,
    threads_by_host: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Train one cell in a fresh process and return its record (status ok, failed or interrupted)."""
    address, nthreads = _worker_identity()
    host = host_of(address) if address != "local" else socket.gethostname()
    on_host = (threads_by_host or {}).get(host) or nthreads or 1
    threads = share_of_cores(available_cores(), on_host)
    log = _log_path(log_file, key)
    env = dict(os.environ, KERAS_BACKEND=str(params["backend"]), PYTHONUNBUFFERED="1")
    env.update({name: str(threads) for name in THREAD_ENV})
    record: dict[str, Any] = {
        "key": key,
        "params": params,
        "worker": address,
        "host": host,
        "threads": threads,
        "log": str(log),
    }
    out = result_path(log)
    out.unlink(missing_ok=True)  # an earlier attempt's, never to be read as this one's
    cmd = train_command(params, settings, threads, out)
    log.write_text("$ " + " ".join(cmd) + "\n", encoding="utf-8")  # how to run the cell again by hand
    try:
        finished = run_child(cmd, env, out, log_file=log, die_with_parent=True)
    finally:
        out.unlink(missing_ok=True)
    record["seconds"] = finished.seconds
    record["returncode"] = finished.returncode
    if finished.result is not None:
        record["status"] = "ok"
        record["result"] = finished.result
        return record
    record["status"] = "interrupted" if finished.returncode in _STOPPED else "failed"
    record["error"] = finished.error()
    record["log_tail"] = finished.tail
    return record


def train_here(
    params: dict[str, Any], settings: dict[str, Any], threads: int, json_out: "str | os.PathLike | None"
) -> dict:
    """The body of `python -m chapter12 train`: one run with the book's settings but for the cell's, in this
    process, written to json_out (atomically). KERAS_BACKEND must be set before this is called."""
    from chapter12.checks import check_can_create_folder
    from chapter12.files import write_json

    if json_out is not None:  # checked now, not after the minutes of training
        if Path(json_out).is_dir():
            raise Chapter12Error(f"--json {json_out} is a folder; pass the name of a file to write")
        check_can_create_folder(json_out, "--json")
    for name in THREAD_ENV:  # before the backend starts
        os.environ[name] = str(threads)
    t0 = time.perf_counter()
    import keras

    backend = keras.backend.backend()
    if backend != params["backend"]:
        raise Chapter12Error(
            f"Keras started with the {backend} backend, not {params['backend']}; "
            "set KERAS_BACKEND before anything imports Keras"
        )
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    elif backend == "torch":
        import torch

        torch.set_num_threads(threads)
    from chapter12.book import BookConfig
    from chapter12.imdb import prepare_data
    from chapter12.train import train_and_evaluate

    t1 = time.perf_counter()
    config = BookConfig(
        maxlen=params["maxlen"],
        num_words=params["num_words"],
        units=params["units"],
        recurrent_dropout=params["recurrent_dropout"],
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
    )
    data = prepare_data(
        config,
        source=None if settings["data"] == "sample" else settings["data"],
        quick=settings["data"] == "sample",
        vocabulary=settings["vocabulary"],
    )
    t2 = time.perf_counter()
    run = train_and_evaluate(params["model"], data, config=config, seed=params["seed"], verbose=2)
    t3 = time.perf_counter()
    result = run.to_dict()
    result.update(
        params=params,
        settings=settings,
        threads=threads,
        seconds={"start": t1 - t0, "data": t2 - t1, "train_and_test": t3 - t2, "total": t3 - t0},
    )
    if json_out is not None:
        write_json(json_out, result)
    return result
