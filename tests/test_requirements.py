"""The environment files agree: requirements.txt (the ranges), pyproject.toml (the same ranges, for pip install .),
environment.yml (the same, for conda) and requirements.lock (the exact versions make installs, each inside its
range)."""

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent


def _ranges(lines) -> dict[str, str]:
    out = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            req = Requirement(line)
            out[canonicalize_name(req.name)] = str(req.specifier)
    return out


def requirements_txt() -> dict[str, str]:
    return _ranges((REPO / "requirements.txt").read_text().splitlines())


def lock() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.lock: {line!r} is not pinned with =="
            pins[canonicalize_name(name)] = version
    return pins


def test_pyproject_declares_the_ranges_of_requirements_txt():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + [
        r for extra in ("test", "notebook") for r in project["optional-dependencies"][extra]
    ]
    assert _ranges(declared) == requirements_txt()


def test_environment_yml_declares_the_same_ranges():
    lines = [
        line.strip()[2:]
        for line in (REPO / "environment.yml").read_text().splitlines()
        if line.startswith("      - ") and "-e ." not in line
    ]
    assert _ranges(lines) == requirements_txt()


def lock_problems(pins: dict[str, str], ranges: dict[str, str]) -> list[str]:
    problems = []
    for name, spec in ranges.items():
        if name not in pins:
            problems.append(f"requirements.lock has no {name}; run make lock")
        elif not Requirement(f"{name}{spec}").specifier.contains(pins[name], prereleases=True):
            problems.append(f"requirements.lock pins {name}=={pins[name]}, outside {spec}; run make lock")
    return problems


def test_the_lock_pins_every_requirement_inside_its_range():
    assert lock_problems(lock(), requirements_txt()) == []


def test_a_pin_outside_its_range_or_missing_is_seen():
    pins = lock() | {"keras": "2.15.0"}
    del pins["papermill"]
    assert sorted(lock_problems(pins, requirements_txt())) == [
        "requirements.lock has no papermill; run make lock",
        "requirements.lock pins keras==2.15.0, outside <4,>=3.3; run make lock",
    ]
