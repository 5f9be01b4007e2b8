"""Turn a price series into scaled, windowed arrays for the LSTM.

This is the code Exercise 9.01 writes out step by step, kept here for the later notebooks;
tests/test_exercise_steps.py checks that both give the same arrays, bit for bit.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.preprocessing import MinMaxScaler

from .errors import DataError
from .values import check_window


def as_column(values) -> np.ndarray:
    """Shape a 1-D series (or an (n, 1) column) as the (n, 1) column scikit-learn's scalers expect."""
    array = np.asarray(values, dtype=float)
    if array.ndim > 2 or (array.ndim == 2 and array.shape[1] != 1):
        # Flattening two columns (Open and High, say) into one series would silently mix them.
        raise DataError(f"expected one column of prices, not an array of shape {array.shape}")
    return array.reshape(-1, 1)


def fit_scaler(train_open) -> MinMaxScaler:
    """A 0..1 scaler fitted on the training opens only, so no test price leaks in."""
    column = as_column(train_open)
    if column.size == 0:
        raise DataError("no prices to fit the scaler on (the training series is empty)")
    unusable = ~np.isfinite(column[:, 0])
    if unusable.any():
        # MinMaxScaler would skip it, and the model would then train on NaN.
        index = int(unusable.argmax())
        raise DataError(f"price {index + 1} of {len(column)} is {column[index, 0]}: the scaler needs real numbers")
    return MinMaxScaler(feature_range=(0, 1)).fit(column)


def scale(scaler: MinMaxScaler, values) -> np.ndarray:
    """Scale prices with an already fitted scaler, returning a 1-D array."""
    return scaler.transform(as_column(values)).ravel()


def unscale(scaler: MinMaxScaler, values) -> np.ndarray:
    """Turn scaled values back into dollars, returning a 1-D array."""
    return scaler.inverse_transform(as_column(values)).ravel()


def make_windows(series, window: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Every run of ``window`` values and the value that follows it.

    Returns ``X`` of shape ``(len(series) - window, window, 1)`` (the trailing
    axis is the single feature Keras expects) and ``y`` of shape
    ``(len(series) - window,)``, with ``y[i] == series[i + window]``.
    """
    window = check_window(window)
    series = np.asarray(series, dtype=float).ravel()
    if len(series) < window + 1:
        raise DataError(
            f"a series of {len(series)} values is too short for a {window}-day window "
            f"(it needs at least {window + 1})"
        )
    # The last value has no successor, so it never starts a target-less window.
    X = sliding_window_view(series[:-1], window)[..., np.newaxis]
    y = series[window:]
    return X, y


def january_inputs(train_series, test_series, window: int = 60) -> np.ndarray:
    """The last ``window`` training values followed by every test value."""
    window = check_window(window)
    train_series = np.asarray(train_series, dtype=float).ravel()
    test_series = np.asarray(test_series, dtype=float).ravel()
    if len(train_series) < window:
        raise DataError(f"{len(train_series)} training values cannot fill a {window}-day window")
    return np.concatenate([train_series[-window:], test_series])



def daily_changes(opens) -> np.ndarray:
    """Each open minus the one before it: one value fewer than ``opens`` (the sixth notebook's target)."""
    opens = np.asarray(opens, dtype=float).ravel()
    if len(opens) < 2:
        raise DataError(f"{len(opens)} open(s) have no change between them (it takes at least 2)")
    return np.diff(opens)
