"""Task notebooks: generated from the solutions' markers, kept up to date, and completed by the solution's code."""

from __future__ import annotations

import functools
import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

import utils.tools.tasks
from utils.errors import DataError
from utils.files import REPO_ROOT
from utils.solutions import STEP_TAG
from utils.tools.cli import main
from utils.tools.tasks import (
    BLANK,
    TASK_NOTEBOOKS,
    fill,
    run_tasks_command,
    solution_blocks,
    stale_tasks,
    task_notebook,
    task_path,
    write_tasks,
)

NAME = "Activity0.01"
SCALING_CELL = """# Fit a MinMaxScaler on training_data and scale it into train_scaled.
### BEGIN SOLUTION
scaler = fit_scaler(training_data)
train_scaled = scale(scaler, training_data)
### END SOLUTION
train_scaled[:3]"""
INDENTED_CELL = """for ticker in TICKERS:
    # load this ticker
    ### BEGIN SOLUTION
    prices = load(ticker)
    ### END SOLUTION
    print(ticker)"""


def solution_notebook():
    executed = new_code_cell(SCALING_CELL, execution_count=4,
                             outputs=[new_output("execute_result", {"text/plain": "array([0.1, 0.2, 0.3])"},
                                                 execution_count=4)])
    executed.metadata["papermill"] = {"duration": 0.5}
    executed.metadata["tags"] = ["nbval-ignore-output"]
    cells = [
        new_markdown_cell("# Activity 0.01", metadata={"tags": ["solution-only"]}),
        new_markdown_cell("# Activity 0.01: your turn\n\n1. Scale the prices.", metadata={"tags": ["task-only"]}),
        new_code_cell("TICKERS = ['GOOG']", execution_count=1, metadata={"tags": ["parameters"]}),
        executed,
        new_code_cell("check_scaling()", execution_count=5, outputs=[new_output("stream", text="Correct: ...\n")]),
        new_code_cell(INDENTED_CELL),
        new_code_cell("# the solution's own plot\nplot(prices)", metadata={"tags": ["solution-only"]}),
    ]
    notebook = new_notebook(cells=cells, metadata={"papermill": {"duration": 12.0},
                                                   "kernelspec": {"name": "python3", "display_name": "Python 3"}})
    return notebook


def write_solution(root, notebook, name=NAME):
    path = root / name / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def test_task_keeps_prompts_blanks_solutions_and_drops_solution_only_cells(tmp_path):
    solution = write_solution(tmp_path, solution_notebook())
    before = solution.read_bytes()
    [written] = write_tasks([NAME], root=tmp_path)
    assert written == task_path(NAME, tmp_path)
    assert solution.read_bytes() == before, "generating a task never changes the solution"

    task = nbformat.read(written, as_version=4)
    assert [cell.source for cell in task.cells] == [
        "# Activity 0.01: your turn\n\n1. Scale the prices.",
        "TICKERS = ['GOOG']",
        "# Fit a MinMaxScaler on training_data and scale it into train_scaled.\n# your code here\ntrain_scaled[:3]",
        "check_scaling()",
        "for ticker in TICKERS:\n    # load this ticker\n    # your code here\n    print(ticker)",
    ]
    assert [cell.metadata.get("tags") for cell in task.cells] == [None, ["parameters"], ["nbval-ignore-output"], None,
                                                                 None]
    code = [cell for cell in task.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert "papermill" not in task.metadata and not any("papermill" in cell.metadata for cell in task.cells)
    assert task.metadata.kernelspec.name == "python3"


def test_generation_is_deterministic_and_depends_only_on_the_solutions_source(tmp_path):
    notebook = solution_notebook()
    write_solution(tmp_path, notebook)
    first = write_tasks([NAME], root=tmp_path)[0].read_bytes()
    assert write_tasks([NAME], root=tmp_path)[0].read_bytes() == first
    # Re-executing the solution (new outputs, counts, timings) leaves the task as it was.
    notebook.cells[3].outputs[0]["data"]["text/plain"] = "array([0.4])"
    notebook.cells[3].execution_count = 40
    notebook.cells[3].metadata["papermill"] = {"duration": 9.9}
    for cell in notebook.cells:  # papermill gives every cell it runs a tag list, empty where it had none
        cell.metadata.setdefault("tags", [])
    notebook.metadata["papermill"] = {"duration": 99.0}
    write_solution(tmp_path, notebook)
    assert write_tasks([NAME], root=tmp_path)[0].read_bytes() == first
    assert first.endswith(b"}\n")


def test_check_reports_a_missing_or_stale_task_in_one_line_each(tmp_path, capsys):
    notebook = solution_notebook()
    write_solution(tmp_path, notebook)
    write_solution(tmp_path, notebook, name="Activity0.02")
    names = [NAME, "Activity0.02"]
    assert run_tasks_command(check=True, names=names, root=tmp_path) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{tmp_path}/{NAME}/{NAME}_task.ipynb: missing; run 'python -m utils tasks' to generate it",
        f"{tmp_path}/Activity0.02/Activity0.02_task.ipynb: missing; run 'python -m utils tasks' to generate it"]

    assert run_tasks_command(check=False, names=names, root=tmp_path) == 0
    capsys.readouterr()
    assert run_tasks_command(check=True, names=names, root=tmp_path) == 0
    assert capsys.readouterr().out == ""

    notebook.cells[3].source = notebook.cells[3].source.replace("train_scaled[:3]", "train_scaled[:5]")
    write_solution(tmp_path, notebook)
    assert stale_tasks(names, root=tmp_path) == [
        f"{tmp_path}/{NAME}/{NAME}_task.ipynb: out of date with {tmp_path}/{NAME}/{NAME}.ipynb; "
        "run 'python -m utils tasks' to regenerate it"]
    # A hand edit of the task is stale too.
    write_tasks(names, root=tmp_path)
    edited = task_path("Activity0.02", tmp_path)
    edited.write_text(edited.read_text(encoding="utf-8").replace(BLANK, "scaler = 1"), encoding="utf-8")
    assert [line.split(":")[0] for line in stale_tasks(names, root=tmp_path)] == [str(edited)]


@pytest.mark.parametrize(("source", "problem"), [
    ("### BEGIN SOLUTION\nx = 1\n", "cell 2: ### BEGIN SOLUTION without an ### END SOLUTION after it"),
    ("x = 1\n### END SOLUTION\n", "cell 2, line 2: ### END SOLUTION without a ### BEGIN SOLUTION before it"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "cell 2, line 2: ### BEGIN SOLUTION inside another"),
    ("x = 1", "no ### BEGIN SOLUTION ... ### END SOLUTION blocks, so the task would have nothing to complete"),
])
def test_unbalanced_or_missing_markers_are_one_line_naming_the_cell(tmp_path, capsys, monkeypatch, source, problem):
    write_solution(tmp_path, new_notebook(cells=[new_markdown_cell("# A"), new_code_cell(source)]))
    with pytest.raises(DataError, match="Activity0.01.ipynb.*" + problem.replace("...", r"\.\.\.")):
        write_tasks([NAME], root=tmp_path)
    assert not task_path(NAME, tmp_path).exists(), "nothing is written for a bad solution"
    # On the command line: exit status 2 and that one line.
    monkeypatch.setattr(utils.tools.tasks, "run_tasks_command",
                        functools.partial(run_tasks_command, names=[NAME], root=tmp_path))
    assert main(["tasks"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and problem.split(":")[-1].strip() in err


def test_fill_puts_each_solution_block_back_in_its_blank():
    solution = solution_notebook()
    task = task_notebook(solution, NAME)
    filled = fill(task, solution)
    by_id = {cell.id: cell.source for cell in filled.cells}
    for cell in solution.cells:
        if cell.id in by_id and cell.cell_type == "code":
            without_markers = "".join(line for line in cell.source.splitlines(keepends=True)
                                      if "### " not in line)
            assert by_id[cell.id] == without_markers
    assert BLANK not in "".join(by_id.values())
    assert solution_blocks(SCALING_CELL, "x")[1] == ["scaler = fit_scaler(training_data)\n"
                                                     "train_scaled = scale(scaler, training_data)\n"]


# ---- the workshop's own task notebooks -----------------------------------------------------------------------------


def test_committed_task_notebooks_are_up_to_date(capsys):
    assert main(["tasks", "--check"]) == 0, capsys.readouterr().out


def check_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code" and ".check()" in cell.source]


def step_names(notebook) -> set[str]:
    return {tag[len(STEP_TAG):] for cell in notebook.cells for tag in cell.metadata.get("tags", [])
            if tag.startswith(STEP_TAG) and BLANK in cell.source}


# The steps each task leaves to the learner: the chapter's steps, then dropout, then width and the seed spread.
TASK_STEPS = {"Activity9.01": {"scaling", "windows", "model", "january", "predictions"},
              "Activity9.02": {"model", "comparison"},
              "Activity9.03": {"width", "seed_judgement"}}


@pytest.mark.parametrize("name", TASK_NOTEBOOKS)
def test_each_task_has_its_own_blanks_a_prediction_a_conclusion_and_a_check_after_each_blank(name):
    task = nbformat.read(task_path(name), as_version=4)
    code = [cell for cell in task.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert step_names(task) == TASK_STEPS[name]
    others = set().union(*(steps for other, steps in TASK_STEPS.items() if other != name))
    assert TASK_STEPS[name] - others, f"{name} has no blank that the other two tasks lack"
    # After each blank, before the next one, a check of that step.
    for cell in code:
        steps = [tag[len(STEP_TAG):] for tag in cell.metadata.get("tags", []) if tag.startswith(STEP_TAG)]
        if steps:
            following = code[code.index(cell) + 1].source
            assert f"step.{steps[0]}.check()" in following and f"step.{steps[0]}.solution()" in following, name
    markdown = [cell.source for cell in task.cells if cell.cell_type == "markdown"]
    prediction = [text for text in markdown if text.startswith("**Predict before you run.**")]
    conclusion = [text for text in markdown if text.startswith("**Your conclusion.**")]
    assert prediction and conclusion, name
    # The prediction comes before what it predicts is shown; the conclusion closes the task.
    assert markdown.index(conclusion[-1]) > markdown.index(prediction[0])
    solution = nbformat.read(utils.tools.tasks.solution_path(name), as_version=4)
    worked = [cell.source for cell in solution.cells if "solution-only" in cell.metadata.get("tags", [])]
    assert any(text.startswith("## What we learned") for text in worked), "the worked conclusion is the solution's"
    assert not set(worked) & set(markdown)


def dry_run(cell):
    """The cell without training or saving: no check reads trained weights, and a test writes no results."""
    if "model.fit(" in cell.source:
        return new_code_cell("run = TrainingRun(history={'loss': [0.0]}, seconds=0.0, epochs=EPOCHS, loaded=True)")
    if "save_result(" in cell.source:
        cell = new_code_cell("".join(line for line in cell.source.splitlines(keepends=True) if "save_result(" not in line))
    return cell


def cells_up_to(notebook, check, name, label, root=REPO_ROOT):
    """The notebook's cells up to the ``check`` cell, without training or saving, after a cell that starts it afresh.

    Compiling even one epoch's training costs more than everything else. ``%reset`` empties the namespace, so one
    notebook's variables never answer another's checks; the modules stay imported, which saves the kernel's start-up
    once per notebook.
    """
    end = notebook.cells.index(check)
    fresh = new_code_cell(f"%reset -f\nimport os\nos.chdir({str(root / name)!r})", metadata={"label": label})
    return [fresh] + [dry_run(cell) for cell in notebook.cells[:end + 1]]


def printed_text(cell) -> str:
    return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")


def test_filling_each_blank_with_the_solution_makes_every_check_pass(monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("WORKSHOP_EPOCHS", "1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
    run = new_notebook(cells=[])
    for name in TASK_NOTEBOOKS:
        task = nbformat.read(task_path(name), as_version=4)
        completed = fill(task, nbformat.read(utils.tools.tasks.solution_path(name), as_version=4))
        run.cells += cells_up_to(completed, check_cells(completed)[-1], name, name)
    # And one task as the learner gets it: its first check asks for the cell to complete, without a traceback.
    task = nbformat.read(task_path(TASK_NOTEBOOKS[0]), as_version=4)
    first_check = check_cells(task)[0]
    run.cells += [cell for cell in cells_up_to(task, first_check, TASK_NOTEBOOKS[0], "not filled in")
                  if BLANK not in cell.source]
    # Its hint and its solution, read from the solved notebook.
    run.cells += [new_code_cell("step.scaling.hint()"), new_code_cell("step.scaling.solution()")]
    NotebookClient(run, timeout=600, kernel_name="python3").execute()

    results, label = {}, None
    for cell in run.cells:
        label = cell.metadata.get("label", label)
        if cell in check_cells(run):
            results.setdefault(label, []).append(printed_text(cell).strip())
    assert list(results) == [*TASK_NOTEBOOKS, "not filled in"]
    for name in TASK_NOTEBOOKS:
        assert len(results[name]) == len(TASK_STEPS[name]), results[name]
        assert all(line.startswith("Correct:") for line in results[name]), results[name]
    [first] = results["not filled in"]
    assert first.startswith("Not yet: ") and first.endswith("then run this check again."), first
    hint, solution = (printed_text(cell).strip() for cell in run.cells[-2:])
    assert hint.startswith("Hint: MinMaxScaler")
    assert solution == solution_blocks(next(cell.source for cell in nbformat.read(
        utils.tools.tasks.solution_path(TASK_NOTEBOOKS[0]), as_version=4).cells if "step-scaling" in
        cell.metadata.get("tags", [])), "scaling")[1][0].rstrip("\n")


def test_a_task_a_learner_changed_is_kept_unless_forced(tmp_path, capsys):
    write_solution(tmp_path, solution_notebook())
    task = write_tasks([NAME], root=tmp_path)[0]
    generated = task.read_text(encoding="utf-8")
    # Running the notebook (outputs, counts) is not a change of the learner's; regenerating is allowed then.
    ran = nbformat.reads(generated, as_version=4)
    ran.cells[1].execution_count = 3
    ran.cells[1].outputs = [new_output("stream", text="ran\n")]
    nbformat.write(ran, task)
    assert run_tasks_command(check=False, names=[NAME], root=tmp_path) == 0
    assert task.read_text(encoding="utf-8") == generated

    filled = generated.replace(BLANK, "scaler = my_answer")
    task.write_text(filled, encoding="utf-8")
    with pytest.raises(DataError, match=r"_task.ipynb: changed since it was generated .*--force"):
        write_tasks([NAME], root=tmp_path)
    assert task.read_text(encoding="utf-8") == filled
    assert write_tasks([NAME], root=tmp_path, force=True)[0].read_text(encoding="utf-8") == generated


def test_the_command_line_refuses_in_one_line_then_forces(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(utils.tools.tasks, "run_tasks_command",
                        functools.partial(run_tasks_command, names=[NAME], root=tmp_path))
    write_solution(tmp_path, solution_notebook())
    task = write_tasks([NAME], root=tmp_path)[0]
    task.write_text("not a notebook any more", encoding="utf-8")
    capsys.readouterr()
    assert main(["tasks"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "changed since it was generated" in err
    assert task.read_text(encoding="utf-8") == "not a notebook any more"
    assert main(["tasks", "--force"]) == 0
    assert BLANK in task.read_text(encoding="utf-8")
