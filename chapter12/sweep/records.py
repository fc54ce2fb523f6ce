"""`results.jsonl`: one JSON object per line. The first line says which grid settings the file
belongs to; every other line is one finished cell, appended whole as the cell ends."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from chapter12.errors import Chapter12Error
from chapter12.report.sweep import KIND, SCHEMA_VERSION, read_sweep

RESULTS_NAME = "results.jsonl"


def header(settings: dict[str, Any]) -> dict[str, Any]:
    """The first line of a results file."""
    return {"kind": KIND, "schema_version": SCHEMA_VERSION, "settings": settings}


def settings_differ(old: dict[str, Any], new: dict[str, Any]) -> str:
    """'' when two grids share their settings, else every difference, said in words (fingerprints shortened)."""
    def show(value):
        return repr(value[:12] + "...") if isinstance(value, str) and len(value) > 40 else repr(value)

    return "; ".join(f"{name} {show(old.get(name))} there, {show(new.get(name))} here"
                     for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name))


def done_keys(path: "str | os.PathLike", settings: dict[str, Any]) -> set[str]:
    """The keys of the cells a results file holds as done, after checking it belongs to a grid with these
    settings (else a Chapter12Error, and nothing is changed). Missing file: nothing done."""
    path = Path(path)
    if not path.exists():
        return set()
    head, records = read_sweep(path)
    difference = settings_differ(head.get("settings", {}), settings)
    if difference:
        raise Chapter12Error(f"{path} holds a sweep with other settings ({difference}); use another --out, "
                             "or --overwrite to start it again")
    return {r["key"] for r in records if r.get("status") == "ok"}


def start_file(path: "str | os.PathLike", settings: dict[str, Any]) -> None:
    """Make the results file ready to append to: a new one gets its header; an old one loses a last line
    cut off by a crash (it was never a finished record)."""
    path = Path(path)
    if not path.exists():
        append_line(path, header(settings))
        return
    text = path.read_bytes()
    if text and not text.endswith(b"\n"):
        keep = text.rfind(b"\n") + 1
        with open(path, "r+b") as f:
            f.truncate(keep)
            os.fsync(f.fileno())


def append_line(path: "str | os.PathLike", record: dict[str, Any]) -> None:
    """Append one record as one line in one write, and flush it to disk: a reader (or a crash) sees the
    whole line or none of it."""
    data = (json.dumps(record, sort_keys=False, default=str) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        written = os.write(fd, data)
        if written != len(data):  # a full disk: take the partial line back
            os.ftruncate(fd, os.lseek(fd, 0, os.SEEK_END) - written)
            raise OSError(28, "No space left on device", str(path))
        os.fsync(fd)
    finally:
        os.close(fd)
