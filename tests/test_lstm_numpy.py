"""The plain-NumPy LSTM cell against Keras's LSTM layer on the path that trains the workshop's models."""

from __future__ import annotations

import numpy as np
import pytest

from utils.backend import load_keras
from utils.errors import DataError
from utils.lstm_numpy import run_lstm_layer

keras = load_keras()

BATCH, STEPS = 32, 60


def lstm_with_random_weights(units: int, features: int, return_sequences: bool, seed: int):
    """An LSTM layer with random weights and bias (Keras's initial bias is mostly zero, which would hide gate mix-ups).

    Each weight matrix is scaled by one over the square root of its inputs, as Keras's initialisers and training
    keep them; much larger recurrent weights make the layer chaotic, and float32 rounding then grows step by step.
    """
    layer = keras.layers.LSTM(units, return_sequences=return_sequences)
    layer.build((None, STEPS, features))
    rng = np.random.default_rng(seed)
    kernel, recurrent_kernel, bias = (rng.normal(size=w.shape) for w in layer.get_weights())
    layer.set_weights([(kernel / np.sqrt(features)).astype("float32"), (recurrent_kernel / np.sqrt(units)).astype("float32"),
                       (0.5 * bias).astype("float32")])
    return layer


def on_fast_cpu_path() -> bool:
    from utils.backend import use_fast_cpu_lstm

    return use_fast_cpu_lstm()  # the JAX backend on a CPU, where the fast path passed its self-test


@pytest.fixture
def fast_path_calls():
    """How many layer calls the workshop's fast CPU loop has taken since the test began (its hook counts them)."""
    from keras.src import backend as keras_backend

    hook = keras_backend.lstm
    before = getattr(hook, "fast_calls", 0)
    return lambda: getattr(hook, "fast_calls", 0) - before


@pytest.mark.parametrize("return_sequences", [True, False], ids=["sequences", "last"])
@pytest.mark.parametrize(("units", "features"), [(50, 1), (100, 1), (50, 50), (100, 100)],
                         ids=["50u-first", "100u-first", "50u-stacked", "100u-stacked"])
def test_numpy_cell_matches_the_keras_layer_on_the_training_path(units, features, return_sequences, fast_path_calls):
    layer = lstm_with_random_weights(units, features, return_sequences, seed=units + features)
    rng = np.random.default_rng(features)
    # Scaled prices lie in 0..1; a stacked layer reads the previous layer's outputs, in -1..1.
    x = rng.uniform(0 if features == 1 else -1, 1, size=(BATCH, STEPS, features)).astype("float32")

    keras_output = keras.ops.convert_to_numpy(layer(x, training=True))
    trace = run_lstm_layer(layer, x)

    expected = trace.hidden if return_sequences else trace.hidden[:, -1]
    assert keras_output.shape == expected.shape
    np.testing.assert_allclose(keras_output, expected, rtol=0, atol=1e-6)  # float32 rounding: about 2e-7 here
    if on_fast_cpu_path():
        assert fast_path_calls() == 1, "the layer did not run on the workshop's fast CPU loop"


def test_trace_holds_each_gate_and_state_with_the_cells_own_algebra():
    layer = lstm_with_random_weights(4, 1, True, seed=3)
    x = np.random.default_rng(3).uniform(size=(2, STEPS, 1))
    trace = run_lstm_layer(layer, x)
    for name in ("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden"):
        assert getattr(trace, name).shape == (2, STEPS, 4), name
    for gate in (trace.input_gate, trace.forget_gate, trace.output_gate):
        assert gate.min() > 0 and gate.max() < 1
    previous_cell = np.concatenate([np.zeros((2, 1, 4)), trace.cell[:, :-1]], axis=1)
    np.testing.assert_allclose(trace.cell, trace.forget_gate * previous_cell + trace.input_gate * trace.candidate)
    np.testing.assert_allclose(trace.hidden, trace.output_gate * np.tanh(trace.cell))
    # One window without its batch axis is a batch of one.
    np.testing.assert_allclose(run_lstm_layer(layer, x[0]).hidden, trace.hidden[:1])


def test_wrong_input_and_wrong_layer_are_named():
    layer = lstm_with_random_weights(4, 1, True, seed=0)
    with pytest.raises(DataError, match=r"x has shape \(2, 60, 3\); layer .* expects \(batch, time steps, 1\)"):
        run_lstm_layer(layer, np.zeros((2, STEPS, 3)))
    dense = keras.layers.Dense(1)
    dense.build((None, 1))
    with pytest.raises(DataError, match="is not a built keras.layers.LSTM layer"):
        run_lstm_layer(dense, np.zeros((1, STEPS, 1)))
    relu = keras.layers.LSTM(4, activation="relu")
    relu.build((None, STEPS, 1))
    with pytest.raises(DataError, match="only the standard LSTM"):
        run_lstm_layer(relu, np.zeros((1, STEPS, 1)))


def test_gate_figure_draws_three_gates_and_the_cell_state_for_each_chosen_unit():
    import matplotlib.pyplot as plt
    import pandas as pd

    from utils.plots import plot_lstm_gates

    layer = lstm_with_random_weights(8, 1, True, seed=1)
    trace = run_lstm_layer(layer, np.random.default_rng(1).uniform(size=(3, STEPS, 1)))
    dates = pd.bdate_range("2018-10-05", periods=STEPS)
    figure = plot_lstm_gates(trace, units=(0, 5), dates=dates, title="GOOG")
    try:
        axes = figure.axes
        assert [ax.get_title() for ax in axes] == [
            "Forget gate: share of the memory kept", "Input gate: share of the new content written",
            "Output gate: share of the memory shown", "Cell state: the layer's memory"]
        fields = ("forget_gate", "input_gate", "output_gate", "cell")
        for ax, field in zip(axes, fields):
            lines = ax.get_lines()
            assert [line.get_label() for line in lines] == ["unit 0", "unit 5"]
            # The first window of the trace, unit by unit, against the dates.
            np.testing.assert_allclose(lines[1].get_ydata(), getattr(trace, field)[0, :, 5])
            assert len(lines[0].get_xdata()) == STEPS
            assert ax.get_ylabel()
        assert [ax.get_xlabel() for ax in axes[2:]] == ["Date", "Date"]
        assert figure._suptitle.get_text() == "GOOG"
        with pytest.raises(DataError, match=r"units=\[8\]: the layer has units 0 to 7"):
            plot_lstm_gates(trace, units=(8,))
        without_dates = plot_lstm_gates(trace)
        assert without_dates.axes[3].get_xlabel() == "Day in the window"
        assert list(without_dates.axes[0].get_lines()[0].get_xdata()) == list(range(1, STEPS + 1))
        plt.close(without_dates)
    finally:
        plt.close(figure)
