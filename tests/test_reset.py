"""python -m utils reset: notebooks and results back as committed, from git or from a handout's .pristine/ copy."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest

from utils.errors import DataError
from utils.tools.cli import main
from utils.tools.reset import PRISTINE_FOLDER, reset_notebooks

COMMITTED = {
    "Exercise9.01/Exercise9.01.ipynb": b'{"cells": ["as committed"]}\n',
    "results/Exercise9.01.json": b'{"rmse": 18.46}\n',
    "results/models/Exercise9.01.keras": b"PK\x03\x04 committed model",
    "Activity9.01/Activity9.01_task.ipynb": b'{"cells": ["task as generated"]}\n',
    "results/Activity9.01.json": b'{"rmse": 40.40}\n',
}


def write(root, files):
    for relative, content in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(content)


@pytest.fixture
def clone(tmp_path):
    """A git repository holding the committed files."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    write(tmp_path, COMMITTED)
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "committed"], check=True)
    return tmp_path


def learner_changes(root):
    (root / "Exercise9.01/Exercise9.01.ipynb").write_bytes(b'{"cells": ["my work"]}\n')
    (root / "results/Exercise9.01.json").unlink()
    (root / "results/models/Exercise9.01.keras").write_bytes(b"a model I trained")


def contents(root):
    return {relative: (root / relative).read_bytes() if (root / relative).exists() else None for relative in COMMITTED}


def test_a_changed_notebook_is_replaced_only_when_the_learner_says_yes(clone, monkeypatch, capsys):
    learner_changes(clone)
    changed = contents(clone)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # nobody to answer: refused, nothing written
    assert reset_notebooks(["Exercise9.01"], everything=False, yes=False, root=clone) == 1
    assert contents(clone) == changed
    captured = capsys.readouterr()
    assert captured.out.splitlines()[:4] == [
        "will restore to the committed version:",
        "  Exercise9.01/Exercise9.01.ipynb (changed, holds your work)",
        "  results/Exercise9.01.json (missing)",
        "  results/models/Exercise9.01.keras (changed)"]
    assert captured.err.count("\n") == 1 and "--yes" in captured.err

    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))  # keep my notebook, give me back the results
    assert reset_notebooks(["Exercise9.01"], everything=False, yes=False, root=clone) == 0
    assert contents(clone) == {**COMMITTED, "Exercise9.01/Exercise9.01.ipynb": changed["Exercise9.01/Exercise9.01.ipynb"]}
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert reset_notebooks(["Exercise9.01"], everything=False, yes=False, root=clone) == 1

    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert reset_notebooks(["Exercise9.01/Exercise9.01.ipynb"], everything=False, yes=False, root=clone) == 0
    assert contents(clone) == COMMITTED


def test_yes_restores_without_asking_and_results_alone_need_no_question(clone, monkeypatch, capsys):
    learner_changes(clone)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert reset_notebooks(["Exercise9.01"], everything=False, yes=True, root=clone) == 0
    assert contents(clone) == COMMITTED
    (clone / "results/Activity9.01.json").write_bytes(b"{}")  # a result only: nothing of the learner's is lost
    assert reset_notebooks(["Activity9.01_task"], everything=False, yes=False, root=clone) == 0
    assert contents(clone) == COMMITTED
    capsys.readouterr()
    assert reset_notebooks([], everything=True, yes=False, root=clone) == 0
    assert capsys.readouterr().out.startswith("nothing to restore")


def test_without_git_the_pristine_copy_is_used(tmp_path):
    write(tmp_path / PRISTINE_FOLDER, COMMITTED)
    write(tmp_path, COMMITTED)
    learner_changes(tmp_path)
    (tmp_path / "Activity9.01/Activity9.01_task.ipynb").unlink()
    assert reset_notebooks([], everything=True, yes=True, root=tmp_path) == 0
    assert contents(tmp_path) == COMMITTED


@pytest.mark.parametrize(("names", "everything", "message"), [
    (["Exercise9.09"], False, r"'Exercise9.09': not a notebook with a committed version \(no git clone and no "),
    ([], False, "name the notebooks to restore"),
    (["Exercise9.01"], True, "name the notebooks to restore"),
])
def test_bad_names_are_one_line_and_write_nothing(tmp_path, names, everything, message):
    write(tmp_path, {"Exercise9.01/Exercise9.01.ipynb": b"mine"})
    with pytest.raises(DataError, match=message):
        reset_notebooks(names, everything=everything, yes=True, root=tmp_path)
    assert (tmp_path / "Exercise9.01/Exercise9.01.ipynb").read_bytes() == b"mine"


def test_the_command_line_says_it_in_one_line(capsys):
    assert main(["reset", "Exercise9.09", "--yes"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'Exercise9.09': not a notebook" in err and "Exercise9.01" in err


def test_the_sixth_notebook_and_each_of_its_models_are_restored(clone, capsys):
    from utils.registry import BEYOND_MODELS

    beyond = {"Beyond9/Beyond9.ipynb": b'{"cells": ["beyond"]}\n', "results/Beyond9.json": b'{"models": {}}\n',
              **{f"results/models/Beyond9-{key}.keras": f"PK model {key}".encode() for key in BEYOND_MODELS}}
    write(clone, beyond)
    git = ["git", "-C", str(clone), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "the sixth notebook"], check=True)
    (clone / "results/models/Beyond9-AMZN-direct.keras").write_bytes(b"retrained")
    (clone / "results/models/Beyond9-GOOG-change.keras").unlink()
    assert reset_notebooks(["Beyond9"], everything=False, yes=False, root=clone) == 0
    assert {relative: (clone / relative).read_bytes() for relative in beyond} == beyond
    assert capsys.readouterr().out.splitlines()[:3] == [
        "will restore to the committed version:",
        "  results/models/Beyond9-GOOG-change.keras (missing)",
        "  results/models/Beyond9-AMZN-direct.keras (changed)"]
