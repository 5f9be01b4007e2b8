"""A step's solution is read from the solved notebook when asked for, and is written nowhere else."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import utils.solutions
from utils.checks import HINTS, STEPS, Step, task_steps
from utils.errors import DataError
from utils.files import REPO_ROOT
from utils.solutions import NOT_SHIPPED, solution_blocks, step_solution
from utils.tools.tasks import TASK_NOTEBOOKS, solution_path

SCALING = "# Fit the scaler.\n### BEGIN SOLUTION\nscaler = make_it()\nscaled = scaler.go()\n### END SOLUTION\nscaled"


def write_solved(root, cells, name="Activity0.01"):
    path = root / name / f"{name}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(new_notebook(cells=cells), path)
    return path


def test_a_steps_solution_is_its_marked_block_in_the_solved_notebook(tmp_path):
    write_solved(tmp_path, [new_code_cell("x = 1"), new_code_cell(SCALING, metadata={"tags": ["step-scaling"]})])
    assert step_solution("Activity0.01", "scaling", tmp_path) == "scaler = make_it()\nscaled = scaler.go()"
    with pytest.raises(DataError, match="no solution for the step 'windows'"):
        step_solution("Activity0.01", "windows", tmp_path)


def test_without_the_solved_notebook_solution_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    # The class handout ships the task notebooks only.
    monkeypatch.setattr(utils.solutions, "REPO_ROOT", tmp_path)
    Step("Activity9.01", "scaling").solution()
    assert capsys.readouterr().out == NOT_SHIPPED + "\n"
    assert "\n" not in NOT_SHIPPED and "instructor will share the solutions" in NOT_SHIPPED
    # The hint does not depend on the solved notebook.
    task_steps("Activity9.01", "scaling").scaling.hint()
    assert capsys.readouterr().out == f"Hint: {HINTS['scaling']}\n"


def test_every_step_has_a_hint_and_a_check_and_an_unknown_step_is_named():
    assert set(HINTS) == set(STEPS)
    with pytest.raises(ValueError, match="no step called 'scalling'"):
        Step("Activity9.01", "scalling")


@pytest.mark.parametrize("name", TASK_NOTEBOOKS)
def test_no_solution_is_written_in_the_utils_package(name):
    def code_of(paths):
        return "\n".join(path.read_text(encoding="utf-8") for path in paths)

    def without_comments(text):
        return [line.split("#")[0].strip() for line in text.splitlines() if line.split("#")[0].strip()]

    solved = nbformat.read(solution_path(name), as_version=4)
    blocks = [block for cell in solved.cells if cell.cell_type == "code"
              for block in solution_blocks(cell.source, name)[1]]
    assert blocks
    # Not one line of an answer in the lesson wing, where the checks and hints live...
    lesson = code_of((REPO_ROOT / "utils").glob("*.py"))
    lines = {line for block in blocks for line in without_comments(block)}
    assert not {line for line in lines if len(line) > 16 and line in lesson}
    # ...and no whole answer anywhere in utils/ (the command line's model builder writes its own network).
    tooling = [without_comments(path.read_text(encoding="utf-8")) for path in (REPO_ROOT / "utils").rglob("*.py")]
    for block in blocks:
        wanted = without_comments(block)
        assert not any(wanted == file[start:start + len(wanted)] for file in tooling for start in range(len(file)))
