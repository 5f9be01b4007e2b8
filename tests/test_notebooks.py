"""The committed notebooks: parameters cells, full-run outputs, and nbval markers where output varies."""

from __future__ import annotations

import ast
import json

import pytest

from utils.files import REPO_ROOT
from utils.registry import NOTEBOOKS

PARAMETERS = {"TICKER", "UNITS", "DROPOUT", "EPOCHS", "WINDOW", "SEED", "TRAIN"}


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
    assert (values["EPOCHS"], values["WINDOW"], values["SEED"], values["TRAIN"]) == (100, 60, 1, True)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_with_a_full_run(name):
    cells = code_cells(load(name))
    assert all(cell["execution_count"] is not None for cell in cells), "every code cell was executed"
    outputs = [output for cell in cells for output in cell["outputs"]]
    assert not [output for output in outputs if output["output_type"] == "error"]
    assert any("image/png" in output.get("data", {}) for output in outputs)
    training = next(cell for cell in cells if "model.fit(" in "".join(cell["source"]))
    text = "".join("".join(output.get("text", "")) for output in training["outputs"])
    assert "100 epochs in" in text, "the committed outputs come from a 100-epoch run"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_cells_that_depend_on_training_are_marked_for_nbval(name):
    for cell in code_cells(load(name)):
        source = "".join(cell["source"])
        if "import " in source or "parameters" in cell["metadata"].get("tags", []):
            continue  # the parameters and setup cells only name things
        if any(word in source for word in ("model.fit(", "load_trained_model", "predict", "free_running", "run_lstm_layer",
                                           "save_result", "load_result")):
            assert "nbval-ignore-output" in cell["metadata"].get("tags", []), source[:60]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_notebook_builds_compiles_and_fits_the_model_itself(name):
    sources = ["".join(cell["source"]) for cell in code_cells(load(name))]
    model = next(source for source in sources if "keras.Sequential(" in source)
    assert model.count("keras.layers.LSTM(UNITS") == 4
    assert model.count("keras.layers.Dropout(DROPOUT)") == (4 if NOTEBOOKS[name][2] else 0)
    assert 'model.compile(optimizer="adam", loss="mean_squared_error")' in model
    assert model.index("set_seed(SEED)") < model.index("keras.Sequential(")
    training = next(source for source in sources if "model.fit(" in source)
    assert "model.fit(X_train, y_train, epochs=EPOCHS, batch_size=32" in training
    assert "if TRAIN:" in training and "load_trained_model(NOTEBOOK" in training
    assert not any("show_source" in source for source in sources)
    assert any("save_result(NOTEBOOK, EPOCHS, record, model=model)" in source for source in sources)


@pytest.mark.parametrize("name", [name for name in NOTEBOOKS if name.startswith("Activity")])
def test_activity_solutions_mark_the_lesson_and_check_each_step(name):
    cells = code_cells(load(name))
    steps = [(cell, tag[len("step-"):]) for cell in cells for tag in cell.get("metadata", {}).get("tags", [])
             if tag.startswith("step-")]
    assert steps
    for cell, step in steps:
        solution = "".join(cell["source"])
        assert solution.count("### BEGIN SOLUTION") == 1 and "### END SOLUTION" in solution
        assert solution.lstrip().split("### BEGIN SOLUTION")[0].count("\n# ") + solution.startswith("# ") >= 1, \
            "a comment above the solution tells the learner what to write"
        following = "".join(cells[cells.index(cell) + 1]["source"])
        assert following.startswith(f"step.{step}.check()"), f"the check of {step} follows its cell"
