"""A full disk, simulated with a file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored so that a write
past the limit fails with EFBIG as a full disk fails with ENOSPC): one `error:` line that names what
could not be written, the earlier run folder, handouts or cache untouched, and no partial file left
in place of a good one.
"""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
from pathlib import Path

import pytest

resource = pytest.importorskip("resource")  # POSIX only

from conftest import SHORT_MATHS, env_without, pack_stanford_targz  # noqa: E402


def run_limited(limit: int, *args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    full_env = env_without("CHAPTER12_DATA") | (env or {})
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit_file_size,
    )


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def no_partials(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".part") or ".partial-" in p.name]


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr[-2000:]
    assert lines and lines[-1].startswith("error: ") and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert sum(line.startswith("error:") for line in lines) == 1
    return lines[-1]


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory, quick_run):
    """A complete earlier run (a copy of the session's quick run, tests/conftest.py) and its handouts."""
    import shutil

    folder = tmp_path_factory.mktemp("disk")
    shutil.copytree(quick_run, folder / "run")
    done = subprocess.run(
        [sys.executable, "-m", "chapter12", "handouts", "run"], cwd=folder, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return folder


# The maths notebook on SHORT_MATHS, settings the command line does not offer. The notebook runs whole; what
# fails is writing it.
_SHORT_MATHS = f"""
import chapter12.run.reproduce as rep

_jobs = rep._jobs

def short_maths(*args):
    jobs = _jobs(*args)
    jobs[0].parameters.update({SHORT_MATHS!r})
    return jobs

rep._jobs = short_maths
"""


def test_reproduce_over_an_earlier_run_on_a_full_disk(earlier_run):
    before = digest(earlier_run / "run")
    argv = ["reproduce", "--quick", "--only", "maths", "--out", "run", "--overwrite"]
    result = run_limited(
        4000, "-c", _SHORT_MATHS + f"from chapter12.run.cli import console; console({argv!r})", cwd=earlier_run
    )
    line = one_error_line(result)
    assert "could not write 01_rnn_lstm_maths.ipynb" in line and "Nothing was changed" in line
    assert digest(earlier_run / "run") == before
    assert no_partials(earlier_run) == []


def test_handouts_on_a_full_disk(earlier_run):
    before = digest(earlier_run / "run")
    result = run_limited(20000, "-m", "chapter12", "handouts", "run", cwd=earlier_run)
    line = one_error_line(result)
    assert "could not write" in line and ".html" in line
    assert digest(earlier_run / "run") == before  # every page the earlier call wrote is still whole
    assert no_partials(earlier_run) == []


def test_cache_on_a_full_disk(tmp_path):
    # The cache is a convenience: the data still loads, a note names the cache, no partial file is left,
    # and an earlier (here: damaged) cache file is not replaced by a partial one.
    archive = pack_stanford_targz(tmp_path / "aclImdb_v1.tar.gz")
    cache = tmp_path / "cache"
    script = "import sys; from chapter12.imdb import load_raw; print('reviews', len(load_raw(sys.argv[1]).x_train))"
    first = run_limited(1 << 30, "-c", script, str(archive), cwd=tmp_path, env={"CHAPTER12_CACHE": str(cache)})
    assert first.returncode == 0 and "reviews 6" in first.stdout, first.stderr
    (cached,) = cache.glob("*.npz")
    cached.write_bytes(cached.read_bytes()[:100])  # damaged: it will be rebuilt, and the rebuild cannot be written
    damaged = cached.read_bytes()
    result = run_limited(200, "-c", script, str(archive), cwd=tmp_path, env={"CHAPTER12_CACHE": str(cache)})
    assert result.returncode == 0 and "reviews 6" in result.stdout, result.stderr
    assert f"could not write the cache {cached}" in result.stdout
    assert cached.read_bytes() == damaged
    assert no_partials(cache) == [] and sorted(p.name for p in cache.iterdir()) == [cached.name]


def test_results_that_cannot_be_written_keep_the_earlier_run(tmp_path, monkeypatch, capsys):
    # The executed notebook is the largest file of a run, so a size limit cannot let it through and stop
    # results.json: here the disk is "full" exactly when results.json is written.
    import errno

    import chapter12.run.reproduce as reproduce_module
    from chapter12.run.cli import main

    earlier = tmp_path / "run"
    earlier.mkdir()
    (earlier / "results.json").write_text('{"earlier": true}')
    before = digest(earlier)

    def fake_notebook(job, folder, kernel_name, progress=None, km=None):
        (folder / job.name).write_text("{}")
        return {
            "name": job.name,
            "path": str(folder / job.name),
            "parameters": job.parameters,
            "status": "ok",
            "seconds": 0.0,
        }

    def full_disk(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(reproduce_module, "execute_notebook", fake_notebook)
    monkeypatch.setattr(reproduce_module, "write_json", full_disk)
    monkeypatch.chdir(tmp_path)
    status = main(["reproduce", "--quick", "--only", "maths", "--out", "run", "--overwrite"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert "Traceback" not in "\n".join(err) and not [line for line in err if line.startswith("error:")][1:]
    assert err[-1:] == [
        "error: could not write results.json (No space left on device); free some space or choose "
        "another --out. Nothing was changed in the output folder"
    ]
    assert digest(earlier) == before
    assert no_partials(tmp_path) == []
