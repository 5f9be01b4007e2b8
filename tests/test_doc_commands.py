"""Every shell command the README and docs/ show still exists; the cheap ones run, in a temporary copy.

Each ``python -m utils ...`` line in a bash block is parsed by the real command
line (options in ``[...]`` are optional, so each is checked to be an option of
that command, then left out); every ``make TARGET`` names a target of the
Makefile. The commands that are cheap and write nothing of the repository's
(each subcommand's ``--help``, ``data check``, and ``table`` into a copy) run
for real and must succeed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from utils.files import REPO_ROOT
from utils.tools.cli import build_parser

PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
SHELL_BLOCKS = {"bash", "sh", "shell", "console"}
OPTIONAL = re.compile(r"\[[^\[\]]*\]")


def shown_commands() -> list[tuple[str, str]]:
    """``(page, line)`` for each line of a shell block, continuation lines joined and comments dropped."""
    found = []
    for page in PAGES:
        for token in MarkdownIt("commonmark").parse(page.read_text(encoding="utf-8")):
            if token.type == "fence" and token.info.strip() in SHELL_BLOCKS:
                for line in token.content.replace("\\\n", " ").splitlines():
                    line = line.split(" #", 1)[0].strip()
                    if line and not line.startswith("#"):
                        found.append((page.name, line))
    return found


def utils_arguments(line: str) -> list[str] | None:
    """The arguments after ``python -m utils`` in ``line`` (brackets kept), or None when it runs something else."""
    words = line.split()
    for position in range(len(words) - 2):
        if words[position].endswith("python") and words[position + 1:position + 3] == ["-m", "utils"]:
            return words[position + 3:]
    return None


UTILS_COMMANDS = [(page, line) for page, line in shown_commands() if utils_arguments(line) is not None]
MAKE_TARGETS = sorted({(page, word) for page, line in shown_commands() if line.split()[:1] == ["make"] or
                       re.search(r"\bmake ", line) for word in re.findall(r"\bmake ([a-z][\w-]*)", line)})


def subcommand_parser(arguments: list[str]):
    """The argparse parser of the (sub)command ``arguments`` start with."""
    parser = build_parser()
    for word in arguments:
        actions = [action for action in parser._actions if action.choices and isinstance(action.choices, dict)]
        if not actions or word not in actions[0].choices:
            break
        parser = actions[0].choices[word]
    return parser


def test_the_pages_show_commands_to_check():
    assert len(UTILS_COMMANDS) >= 15 and len(MAKE_TARGETS) >= 4


@pytest.mark.parametrize("page, line", UTILS_COMMANDS)
def test_a_shown_command_line_is_accepted_by_the_command_line(page, line):
    text = " ".join(utils_arguments(line))
    parser = subcommand_parser(shlex.split(OPTIONAL.sub(" ", text)))
    known = {option for action in parser._actions for option in action.option_strings}
    for option in re.findall(r"(?<![\w-])--[a-z][\w-]*", text):
        assert option in known, f"{page}: {line!r} shows {option}, which {parser.prog} no longer has"
    try:
        build_parser().parse_args(shlex.split(OPTIONAL.sub(" ", text)))
    except SystemExit as exc:
        pytest.fail(f"{page}: {line!r} is refused by the command line (exit {exc.code})")


@pytest.mark.parametrize("page, target", MAKE_TARGETS)
def test_a_shown_make_target_exists(page, target):
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(rf"^{re.escape(target)}\s*:", makefile, re.MULTILINE), f"{page}: make {target} is not a target"


def test_a_command_the_command_line_lacks_is_caught():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["report"])
    assert "--outfile" not in {option for action in subcommand_parser(["sweep"])._actions
                               for option in action.option_strings}


def run(arguments: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(cwd), "WORKSHOP_DATA_DIR": str(cwd / "data")}
    return subprocess.run([sys.executable, "-m", "utils", *arguments], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def repository_copy(tmp_path_factory, shipped_data):
    """What the cheap commands read (the package, the data, the results, the README), copied."""
    copy = tmp_path_factory.mktemp("repository")
    for name in ("utils", "data", "results"):
        shutil.copytree(REPO_ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "epochs-*"))
    shutil.copy(REPO_ROOT / "README.md", copy / "README.md")
    (copy / "docs").mkdir()
    return copy


@pytest.mark.parametrize("arguments", sorted({
    tuple(shlex.split(OPTIONAL.sub(" ", " ".join(utils_arguments(line)))))[:2]
    for _, line in UTILS_COMMANDS}))
def test_each_shown_subcommand_has_help(arguments, repository_copy):
    words = [word for word in arguments if not word.startswith("-")]
    parser = subcommand_parser(words)
    depth = len(parser.prog.split()) - len(build_parser().prog.split())
    result = run([*words[:depth], "--help"], repository_copy)
    assert result.returncode == 0 and result.stdout.startswith("usage: python -m utils"), result.stderr


def test_data_check_as_shown_passes_on_the_committed_data(repository_copy):
    assert any(utils_arguments(line) == ["data", "check"] for _, line in UTILS_COMMANDS)
    result = run(["data", "check"], repository_copy)
    assert result.returncode == 0, result.stderr
    assert "GOOG" in result.stdout and "AMZN" in result.stdout


def test_table_as_shown_rebuilds_the_committed_table_unchanged(repository_copy):
    assert any(utils_arguments(line) == ["table"] for _, line in UTILS_COMMANDS)
    result = run(["table"], repository_copy)
    assert result.returncode == 0, result.stderr
    assert (repository_copy / "README.md").read_text(encoding="utf-8") == (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert (repository_copy / "results" / "results.csv").read_bytes() == (REPO_ROOT / "results" / "results.csv").read_bytes()
    assert (repository_copy / "docs" / "january_forecasts.png").read_bytes().startswith(b"\x89PNG")
