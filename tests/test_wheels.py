"""check-wheels without the network: the pins it reads, the pip commands it runs, and what it reports."""

from __future__ import annotations

import json
import subprocess

import pytest

from utils.errors import DataError
from utils.tools import wheels
from utils.tools.cli import main
from utils.tools.wheels import OTHER_SYSTEMS, PYTHONS, SYSTEMS, check, check_all, describe, pip_reason, read_pins, summary

WINDOWS, MAC_INTEL = SYSTEMS[0], OTHER_SYSTEMS[0]
PINS = ["numpy==2.4.6", "tensorflow==2.21.0", "tqdm==4.70.1"]


def test_pins_leave_out_comments_options_and_the_editable_workshop(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text("# Known-good versions\nnumpy==2.4.6\n\n--extra-index-url https://example.org/simple\n"
                    "tqdm==4.70.1  # the progress bar\npandas==3.1.1; python_version >= '3.11'\n-e .\n", encoding="utf-8")
    assert read_pins(path) == ["numpy==2.4.6", "tqdm==4.70.1", "pandas==3.1.1; python_version >= '3.11'"]


def test_the_committed_requirements_give_every_pin_and_not_the_workshop():
    pins = read_pins()
    assert "-e ." not in pins and all("==" in pin for pin in pins)
    assert {pin.split("==")[0] for pin in pins} >= {"keras", "jax", "jaxlib", "tensorflow", "jupyterlab"}


@pytest.mark.parametrize("text", ["", "# nothing\n-e .\n"])
def test_a_requirements_file_without_packages_is_refused(tmp_path, text):
    path = tmp_path / "requirements.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="names no package"):
        read_pins(path)


def test_a_linux_system_takes_every_manylinux_tag_of_its_glibc_and_the_older_ones():
    linux = wheels.manylinux("x86_64", 28)
    assert linux[0] == "manylinux_2_28_x86_64" and linux[-2:] == ("manylinux_2_17_x86_64", "manylinux2014_x86_64")
    assert len(linux) == 13 and "manylinux_2_29_x86_64" not in linux


def test_pip_resolves_for_the_system_and_python_without_installing():
    command = wheels.pip_command(WINDOWS, "3.12", PINS, "/somewhere")
    assert command[1:4] == ["-m", "pip", "install"]
    for option in ("--dry-run", "--ignore-installed", "--only-binary=:all:", "--no-deps"):
        assert (option in command) == (option != "--no-deps")
    assert "--platform=win_amd64" in command
    assert command[command.index("--python-version") + 1] == "3.12"
    assert command[command.index("--report") + 1] == "-" and command[-3:] == PINS
    assert "--no-deps" in wheels.pip_command(WINDOWS, "3.12", PINS[:1], "/somewhere", no_deps=True)


class FakePip:
    """pip as the index would answer: ``missing`` pins have no wheel on ``platform``; ``dependency`` fails resolution."""

    def __init__(self, platform=None, missing=(), dependency=None):
        self.platform, self.missing, self.dependency, self.commands = platform, set(missing), dependency, []

    def __call__(self, command, capture_output, text):
        self.commands.append(command)
        platform, requested = command[command.index("--only-binary=:all:") + 1], command[command.index("--target") + 2:]
        requested = [pin for pin in requested if not pin.startswith("--")]
        here = platform == f"--platform={self.platform}"
        lacking = [pin for pin in requested if here and pin in self.missing]
        if lacking:
            return subprocess.CompletedProcess(command, 1, "", f"ERROR: No matching distribution found for {lacking[0]}\n")
        if here and self.dependency and "--no-deps" not in command:
            return subprocess.CompletedProcess(command, 1, "", "WARNING: noise\nERROR: Could not find a version that "
                                               f"satisfies the requirement {self.dependency}\nERROR: No matching "
                                               f"distribution found for {self.dependency}\n")
        return subprocess.CompletedProcess(command, 0, json.dumps({"install": [{} for _ in range(2 * len(requested))]}), "")


def test_a_system_with_every_wheel_passes_with_one_resolution():
    pip = FakePip()
    result = check(WINDOWS, "3.11", PINS, run=pip)
    assert result.passed and result.packages == 6 and len(pip.commands) == 1
    assert describe(result).startswith("ok ") and "Windows" in describe(result) and "3.11" in describe(result)


def test_each_pin_without_a_wheel_is_named():
    pip = FakePip(platform=MAC_INTEL.platform, missing=["tensorflow==2.21.0", "numpy==2.4.6"])
    result = check(MAC_INTEL, "3.13", PINS, run=pip)
    assert not result.passed and result.lacking == ["numpy==2.4.6", "tensorflow==2.21.0"]
    assert describe(result) == ("FAIL  macOS 12 or newer on Intel (macosx_12_0_x86_64), Python 3.13: "
                                "no wheel of numpy==2.4.6, tensorflow==2.21.0")


def test_a_dependency_without_a_wheel_is_named_from_pips_message():
    pip = FakePip(platform=WINDOWS.platform, dependency="ml-dtypes>=0.5")
    result = check(WINDOWS, "3.13", PINS, run=pip)
    assert not result.passed and result.lacking == [] and result.problem == "no wheel of ml-dtypes>=0.5 (a dependency)"
    assert pip_reason("ERROR: ResolutionImpossible: conflicting pins\n") == "ResolutionImpossible: conflicting pins"


def test_every_combination_is_checked_in_order_and_the_summary_says_which_failed():
    pip = FakePip(platform=MAC_INTEL.platform, missing=["tensorflow==2.21.0"])
    results = check_all([WINDOWS, MAC_INTEL], PYTHONS, PINS, run=pip)
    assert [(result.system, result.python) for result in results] == [(s, p) for s in (WINDOWS, MAC_INTEL) for p in PYTHONS]
    assert [result.passed for result in results] == [True] * 3 + [False] * 3
    assert summary(results).startswith("3 of 6 ")
    assert summary(results[:3]) == "every pin has a wheel for Windows on x86-64, on Python 3.11, 3.12, 3.13"


def test_the_command_exits_non_zero_when_a_combination_fails(monkeypatch, capsys):
    monkeypatch.setattr(wheels, "check_all", lambda systems, pythons, pins: [
        check(system, python, pins, run=FakePip(platform=MAC_INTEL.platform, missing=["tensorflow==2.21.0"]))
        for system in systems for python in pythons])
    assert main(["check-wheels", "--system", "windows", "--python", "3.12"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("ok    Windows on x86-64 (win_amd64), Python 3.12")
    assert main(["check-wheels", "--system", "macos-x86_64", "--python", "3.11"]) == 1
    assert "FAIL  macOS 12 or newer on Intel" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_status:
        main(["check-wheels", "--system", "beos"])
    assert exit_status.value.code == 2 and "invalid choice: 'beos'" in capsys.readouterr().err


def test_by_default_the_readme_systems_are_checked_and_all_adds_the_others():
    assert wheels.systems_named(None, False) == list(SYSTEMS)
    assert wheels.systems_named(None, True) == list(SYSTEMS + OTHER_SYSTEMS)
    assert wheels.systems_named(["macos-x86_64"], False) == list(OTHER_SYSTEMS)
