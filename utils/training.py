"""Seeds, training with a compact progress bar, and prediction.

Importing this module loads neither Keras nor its backend: that happens in
:func:`utils.backend.load_keras`, which the notebooks call in their setup cell,
and which the functions here call for themselves when it has not run yet.
"""

from __future__ import annotations

import functools
import random
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np

from .backend import load_keras, quiet_tensorflow_import
from .features import unscale
from .values import check_epochs, check_seed

BATCH_SIZE = 32


def set_seed(seed: int) -> int:
    """Seed Python, NumPy and the Keras backend so a run can be repeated exactly."""
    seed = check_seed(seed)
    keras = load_keras()
    if keras.backend.backend() in ("tensorflow", "torch") or not _seed_without_tensorflow(seed):
        quiet_tensorflow_import(any_backend=True)
        keras.utils.set_random_seed(seed)
    # Keras draws every layer's seed from Python's global generator, which other threads of the process (a Dask
    # worker's own) may draw from too, between this call and the model's construction. A generator of Keras's own,
    # seeded alike, gives the same seeds as the global one would in a quiet process, whatever other threads do.
    try:
        from keras.src.random import seed_generator
    except ImportError:  # a Keras that keeps it elsewhere: the global generator, as before
        return seed
    seed_generator.python_random = random.Random(seed)
    return seed


def _seed_without_tensorflow(seed: int) -> bool:
    """What ``keras.utils.set_random_seed`` does, less seeding TensorFlow; False on a Keras that keeps it elsewhere.

    Keras's own call imports TensorFlow whenever it is installed, to seed ``tf.data``, which a JAX or NumPy
    backend never uses for arrays: on a shared hub that import alone costs each kernel about 0.5 GB. The seeds
    and so the weights are the same as with Keras's call.
    """
    try:
        from keras.src.backend.common import global_state
        from keras.src.random import seed_generator
        from keras.src.utils.rng_utils import GLOBAL_RANDOM_SEED
    except ImportError:
        return False
    global_state.set_global_attribute(GLOBAL_RANDOM_SEED, seed)
    # Keras recreates its global seed generator from the new seed.
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)
    return True


@dataclass(frozen=True)
class TrainingRun:
    history: dict
    seconds: float
    epochs: int
    # True for a committed model loaded instead of trained (utils.saved_models): nothing was fitted, nothing is saved.
    loaded: bool = False

    @property
    def final_loss(self) -> float:
        return float(self.history["loss"][-1])


class TrainingProgress:
    """A ``model.fit`` callback: one progress bar instead of a log line per epoch, and a stopwatch.

    The bar is plain text (on ``stream``, default stdout), so it renders the
    same in a terminal, JupyterLab and saved outputs; after training,
    ``seconds`` holds how long ``fit`` took. The callback is a subclass of
    tqdm's Keras callback, made when the first one is (tqdm's module imports
    Keras, which must wait for :func:`utils.backend.load_keras`).
    """

    def __new__(cls, epochs: int, stream=None):
        return _progress_callback_class()(check_epochs(epochs), stream)


@functools.cache
def _progress_callback_class():
    load_keras()
    from tqdm.std import TqdmWarning, tqdm

    with warnings.catch_warnings():
        # tqdm.keras imports tqdm.auto, which warns when ipywidgets is absent; we use the text bar anyway.
        warnings.simplefilter("ignore", TqdmWarning)
        from tqdm.keras import TqdmCallback

    class TimedProgressBar(TqdmCallback):
        def __init__(self, epochs: int, stream=None):
            super().__init__(epochs=epochs, verbose=0, tqdm_class=tqdm, file=stream or sys.stdout, ncols=90,
                             mininterval=1)
            self.seconds = 0.0
            self._start = None

        def on_train_begin(self, *args, **kwargs):
            self._start = time.perf_counter()
            super().on_train_begin(*args, **kwargs)

        def on_train_end(self, *args, **kwargs):
            super().on_train_end(*args, **kwargs)
            self.seconds = time.perf_counter() - self._start

    TimedProgressBar.__name__ = TimedProgressBar.__qualname__ = "TrainingProgress"
    return TimedProgressBar


def train(model, X, y, epochs: int, batch_size: int = BATCH_SIZE, progress: bool = True, stream=None) -> TrainingRun:
    """Fit ``model`` and time it (what the notebooks do in their own cell, for the command line)."""
    epochs = check_epochs(epochs)
    callbacks = [TrainingProgress(epochs, stream)] if progress else []
    start = time.perf_counter()
    history = model.fit(X, y, epochs=epochs, batch_size=batch_size, verbose=0, callbacks=callbacks)
    seconds = time.perf_counter() - start
    return TrainingRun(history=history.history, seconds=seconds, epochs=epochs)


def predict_prices(model, X, scaler) -> np.ndarray:
    """Predict scaled values for windows ``X`` and return them in dollars (1-D)."""
    return unscale(scaler, model.predict(X, verbose=0))
