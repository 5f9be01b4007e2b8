"""The declared version ranges: the floors make test-oldest installs are pyproject.toml's, and the pins lie inside them."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

tomllib = pytest.importorskip("tomllib")  # Python 3.11 and later

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = {"keras", "jax", "numpy", "pandas", "scikit-learn", "matplotlib", "tqdm", "statsmodels", "scipy"}


def pins(path: Path) -> dict[str, Version]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            requirement = Requirement(line)
            found[requirement.name.lower()] = Version(next(iter(requirement.specifier)).version)
    return found


def floors() -> dict[str, Version]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {}
    for text in project["dependencies"]:
        requirement = Requirement(text)
        (lowest,) = [spec for spec in requirement.specifier if spec.operator == ">="]
        declared[requirement.name.lower()] = Version(lowest.version)
    return declared


def test_the_runtime_libraries_are_declared_with_a_floor():
    assert set(floors()) == RUNTIME


def test_make_test_oldest_installs_exactly_the_declared_floors():
    oldest = pins(ROOT / "constraints" / "requirements-oldest.txt")
    assert {name: oldest[name] for name in RUNTIME} == floors()


def test_the_pinned_versions_lie_within_the_declared_ranges():
    pinned = pins(ROOT / "requirements.txt")
    below = {name: (str(pinned[name]), str(lowest)) for name, lowest in floors().items() if pinned[name] < lowest}
    assert not below, f"requirements.txt pins versions below pyproject.toml's floors: {below}"
