"""``python -m utils check-wheels``: does every pin of requirements.txt have a wheel for each learner's system?

For each system and Python version, pip resolves the pins and everything they
depend on as if installing there (``pip install --dry-run --only-binary=:all:
--platform ... --python-version ...``), reading what it needs from the index's
metadata: nothing is installed, and whole wheels are downloaded only for a
package whose index publishes no separate metadata. Where the resolution
fails, each pin is then tried on its own (``--no-deps``) to name the ones
without a wheel. The README's install section names the systems and Python
versions of :data:`SYSTEMS` and :data:`PYTHONS`, the ones that pass.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError
from ..files import REPO_ROOT, shown

REQUIREMENTS = REPO_ROOT / "requirements.txt"


@dataclass(frozen=True)
class System:
    key: str  # what --system takes
    name: str  # how the README names it
    platforms: tuple[str, ...]  # pip's --platform tags: the wheels this system can install

    @property
    def platform(self) -> str:
        return self.platforms[0]


def manylinux(arch: str, glibc_minor: int) -> tuple[str, ...]:
    """Linux with glibc 2.``glibc_minor`` or newer: every manylinux tag it installs, newest first.

    pip widens a macOS tag to the older macOS versions, and the legacy tag manylinux2014 to manylinux2010 and
    manylinux1, but takes a manylinux_2_N tag alone, so each glibc version down to 2.17 (manylinux2014) is named.
    """
    return (*(f"manylinux_2_{minor}_{arch}" for minor in range(glibc_minor, 16, -1)), f"manylinux2014_{arch}")


# The systems the README promises, each from the oldest version it stands for (macOS 12, glibc 2.28).
SYSTEMS = (
    System("windows", "Windows on x86-64", ("win_amd64",)),
    System("macos-arm64", "macOS 12 or newer on Apple silicon", ("macosx_12_0_arm64",)),
    System("linux-x86_64", "Linux on x86-64 with glibc 2.28 or newer", manylinux("x86_64", 28)),
    System("linux-aarch64", "Linux on ARM64 with glibc 2.28 or newer", manylinux("aarch64", 28)),
)
# Checked with --all, to see what they lack; not promised.
OTHER_SYSTEMS = (
    System("macos-x86_64", "macOS 12 or newer on Intel", ("macosx_12_0_x86_64",)),
)
PYTHONS = ("3.11", "3.12", "3.13")
PARALLEL_RESOLUTIONS = 4  # pip waits on the network most of the time


@dataclass
class Check:
    system: System
    python: str
    packages: int = 0  # resolved, when it passed
    lacking: list[str] = field(default_factory=list)  # pins without a wheel here
    problem: str = ""  # pip's own reason, when no single pin explains the failure

    @property
    def passed(self) -> bool:
        return not self.lacking and not self.problem


def read_pins(path: Path = REQUIREMENTS) -> list[str]:
    """The package lines of a requirements file: comments, blank lines and pip options (``-e .``, ``--index-url``) left out.

    ``-e .`` is the workshop's own package, pure Python and built from the checkout on any system.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataError(f"{shown(path)}: cannot be read ({exc.strerror or exc})") from None
    pins = []
    for line in lines:
        text = re.sub(r"(^|\s)#.*", "", line).strip()
        if text and not text.startswith("-"):
            pins.append(text)
    if not pins:
        raise DataError(f"{shown(path)}: names no package to check")
    return pins


def pip_command(system: System, python: str, requirements: list[str], target: str, no_deps: bool = False) -> list[str]:
    """pip resolving ``requirements`` for ``system`` and ``python`` without installing; the report goes to stdout."""
    return [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--report", "-", "--ignore-installed",
            "--only-binary=:all:", *(f"--platform={tag}" for tag in system.platforms), "--python-version", python,
            "--implementation", "cp",
            "--target", target, "--disable-pip-version-check", *(["--no-deps"] if no_deps else []), *requirements]


def pip_reason(stderr: str) -> str:
    """The line of pip's error output that says why it failed: the package it found no wheel for, when it names one."""
    missing = re.findall(r"No matching distribution found for (\S+)", stderr)
    if missing:
        return f"no wheel of {missing[-1]} (a dependency)"
    errors = [line.removeprefix("ERROR: ").strip() for line in stderr.splitlines() if line.startswith("ERROR:")]
    return errors[-1] if errors else (stderr.strip().splitlines() or ["pip failed without a message"])[-1]


def check(system: System, python: str, pins: list[str], run=subprocess.run) -> Check:
    """Resolve every pin for ``system`` and ``python``; where that fails, try each pin alone to name the missing ones."""
    result = Check(system, python)
    with tempfile.TemporaryDirectory(prefix="workshop-wheels-") as target:
        resolved = run(pip_command(system, python, pins, target), capture_output=True, text=True)
        if resolved.returncode == 0:
            result.packages = len(json.loads(resolved.stdout).get("install", []))
            return result
        for pin in pins:
            alone = run(pip_command(system, python, [pin], target, no_deps=True), capture_output=True, text=True)
            if alone.returncode != 0:
                result.lacking.append(pin)
        if not result.lacking:
            result.problem = pip_reason(resolved.stderr)
    return result


def check_all(systems, pythons, pins: list[str], run=subprocess.run) -> list[Check]:
    """One :class:`Check` per system and Python, in that order; the resolutions run side by side."""
    combinations = [(system, python) for system in systems for python in pythons]
    with ThreadPoolExecutor(PARALLEL_RESOLUTIONS) as pool:
        return list(pool.map(lambda pair: check(*pair, pins, run=run), combinations))


def describe(result: Check) -> str:
    where = f"{result.system.name} ({result.system.platform}), Python {result.python}"
    if result.passed:
        return f"ok    {where}: {result.packages} packages, each with a wheel"
    if result.lacking:
        return f"FAIL  {where}: no wheel of {', '.join(result.lacking)}"
    return f"FAIL  {where}: {result.problem}"


def summary(results: list[Check]) -> str:
    failed = [result for result in results if not result.passed]
    if not failed:
        systems = list(dict.fromkeys(result.system.name for result in results))
        pythons = list(dict.fromkeys(result.python for result in results))
        return f"every pin has a wheel for {'; '.join(systems)}, on Python {', '.join(pythons)}"
    return f"{len(failed)} of {len(results)} system and Python combinations lack a wheel (lines marked FAIL)"


def systems_named(keys: list[str] | None, everything: bool) -> list[System]:
    known = SYSTEMS + OTHER_SYSTEMS
    if keys:
        return [system for system in known if system.key in keys]
    return list(known if everything else SYSTEMS)


def add_arguments(parser) -> None:
    keys = [system.key for system in SYSTEMS + OTHER_SYSTEMS]
    parser.add_argument("--system", action="append", choices=keys,
                        help="check this system only (repeatable; default: the ones the README names)")
    parser.add_argument("--python", action="append", choices=PYTHONS,
                        help=f"check this Python only (repeatable; default: {', '.join(PYTHONS)})")
    parser.add_argument("--all", action="store_true", help="also check the systems the README does not name")


def command_check_wheels(args) -> int:
    pins = read_pins()
    systems, pythons = systems_named(args.system, args.all), args.python or list(PYTHONS)
    print(f"resolving {len(pins)} pins of {shown(REQUIREMENTS)} for {len(systems) * len(pythons)} system and Python "
          "combinations (pip, index metadata only; nothing installed)", file=sys.stderr, flush=True)
    results = check_all(systems, pythons, pins)
    for result in results:
        print(describe(result))
    print(summary(results))
    return 0 if all(result.passed for result in results) else 1
