"""`sweep --scheduler ADDRESS` where something answers that is not a Dask scheduler: an HTTP server (as the
dashboard's port 8787 is, one digit from the scheduler's 8786), a server that sends random bytes, one that
accepts and says nothing, one that hangs up at once. Each gets one `error:` line that names the address
and the usual mistake, exit 2, within about 20 s, and nothing written.

The servers are threads of this test on 127.0.0.1, each stopped when its test ends. The command runs
in-process through `main([...])`; the bounds on the probe's waits are shortened for test speed where the
case would otherwise wait them out.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import chapter12.sweep.scheduler as scheduler_module
from chapter12.errors import Chapter12Error
from chapter12.run.cli import main
from chapter12.sweep.scheduler import check_scheduler, greeting_problem


class _Quiet(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"<html>a dashboard</html>")

    def log_message(self, *args):
        pass


class _RawServer:
    """A TCP server on 127.0.0.1 that does `behaviour(conn)` with each connection, until stopped."""

    def __init__(self, behaviour) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, args=(behaviour,), daemon=True)
        self.thread.start()

    def _serve(self, behaviour) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.conns.append(conn)
            behaviour(conn)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        for conn in self.conns:
            conn.close()
        self.sock.close()


def _random_bytes(conn):
    conn.sendall(os.urandom(4096))


def _says_nothing(conn):
    pass  # keeps the connection open, silent


def _hangs_up(conn):
    conn.close()


def _too_long(conn):
    conn.sendall((3 * 2**60).to_bytes(8, "little") + b"x" * 64)  # "a message of 3 EiB follows"


@pytest.fixture
def http_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _sweep_on(address: str, out, capsys, extra=()) -> tuple[int, list[str], float]:
    started = time.monotonic()
    status = main(
        ["sweep", "--quick", "--epochs", "1", "--out", str(out), "--no-notebook", *extra, "--scheduler", address]
    )
    seconds = time.monotonic() - started
    err = capsys.readouterr().err
    return status, err.strip().splitlines(), seconds


def _assert_one_line(status, lines, address, words):
    assert status == 2, lines
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert address in lines[0] and words in lines[0], lines[0]
    assert "8786" in lines[0] and "8787 is its dashboard" in lines[0], lines[0]


def test_an_http_server_is_not_a_scheduler(tmp_path, capsys, http_server, monkeypatch):
    monkeypatch.setattr(scheduler_module, "GREETING_SECONDS", 2.0)  # small for test speed (8 s otherwise)
    address = f"tcp://127.0.0.1:{http_server}"
    status, lines, seconds = _sweep_on(address, tmp_path / "out", capsys)
    _assert_one_line(status, lines, address, "sent no Dask greeting in 2 s")
    assert seconds < 20
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "behaviour, words",
    [
        (_random_bytes, "answered with bytes that are not Dask's protocol"),
        (_too_long, "answered with bytes that are not Dask's protocol"),
        (_hangs_up, "closed the connection without a Dask greeting"),
        (_says_nothing, "sent no Dask greeting in 2 s"),
    ],
)
def test_other_peers_are_not_schedulers(tmp_path, capsys, monkeypatch, behaviour, words):
    monkeypatch.setattr(scheduler_module, "GREETING_SECONDS", 2.0)  # small for test speed (8 s otherwise)
    server = _RawServer(behaviour)
    try:
        address = f"tcp://127.0.0.1:{server.port}"
        status, lines, seconds = _sweep_on(address, tmp_path / "out", capsys)
    finally:
        server.close()
    _assert_one_line(status, lines, address, words)
    assert seconds < 20
    assert not (tmp_path / "out").exists()


def test_the_default_wait_is_bounded(monkeypatch):
    # With the real bounds a silent peer ends the check within about 20 s: 10 s to connect at most, 8 to greet.
    assert scheduler_module.CONNECT_SECONDS + scheduler_module.GREETING_SECONDS <= 20


def test_a_scheduler_file_that_points_at_a_wrong_peer(tmp_path, capsys, http_server, monkeypatch):
    monkeypatch.setattr(scheduler_module, "GREETING_SECONDS", 1.0)
    address = f"tcp://127.0.0.1:{http_server}"
    good = tmp_path / "scheduler.json"
    good.write_text(json.dumps({"type": "Scheduler", "address": address}))
    status = main(["sweep", "--quick", "--out", str(tmp_path / "out"), "--scheduler-file", str(good)])
    lines = capsys.readouterr().err.strip().splitlines()
    _assert_one_line(status, lines, address, "sent no Dask greeting")
    bad = tmp_path / "not-a-scheduler.json"
    bad.write_text("[1, 2, 3]")
    status = main(["sweep", "--quick", "--out", str(tmp_path / "out"), "--scheduler-file", str(bad)])
    lines = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(lines) == 1 and "is not a file that a Dask scheduler wrote" in lines[0], lines
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "address, words",
    [
        ("tcp://127.0.0.1", "has no host and port"),
        ("tcp://:8786", "has no host and port"),
        ("tcp://127.0.0.1:notaport", "has no host and port"),
    ],
)
def test_an_address_without_host_or_port(address, words):
    with pytest.raises(Chapter12Error, match=words):
        check_scheduler(address)


def test_a_real_scheduler_passes_the_check():
    """The check reads a real scheduler's greeting and lets it through (test_the_greeting_rule shows the rule
    refusing bytes that are cut, padded or another protocol's)."""
    from distributed import Scheduler
    import asyncio

    async def serve_and_check():
        async with Scheduler(host="127.0.0.1", port=0, dashboard_address=":0") as scheduler:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, check_scheduler, scheduler.address)
            return scheduler.address

    address = asyncio.run(serve_and_check())
    assert address.startswith("tcp://127.0.0.1:")


def test_the_greeting_rule():
    frames = [b"\x83\xa4abcd", b"more"]
    body = len(frames).to_bytes(8, "little") + b"".join(len(f).to_bytes(8, "little") for f in frames) + b"".join(frames)
    head = len(body).to_bytes(8, "little")
    assert greeting_problem(head, body) is None
    assert greeting_problem(head, body[:-1]) == "its answer was cut short"
    wrong_sizes = body[:16] + (99).to_bytes(8, "little") + body[24:]
    assert "not Dask's protocol" in greeting_problem(head, wrong_sizes)
    assert "not Dask's protocol" in greeting_problem(b"HTTP/1.1", body)
