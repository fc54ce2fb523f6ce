"""Is a scheduler address a Dask scheduler? Asked before the Dask client connects, since the client waits
forever on a peer that accepts the connection but does not speak Dask's protocol (an HTTP server such as
the dashboard's port), and reads other bytes as a message length (one asked for 3 EiB)."""

from __future__ import annotations

import socket
import struct
import time
from urllib.parse import urlparse

from chapter12.errors import Chapter12Error

CONNECT_SECONDS = 10.0  # as the client's own connect timeout
GREETING_SECONDS = 8.0  # a scheduler writes its greeting as soon as it accepts; this is for slow networks
_MAX_GREETING = 1 << 20  # a scheduler's greeting (its comm settings) is a few hundred bytes
_HINT = "a Dask scheduler listens on port 8786 by default; 8787 is its dashboard, a web page, not the scheduler"


def _host_port(address: str) -> tuple[str, int] | None:
    """(host, port) of a tcp:// address (or one without a scheme); None for other protocols (tls, ucx, inproc)."""
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    if parsed.scheme != "tcp":
        return None
    try:
        port = parsed.port
    except ValueError:
        port = None
    if not parsed.hostname or port is None:
        raise Chapter12Error(f"the scheduler address {address} has no host and port; give one as tcp://HOST:8786")
    return parsed.hostname, port


def _read_exactly(sock: socket.socket, count: int, deadline: float) -> bytes:
    data = b""
    while len(data) < count:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionResetError("closed")
        data += chunk
    return data


def greeting_problem(data_length: bytes, frames: bytes) -> str | None:
    """Why a peer's first message is not a Dask greeting, or None when it is one: an 8-byte length, then
    that many bytes of frames (a frame count, the frames' lengths, the frames, adding up)."""
    (length,) = struct.unpack("<Q", data_length)
    if not 16 <= length <= _MAX_GREETING:
        return "it answered with bytes that are not Dask's protocol"
    if len(frames) != length:
        return "its answer was cut short"
    (count,) = struct.unpack_from("<Q", frames)
    if not 1 <= count <= 64 or 8 * (count + 1) > length:
        return "it answered with bytes that are not Dask's protocol"
    sizes = struct.unpack_from(f"<{count}Q", frames, 8)
    if 8 * (count + 1) + sum(sizes) != length:
        return "it answered with bytes that are not Dask's protocol"
    return None


def check_scheduler(address: str, connect_seconds: float | None = None, greeting_seconds: float | None = None) -> None:
    """Raise Chapter12Error (one line naming the address and the usual mistake) unless a Dask scheduler answers
    at a tcp address. Other protocols are left to the Dask client. Nothing is written anywhere."""
    connect_seconds = CONNECT_SECONDS if connect_seconds is None else connect_seconds
    greeting_seconds = GREETING_SECONDS if greeting_seconds is None else greeting_seconds
    host_port = _host_port(address)
    if host_port is None:
        return
    where = f"the Dask scheduler at {address}"
    try:
        sock = socket.create_connection(host_port, timeout=connect_seconds)
    except (OSError, ValueError) as e:  # refused, no route, unknown host, timed out
        reason = getattr(e, "strerror", None) or str(e) or type(e).__name__
        raise Chapter12Error(
            f"cannot reach {where} ({reason}); check that it runs and the address, or leave "
            "--scheduler out (and unset DASK_SCHEDULER_ADDRESS) for a local cluster"
        ) from None
    deadline = time.monotonic() + greeting_seconds
    try:
        with sock:
            try:
                head = _read_exactly(sock, 8, deadline)
                (length,) = struct.unpack("<Q", head)
                problem = greeting_problem(
                    head, _read_exactly(sock, length, deadline) if length <= _MAX_GREETING else b""
                )
            except socket.timeout:
                problem = f"it accepted the connection but sent no Dask greeting in {greeting_seconds:g} s"
            except OSError:  # closed or reset before a whole greeting came
                problem = "it closed the connection without a Dask greeting"
    except OSError:  # closing a socket the peer already reset
        pass
    if problem:
        raise Chapter12Error(f"{address} is not a Dask scheduler: {problem}; check the address ({_HINT})")
