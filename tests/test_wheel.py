"""chapter12 installed like any package: a wheel built from the repository, in a fresh virtual environment,
finds its notebooks and its sample data through importlib.resources and runs a quick reproduction.

The fresh environment borrows the test environment's third-party packages (a .pth line), not its chapter12:
installing TensorFlow again would take minutes and test pip, not this project. The chapter12 it imports is
the wheel's copy, and the command runs outside the repository, so no checkout on the path can stand in.
"""

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from conftest import env_without

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(REPO),
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(tmp / "dist"),
        ],
        check=True,
        cwd=tmp,
    )
    wheel = next((tmp / "dist").glob("chapter12-*.whl"))
    venv.EnvBuilder(with_pip=False).create(tmp / "env")
    python = tmp / "env" / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet", str(wheel)],
        check=True,
        cwd=tmp,
    )
    return python, tmp


def test_the_wheel_holds_the_notebooks_and_the_sample(wheel_env):
    python, tmp = wheel_env
    code = (
        "import chapter12, json; from chapter12.notebook.execute import notebooks_dir; "
        "from chapter12.imdb.sources import sample_path; "
        "print(json.dumps([chapter12.__file__, str(notebooks_dir()), str(sample_path())]))"
    )
    where = json.loads(
        subprocess.run([str(python), "-c", code], check=True, capture_output=True, text=True, cwd=tmp).stdout
    )
    env_root = str(tmp / "env")
    assert all(path.startswith(env_root) for path in where), where
    assert sorted(p.name for p in Path(where[1]).glob("*.ipynb")) == sorted(
        p.name for p in (REPO / "notebooks").glob("*.ipynb")
    )


def test_the_installed_wheel_runs_a_quick_reproduction(wheel_env):
    python, tmp = wheel_env
    env = env_without("PYTHONPATH", "JUPYTER_PATH")
    done = subprocess.run(
        # One epoch of the simple RNN: what is tested is that the installed package finds its notebooks and data,
        # not the training (the session's quick run trains both models).
        [str(python), "-m", "chapter12", "reproduce", "--quick", "--only", "accuracy", "--epochs", "1"]
        + ["--models", "simple_rnn", "--out", str(tmp / "run")],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = json.loads((tmp / "run" / "results.json").read_text())
    assert [r["model"] for r in results["runs"]] == ["simple_rnn"]
    assert all(0.5 < r["test_accuracy"] <= 1.0 for r in results["runs"])
