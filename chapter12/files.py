"""The one home for writing files: a reader never sees half of one, and a good file is never
replaced by a partial one."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path


def atomic_write(path: "str | os.PathLike", write) -> None:
    """Call write(file) on a temporary file beside `path`, then move it into place in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; results are meant to be shared
        os.replace(tmp, path)
    except OSError as e:  # a full disk, a size limit: name the file that was meant, not the temporary one
        Path(tmp).unlink(missing_ok=True)
        raise OSError(e.errno, e.strerror, str(path)) from None
    except BaseException:  # an interrupt too: never leave a partial file behind
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: "str | os.PathLike", data: dict) -> None:
    """Write data as indented JSON, atomically (a crash never leaves half a file)."""
    text = json.dumps(data, indent=2, sort_keys=False, default=str)
    atomic_write(Path(path), lambda f: f.write(text.encode("utf-8")))


def write_text(path: "str | os.PathLike", text: str) -> None:
    """Write text as UTF-8, atomically."""
    atomic_write(Path(path), lambda f: f.write(text.encode("utf-8")))


def replace_folder(staging: "str | os.PathLike", out: "str | os.PathLike") -> None:
    """Put a finished staging folder in out's place. An existing out is moved aside first and deleted after, so out
    is at every moment either the old folder or the new one, never a mix."""
    staging, out = Path(staging), Path(out)
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(out)
