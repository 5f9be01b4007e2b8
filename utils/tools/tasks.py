"""The activities' task notebooks, generated from their solutions: ``python -m utils tasks [--check]``.

Each activity folder holds the solution, ``Activity9.0N.ipynb`` (executed,
checked by nbval), and the learner's version, ``Activity9.0N_task.ipynb``,
which is never edited by hand. It is the solution with:

* in each code cell, the lines between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION`` replaced by ``# your code here`` (at the marker's
  indentation); the lines around them, such as the comments that say what to
  write, stay;
* cells tagged ``solution-only`` left out; cells tagged ``task-only`` kept,
  without that tag (they are in the solution file too, for this command);
* every output and execution count cleared, and the metadata that records one
  run (papermill's timings, execution timestamps) dropped.

The file's bytes depend only on the solution's source, so ``--check`` can
compare them with what is committed. :func:`fill` does the reverse (the task
with each blank replaced by its solution block), for the test that completes
every task and runs its checks.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

from ..atomic import write_text_atomically
from ..errors import DataError
from ..files import REPO_ROOT, shown
from ..registry import notebook_path
from ..solutions import BEGIN, BLANK, END, solution_blocks

TASK_NOTEBOOKS = ("Activity9.01", "Activity9.02", "Activity9.03")
SOLUTION_ONLY, TASK_ONLY = "solution-only", "task-only"
# Cell and notebook metadata written by one execution, not part of the notebook's content.
RUN_METADATA = ("execution", "papermill", "ExecuteTime", "widgets")
# Notebook metadata of a generated task: the hash of its cells, so that 'tasks' never overwrites a learner's edits.
GENERATED_KEY = "workshop_task"


def solution_path(name: str, root: Path = REPO_ROOT) -> Path:
    return notebook_path(name, root)


def task_path(name: str, root: Path = REPO_ROOT) -> Path:
    return Path(root) / name / f"{name}_task.ipynb"


def _read(path: Path):
    import nbformat

    relative = shown(path)
    if not path.is_file():
        raise DataError(f"{relative}: solution notebook not found")
    try:
        return nbformat.read(path, as_version=4)
    except (ValueError, UnicodeDecodeError, nbformat.reader.NotJSONError) as exc:
        raise DataError(f"{relative}: not a readable notebook ({str(exc).splitlines()[0]})") from None


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _without_run_metadata(metadata: dict) -> dict:
    # An empty tag list is no tag at all; papermill adds one to every cell it executes.
    return {key: value for key, value in metadata.items() if key not in RUN_METADATA and value != []}


def task_notebook(solution, where: str):
    """The task version of a solution notebook (an nbformat node); the solution is left unchanged."""
    task = copy.deepcopy(solution)
    task.metadata = _without_run_metadata(task.metadata)
    cells, blanks = [], 0
    for number, cell in enumerate(solution.cells, start=1):
        tags = _tags(cell)
        if SOLUTION_ONLY in tags:
            continue
        cell = copy.deepcopy(cell)
        cell.metadata = _without_run_metadata(cell.metadata)
        if TASK_ONLY in tags:
            cell.metadata = _without_run_metadata({**cell.metadata, "tags": [tag for tag in tags if tag != TASK_ONLY]})
        if cell.cell_type == "code":
            cell.source, blocks = solution_blocks(cell.source, f"{where}, cell {number}")
            blanks += len(blocks)
            cell.outputs, cell.execution_count = [], None
        elif BEGIN in cell.source:
            raise DataError(f"{where}, cell {number}: {BEGIN} in a {cell.cell_type} cell; markers go in code cells")
        cells.append(cell)
    if not blanks:
        raise DataError(f"{where}: no {BEGIN} ... {END} blocks, so the task would have nothing to complete")
    task.cells = cells
    return task


def render(notebook) -> str:
    """The notebook as the text nbformat writes (sorted keys, one-space indent), ending in a newline."""
    import nbformat

    text = nbformat.writes(notebook)
    return text if text.endswith("\n") else text + "\n"


def cells_sha256(notebook) -> str:
    """A hash of the cells' kinds and sources: what a learner changes when they fill a blank (outputs are not)."""
    content = [[cell.cell_type, cell.source] for cell in notebook.cells]
    return hashlib.sha256(json.dumps(content).encode("utf-8")).hexdigest()


def generated_task(name: str, root: Path = REPO_ROOT) -> str:
    path = solution_path(name, root)
    task = task_notebook(_read(path), shown(path))
    task.metadata[GENERATED_KEY] = {"cells_sha256": cells_sha256(task)}
    return render(task)


def changed_since_generated(path: Path) -> bool:
    """True when the task notebook's cells no longer match the hash recorded when it was generated (or none is)."""
    try:
        notebook = _read(path)
    except DataError:
        return True  # unreadable: perhaps half a learner's edit, not ours to replace
    recorded = notebook.metadata.get(GENERATED_KEY, {}).get("cells_sha256")
    return recorded != cells_sha256(notebook)


def write_tasks(names=TASK_NOTEBOOKS, root: Path = REPO_ROOT, force: bool = False) -> list[Path]:
    """Generate every task notebook first, then write them (atomically); a bad solution writes nothing.

    A task notebook a learner has changed is not replaced unless ``force``: the command then writes nothing.
    """
    texts = {name: generated_task(name, root) for name in names}
    changed = [shown(path) for name, text in texts.items() if (path := task_path(name, root)).is_file()
               and path.read_text(encoding="utf-8") != text and changed_since_generated(path)]
    if changed and not force:
        raise DataError(f"{', '.join(changed)}: changed since it was generated (a learner's work?); nothing written. "
                        "Keep a copy, then run 'python -m utils tasks --force' (or 'python -m utils reset')")
    return [write_text_atomically(task_path(name, root), text) for name, text in texts.items()]


def stale_tasks(names=TASK_NOTEBOOKS, root: Path = REPO_ROOT) -> list[str]:
    """One line per task notebook that is missing or differs from what its solution generates."""
    lines = []
    for name in names:
        path = task_path(name, root)
        if not path.is_file():
            lines.append(f"{shown(path)}: missing; run 'python -m utils tasks' to generate it")
        elif path.read_text(encoding="utf-8") != generated_task(name, root):
            lines.append(f"{shown(path)}: out of date with {shown(solution_path(name, root))}; "
                         "run 'python -m utils tasks' to regenerate it")
    return lines


def fill(task, solution):
    """The task notebook with each blank replaced by its solution block: what a learner who got it right wrote.

    Cells are matched by their id (generation keeps the solution's ids).
    """
    task = copy.deepcopy(task)
    solutions = {cell.get("id"): cell for cell in solution.cells}
    for cell in task.cells:
        if cell.cell_type != "code" or BLANK not in cell.source:
            continue
        original = solutions.get(cell.get("id"))
        if original is None:
            raise DataError(f"task cell {cell.get('id')!r} has a blank but no solution cell with the same id")
        _, blocks = solution_blocks(original.source, f"solution cell {cell.get('id')}")
        filled = []
        for line in cell.source.splitlines(keepends=True):
            if line.strip() == BLANK and blocks:
                filled.append(blocks.pop(0))
            else:
                filled.append(line)
        cell.source = "".join(filled)
    return task


def run_tasks_command(check: bool, names=TASK_NOTEBOOKS, root: Path = REPO_ROOT, force: bool = False) -> int:
    """``python -m utils tasks``: write the task notebooks; with ``check``, only report stale ones (exit 1)."""
    if check:
        stale = stale_tasks(names, root)
        for line in stale:
            print(line)
        return 1 if stale else 0
    for path in write_tasks(names, root, force):
        print(f"wrote {shown(path)}")
    return 0
