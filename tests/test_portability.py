"""The learner's path on a Python without the POSIX-only calls Windows and macOS lack (tests/portable/sitecustomize.py).

Every process started here (three notebook kernels and one command line) has ``tests/portable`` on ``PYTHONPATH``,
so it runs without CPU affinity, process groups, most signals and glibc. They run against a copy of the
repository's files in a temporary folder, so that what they save lands there and never in the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell
from test_tasks import cells_up_to, check_cells, printed_text

import utils.tools.tasks
from utils.files import REPO_ROOT

PORTABLE = Path(__file__).resolve().parent / "portable"
COPIED = ("utils", "data", "results", "Exercise9.01", "Activity9.01")
# Run first in each kernel: the removal reached it (sitecustomize is the module tests/portable holds).
REMOVAL_CHECK = """import os, sitecustomize, utils.tools.fast_lstm
assert sitecustomize.still_there() == [], sitecustomize.still_there()
assert not hasattr(os, "sched_setaffinity") and not hasattr(os, "killpg")
assert not hasattr(utils.tools.fast_lstm.os, "getuid"), "the workshop's modules see os without the hidden calls"
print("no POSIX-only calls here")"""


@pytest.fixture
def portable_copy(tmp_path, monkeypatch):
    """A copy of the repository's files whose processes start without the POSIX-only calls; returns its root."""
    root = tmp_path / "workshop"
    for name in COPIED:
        shutil.copytree(REPO_ROOT / name, root / name, ignore=shutil.ignore_patterns("epochs-*", "__pycache__"))
    monkeypatch.setenv("PYTHONPATH", f"{PORTABLE}{os.pathsep}{root}")
    monkeypatch.setenv("PORTABLE_PYTHON_LOG", str(tmp_path / "processes.log"))
    monkeypatch.delenv("WORKSHOP_DATA_DIR", raising=False)
    monkeypatch.delenv("WORKSHOP_EPOCHS", raising=False)
    return root


def started_processes(root: Path) -> list[list[str]]:
    log = root.parent / "processes.log"
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def run_notebook(path: Path, **parameters) -> nbformat.NotebookNode:
    """Execute a notebook of the copy with papermill, the removal check first, into a new file beside it."""
    import papermill

    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(0, new_code_cell(REMOVAL_CHECK))
    checked = path.with_name(f"{path.stem}_portable.ipynb")
    nbformat.write(notebook, checked)
    executed = path.with_name(f"{path.stem}_executed.ipynb")
    papermill.execute_notebook(checked, executed, parameters=parameters, kernel_name="python3", cwd=path.parent,
                               progress_bar=False)
    return nbformat.read(executed, as_version=4)


def test_the_learners_path_runs_without_posix_only_calls(portable_copy, monkeypatch):
    from nbclient import NotebookClient

    root = portable_copy
    # A quick training of Exercise 9.01: its results go to the copy's my-results/epochs-1/ (a learner's run, saved apart).
    monkeypatch.setenv("WORKSHOP_EPOCHS", "1")
    exercise = run_notebook(root / "Exercise9.01" / "Exercise9.01.ipynb")
    assert "no POSIX-only calls here" in printed_text(exercise.cells[0])
    assert json.loads((root / "my-results" / "epochs-1" / "Exercise9.01.json").read_text(encoding="utf-8"))["epochs"] == 1

    # An activity with TRAIN = False, as a class follows it: the committed model, loaded.
    monkeypatch.delenv("WORKSHOP_EPOCHS")
    activity = run_notebook(root / "Activity9.01" / "Activity9.01.ipynb", TRAIN=False)
    outputs = "".join(printed_text(cell) for cell in activity.cells if cell.cell_type == "code")
    assert "loaded" in outputs.lower() and "final training loss" in outputs

    # The activity's task with its blanks filled with the solution: every check cell says it is right.
    name = "Activity9.01"
    task = nbformat.read(utils.tools.tasks.task_path(name), as_version=4)
    completed = utils.tools.tasks.fill(task, nbformat.read(utils.tools.tasks.solution_path(name), as_version=4))
    run = nbformat.v4.new_notebook(cells=[new_code_cell(REMOVAL_CHECK),
                                          *cells_up_to(completed, check_cells(completed)[-1], name, name, root=root)])
    NotebookClient(run, timeout=600, kernel_name="python3").execute()
    checks = [printed_text(cell).strip() for cell in check_cells(run)]
    assert len(checks) >= 3 and all(line.startswith("Correct:") for line in checks), checks

    # The command line.
    done = subprocess.run([sys.executable, "-m", "utils", "train", "--ticker", "GOOG", "--units", "4", "--epochs", "1"],
                          cwd=root, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "naive" in done.stdout

    processes = started_processes(root)
    assert sum("ipykernel_launcher" in " ".join(argv) for argv in processes) == 3, processes
    assert [argv[1:] for argv in processes if argv[1:3] == ["-m", "utils"]] == [
        ["-m", "utils", "train", "--ticker", "GOOG", "--units", "4", "--epochs", "1"]]
