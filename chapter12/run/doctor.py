"""`python -m chapter12 doctor`: is this environment fit to run the chapter? One line per thing checked.

    [OK]   keras 3.15.1 (wants >=3.3,<4)
    [FAIL] papermill is not installed (wants >=2.5,<3): pip install -r requirements.txt
    [--]   torch is not installed (optional, the torch backend: pip install 'chapter12[torch]')

[FAIL] is something `reproduce` needs that is missing or outside the range the project was tested with;
[--] is optional, with what it is for. The exit status is 1 when any line says [FAIL], else 0.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Callable

OK, FAIL, OPTIONAL = "[OK]  ", "[FAIL]", "[--]  "
_FIX = "pip install -r requirements.txt (or make install)"
_EXTRAS = {  # what each optional group is for
    "test": "the test suite",
    "notebook": "JupyterLab (make lab)",
    "torch": "the torch backend",
    "jax": "the JAX backend",
    "dashboard": "the live plots of the Dask dashboard",
}


def _requirements() -> list[tuple[str, str, str | None]]:
    """(name, specifier, extra or None) of every requirement chapter12's metadata declares."""
    from packaging.requirements import Requirement

    out = []
    for text in metadata.requires("chapter12") or []:
        req = Requirement(text)
        extra = None
        if req.marker is not None:
            extra = next((e for e in _EXTRAS if req.marker.evaluate({"extra": e})), None)
            if extra is None and not req.marker.evaluate({"extra": ""}):
                continue
        spec = ",".join(sorted(map(str, req.specifier), key=lambda s: (s.startswith("<"), s)))  # >=low,<high
        out.append((req.name, spec, extra))
    # The required packages first, then each extra's in the order above: an editable install and a wheel list
    # Requires-Dist in different orders, and two users comparing their output should see the same lines.
    return sorted(out, key=lambda row: -1 if row[2] is None else list(_EXTRAS).index(row[2]))


def package_lines() -> list[tuple[str, str]]:
    """A line per declared package: installed and in range, out of range, or missing."""
    lines = [(OK if sys.version_info >= (3, 10) else FAIL, f"python {platform.python_version()} (wants >=3.10)")]
    try:
        from packaging.specifiers import SpecifierSet
    except ImportError:  # Keras depends on it: an environment without it has not had the requirements installed
        return lines + [(FAIL, f"packaging is not installed, so no version can be checked against its range: {_FIX}")]
    try:
        wanted = _requirements()
    except metadata.PackageNotFoundError:
        return lines + [(FAIL, "chapter12 itself is not installed: pip install --no-deps -e . in its repository")]
    seen = set()
    for name, spec, extra in wanted:
        if name in seen:
            continue
        seen.add(name)
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            if extra:
                lines.append(
                    (
                        OPTIONAL,
                        f"{name} is not installed (optional, {_EXTRAS[extra]}: pip install 'chapter12[{extra}]')",
                    )
                )
            else:
                # The package's own range works for a checkout and an installed wheel alike.
                fix = f"pip install '{name}{spec}' (in a checkout: make install)"
                lines.append((FAIL, f"{name} is not installed (wants {spec}): {fix}"))
            continue
        fits = SpecifierSet(spec).contains(version, prereleases=True)
        lines.append(
            (OK, f"{name} {version} (wants {spec})")
            if fits
            else (FAIL, f"{name} {version} is outside the tested range {spec}: pip install '{name}{spec}'")
        )
    return lines


def _probe(code: str) -> tuple[bool, str]:
    """Run code in a fresh interpreter (a backend that fails to import must not take this one down)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    except subprocess.TimeoutExpired:
        return False, "did not answer within 120 s"
    if done.returncode != 0:
        last = [line for line in done.stderr.splitlines() if line.strip()]
        return False, last[-1] if last else f"exit status {done.returncode}"
    return True, done.stdout.strip()


_BACKENDS = {  # how each backend says which devices it sees
    "tensorflow": "import tensorflow as tf; print(', '.join(d.name.replace('/physical_device:', '') "
    "for d in tf.config.list_physical_devices()))",
    "jax": "import jax; print(', '.join(str(d) for d in jax.devices()))",
    "torch": "import torch; print('CPU' + (', ' + ', '.join(torch.cuda.get_device_name(i) for i in "
    "range(torch.cuda.device_count())) if torch.cuda.is_available() else ''))",
}


def backend_lines(probe: Callable[[str], tuple[bool, str]] | None = None) -> list[tuple[str, str]]:
    """A line per Keras backend: whether it imports, and the devices (accelerators) it finds."""
    import importlib.util

    probe = probe or _probe

    lines = []
    for name, code in _BACKENDS.items():
        if importlib.util.find_spec(name) is None:
            status = FAIL if name == "tensorflow" else OPTIONAL
            fix = _FIX if name == "tensorflow" else f"pip install 'chapter12[{name}]'"
            lines.append((status, f"Keras backend {name}: not installed ({fix})"))
            continue
        ok, said = probe(code)
        lines.append(
            (OK, f"Keras backend {name}: imports; devices: {said}")
            if ok
            else (FAIL, f"Keras backend {name}: installed but does not import ({said}); reinstall it")
        )
    return lines


def tool_lines() -> list[tuple[str, str]]:
    """Chromium (PDF handouts, the browser tests) and pdftoppm (the PDF tests)."""
    from chapter12.errors import Chapter12Error
    from chapter12.report.handouts import find_chromium

    try:
        lines = [(OK, f"chromium: {find_chromium()} (PDF handouts, the browser tests)")]
    except Chapter12Error:
        lines = [
            (OPTIONAL, "chromium: not found (optional, PDF handouts and the browser tests: apt-get install chromium)")
        ]
    pdftoppm = shutil.which("pdftoppm")
    lines.append(
        (OK, f"pdftoppm: {pdftoppm} (the PDF tests)")
        if pdftoppm
        else (OPTIONAL, "pdftoppm: not found (optional, the PDF tests: apt-get install poppler-utils)")
    )
    return lines


def data_lines() -> list[tuple[str, str]]:
    """The data sources a run could use: the bundled sample, $CHAPTER12_DATA, Keras's download cache."""
    try:
        from chapter12.imdb.sources import DATA_ENV, sample_path
    except ImportError as e:  # numpy, which the data layer needs, is missing or broken: said above
        return [(FAIL, f"data: cannot be checked ({e}); install the packages marked [FAIL] above")]

    sample = sample_path()
    lines = [
        (OK, f"data: the bundled sample ({sample}; --quick)")
        if sample.is_file()
        else (FAIL, f"data: the bundled sample {sample} is missing; reinstall chapter12")
    ]
    chosen = os.environ.get(DATA_ENV)
    if chosen:
        lines.append(
            (OK, f"data: ${DATA_ENV} = {chosen}")
            if Path(chosen).expanduser().exists()
            else (
                FAIL,
                f"data: ${DATA_ENV} = {chosen} does not exist; point it at aclImdb_v1.tar.gz, an "
                "aclImdb/ folder or imdb.npz, or unset it",
            )
        )
    cache = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets" / "imdb.npz"
    lines.append(
        (OK, f"data: Keras's download is cached ({cache})")
        if cache.is_file()
        else (
            OPTIONAL,
            f"data: Keras's download is not cached ({cache}); a full run without --data downloads it "
            "once (internet needed), or pass --data PATH (aclImdb_v1.tar.gz, aclImdb/ or imdb.npz)",
        )
    )
    return lines


def doctor(print_line: Callable[[str], None] = print, probe: Callable[[str], tuple[bool, str]] | None = None) -> int:
    """Print every check; returns 1 if any failed, else 0."""
    lines = package_lines() + backend_lines(probe) + tool_lines() + data_lines()
    for status, text in lines:
        print_line(f"{status} {text}")
    failed = sum(status == FAIL for status, _ in lines)
    print_line(
        f"{failed} problem{'s' if failed != 1 else ''} found"
        + (": fix the [FAIL] lines above" if failed else "; this environment can run the chapter")
    )
    return 1 if failed else 0
