"""The model each notebook builds in its own cell matches utils.tools.model.build_stacked_lstm, which the CLI uses.

The model cell is read from the committed .ipynb and executed with that notebook's parameters, so a change to
either side (a layer added in a notebook, a default changed in the helper) turns this red.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json

import pytest

from utils.backend import load_keras
from utils.files import REPO_ROOT
from utils.registry import NOTEBOOKS
from utils.tools.model import build_stacked_lstm
from utils.training import set_seed

keras = load_keras()


def notebook_cells(name: str) -> list[str]:
    notebook = json.loads((REPO_ROOT / name / f"{name}.ipynb").read_text(encoding="utf-8"))
    return ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]


def notebook_parameters(name: str) -> dict:
    parameters = notebook_cells(name)[0]
    return {node.targets[0].id: ast.literal_eval(node.value) for node in ast.parse(parameters).body}


def notebook_model(name: str) -> keras.Model:
    """Run the notebook's model cell (the one that builds a keras.Sequential) with its parameters; return ``model``."""
    cells = [source for source in notebook_cells(name) if "keras.Sequential(" in source]
    assert len(cells) == 1, f"{name}: expected one model cell, found {len(cells)}"
    namespace = {"keras": keras, "set_seed": set_seed, **notebook_parameters(name)}
    with contextlib.redirect_stdout(io.StringIO()):  # model.summary()
        exec(compile(cells[0], f"{name} model cell", "exec"), namespace)
    return namespace["model"]


def configuration(model: keras.Model) -> dict:
    """What defines the chapter's model, leaving out names and weights."""
    layers = []
    for layer in model.layers:
        entry = {"class": type(layer).__name__}
        if isinstance(layer, keras.layers.LSTM):
            entry.update(units=layer.units, return_sequences=layer.return_sequences,
                         dropout=layer.dropout, recurrent_dropout=layer.recurrent_dropout)
        elif isinstance(layer, keras.layers.Dropout):
            entry.update(rate=layer.rate)
        elif isinstance(layer, keras.layers.Dense):
            entry.update(units=layer.units, activation=layer.activation.__name__)
        layers.append(entry)
    return {
        "input_shape": tuple(model.inputs[0].shape),
        "layers": layers,
        "loss": model.loss,
        "optimizer": type(model.optimizer).__name__,
        "learning_rate": float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)),
        "parameters": model.count_params(),
    }


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_model_matches_the_helper(name):
    parameters = notebook_parameters(name)
    in_notebook = configuration(notebook_model(name))
    helper = configuration(build_stacked_lstm(parameters["WINDOW"], parameters["UNITS"], parameters["DROPOUT"]))
    assert in_notebook == helper
    # And both are the chapter's model for this notebook's settings.
    ticker, units, dropout = NOTEBOOKS[name]
    lstm = [layer for layer in in_notebook["layers"] if layer["class"] == "LSTM"]
    assert [layer["units"] for layer in lstm] == [units] * 4
    assert [layer["return_sequences"] for layer in lstm] == [True, True, True, False]
    assert [layer["rate"] for layer in in_notebook["layers"] if layer["class"] == "Dropout"] == ([dropout] * 4 if dropout else [])
    assert in_notebook["loss"] == "mean_squared_error" and in_notebook["optimizer"] == "Adam"
