"""A reproduce run made into the committed reference: readable in a clone without running anything.

`publish(run_dir, out)` copies what a reader needs and nothing that is cheap to recompute or that changes
on every run: the executed notebooks with their outputs (papermill's timestamps and durations, the
execution timestamps and the kernel's paths cleared, so that a rerun diffs only where a number moved),
`results.json`, `summary.md`, the notebooks' own results files, the figures, the trained models of one
seed with their encoding (so `python -m chapter12 predict reference "..."` answers from a clone), and
the committed full-data sweep's results and figures. `provenance.json` records the commit, the command,
the package versions and the machine. The folder is filled in a staging folder and replaces `out` whole.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from chapter12.errors import Chapter12Error
from chapter12.files import replace_folder, write_json
from chapter12.paths import CHECKOUT, SWEEP_FULL

ROOT = CHECKOUT
# What the reference keeps of a run besides the notebooks; reproduce.log and handouts are left out
# (the log repeats the notebooks' outputs; handouts are made from the notebooks in seconds).
KEPT_FILES = ("results.json", "summary.md")
PACKAGES = ("keras", "tensorflow", "numpy", "matplotlib", "papermill", "nbformat", "jax", "torch")
LIMIT_BYTES = 15 * 1024 * 1024


def clean_notebook(nb: Any) -> Any:
    """Clear what changes on every run without saying anything about the results, in place; returns nb."""
    pm = nb.metadata.get("papermill")
    if pm is not None:
        for key in ("start_time", "end_time", "duration", "input_path", "output_path", "environment_variables"):
            pm.pop(key, None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cpm = cell.metadata.get("papermill")
        if cpm is not None:
            for key in ("start_time", "end_time", "duration"):
                cpm.pop(key, None)
    return nb


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def provenance(run_dir: Path, command: str | None) -> dict[str, Any]:
    """Where the reference came from: commit, command, package versions, machine."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    results = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": _git("rev-parse", "HEAD"),
        "uncommitted_changes": bool(status) if status is not None else None,
        "published": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "command": command,
        "packages": versions,
        "environment": {k: v for k, v in results.get("environment", {}).items() if k != "executable"},
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count()},
    }


def _model_seed(run_dir: Path) -> int:
    seeds = json.loads((run_dir / "results.json").read_text(encoding="utf-8")).get("config", {}).get("seeds") or [0]
    return int(seeds[0])


def publish(run_dir: "str | os.PathLike", out: "str | os.PathLike", *, overwrite: bool = False, command=None) -> Path:
    """Copy the reader's part of a reproduce run into out (see the module's docstring); returns out."""
    import nbformat

    run_dir, out = Path(run_dir), Path(out)
    if not (run_dir / "results.json").is_file():
        raise Chapter12Error(f"{run_dir} holds no results.json; pass the --out folder of a finished reproduce run")
    notebooks = sorted(run_dir.glob("*.ipynb"))
    if not notebooks:
        raise Chapter12Error(f"{run_dir} holds no executed notebooks; pass the --out folder of a reproduce run")
    if out.exists() and not overwrite:
        raise Chapter12Error(f"{out} exists; pass --overwrite to replace it whole")
    seed = _model_seed(run_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        for path in notebooks:
            nb = clean_notebook(nbformat.read(path, as_version=4))
            nbformat.write(nb, staging / path.name)
        for name in KEPT_FILES:
            if (run_dir / name).exists():
                shutil.copy2(run_dir / name, staging / name)
        results = json.loads((staging / "results.json").read_text(encoding="utf-8"))
        for env in [results.get("environment") or {}, *(results.get("timing_environment") or {}).values()]:
            env.pop("executable", None)  # a path of the publishing machine says nothing to a reader
        write_json(staging / "results.json", results)
        for path in run_dir.glob("*_results.json"):
            shutil.copy2(path, staging / path.name)
        if (run_dir / "figures").is_dir():
            shutil.copytree(run_dir / "figures", staging / "figures")
        models = run_dir / "models"
        if models.is_dir():
            (staging / "models").mkdir()
            for path in models.iterdir():
                if path.suffix != ".keras" or path.stem.endswith(f"-seed{seed}"):
                    shutil.copy2(path, staging / "models" / path.name)
        # The full-data sweep: its committed results, and the sweep notebook executed on them where the run
        # holds it (make reference runs `report --notebook --out RUN/sweep_full`), else the committed report.
        executed_sweep = run_dir / "sweep_full"
        report_dir = executed_sweep if (executed_sweep / "sweep.ipynb").is_file() else SWEEP_FULL
        if SWEEP_FULL.is_dir() or (executed_sweep / "sweep.ipynb").is_file():
            (staging / "sweep_full").mkdir()
            if (SWEEP_FULL / "results.jsonl").is_file():
                shutil.copy2(SWEEP_FULL / "results.jsonl", staging / "sweep_full" / "results.jsonl")
            if (report_dir / "summary.md").exists():
                shutil.copy2(report_dir / "summary.md", staging / "sweep_full" / "summary.md")
            if (report_dir / "figures").is_dir():
                shutil.copytree(report_dir / "figures", staging / "sweep_full" / "figures")
            if (executed_sweep / "sweep.ipynb").is_file():
                nb = clean_notebook(nbformat.read(executed_sweep / "sweep.ipynb", as_version=4))
                nbformat.write(nb, staging / "sweep_full" / "sweep.ipynb")
        write_json(staging / "provenance.json", provenance(run_dir, command))
        size = sum(p.stat().st_size for p in staging.rglob("*") if p.is_file())
        if size > LIMIT_BYTES:
            raise Chapter12Error(
                f"the reference would take {size / 2**20:.1f} MB, over the {LIMIT_BYTES / 2**20:.0f} MB kept in the "
                "repository; publish a run with fewer models"
            )
        os.chmod(staging, 0o755)
        replace_folder(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return out
