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

A task notebook reaches them as steps, as Kaggle's learntools do: ``step =
task_steps(NOTEBOOK, "scaling", ...)``, then ``step.scaling.check()``, a further
``step.scaling.hint()``, and ``step.scaling.solution()``, which reads that step's
code from the solved notebook when it is called (utils/solutions.py).
"""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import numpy as np

from .backend import load_keras
from .solutions import step_solution
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
    "predicted": "the cell that predicts January",
    "without_dropout": "the cell that loads Activity 9.01's result",
    "rmse_with_dropout": "the comparison cell",
    "rmse_without_dropout": "the comparison cell",
    "weights_per_layer": "the cell that counts the weights",
    "rmse_50": "the cell that reads the seed spreads",
    "rmse_100": "the cell that reads the seed spreads",
    "difference": "the cell that judges the two widths",
    "spread": "the cell that judges the two widths",
    "tied": "the cell that judges the two widths",
}
# Adam's default step size; a rate ten times larger or smaller is a different training, not a typo to pass.
ADAM_DEFAULT_RATE = 0.001
# Scaled prices lie in 0..1 (test days a little outside at most); values above this were never scaled.
UNSCALED_ABOVE = 2.0


class _MistakeError(Exception):
    """A mistake found: the message is the hint printed after 'Not quite:'."""


class _NotDefinedError(Exception):
    """A variable the check needs is not defined yet."""


def check_scaling(**given) -> None:
    """Is ``scaler`` a 0..1 MinMaxScaler fitted on ``training_data`` only, and ``train_scaled`` its output?"""
    _run_step("scaling", given, inspect.currentframe().f_back)


def check_windows(**given) -> None:
    """Are ``X_train`` and ``y_train`` every WINDOW-day run of ``train_scaled`` and the day after each?"""
    _run_step("windows", given, inspect.currentframe().f_back)


def check_model(**given) -> None:
    """Is ``model`` the chapter's network: four LSTM layers of UNITS, dropout as DROPOUT says, Dense(1), compiled?"""
    _run_step("model", given, inspect.currentframe().f_back)


def check_january_inputs(**given) -> None:
    """Do ``inputs`` and ``X_test`` give one window per test day, the first made of the last WINDOW training days?"""
    _run_step("january", given, inspect.currentframe().f_back)


def check_predictions(**given) -> None:
    """Is ``predicted`` the model's forecast for ``X_test``, turned back into dollars with ``scaler``?"""
    _run_step("predictions", given, inspect.currentframe().f_back)


def check_comparison(**given) -> None:
    """Are ``rmse_with_dropout`` and ``rmse_without_dropout`` the one-step RMSEs of this run and of ``without_dropout``?"""
    _run_step("comparison", given, inspect.currentframe().f_back)


def check_width(**given) -> None:
    """Is ``weights_per_layer`` the number of weights of each LSTM layer of ``model``, from the formula?"""
    _run_step("width", given, inspect.currentframe().f_back)


def check_seed_judgement(**given) -> None:
    """Are ``difference``, ``spread`` and ``tied`` the gap between the means, the larger sample sd, and their comparison?"""
    _run_step("seed_judgement", given, inspect.currentframe().f_back)


# Optional values: used when the notebook has them and the check reads them, for more precise hints.
OPTIONAL = ("prices", "test_scaled")


def _run(check, given: dict, needed: tuple[str, ...], caller) -> None:
    optional = tuple(name for name in OPTIONAL if name in inspect.signature(check).parameters)
    unknown = set(given) - set(needed) - set(optional)
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    namespace = _notebook_namespace(caller)
    values = {}
    try:
        for name in needed + optional:
            if name in given:
                values[name] = given[name]
            elif name in namespace:
                values[name] = namespace[name]
            elif name not in optional:
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


def _series(name: str, value, length: int | None = None, why: str = "") -> np.ndarray:
    """A column of values, shape (n, 1) or (n,), as a 1-D array (of ``length`` values when given, ``why`` says why)."""
    n = "days" if length is None else length
    expected = f"({n}, 1) or ({n},)"
    array = _numbers(name, value, expected)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or (length is not None and len(array) != length):
        raise _MistakeError(f"{name} has shape {array.shape}; expected {expected}, one value per day{why}.")
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
    if X.shape != (count, window, 1) and sorted(X.shape) == sorted((count, window, 1)):
        raise _MistakeError(f"{name} has shape {X.shape}: the right sizes in the wrong order. An LSTM layer reads the "
                            f"axes (samples, time steps, features): ({count}, {window}, 1), one row per window, then its "
                            f"{window} days, then the single feature.")
    if X.ndim == 3 and X.shape[2] == 1 and X.shape[1] != window:
        raise _MistakeError(f"{name} holds windows of {X.shape[1]} days, but WINDOW = {window}: cut windows of WINDOW "
                            f"days, which gives {count} of them, shape ({count}, {window}, 1).")
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
    # The layers' settings first: they are known even when Keras could not build the model (a stacked LSTM
    # layer without return_sequences stops model.add with an error about ndim, and leaves that layer in the model).
    layers = model.layers
    recurrent = [layer for layer in layers if isinstance(layer, keras.layers.RNN) or hasattr(layer, "return_sequences")]
    others = sorted({type(layer).__name__ for layer in recurrent if not isinstance(layer, keras.layers.LSTM)})
    if others:
        raise _MistakeError(f"model has {' and '.join(others)} layers; the chapter's network is built of LSTM layers "
                            "(keras.layers.LSTM), whose forget gate is the lesson.")
    lstms = [layer for layer in layers if isinstance(layer, keras.layers.LSTM)]
    for number, layer in enumerate(lstms[:-1], start=1):
        if not layer.return_sequences:
            raise _MistakeError(f"LSTM layer {number} has no return_sequences=True, so it passes on only "
                                f"its last step and LSTM layer {number + 1} has no sequence to read: every LSTM layer but "
                                "the last needs return_sequences=True.")
    if lstms and lstms[-1].return_sequences:
        raise _MistakeError("the last LSTM layer has return_sequences=True: it should pass only its final output "
                            "to the Dense layer, which makes one prediction per window.")
    if len(lstms) != 4:
        raise _MistakeError(f"model has {len(lstms)} LSTM layer{'s' * (len(lstms) != 1)}; the chapter's network stacks 4.")
    try:
        input_shape = tuple(model.inputs[0].shape)
    except (AttributeError, IndexError, ValueError):
        raise _MistakeError(f"model does not know the shape of its input yet; give it an input of shape ({window}, 1).") \
            from None
    if input_shape != (None, window, 1):
        raise _MistakeError(f"model reads inputs of shape {input_shape[1:]}; expected ({window}, 1): {window} days of "
                            "one feature.")
    for number, layer in enumerate(lstms, start=1):
        if layer.units != units:
            raise _MistakeError(f"LSTM layer {number} has {layer.units} units; every LSTM layer should have UNITS = {units}.")
    dropouts = [layer for layer in layers if isinstance(layer, keras.layers.Dropout)]
    if dropouts and not dropout:
        raise _MistakeError(f"model has {len(dropouts)} Dropout layer{'s' * (len(dropouts) != 1)}, but DROPOUT = 0: this "
                            "notebook's network has none.")
    for layer in dropouts:
        if not np.isclose(layer.rate, dropout):
            raise _MistakeError(f"a Dropout layer drops {layer.rate:g} of its inputs; expected DROPOUT = {dropout:g}.")
    if dropout:
        if isinstance(layers[0], keras.layers.Dropout):
            raise _MistakeError("a Dropout layer comes before LSTM layer 1, where it would drop the prices themselves: "
                                "dropout goes after each LSTM layer, on the outputs the next layer reads.")
        for number, layer in enumerate(lstms, start=1):
            following = layers[layers.index(layer) + 1] if layer is not layers[-1] else None
            if not isinstance(following, keras.layers.Dropout):
                raise _MistakeError(f"LSTM layer {number} is not followed by a Dropout layer; with DROPOUT = {dropout:g} "
                                    "each LSTM layer's output goes through dropout, after the layer.")
    last = layers[-1]
    if not isinstance(last, keras.layers.Dense):
        raise _MistakeError(f"the model ends with a {type(last).__name__} layer; expected a Dense layer with 1 unit, "
                            "the predicted next open.")
    if last.units != 1:
        raise _MistakeError(f"the Dense output layer has {last.units} units, so the model makes {last.units} numbers per "
                            "window; it should make 1, the next day's scaled open: Dense(1).")
    if last.activation is not keras.activations.linear:
        raise _MistakeError(f"the Dense output layer has the {last.activation.__name__} activation; a price forecast "
                            "needs the default, none (linear), so that any value can come out.")
    extra = [layer for layer in layers if not isinstance(layer, (keras.layers.LSTM, keras.layers.Dropout))][:-1]
    if extra:
        names = ", ".join(type(layer).__name__ for layer in extra)
        raise _MistakeError(f"model has layers the chapter's network does not, before its output layer: {names}.")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        raise _MistakeError("model is not compiled yet: compile it with the Adam optimiser and the mean squared error loss.")
    if not isinstance(model.optimizer, keras.optimizers.Adam):
        raise _MistakeError(f"model is compiled with the {type(model.optimizer).__name__} optimiser; the chapter uses Adam.")
    rate = _learning_rate(model.optimizer, keras)
    if rate is not None and not ADAM_DEFAULT_RATE / 10 <= rate <= ADAM_DEFAULT_RATE * 10:
        raise _MistakeError(f"Adam's learning rate is {rate:g}, far from its default {ADAM_DEFAULT_RATE:g}: steps that "
                            f"{'large make the loss jump about' if rate > ADAM_DEFAULT_RATE else 'small barely train'} in "
                            "100 epochs. The chapter keeps the default (optimizer=\"adam\").")
    if not _is_mean_squared_error(model.loss, keras):
        raise _MistakeError(f"model is compiled with the loss {_name_of(model.loss)!r}; expected the mean squared error.")
    with_dropout = f", each followed by Dropout({dropout:g})" if dropout else ""
    return (f"4 LSTM layers of {units} units{with_dropout}, the first three returning sequences, then Dense(1); "
            "compiled with Adam and the mean squared error.")


def _learning_rate(optimizer, keras) -> float | None:
    """The optimiser's learning rate as a number, or None when it is a schedule."""
    try:
        return float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    except (TypeError, ValueError):
        return None


def _name_of(loss) -> str:
    return loss if isinstance(loss, str) else getattr(loss, "name", getattr(loss, "__name__", type(loss).__name__))


def _is_mean_squared_error(loss, keras) -> bool:
    if isinstance(loss, str):  # Keras reads these names case-blind: "mse", "MSE", "mean_squared_error"
        return loss.lower() in ("mean_squared_error", "mse", "meansquarederror")
    return isinstance(loss, keras.losses.MeanSquaredError) or loss is keras.losses.mean_squared_error


def _january(WINDOW, scaler, train_scaled, inputs, X_test, test_scaled=None, prices=None) -> str:
    window = _whole("WINDOW", WINDOW)
    history = _series("train_scaled", train_scaled)
    _fitted_scaler(scaler)
    if int(scaler.n_samples_seen_) != len(history):
        raise _MistakeError(f"scaler has been fitted again, now on {int(scaler.n_samples_seen_)} prices: run the scaling "
                            "cell again to get back the scaler fitted on the training days, then change this cell to "
                            "use it without fitting it again (transform, not fit_transform) and run it.")
    opens = _test_opens(prices)
    if test_scaled is None and opens is None:
        raise _NotDefinedError(f"{MISSING} test_scaled is not defined yet: complete and run {MADE_IN['test_scaled']}, "
                               "then run this check again.")
    expected = None if opens is None else scaler.transform(opens.reshape(-1, 1))[:, 0]
    # The chapter scales the joined days at once; a notebook may scale January on its own first (test_scaled).
    scaled = expected if test_scaled is None else _series("test_scaled", test_scaled, None if opens is None else len(opens))
    days = len(scaled)
    if test_scaled is not None and opens is not None and not _same(scaled, expected):
        if _unscaled(scaled):
            raise _MistakeError("test_scaled holds January prices in dollars; scale them with scaler first.")
        raise _MistakeError("test_scaled is not the January opens scaled by scaler; use the scaler fitted on the training "
                            "days, without fitting it again.")
    if _unscaled(scaled):
        raise _MistakeError("test_scaled holds prices in dollars; scale the January opens with scaler first.")
    joined = _series("inputs", inputs, window + days,
                     f": {window + days} = the last {window} training days (WINDOW) + the {days} test days")
    if _unscaled(joined):
        raise _MistakeError("inputs holds prices in dollars; scale the joined days with scaler (transform).")
    if not _same(joined[:window], history[-window:]):
        raise _MistakeError(f"inputs does not start with the last {window} days of train_scaled: the window for the first "
                            f"test day is the {window} training days right before it.")
    if not _same(joined[window:], scaled):
        raise _MistakeError(f"after its first {window} values, inputs should continue with the {days} January opens in "
                            "order, scaled by scaler, the one fitted on the training days (transform, not fit_transform).")
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


def _predictions(model, X_test, scaler, predicted, prices=None) -> str:
    _fitted_scaler(scaler)
    days = len(X_test)
    forecast = _series("predicted", predicted, days, f": one forecast for each of the {days} test windows")
    scaled = np.asarray(model.predict(X_test, verbose=0), dtype=float).reshape(-1)
    if _same(forecast, scaled):
        raise _MistakeError("predicted is still on the 0..1 scale the model works in: turn it back into dollars with the "
                            "scaler's inverse_transform.")
    expected = scaler.inverse_transform(scaled.reshape(-1, 1))[:, 0]
    if not np.allclose(forecast, expected, rtol=1e-4):
        raise _MistakeError("predicted is not the model's forecast for X_test in dollars: predict X_test with model, then "
                            "undo the scaling with the same scaler (inverse_transform, fitted on the training days).")
    return f"{days} forecasts in dollars, the model's outputs for X_test with the scaling undone."


def _rmse(real, predicted) -> float:
    return float(np.sqrt(np.mean((np.asarray(real, dtype=float) - np.asarray(predicted, dtype=float)) ** 2)))


def _comparison(predicted, without_dropout, rmse_with_dropout, rmse_without_dropout, prices=None) -> str:
    opens = _test_opens(prices)
    if opens is None:
        raise _NotDefinedError(f"{MISSING} prices is not defined yet: run {MADE_IN['prices']}, then this check again.")
    mine = _rmse(opens, _series("predicted", predicted, len(opens)))
    theirs = _rmse(opens, _series("without_dropout['predictions']", np.asarray(without_dropout["predictions"]),
                                  len(opens)))
    for name, value, expected in (("rmse_with_dropout", rmse_with_dropout, mine),
                                  ("rmse_without_dropout", rmse_without_dropout, theirs)):
        number = decimal_number(value)
        if number is None:
            raise _MistakeError(f"{name} is {value!r}; expected one number, an RMSE in dollars.")
        if np.isclose(number, expected ** 2, rtol=1e-6) and not np.isclose(number, expected, rtol=1e-6):
            raise _MistakeError(f"{name} is a mean squared error (dollars squared); take its square root for the RMSE.")
        if not np.isclose(number, expected, rtol=1e-6):
            source = "this notebook's predicted" if name == "rmse_with_dropout" else "without_dropout['predictions']"
            raise _MistakeError(f"{name} is {number:.2f}; expected the RMSE of {source} against the real January opens "
                                "(prices.test_open).")
    return "both one-step RMSEs are measured on the same 21 January days, so their ratio compares the two models."


def _width(UNITS, model, weights_per_layer, prices=None) -> str:
    keras = load_keras()
    lstms = [layer for layer in getattr(model, "layers", []) if isinstance(layer, keras.layers.LSTM)]
    counts = [layer.count_params() for layer in lstms]
    given = list(np.ravel(weights_per_layer)) if isinstance(weights_per_layer, (list, tuple, np.ndarray)) else None
    if given is None or len(given) != len(counts):
        raise _MistakeError(f"weights_per_layer should be a list of {len(counts)} numbers, one per LSTM layer.")
    for number, (count, value) in enumerate(zip(counts, given), start=1):
        if whole_number(value) != count:
            inputs = 1 if number == 1 else int(UNITS)
            raise _MistakeError(f"LSTM layer {number} reads {inputs} input{'s' * (inputs != 1)} and {UNITS} units of its "
                                f"own previous output, plus a bias, for each of its 4 gates and each of its {UNITS} units; "
                                f"{value} is not that.")
    return f"weights per LSTM layer: {', '.join(map(str, counts))}, as model.summary() counts them."


def _seed_judgement(rmse_50, rmse_100, difference, spread, tied, prices=None) -> str:
    fifty, hundred = (_numbers(name, np.asarray(value), "(seeds,)").ravel()
                      for name, value in (("rmse_50", rmse_50), ("rmse_100", rmse_100)))
    gap = hundred.mean() - fifty.mean()
    sds = (fifty.std(ddof=1), hundred.std(ddof=1))
    number = decimal_number(difference)
    if number is None or not np.isclose(abs(number), abs(gap), rtol=1e-6):
        raise _MistakeError("difference should be the gap between the two models' mean RMSEs over their seeds "
                            "(100 units minus 50 units).")
    wide = decimal_number(spread)
    if wide is not None and np.isclose(wide, max(fifty.std(), hundred.std()), rtol=1e-6):
        raise _MistakeError("spread divides by n: NumPy's std does unless told ddof=1. Over 3 runs the sample standard "
                            "deviation divides by n - 1.")
    if wide is None or not np.isclose(wide, max(sds), rtol=1e-6):
        raise _MistakeError("spread should be the larger of the two sample standard deviations of the RMSEs (ddof=1).")
    if not isinstance(tied, (bool, np.bool_)) or bool(tied) != bool(abs(gap) < max(sds)):
        raise _MistakeError("tied should be True or False: is the gap between the means smaller than the spread of one "
                            "model's own seeds?")
    return (f"the means differ by ${abs(gap):.2f}, the seeds of one model by up to ${max(sds):.2f} (sample sd): "
            + ("these runs cannot rank the two widths." if tied else "the gap is larger than the seeds' spread."))


# ---- Keras's error for a stacked LSTM layer without return_sequences ---------------------------------------------------

NDIM_ERROR = "expected ndim=3, found ndim=2"


def keras_error_hint(error: BaseException) -> str | None:
    """One line for Keras's ndim error when an LSTM layer gets one vector instead of a sequence; None for any other."""
    text = str(error)
    if not isinstance(error, ValueError) or NDIM_ERROR not in text:
        return None
    return (f"{WRONG} an LSTM layer got one vector per window instead of a sequence (Keras: {NDIM_ERROR}): the LSTM "
            "layer before it needs return_sequences=True. Fix the model cell, then run it again.")


def explain_keras_errors() -> None:
    """In IPython, show keras_error_hint's line instead of Keras's traceback for that one error."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return

    def handler(shell, kind, error, traceback, tb_offset=None):
        hint = keras_error_hint(error)
        if hint is None:
            shell.showtraceback((kind, error, traceback), tb_offset=tb_offset)
        else:
            print(hint)

    shell.set_custom_exc((ValueError,), handler)


# ---- steps: check, hint, solution ---------------------------------------------------------------------------------

# A further hint per step: where to look, never the code (the solution is read from the solved notebook).
HINTS = {
    "scaling": "MinMaxScaler(feature_range=(0, 1)) learns the lowest and highest price when it is fitted: fit it on "
               "training_data alone; fit_transform fits and scales in one call.",
    "windows": "For each day from WINDOW to the last, the window is the WINDOW values before that day and the target "
               "is that day's value; a list of windows becomes an array with np.array, and reshape adds the third axis.",
    "model": "Start from keras.Sequential() and add keras.Input(shape=(WINDOW, 1)); an LSTM layer that feeds another "
             "LSTM layer passes on every step (return_sequences=True); the output is Dense(1); then compile.",
    "january": "The first January day needs the WINDOW days before it, all in the training data: join the last WINDOW "
               "training opens and the January opens, scale them with the scaler you already have (transform only), "
               "then cut one window per January day as for training.",
    "predictions": "model.predict gives one scaled value per window, shape (days, 1); the scaler's inverse_transform "
                   "undoes the scaling.",
    "comparison": "forecast_metrics(real, forecast) returns the RMSE under the key 'rmse'; the real January opens are "
                  "prices.test_open.",
    "width": "Each of an LSTM layer's 4 gates has, for each unit, one weight per input, one per unit of the layer's own "
             "previous output, and a bias; the first layer's input is 1 number, the others' the UNITS outputs below.",
    "seed_judgement": "np.mean and np.std(..., ddof=1) of each array; the two widths are tied when the gap between the "
                      "means is smaller than the larger spread.",
}
# Each step's check and the notebook variables it reads.
STEPS = {
    "scaling": (_scaling, ("scaler", "training_data", "train_scaled")),
    "windows": (_windows, ("WINDOW", "train_scaled", "X_train", "y_train")),
    "model": (_model, ("WINDOW", "UNITS", "DROPOUT", "model")),
    "january": (_january, ("WINDOW", "scaler", "train_scaled", "inputs", "X_test")),
    "predictions": (_predictions, ("model", "X_test", "scaler", "predicted")),
    "comparison": (_comparison, ("predicted", "without_dropout", "rmse_with_dropout", "rmse_without_dropout")),
    "width": (_width, ("UNITS", "model", "weights_per_layer")),
    "seed_judgement": (_seed_judgement, ("rmse_50", "rmse_100", "difference", "spread", "tied")),
}


def _run_step(name: str, given: dict, caller) -> None:
    check, needed = STEPS[name]
    _run(check, given, needed, caller)


class Step:
    """One step of a task, as in Kaggle's learntools: ``check()``, then ``hint()``, then ``solution()``."""

    def __init__(self, notebook: str, name: str):
        if name not in STEPS:
            raise ValueError(f"no step called {name!r}; the steps are {', '.join(STEPS)}")
        self.notebook, self.name = notebook, name

    def check(self, **given) -> None:
        """Right or wrong, in one or two sentences (the notebook's variables, or ``given`` ones)."""
        _run_step(self.name, given, inspect.currentframe().f_back)

    def hint(self) -> None:
        print(f"Hint: {HINTS[self.name]}")

    def solution(self) -> None:
        """This step's solution code, read from the solved notebook now (or a line saying it is not shipped)."""
        print(step_solution(self.notebook, self.name))

    def __repr__(self) -> str:
        return f"<step {self.name} of {self.notebook}: .check(), .hint(), .solution()>"


def task_steps(notebook: str, *names: str):
    """The named steps of a task notebook, as attributes: ``step.scaling.check()``, ``step.scaling.hint()``..."""
    return SimpleNamespace(**{name: Step(notebook, name) for name in names})
