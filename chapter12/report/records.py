"""A sweep's `results.jsonl`, written and read here only: one JSON object per line. The first line says
which grid settings the file belongs to; every other line is one finished cell, appended whole as the
cell ends. Each line is checked against the rules of `chapter12.report.schema` when it is read."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from chapter12.errors import Chapter12Error
from chapter12.files import atomic_write
from chapter12.report.schema import KIND, SCHEMA_VERSION, cell_problem, header_problem, shown

RESULTS_NAME = "results.jsonl"


def header(settings: dict[str, Any]) -> dict[str, Any]:
    """The first line of a results file."""
    return {"kind": KIND, "schema_version": SCHEMA_VERSION, "settings": settings}


def settings_differ(old: dict[str, Any], new: dict[str, Any]) -> str:
    """'' when two grids share their settings, else every difference, said in words (fingerprints shortened)."""

    def show(value):
        return repr(value[:12] + "...") if isinstance(value, str) and len(value) > 40 else repr(value)

    return "; ".join(
        f"{name} {show(old.get(name))} there, {show(new.get(name))} here"
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    )


def done_keys(path: "str | os.PathLike", settings: dict[str, Any]) -> set[str]:
    """The keys of the cells a results file holds as done, after checking it belongs to a grid with these
    settings (else a Chapter12Error, and nothing is changed). Missing file: nothing done. Damaged cell lines
    are not done: a note on stderr counts them (`start_file` takes them out, and their cells run again)."""
    path = Path(path)
    if not path.exists():
        return set()
    head, records, damaged = scan_sweep(path)
    difference = settings_differ(head.get("settings", {}), settings)
    if difference:
        raise Chapter12Error(
            f"{path} holds a sweep with other settings ({difference}); use another --out, "
            "or --overwrite to start it again"
        )
    if damaged:
        print(damaged_note(path, damaged), file=sys.stderr)
    return {r["key"] for r in records if r.get("status") == "ok"}


def damaged_note(path: "str | os.PathLike", damaged: list[tuple[int, str]]) -> str:
    """The note a resumed sweep prints about the damaged lines (number, what is wrong) it skips."""
    numbers = ", ".join(str(n) for n, _ in damaged[:10]) + (", ..." if len(damaged) > 10 else "")
    return (
        f"note: skipped {len(damaged)} damaged line{'s' if len(damaged) > 1 else ''} of {path} "
        f"(line{'s' if len(damaged) > 1 else ''} {numbers}; line {damaged[0][0]}: {damaged[0][1]}); the sweep "
        "takes them out of the file and runs their cells again"
    )


def start_file(path: "str | os.PathLike", settings: dict[str, Any]) -> None:
    """Make the results file ready to append to: a new one gets its header; an old one loses a last line
    cut off by a crash (it was never a finished record) and its damaged lines (see `done_keys`)."""
    path = Path(path)
    if not path.exists():
        append_line(path, header(settings))
        return
    _, _, damaged = scan_sweep(path)
    text = path.read_bytes()
    if damaged:  # line numbers count from 1; the part after the last newline is a cut line or nothing
        drop = {number for number, _ in damaged}
        kept = b"".join(
            line + b"\n" for number, line in enumerate(text.split(b"\n")[:-1], start=1) if number not in drop
        )
        atomic_write(path, lambda f: f.write(kept))
        return
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


def scan_sweep(path: "str | os.PathLike") -> tuple[dict, list[dict], list[tuple[int, str]]]:
    """The header, the sound cells and the damaged lines (line number, what is wrong) of a sweep's results.jsonl,
    each line checked against `chapter12.report.schema`; a missing file or a bad header raises. A cell recorded
    twice (failed, then redone) counts once, as its last record; a last line without its newline (a crash while
    writing) is left out."""
    path = Path(path)
    if not path.is_file():
        raise Chapter12Error(
            f"{path} {'is a folder' if path.is_dir() else 'does not exist'}; pass the results.jsonl of a sweep"
        )
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as e:
        raise Chapter12Error(f"cannot read {path} ({e.strerror or e})") from None
    except UnicodeDecodeError:
        raise Chapter12Error(f"{path} is not a chapter12 sweep results file (not UTF-8 text)") from None
    lines = [(number, line) for number, line in enumerate(text.split("\n")[:-1], start=1) if line.strip()]
    head = _parsed(lines[0][1]) if lines else None
    if not isinstance(head, dict) or head.get("kind") != KIND:
        raise Chapter12Error(f"{path} is not a chapter12 sweep results file (its first line is not a sweep header)")
    version = head.get("schema_version")
    if version != SCHEMA_VERSION or isinstance(version, bool):
        raise Chapter12Error(
            f"{path} was written by another version of chapter12 (schema "
            f"{shown(version)}, this one reads {SCHEMA_VERSION}); run the sweep again"
        )
    problem = header_problem(head)
    if problem:
        raise Chapter12Error(
            f"{path}, line {lines[0][0]}: {problem}; the header was edited or damaged; fix it, "
            "or run the sweep again with --overwrite"
        )
    records: dict[str, dict] = {}
    damaged = []
    for number, line in lines[1:]:
        record = _parsed(line)
        problem = cell_problem(record)
        if problem:
            damaged.append((number, problem))
        else:
            records[record["key"]] = record
    return head, list(records.values()), damaged


def read_sweep(path: "str | os.PathLike") -> tuple[dict, list[dict]]:
    """The header and the cells of a sweep's results.jsonl (see `scan_sweep`); a damaged line is an error
    that names it."""
    head, records, damaged = scan_sweep(path)
    if damaged:
        number, problem = damaged[0]
        raise Chapter12Error(
            f"{path}, line {number}: {problem}; the file was edited or damaged; fix or delete that "
            "line, or run the sweep again to redo its cell"
        )
    return head, records


def _parsed(line: str):
    """The JSON value of one line, or None when it is not JSON (or nested too deep to read)."""
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return None
