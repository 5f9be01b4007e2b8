"""Exercise 9.01 writes the chapter's steps out; the helpers later notebooks call (utils/features.py, predict_prices)
must give the very same arrays, bit for bit, so that every notebook's model sees the same input."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest

from utils.features import fit_scaler, january_inputs, make_windows, scale
from utils.registry import notebook_path
from utils.training import predict_prices

# Exercise 9.01's cells, by id, from the parameters to the January windows.
STEP_CELLS = ("23beeaa3", "22b8244f", "6a8cbc70", "620c3201", "2db69767", "9db55d25", "c4e1a7b3", "c4e1a7b5", "7166073c")
PREDICT_CELL = "570c41b6"


class Float32Model:
    """Answers like a Keras model: float32, shape (windows, 1); here the last day of each window, nudged."""

    def predict(self, X, verbose=0):
        return (np.asarray(X)[:, -1, :] * 1.013 + 0.002).astype(np.float32)


@pytest.fixture(scope="module")
def exercise(shipped_data):
    cells = {cell.get("id"): cell.source for cell in nbformat.read(notebook_path("Exercise9.01"), as_version=4).cells}
    namespace = {}
    for cell_id in STEP_CELLS:
        exec(cells[cell_id], namespace)
    # The prediction lines of the predict cell (the rest plots), with a model that answers in float32 as Keras does.
    namespace["model"] = Float32Model()
    exec("".join(line for line in cells[PREDICT_CELL].splitlines(keepends=True) if line.startswith("predicted")),
         namespace)
    return namespace


def test_exercise_9_01_imports_nothing_from_the_helpers_it_teaches():
    sources = [cell.source for cell in nbformat.read(notebook_path("Exercise9.01"), as_version=4).cells]
    assert not any("utils.features" in source or "predict_prices" in source for source in sources)


def test_the_written_out_steps_and_the_helpers_give_identical_arrays(exercise):
    prices, window = exercise["prices"], exercise["WINDOW"]
    training_data = exercise["training_data"]
    scaler = fit_scaler(training_data)
    train_scaled = scale(scaler, training_data)
    assert np.array_equal(exercise["scaler"].data_min_, scaler.data_min_)
    assert np.array_equal(exercise["scaler"].scale_, scaler.scale_)
    assert np.array_equal(exercise["train_scaled"], train_scaled)

    X_train, y_train = make_windows(train_scaled, window)
    assert exercise["X_train"].shape == X_train.shape == (1198, 60, 1)
    assert np.array_equal(exercise["X_train"], X_train) and np.array_equal(exercise["y_train"], y_train)

    inputs = january_inputs(train_scaled, scale(scaler, prices.test_open), window)
    assert exercise["inputs"].shape == (81,) and np.array_equal(exercise["inputs"], inputs)
    X_test, _ = make_windows(inputs, window)
    assert exercise["X_test"].shape == (21, 60, 1) and np.array_equal(exercise["X_test"], X_test)

    # Unscaling: the same dollars as predict_prices, to the last bit (a float32 inverse_transform would differ).
    assert np.array_equal(exercise["predicted"], predict_prices(Float32Model(), X_test, scaler))
