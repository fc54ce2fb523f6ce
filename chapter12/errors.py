"""The exception types that chapter12 raises: bad input, and a stop asked for by a signal."""

from __future__ import annotations

import signal


class Chapter12Error(ValueError):
    """Bad input or a missing resource; the message says what was wrong and what to do."""


class Stopped(KeyboardInterrupt):
    """A stop asked for by SIGTERM or SIGHUP. A KeyboardInterrupt, so every clean-up that Ctrl-C runs runs
    for it too (staging folders removed, kernels killed, a sweep's cluster closed)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def exit_status(interrupt: BaseException) -> int:
    """The shell's status for a run ended by this interrupt: 128 + the signal's number (130 for Ctrl-C)."""
    return 128 + getattr(interrupt, "signum", signal.SIGINT)


def how_stopped(interrupt: BaseException) -> str:
    """The first words of the one error line: 'interrupted' for Ctrl-C, else the signal that stopped the run."""
    signum = getattr(interrupt, "signum", signal.SIGINT)
    if signum == signal.SIGINT:
        return "interrupted"
    if signum == signal.SIGHUP:
        return "stopped by SIGHUP (the terminal was closed)"
    return f"stopped by {signal.Signals(signum).name}"
