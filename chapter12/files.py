"""The one home for writing files: a reader never sees half of one, and a good file is never
replaced by a partial one."""

from __future__ import annotations

import os
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


def check_can_create_folder(folder: "str | os.PathLike", flag: str = "--out") -> None:
    """Raise a Chapter12Error unless `folder` (and the folders above it) can be created where it is asked for.

    The operating system is asked, by making and removing an empty folder in the nearest existing
    folder above: permission bits alone say yes to root under /proc, where nothing can be made.
    """
    from chapter12.errors import Chapter12Error

    ancestor = Path(folder).absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise Chapter12Error(f"{flag} {folder}: {ancestor} is a file, so no folder can be made there; choose another {flag}")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".chapter12-probe-", dir=ancestor))
    except OSError as e:
        raise Chapter12Error(f"{flag} {folder}: cannot create a folder in {ancestor} ({e.strerror}); "
                             "choose a writable place") from None
