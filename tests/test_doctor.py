"""`python -m chapter12 doctor`: one line per check, [FAIL] with what to do, status 1 when anything fails."""

from importlib import metadata

import pytest

from chapter12.run import doctor as doctor_module
from chapter12.run.cli import main


def _lines(capsys):
    return capsys.readouterr().out.splitlines()


def _fine(code):
    return True, "CPU:0"


def test_this_environment_passes(capsys, monkeypatch):
    monkeypatch.setattr(doctor_module, "_probe", _fine)  # the real probe starts TensorFlow: tested below, once
    assert main(["doctor"]) == 0
    lines = _lines(capsys)
    keras = next(line for line in lines if line.split()[1:2] == ["keras"])
    assert keras.startswith("[OK]") and "(wants >=3.3,<4)" in keras
    assert any(line.startswith("[OK]") and "bundled sample" in line for line in lines)
    assert lines[-1] == "0 problems found; this environment can run the chapter"


def test_the_real_backend_probe_sees_tensorflow_and_a_cpu():
    ok, said = doctor_module._probe(doctor_module._BACKENDS["tensorflow"])
    assert ok and "CPU" in said


@pytest.mark.parametrize("missing", ["papermill", "keras"])
def test_a_missing_package_fails_with_the_fix(capsys, monkeypatch, missing):
    real = metadata.version

    def version(name):
        if name == missing:
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(doctor_module.metadata, "version", version)
    monkeypatch.setattr(doctor_module, "_probe", _fine)
    assert main(["doctor"]) == 1
    lines = _lines(capsys)
    spec = dict((n, s) for n, s, _ in doctor_module._requirements())[missing]
    assert [line for line in lines if line.startswith("[FAIL]")] == [
        f"[FAIL] {missing} is not installed (wants {spec}): pip install '{missing}{spec}' (in a checkout: make install)"
    ]
    assert lines[-1] == "1 problem found: fix the [FAIL] lines above"


def test_a_version_outside_the_range_fails(capsys, monkeypatch):
    real = metadata.version
    monkeypatch.setattr(doctor_module.metadata, "version", lambda name: "2.15.0" if name == "keras" else real(name))
    monkeypatch.setattr(doctor_module, "_probe", _fine)
    assert main(["doctor"]) == 1
    assert "[FAIL] keras 2.15.0 is outside the tested range >=3.3,<4: pip install 'keras>=3.3,<4'" in _lines(capsys)


def test_the_packages_come_in_one_order_whatever_the_metadatas(monkeypatch):
    """An editable install and a wheel write Requires-Dist in different orders; doctor lists the required
    packages first, in their own order, then each extra's in the order doctor names the extras."""
    scrambled = [
        'bokeh<4,>=3.1; extra == "dashboard"',
        "numpy<3,>=1.26.1",
        'pytest<10,>=7.4; extra == "test"',
        'jupyter<2,>=1.0; extra == "notebook"',
        "keras<4,>=3.3",
        'torch<2.14,>=2.4; extra == "torch"',
        'ruff<1,>=0.6; extra == "test"',
    ]
    monkeypatch.setattr(doctor_module.metadata, "requires", lambda name: scrambled)
    assert doctor_module._requirements() == [
        ("numpy", ">=1.26.1,<3", None),
        ("keras", ">=3.3,<4", None),
        ("pytest", ">=7.4,<10", "test"),
        ("ruff", ">=0.6,<1", "test"),
        ("jupyter", ">=1.0,<2", "notebook"),
        ("torch", ">=2.4,<2.14", "torch"),
        ("bokeh", ">=3.1,<4", "dashboard"),
    ]


def test_an_optional_package_missing_is_not_a_failure(capsys, monkeypatch):
    real = metadata.version

    def version(name):
        if name == "pytest":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(doctor_module.metadata, "version", version)
    monkeypatch.setattr(doctor_module, "_probe", _fine)
    assert main(["doctor"]) == 0
    assert "[--]   pytest is not installed (optional, the test suite: pip install 'chapter12[test]')" in _lines(capsys)


def test_a_backend_that_does_not_import_fails(capsys, monkeypatch):
    monkeypatch.setattr(doctor_module, "_probe", lambda code: (False, "ImportError: libcudart.so.12: cannot open"))
    assert main(["doctor"]) == 1
    assert (
        "[FAIL] Keras backend tensorflow: installed but does not import (ImportError: libcudart.so.12: cannot "
        "open); reinstall it"
    ) in _lines(capsys)


def test_a_data_variable_that_points_nowhere_fails(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(doctor_module, "_probe", _fine)
    monkeypatch.setenv("CHAPTER12_DATA", str(tmp_path / "nowhere.tar.gz"))
    assert main(["doctor"]) == 1
    assert any(line.startswith("[FAIL] data: $CHAPTER12_DATA") and "does not exist" in line for line in _lines(capsys))


@pytest.mark.parametrize("blocked", ["numpy", "packaging"])
def test_doctor_runs_where_a_package_cannot_be_imported_and_says_so(tmp_path, blocked):
    """The command itself must not need what it checks for: with numpy (or packaging) unimportable, `python -m
    chapter12 doctor` still prints every line and fails with status 1, without a traceback (it crashed at
    import when numpy was missing)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / blocked).mkdir()
    (tmp_path / blocked / "__init__.py").write_text(f'raise ImportError("No module named {blocked!r}")\n')
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(root)]), TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run(
        [sys.executable, "-m", "chapter12", "doctor"], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1].endswith("problems found: fix the [FAIL] lines above")
    assert any(line.startswith("[FAIL]") and "Keras backend tensorflow" in line for line in lines)
    if blocked == "numpy":
        assert "[FAIL] data: cannot be checked (No module named 'numpy'); install the packages marked" in done.stdout
    else:
        assert "[FAIL] packaging is not installed, so no version can be checked against its range" in done.stdout
