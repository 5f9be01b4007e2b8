"""Self-checks for the activity notebooks: is the learner's result right, and if not, what to look at.

Each check is called with no arguments in a notebook, right after the cell it
checks. It reads the learner's variables by name from the notebook (IPython's
namespace, or the calling module's globals outside IPython), prints one or
two sentences and returns None: ``Correct: ...`` with what was checked, or
``Not quite: ...`` with a hint about what is wrong, never the code that would
make it right. A variable the check needs but the notebook has not defined yet
gives ``Not yet: ...`` naming the cell to complete. Tests pass the values as
keyword arguments instead.

What is right is worked out from the learner's own earlier variables (for
example the windows from their ``train_scaled``), so a mistake is reported
once, at the check after the cell where it was made. The messages contain
only the data's shapes and counts, so they are the same on every run (nbval
compares them in the solution notebooks).
"""

from __future__ import annotations

import inspect

import numpy as np

from .backend import load_keras
from .values import decimal_number, whole_number

CORRECT, WRONG, MISSING = "Correct:", "Not quite:", "Not yet:"

# Where each variable is made, for "not defined yet" (the activities' cells, in the learner's words).
MADE_IN = {
    "WINDOW": "the parameters cell at the top",
    "UNITS": "the parameters cell at the top",
    "DROPOUT": "the parameters cell at the top",
    "prices": "the cell that loads the prices",
    "training_data": "the cell that keeps only the opening prices",
    "scaler": "the scaling cell",
    "train_scaled": "the scaling cell",
    "X_train": "the cell that cuts the training windows",
    "y_train": "the cell that cuts the training windows",
    "model": "the cell that builds and compiles the model",
    "test_scaled": "the cell that prepares the January inputs",
    "inputs": "the cell that prepares the January inputs",
    "X_test": "the cell that prepares the January inputs",
}
# Scaled prices lie in 0..1 (test days a little outside at most); values above this were never scaled.
UNSCALED_ABOVE = 2.0


class _MistakeError(Exception):
                    """A mistake found: the message is the hint printed after 'Not quite:'."""


class _NotDefinedError(Exception):
                       """A variable the check needs is not defined yet."""


def check_scaling(**given) -> None:
    """Is ``scaler`` a 0..1 MinMaxScaler fitted on ``training_data`` only, and ``train_scaled`` its output?"""
    _run(_scaling, given, ("scaler", "training_data", "train_scaled"), inspect.currentframe().f_back)


def check_windows(**given) -> None:
    """Are ``X_train`` and ``y_train`` every WINDOW-day run of ``train_scaled`` and the day after each?"""
    _run(_windows, given, ("WINDOW", "train_scaled", "X_train", "y_train"), inspect.currentframe().f_back)


def check_model(**given) -> None:
    """Is ``model`` the chapter's network: four LSTM layers of UNITS, dropout as DROPOUT says, Dense(1), compiled?"""
    _run(_model, given, ("WINDOW", "UNITS", "DROPOUT", "model"), inspect.currentframe().f_back)


def check_january_inputs(**given) -> None:
    """Do ``inputs`` and ``X_test`` give one window per test day, the first made of the last WINDOW training days?"""
    _run(_january, given, ("WINDOW", "scaler", "train_scaled", "test_scaled", "inputs", "X_test"),
         inspect.currentframe().f_back)


# Optional values: used when the notebook has them, for more precise hints.
OPTIONAL = ("prices",)


def _run(check, given: dict, needed: tuple[str, ...], caller) -> None:
    unknown = set(given) - set(needed) - set(OPTIONAL)
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    namespace = _notebook_namespace(caller)
    values = {}
    try:
        for name in needed + OPTIONAL:
            if name in given:
                values[name] = given[name]
            elif name in namespace:
                values[name] = namespace[name]
            elif name not in OPTIONAL:
                raise _NotDefinedError(f"{MISSING} {name} is not defined yet: complete and run {MADE_IN[name]}, "
                                       "then run this check again.")
        message = f"{CORRECT} {check(**values)}"
    except _NotDefinedError as missing:
        message = str(missing)
    except _MistakeError as hint:
        message = f"{WRONG} {hint}"
    print(message)


def _notebook_namespace(caller) -> dict:
    """The notebook's variables in IPython; elsewhere the globals of the code that called the check."""
    try:
        from IPython import get_ipython
    except ImportError:  # IPython is installed with Jupyter; a plain script may not have it
        get_ipython = None
    shell = get_ipython() if get_ipython else None
    if shell is not None and getattr(shell, "user_ns", None) is not None:
        return shell.user_ns
    return caller.f_globals if caller is not None else {}


# ---- shared inspections ---------------------------------------------------------------------------------------


def _numbers(name: str, value, expected: str) -> np.ndarray:
    """``value`` as a float array if it is a NumPy array of numbers; else a hint naming what was expected."""
    if not isinstance(value, np.ndarray):
        kind = type(value).__name__
        hint = " (.to_numpy() turns it into one)" if hasattr(value, "to_numpy") else ""
        raise _MistakeError(f"{name} is a {kind}; expected a NumPy array of shape {expected}{hint}.")
    if not np.issubdtype(value.dtype, np.number):
        raise _MistakeError(f"{name} holds {value.dtype} values; expected numbers, in an array of shape {expected}.")
    return value.astype(float)


def _series(name: str, value, length: int | None = None) -> np.ndarray:
    """A column of values, shape (n, 1) or (n,), as a 1-D array (of ``length`` values when given)."""
    n = "days" if length is None else length
    expected = f"({n}, 1) or ({n},)"
    array = _numbers(name, value, expected)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or (length is not None and len(array) != length):
        raise _MistakeError(f"{name} has shape {array.shape}; expected {expected}, one value per day.")
    return array


def _same(a, b) -> bool:
    # Loose enough for a learner who keeps float32 arrays, far tighter than one day's move in scaled prices.
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-5, atol=1e-7)


def _whole(name: str, value, minimum: int = 1) -> int:
    number = whole_number(value)
    if number is None or number < minimum:
        raise _MistakeError(f"{name} is {value!r}; expected a whole number, at least {minimum} (see the parameters cell).")
    return number


def _fitted_scaler(scaler):
    from sklearn.preprocessing import MinMaxScaler

    if not isinstance(scaler, MinMaxScaler):
        raise _MistakeError(f"scaler is a {type(scaler).__name__}; expected scikit-learn's MinMaxScaler, "
                            "which maps the training prices to the range 0 to 1.")
    if not hasattr(scaler, "n_samples_seen_"):
        raise _MistakeError("scaler has not been fitted yet: fit it on the training prices before scaling them.")
    if tuple(scaler.feature_range) != (0, 1):
        raise _MistakeError(f"scaler maps prices to {tuple(scaler.feature_range)}; the lesson scales them to (0, 1).")
    if scaler.n_features_in_ != 1:
        raise _MistakeError(f"scaler was fitted on {scaler.n_features_in_} columns; expected one, the opening price.")
    return scaler


def _unscaled(array: np.ndarray) -> bool:
    return bool(np.nanmax(np.abs(array)) > UNSCALED_ABOVE)


def _test_opens(prices) -> np.ndarray | None:
    opens = getattr(prices, "test_open", None)
    return None if opens is None else np.asarray(opens, dtype=float)


# ---- the four checks (each returns the success sentence or raises _MistakeError) -----------------------------------------


def _scaling(scaler, training_data, train_scaled, prices=None) -> str:
    training_data = _numbers("training_data", training_data, "(days, 1)")
    if training_data.ndim != 2 or training_data.shape[1] != 1:
        raise _MistakeError(f"training_data has shape {training_data.shape}; expected (days, 1): one row per trading day "
                            "and one column, the opening price.")
    days = len(training_data)
    if prices is not None and hasattr(prices, "train_open") and not _same(training_data[:, 0], prices.train_open):
        raise _MistakeError("training_data is not the Open column of the training file; the model forecasts opening prices.")
    _fitted_scaler(scaler)
    seen = int(scaler.n_samples_seen_)
    test_days = None if _test_opens(prices) is None else len(_test_opens(prices))
    if seen != days or not _same(scaler.data_min_[0], training_data.min()) or \
            not _same(scaler.data_max_[0], training_data.max()):
        if test_days is not None and seen == test_days:
            raise _MistakeError(f"scaler was fitted on the {seen} test days; fit it on the training prices only.")
        if seen > days:
            raise _MistakeError(f"scaler was fitted on {seen} prices, {seen - days} more than the {days} training days: "
                                "it has seen test prices, which leaks the future into training. Fit it on the training "
                                "prices only.")
        if seen == days:
            raise _MistakeError(f"scaler was fitted on {seen} prices, as many as the training days, but not on "
                                "training_data's; fit it on the training prices only.")
        raise _MistakeError(f"scaler was fitted on {seen} prices, not on the {days} training days; fit it on the "
                            "training prices only.")
    scaled = _series("train_scaled", train_scaled, days)
    if _unscaled(scaled):
        raise _MistakeError("train_scaled holds prices in dollars; it should be the training prices transformed by scaler.")
    if not _same(scaled, scaler.transform(training_data)[:, 0]):
        raise _MistakeError("train_scaled is not training_data transformed by scaler (the lowest training open should "
                            "become 0 and the highest 1).")
    return f"scaler was fitted on the {days} training days only, and train_scaled maps them to 0..1."


def _windows_array(name, value, count: int, window: int, which: str) -> np.ndarray:
    """``value`` as ``count`` windows of ``window`` days of one feature, returned without the feature axis."""
    X = _numbers(name, value, f"({count}, {window}, 1)")
    if X.shape == (count, window):
        raise _MistakeError(f"{name} has shape {X.shape}, but an LSTM layer reads three axes (samples, time steps, "
                            f"features): expected ({count}, {window}, 1), with the single feature as the last axis.")
    if X.shape != (count, window, 1):
        raise _MistakeError(f"{name} has shape {X.shape}; expected ({count}, {window}, 1): one {window}-day window for "
                            f"{which}.")
    return X[:, :, 0]


def _windows(WINDOW, train_scaled, X_train, y_train, prices=None) -> str:
    window = _whole("WINDOW", WINDOW)
    series = _series("train_scaled", train_scaled)
    count = len(series) - window
    if count < 1:
        raise _MistakeError(f"train_scaled has {len(series)} values, too few for one {window}-day window and its target.")
    X = _windows_array("X_train", X_train, count, window,
                       f"each of the {count} training days that have {window} days before them")
    y = _numbers("y_train", y_train, f"({count},)")
    if y.shape not in ((count,), (count, 1)):
        raise _MistakeError(f"y_train has shape {y.shape}; expected ({count},): one target per window.")
    y = y.reshape(-1)
    if _unscaled(X) or _unscaled(y):
        raise _MistakeError("X_train or y_train holds prices in dollars; cut the windows from train_scaled.")
    if _same(X[:, -1], y):
        raise _MistakeError("each window already contains its own target as its last day (off by one): a window must end "
                            "the day before the day it predicts.")
    expected_X = np.lib.stride_tricks.sliding_window_view(series[:-1], window)
    if not _same(X, expected_X):
        raise _MistakeError(f"the rows of X_train are not the {window}-day runs of train_scaled in order (row i should be "
                            f"days i to i + {window - 1}, counting from 0).")
    if not _same(y, series[window:]):
        raise _MistakeError(f"y_train is not the day after each window (y_train[i] should be day i + {window} of "
                            "train_scaled).")
    return f"{count} windows of {window} days, each followed by its target, the next day's scaled open."


def _model(WINDOW, UNITS, DROPOUT, model, prices=None) -> str:
    keras = load_keras()
    window, units = _whole("WINDOW", WINDOW), _whole("UNITS", UNITS)
    dropout = decimal_number(DROPOUT)
    if dropout is None or not 0 <= dropout < 1:
        raise _MistakeError(f"DROPOUT is {DROPOUT!r}; expected a number from 0 up to (not including) 1.")
    if not isinstance(model, keras.Model):
        raise _MistakeError(f"model is a {type(model).__name__}; expected a Keras model (keras.Sequential).")
    try:
        input_shape = tuple(model.inputs[0].shape)
    except (AttributeError, IndexError, ValueError):
        raise _MistakeError(f"model does not know the shape of its input yet; give it an input of shape ({window}, 1).") \
            from None
    if input_shape != (None, window, 1):
        raise _MistakeError(f"model reads inputs of shape {input_shape[1:]}; expected ({window}, 1): {window} days of "
                            "one feature.")
    layers = model.layers
    lstms = [layer for layer in layers if isinstance(layer, keras.layers.LSTM)]
    if len(lstms) != 4:
        raise _MistakeError(f"model has {len(lstms)} LSTM layer{'s' * (len(lstms) != 1)}; the chapter's network stacks 4.")
    for number, layer in enumerate(lstms, start=1):
        if layer.units != units:
            raise _MistakeError(f"LSTM layer {number} has {layer.units} units; every LSTM layer should have UNITS = {units}.")
    if lstms[-1].return_sequences:
        raise _MistakeError("the last LSTM layer returns sequences: it should pass only its final output to the Dense "
                            "layer, which makes one prediction per window.")
    for number, layer in enumerate(lstms[:-1], start=1):
        if not layer.return_sequences:
            raise _MistakeError(f"LSTM layer {number} returns only its last step, so the LSTM layer after it has no "
                                "sequence to read: every LSTM layer but the last should return sequences.")
    dropouts = [layer for layer in layers if isinstance(layer, keras.layers.Dropout)]
    for layer in dropouts:
        if not np.isclose(layer.rate, dropout):
            raise _MistakeError(f"a Dropout layer drops {layer.rate:g} of its inputs; expected DROPOUT = {dropout:g}.")
    if dropout:
        for number, layer in enumerate(lstms, start=1):
            following = layers[layers.index(layer) + 1] if layer is not layers[-1] else None
            if not isinstance(following, keras.layers.Dropout):
                raise _MistakeError(f"LSTM layer {number} is not followed by a Dropout layer; with DROPOUT = {dropout:g} "
                                    "each LSTM layer's output goes through dropout.")
    last = layers[-1]
    if not isinstance(last, keras.layers.Dense) or last.units != 1:
        raise _MistakeError(f"the model ends with a {type(last).__name__} layer; expected a Dense layer with 1 unit, "
                            "the predicted next open.")
    if last.activation is not keras.activations.linear:
        raise _MistakeError(f"the Dense output layer has the {last.activation.__name__} activation; a price forecast "
                            "needs the default, none (linear), so that any value can come out.")
    others = [layer for layer in layers if not isinstance(layer, (keras.layers.LSTM, keras.layers.Dropout))][:-1]
    if others:
        extra = ", ".join(type(layer).__name__ for layer in others)
        raise _MistakeError(f"model has layers the chapter's network does not, before its output layer: {extra}.")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        raise _MistakeError("model is not compiled yet: compile it with the Adam optimiser and the mean squared error loss.")
    if not isinstance(model.optimizer, keras.optimizers.Adam):
        raise _MistakeError(f"model is compiled with the {type(model.optimizer).__name__} optimiser; the chapter uses Adam.")
    if not _is_mean_squared_error(model.loss, keras):
        raise _MistakeError(f"model is compiled with the loss {_name_of(model.loss)!r}; expected the mean squared error.")
    with_dropout = f", each followed by Dropout({dropout:g})" if dropout else ""
    return (f"4 LSTM layers of {units} units{with_dropout}, the first three returning sequences, then Dense(1); "
            "compiled with Adam and the mean squared error.")


def _name_of(loss) -> str:
    return loss if isinstance(loss, str) else getattr(loss, "name", getattr(loss, "__name__", type(loss).__name__))


def _is_mean_squared_error(loss, keras) -> bool:
    if isinstance(loss, str):
        return loss in ("mean_squared_error", "mse", "MeanSquaredError")
    return isinstance(loss, keras.losses.MeanSquaredError) or loss is keras.losses.mean_squared_error


def _january(WINDOW, scaler, train_scaled, test_scaled, inputs, X_test, prices=None) -> str:
    window = _whole("WINDOW", WINDOW)
    history = _series("train_scaled", train_scaled)
    _fitted_scaler(scaler)
    if int(scaler.n_samples_seen_) != len(history):
        raise _MistakeError(f"scaler has been fitted again, now on {int(scaler.n_samples_seen_)} prices: scale the January "
                            "prices with the scaler fitted on the training days, without fitting it again.")
    opens = _test_opens(prices)
    days = None if opens is None else len(opens)
    scaled = _series("test_scaled", test_scaled, days)
    days = len(scaled)
    if opens is not None and not _same(scaled, scaler.transform(opens.reshape(-1, 1))[:, 0]):
        if _unscaled(scaled):
            raise _MistakeError("test_scaled holds January prices in dollars; scale them with scaler first.")
        raise _MistakeError("test_scaled is not the January opens scaled by scaler; use the scaler fitted on the training "
                            "days, without fitting it again.")
    if _unscaled(scaled):
        raise _MistakeError("test_scaled holds prices in dollars; scale the January opens with scaler first.")
    joined = _series("inputs", inputs, window + days)
    if _unscaled(joined):
        raise _MistakeError("inputs holds prices in dollars; join the scaled values, train_scaled and test_scaled.")
    if not _same(joined[:window], history[-window:]):
        raise _MistakeError(f"inputs does not start with the last {window} days of train_scaled: the window for the first "
                            f"test day is the {window} training days right before it.")
    if not _same(joined[window:], scaled):
        raise _MistakeError(f"after its first {window} values, inputs should continue with test_scaled, the January days "
                            "in order.")
    X = _windows_array("X_test", X_test, days, window, f"each of the {days} test days")
    windows = np.lib.stride_tricks.sliding_window_view(joined, window)
    if _same(X, windows[1:]):
        raise _MistakeError("each test window starts one day late, so it already contains the day it should predict "
                            "(off by one).")
    if not _same(X[0], history[-window:]):
        raise _MistakeError(f"the first test window should be the last {window} days of train_scaled, the days before the "
                            "first test day.")
    if not _same(X, windows[:-1]):
        raise _MistakeError("the rows of X_test are not the windows of inputs in order (row i should be inputs[i] to "
                            f"inputs[i + {window - 1}]).")
    return (f"{days} test windows; the first is the last {window} training days, and each next one slides one "
            "day into January.")
