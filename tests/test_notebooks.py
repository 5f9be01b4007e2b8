"""The committed notebooks: parameters cells, full-run outputs, and nbval markers where output varies."""

from __future__ import annotations

import ast
import json

import pytest

from utils.data import REPO_ROOT
from utils.report import NOTEBOOKS

PARAMETERS = {"TICKER", "UNITS", "DROPOUT", "EPOCHS", "WINDOW", "SEED"}


def load(name):
    return json.loads((REPO_ROOT / name / f"{name}.ipynb").read_text(encoding="utf-8"))


def code_cells(notebook):
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_first_code_cell_is_a_papermill_parameters_cell(name):
    ticker, units, dropout = NOTEBOOKS[name]
    first = code_cells(load(name))[0]
    assert "parameters" in first["metadata"].get("tags", [])
    values = {}
    for node in ast.parse("".join(first["source"])).body:
        assert isinstance(node, ast.Assign), "the parameters cell holds plain assignments only"
        values[node.targets[0].id] = ast.literal_eval(node.value)
    assert set(values) == PARAMETERS
    assert (values["TICKER"], values["UNITS"], values["DROPOUT"]) == (ticker, units, dropout)
    assert (values["EPOCHS"], values["WINDOW"], values["SEED"]) == (100, 60, 1)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_with_a_full_run(name):
    cells = code_cells(load(name))
    assert all(cell["execution_count"] is not None for cell in cells), "every code cell was executed"
    outputs = [output for cell in cells for output in cell["outputs"]]
    assert not [output for output in outputs if output["output_type"] == "error"]
    assert any("image/png" in output.get("data", {}) for output in outputs)
    training = next(cell for cell in cells if "train(model" in "".join(cell["source"]))
    text = "".join("".join(output.get("text", "")) for output in training["outputs"])
    assert "100 epochs in" in text, "the committed outputs come from a 100-epoch run"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_cells_that_depend_on_training_are_marked_for_nbval(name):
    for cell in code_cells(load(name)):
        source = "".join(cell["source"])
        if "import " in source or "parameters" in cell["metadata"].get("tags", []):
            continue  # the parameters and setup cells only name things
        if any(word in source for word in ("train(", "predict", "free_running", "save_result", "load_result")):
            assert "nbval-ignore-output" in cell["metadata"].get("tags", []), source[:60]
