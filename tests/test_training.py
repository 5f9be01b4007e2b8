"""The model and training: structure, and identical predictions from identical seeds."""

from __future__ import annotations

import time

import keras
import numpy as np
import pytest

from utils.errors import DataError
from utils.features import fit_scaler, make_windows, scale
from utils.tools.model import build_stacked_lstm
from utils.training import TrainingRun, predict_prices, set_seed, train


def test_model_has_four_stacked_lstms_and_optional_dropout():
    plain = build_stacked_lstm(window=60, units=50)
    kinds = [type(layer).__name__ for layer in plain.layers]
    assert kinds == ["LSTM", "LSTM", "LSTM", "LSTM", "Dense"]
    assert [layer.return_sequences for layer in plain.layers[:4]] == [True, True, True, False]
    assert plain.output_shape == (None, 1)
    assert plain.count_params() == 71_051  # 4 * 4 * (in + 50 + 1) * 50 + 51, in = 1 then 50
    dropped = build_stacked_lstm(window=60, units=100, dropout=0.2)
    assert [type(layer).__name__ for layer in dropped.layers] == ["LSTM", "Dropout"] * 4 + ["Dense"]
    assert {layer.rate for layer in dropped.layers if isinstance(layer, keras.layers.Dropout)} == {0.2}


def small_run(seed: int) -> np.ndarray:
    series = 100 + np.sin(np.linspace(0, 12, 120)) * 10
    scaler = fit_scaler(series[:100])
    X, y = make_windows(scale(scaler, series[:100]), 8)
    set_seed(seed)
    model = build_stacked_lstm(window=8, units=4, dropout=0.2)
    run = train(model, X, y, epochs=2, progress=False)
    assert run.epochs == 2 and run.seconds > 0 and len(run.history["loss"]) == 2
    X_test, _ = make_windows(scale(scaler, series[92:]), 8)
    return predict_prices(model, X_test, scaler)


def test_same_seed_gives_identical_predictions():
    first, second, other = small_run(1), small_run(1), small_run(2)
    assert first.shape == (20,)
    assert np.array_equal(first, second)
    assert not np.array_equal(first, other)


def test_training_progress_shows_one_bar_and_times_the_fit():
    import io

    from utils.training import TrainingProgress

    series = np.linspace(0, 1, 40)
    X, y = make_windows(series, 8)
    set_seed(1)
    model = build_stacked_lstm(window=8, units=2)
    stream = io.StringIO()
    progress = TrainingProgress(3, stream=stream)
    start = time.perf_counter()
    history = model.fit(X, y, epochs=3, batch_size=32, verbose=0, callbacks=[progress])
    wall = time.perf_counter() - start
    assert len(history.history["loss"]) == 3
    assert 0 < progress.seconds <= wall  # the time fit took, not the clock's reading
    assert "3/3" in stream.getvalue() and "loss=" in stream.getvalue()


def test_the_final_loss_is_the_last_epochs():
    run = TrainingRun(history={"loss": [0.9, 0.5, 0.2]}, seconds=1.0, epochs=3)
    assert run.final_loss == 0.2


@pytest.mark.parametrize("seed", [2**32, -1, 1.5, True])
def test_seeds_numpy_cannot_take_are_a_clear_error(seed):
    with pytest.raises(DataError, match=r"the seed must be a whole number, from 0 to 4294967295"):
        set_seed(seed)


def test_other_threads_drawing_random_numbers_do_not_change_a_seeded_model():
    # A Dask worker's own threads draw from Python's global generator while a task builds its model.
    import random
    import threading

    def seeded_weights():
        set_seed(1)
        return build_stacked_lstm(window=10, units=4, dropout=0.2).get_weights()

    quiet = seeded_weights()
    stop = threading.Event()

    def draw():
        while not stop.is_set():
            random.random()

    drawer = threading.Thread(target=draw)
    drawer.start()
    try:
        busy = seeded_weights()
    finally:
        stop.set()
        drawer.join()
    for expected, got in zip(quiet, busy):
        np.testing.assert_array_equal(got, expected)


SEEDED_WEIGHTS_WITHOUT_TENSORFLOW = """
import sys
import numpy as np
import keras
from utils.backend import load_keras
from utils import training
from utils.training import set_seed
from utils.tools.model import build_stacked_lstm
load_keras()
def weights():
    return np.concatenate([np.ravel(w) for w in build_stacked_lstm(window=6, units=3, dropout=0.2).get_weights()])
set_seed(7)
ours, tensorflow_loaded = weights(), "tensorflow" in sys.modules
training._seed_without_tensorflow = lambda seed: False  # Keras's own call, which imports TensorFlow when installed
set_seed(7)
print(tensorflow_loaded, np.array_equal(ours, weights()))
"""


def test_seeding_on_jax_keeps_tensorflow_out_and_gives_keras_own_weights(tmp_path):
    # A fresh process: this one may have imported TensorFlow already. On a hub, TensorFlow costs each kernel ~0.5 GB.
    import os
    import subprocess
    import sys

    env = {**os.environ, "KERAS_BACKEND": "jax", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", SEEDED_WEIGHTS_WITHOUT_TENSORFLOW], env=env, capture_output=True,
                          text=True, check=True)
    assert done.stdout.split() == ["False", "True"]
