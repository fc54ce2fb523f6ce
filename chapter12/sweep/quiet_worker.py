"""A Dask preload for the local cluster's workers: they ignore Ctrl-C, SIGTERM and SIGHUP.

A terminal sends Ctrl-C (and SIGHUP when it closes) to every process of its foreground group, and a batch
system may send SIGTERM to all of them. Each worker would print a traceback, or die mid-cell. The sweep's
client alone handles the signal: it closes the cluster, and each cell dies with its worker. The cells
started by a worker inherit the ignored signals."""

from __future__ import annotations

import signal


def dask_setup(worker) -> None:
    """Ignore the signals that the sweep's client handles for the whole run."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
