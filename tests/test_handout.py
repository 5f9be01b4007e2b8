"""python -m utils handout: the learners' copy holds no activity solution, and its notebooks run from it."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import nbformat
import pytest

from utils.errors import DataError
from utils.registry import NOTEBOOKS, notebook_path
from utils.tools.cli import main
from utils.tools.handout import MARKER, write_handout
from utils.tools.tasks import BLANK, SOLUTION_ONLY, TASK_NOTEBOOKS, solution_blocks, task_path

EXERCISES = [name for name in NOTEBOOKS if name not in TASK_NOTEBOOKS]


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def notebook_text(path) -> str:
    """Every cell's source and every output's text of a notebook, as one string."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    parts = []
    for cell in notebook["cells"]:
        parts.append("".join(cell["source"]))
        for output in cell.get("outputs", []):
            parts.append("".join(output.get("text", "")))
            parts += ["".join(value) for value in output.get("data", {}).values() if isinstance(value, (str, list))]
    return "\n".join(parts)


def activity_solutions() -> dict[str, str]:
    """Each solution text of an activity the exercises do not show: blocks the task blanks, solution-only cells."""
    shown = normalised("\n".join(cell.source for name in EXERCISES
                                 for cell in nbformat.read(notebook_path(name), as_version=4).cells))
    found = {}
    for name in TASK_NOTEBOOKS:
        for number, cell in enumerate(nbformat.read(notebook_path(name), as_version=4).cells, start=1):
            if SOLUTION_ONLY in cell.metadata.get("tags", []):
                texts = [cell.source]
            elif cell.cell_type == "code":
                texts = solution_blocks(cell.source, f"{name}, cell {number}")[1]
            else:
                texts = []
            for text in texts:
                if normalised(text) and normalised(text) not in shown:
                    found[f"{name}, cell {number}"] = normalised(text)
    return found


def handout_texts(folder) -> dict[str, str]:
    texts = {}
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix != ".keras":
            text = notebook_text(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8", errors="ignore")
            texts[str(path.relative_to(folder))] = normalised(text)
    return texts


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    folder = tmp_path_factory.mktemp("learners") / "handout"
    write_handout(folder)
    return folder


def test_no_activity_solution_is_anywhere_in_the_handout(handout):
    solutions = activity_solutions()
    dropout_models = [where for where, text in solutions.items() if where.startswith("Activity9.02")
                      and "Dropout(" in text]
    assert dropout_models, "Activity 9.02's dropout model is one of the texts looked for"
    leaks = [f"{where} in {path}" for path, text in handout_texts(handout).items()
             for where, solution in solutions.items() if solution in text]
    assert leaks == []
    shipped = {path.relative_to(handout).as_posix() for path in handout.rglob("*.ipynb")}
    assert {f"{name}/{name}.ipynb" for name in EXERCISES} <= shipped
    assert {f"{name}/{name}_task.ipynb" for name in TASK_NOTEBOOKS} <= shipped
    assert not any(f"{name}/{name}.ipynb" in path for name in TASK_NOTEBOOKS for path in shipped)
    assert not (handout / "utils" / "tools" / "model.py").exists()
    readme = (handout / "README.md").read_text(encoding="utf-8")
    assert "sees its layers" in readme and "instructor" in readme


def test_solutions_are_added_on_request_and_a_folder_is_replaced_only_when_it_holds_a_handout(tmp_path, capsys):
    folder = tmp_path / "handout"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["handout", str(folder)]) == 2
    assert main(["handout", str(folder), "--force"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "not empty" in err[0] and f"holds no earlier handout ({MARKER})" in err[1]
    assert [path.name for path in folder.iterdir()] == ["notes.txt"]

    empty = tmp_path / "empty"
    write_handout(empty)
    with pytest.raises(DataError, match="not empty; give --force"):
        write_handout(empty, solutions=True)
    write_handout(empty, solutions=True, force=True)
    for name in TASK_NOTEBOOKS:
        assert (empty / name / f"{name}.ipynb").read_bytes() == notebook_path(name).read_bytes()
        assert (empty / ".pristine" / name / f"{name}_task.ipynb").read_bytes() == task_path(name).read_bytes()
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")], "no temporary folder is left"


def run_from_handout(handout, notebook, tmp_path, parameters, monkeypatch) -> str:
    """Execute ``notebook`` with the handout's utils first on the path, in a temporary folder; return its text."""
    import papermill

    monkeypatch.setenv("PYTHONPATH", str(handout))
    monkeypatch.setenv("WORKSHOP_EPOCHS", "1")
    notebook.cells.append(nbformat.v4.new_code_cell("import utils\nprint('utils from', utils.__file__)"))
    source, executed = tmp_path / "in.ipynb", tmp_path / "out.ipynb"
    nbformat.write(notebook, source)
    papermill.execute_notebook(str(source), str(executed), parameters=parameters, cwd=str(tmp_path),
                               kernel_name="python3", progress_bar=False)
    return notebook_text(executed)


def test_an_exercise_runs_from_the_handout_without_training(handout, tmp_path, monkeypatch):
    notebook = nbformat.read(handout / "Exercise9.01" / "Exercise9.01.ipynb", as_version=4)
    text = run_from_handout(handout, notebook, tmp_path, {"TRAIN": False}, monkeypatch)
    assert f"utils from {handout}/utils/__init__.py" in text


def test_a_task_runs_from_the_handout_up_to_its_first_blank(handout, tmp_path, monkeypatch):
    notebook = nbformat.read(handout / "Activity9.01" / "Activity9.01_task.ipynb", as_version=4)
    first_blank = next(number for number, cell in enumerate(notebook.cells) if BLANK in cell.source)
    notebook.cells = notebook.cells[:first_blank]
    text = run_from_handout(handout, notebook, tmp_path, {}, monkeypatch)
    assert f"utils from {handout}/utils/__init__.py" in text


def test_the_handouts_command_line_offers_reset(handout):
    done = subprocess.run([sys.executable, "-m", "utils", "reset", "Exercise9.01"], cwd=handout,
                          env={"PYTHONPATH": str(handout), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
    assert (done.returncode, done.stdout.splitlines()[0]) == (0, "nothing to restore: these notebooks and their "
                                                                 "results are as committed")

def test_the_handout_builds_as_a_package_without_the_tooling(handout, tmp_path):
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp_path), str(handout)], check=True, capture_output=True)
    names = zipfile.ZipFile(next(tmp_path.glob("*.whl"))).namelist()
    assert {"utils/training.py", "utils/tools/reset.py", "utils/tools/fast_lstm.py"} <= set(names)
    assert "utils/tools/model.py" not in names and "utils/tools/cli.py" not in names
