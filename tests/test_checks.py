"""The learners' self-checks: right on the solution's values, a hint (never a traceback) on typical mistakes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from utils.backend import load_keras
from utils.checks import check_january_inputs, check_model, check_scaling, check_windows
from utils.data import load_prices
from utils.features import fit_scaler, january_inputs, make_windows, scale
from utils.tools.model import build_stacked_lstm

keras = load_keras()

WINDOW, UNITS = 60, 50


@pytest.fixture(scope="module")
def solution(shipped_data):
    """The values the activity's solution makes, from the shipped GOOG files and the workshop's helpers."""
    prices = load_prices("GOOG", window=WINDOW)
    training_data = prices.train[["Open"]].to_numpy()
    scaler = fit_scaler(training_data)
    train_scaled = scale(scaler, training_data)
    X_train, y_train = make_windows(train_scaled, WINDOW)
    test_scaled = scale(scaler, prices.test_open)
    inputs = january_inputs(train_scaled, test_scaled, WINDOW)
    X_test, _ = make_windows(inputs, WINDOW)
    return dict(prices=prices, training_data=training_data, scaler=scaler, train_scaled=train_scaled, X_train=X_train,
                y_train=y_train, test_scaled=test_scaled, inputs=inputs, X_test=X_test)


def printed(capsys, check, **values) -> str:
    assert check(**values) is None
    return capsys.readouterr().out.strip()


def scaling(solution, **changes):
    return {name: changes.get(name, solution[name]) for name in ("scaler", "training_data", "train_scaled", "prices")}


def windows(solution, **changes):
    return {"WINDOW": WINDOW, **{name: changes.get(name, solution[name]) for name in ("train_scaled", "X_train", "y_train")}}


def january(solution, **changes):
    names = ("scaler", "train_scaled", "test_scaled", "inputs", "X_test", "prices")
    return {"WINDOW": WINDOW, **{name: changes.get(name, solution[name]) for name in names}}


# ---- check_scaling ------------------------------------------------------------------------------------------------


def test_scaling_passes_on_the_solution(solution, capsys):
    assert printed(capsys, check_scaling, **scaling(solution)) == (
        "Correct: scaler was fitted on the 1258 training days only, and train_scaled maps them to 0..1.")
    # The chapter's way, a column from fit_transform, is as right as the workshop's 1-D array.
    scaler = MinMaxScaler(feature_range=(0, 1))
    column = scaler.fit_transform(solution["training_data"])
    assert printed(capsys, check_scaling, **scaling(solution, scaler=scaler, train_scaled=column)).startswith("Correct:")


def test_scaling_names_a_scaler_fitted_on_the_test_days_or_on_all_days(solution, capsys):
    january_column = solution["prices"].test_open.reshape(-1, 1)
    on_test = MinMaxScaler().fit(january_column)
    message = printed(capsys, check_scaling, **scaling(solution, scaler=on_test,
                                                       train_scaled=on_test.transform(solution["training_data"])))
    assert message == "Not quite: scaler was fitted on the 21 test days; fit it on the training prices only."
    on_all = MinMaxScaler().fit(np.vstack([solution["training_data"], january_column]))
    message = printed(capsys, check_scaling, **scaling(solution, scaler=on_all,
                                                       train_scaled=on_all.transform(solution["training_data"])))
    assert message.startswith("Not quite: scaler was fitted on 1279 prices, 21 more than the 1258 training days: "
                              "it has seen test prices")


def test_scaling_names_unscaled_values_and_wrong_types_and_shapes(solution, capsys):
    dollars = solution["training_data"][:, 0]
    assert "train_scaled holds prices in dollars" in printed(capsys, check_scaling,
                                                             **scaling(solution, train_scaled=dollars))
    frame = solution["prices"].train[["Open"]]
    assert printed(capsys, check_scaling, **scaling(solution, training_data=frame)) == (
        "Not quite: training_data is a DataFrame; expected a NumPy array of shape (days, 1) "
        "(.to_numpy() turns it into one).")
    assert "training_data has shape (1258,); expected (days, 1)" in printed(
        capsys, check_scaling, **scaling(solution, training_data=dollars))
    standard = StandardScaler().fit(solution["training_data"])
    assert "scaler is a StandardScaler; expected scikit-learn's MinMaxScaler" in printed(
        capsys, check_scaling, **scaling(solution, scaler=standard))
    assert "train_scaled has shape (1257,); expected (1258, 1) or (1258,)" in printed(
        capsys, check_scaling, **scaling(solution, train_scaled=solution["train_scaled"][1:]))


# ---- check_windows ------------------------------------------------------------------------------------------------


def test_windows_pass_on_the_solution(solution, capsys):
    assert printed(capsys, check_windows, **windows(solution)) == (
        "Correct: 1198 windows of 60 days, each followed by its target, the next day's scaled open.")
    as_float32 = {"X_train": solution["X_train"].astype("float32"), "y_train": solution["y_train"].astype("float32")}
    assert printed(capsys, check_windows, **windows(solution, **as_float32)).startswith("Correct:")


def chapter_loop(series, window, target_offset=0, start_offset=0):
    """The chapter's for loop, optionally with the off-by-one mistakes learners make."""
    X, y = [], []
    for i in range(window, len(series)):
        X.append(series[i - window + start_offset:i + start_offset])
        y.append(series[i + target_offset])
    return np.array(X), np.array(y)


def test_windows_name_a_missing_feature_axis(solution, capsys):
    X, y = chapter_loop(solution["train_scaled"], WINDOW)
    assert printed(capsys, check_windows, **windows(solution, X_train=X, y_train=y)) == (
        "Not quite: X_train has shape (1198, 60), but an LSTM layer reads three axes (samples, time steps, "
        "features): expected (1198, 60, 1), with the single feature as the last axis.")
    # With the reshape the chapter does next, the loop is right.
    assert printed(capsys, check_windows, **windows(solution, X_train=X[..., None], y_train=y)).startswith("Correct:")


@pytest.mark.parametrize("mistake", [{"target_offset": -1}, {"start_offset": 1, "target_offset": 0}],
                         ids=["target-is-last-day-of-window", "window-includes-target-day"])
def test_windows_name_targets_misaligned_by_one_day(solution, capsys, mistake):
    series = np.append(solution["train_scaled"], 0.5) if mistake.get("start_offset") else solution["train_scaled"]
    X, y = chapter_loop(series, WINDOW, **mistake)
    X, y = X[:1198, :, None], y[:1198]
    message = printed(capsys, check_windows, **windows(solution, X_train=X, y_train=y))
    assert message == ("Not quite: each window already contains its own target as its last day (off by one): a "
                       "window must end the day before the day it predicts.")


def test_windows_name_unscaled_windows_lists_and_wrong_counts(solution, capsys):
    dollars = solution["training_data"][:, 0]
    X, y = make_windows(dollars, WINDOW)
    assert "X_train or y_train holds prices in dollars; cut the windows from train_scaled" in printed(
        capsys, check_windows, **windows(solution, X_train=X, y_train=y))
    assert printed(capsys, check_windows, **windows(solution, X_train=list(solution["X_train"]))) == (
        "Not quite: X_train is a list; expected a NumPy array of shape (1198, 60, 1).")
    assert "X_train has shape (1197, 60, 1); expected (1198, 60, 1)" in printed(
        capsys, check_windows, **windows(solution, X_train=solution["X_train"][:-1]))
    shuffled = solution["X_train"][::-1].copy()
    assert printed(capsys, check_windows, **windows(solution, X_train=shuffled)) == (
        "Not quite: the rows of X_train are not the 60-day runs of train_scaled in order (row i should be days i to "
        "i + 59, counting from 0).")


# ---- check_model --------------------------------------------------------------------------------------------------


def chapter_model(units=UNITS, dropout=0.0, layers=4, last_returns_sequences=False, compile_it=True):
    """The chapter's network written out as a learner would, with one of their typical mistakes."""
    model = keras.Sequential([keras.Input(shape=(WINDOW, 1))])
    for number in range(layers):
        last = number == layers - 1
        model.add(keras.layers.LSTM(units, return_sequences=not last or last_returns_sequences))
        if dropout:
            model.add(keras.layers.Dropout(dropout))
    model.add(keras.layers.Dense(1))
    if compile_it:
        model.compile(optimizer="adam", loss="mean_squared_error")
    return model


@pytest.mark.parametrize("dropout", [0.0, 0.2])
def test_model_passes_on_the_solution(capsys, dropout):
    message = printed(capsys, check_model, WINDOW=WINDOW, UNITS=UNITS, DROPOUT=dropout,
                      model=build_stacked_lstm(WINDOW, UNITS, dropout))
    with_dropout = ", each followed by Dropout(0.2)" if dropout else ""
    assert message == (f"Correct: 4 LSTM layers of 50 units{with_dropout}, the first three returning sequences, "
                       "then Dense(1); compiled with Adam and the mean squared error.")


@pytest.mark.parametrize(("mistake", "hint"), [
    ({"last_returns_sequences": True}, "the last LSTM layer has return_sequences=True"),
    ({"layers": 3}, "model has 3 LSTM layers; the chapter's network stacks 4."),
    ({"units": 100}, "LSTM layer 1 has 100 units; every LSTM layer should have UNITS = 50."),
    ({"compile_it": False}, "model is not compiled yet"),
    ({"dropout": 0.5}, "a Dropout layer drops 0.5 of its inputs; expected DROPOUT = 0.2."),
], ids=["last-returns-sequences", "three-layers", "wrong-units", "not-compiled", "wrong-rate"])
def test_model_names_typical_mistakes(capsys, mistake, hint):
    settings = {"dropout": 0.2, **mistake}
    message = printed(capsys, check_model, WINDOW=WINDOW, UNITS=UNITS, DROPOUT=0.2, model=chapter_model(**settings))
    assert message.startswith("Not quite: " + hint)


def test_model_names_missing_dropout_and_wrong_loss(capsys):
    message = printed(capsys, check_model, WINDOW=WINDOW, UNITS=UNITS, DROPOUT=0.2, model=chapter_model())
    assert message == ("Not quite: LSTM layer 1 is not followed by a Dropout layer; with DROPOUT = 0.2 each LSTM "
                       "layer's output goes through dropout, after the layer.")
    model = chapter_model(compile_it=False)
    model.compile(optimizer="adam", loss="mean_absolute_error")
    assert "compiled with the loss 'mean_absolute_error'; expected the mean squared error" in printed(
        capsys, check_model, WINDOW=WINDOW, UNITS=UNITS, DROPOUT=0.0, model=model)
    assert printed(capsys, check_model, WINDOW=WINDOW, UNITS=UNITS, DROPOUT=0.0, model="LSTM") == (
        "Not quite: model is a str; expected a Keras model (keras.Sequential).")


def stacked(*extra, lstms=None, compile_it=True, optimizer="adam", loss="mean_squared_error", window=WINDOW):
    """The chapter's four LSTM layers (or ``lstms``) on ``window``-day inputs, then ``extra`` (the output layers)."""
    lstms = lstms if lstms is not None else [keras.layers.LSTM(UNITS, return_sequences=number < 3) for number in range(4)]
    model = keras.Sequential([keras.Input(shape=(window, 1)), *lstms, *extra])
    if compile_it:
        model.compile(optimizer=optimizer, loss=loss)
    return model


MODEL_MISTAKES = {
    "dropout-too-high": (lambda: (1.5, stacked(keras.layers.Dense(1))),
                         "DROPOUT is 1.5; expected a number from 0 up to (not including) 1."),
    "dropout-text": (lambda: ("a fifth", stacked(keras.layers.Dense(1))),
                     "DROPOUT is 'a fifth'; expected a number from 0 up to (not including) 1."),
    "no-input": (lambda: (0.0, keras.Sequential([*(keras.layers.LSTM(UNITS, return_sequences=True) for _ in range(3)),
                                                  keras.layers.LSTM(UNITS), keras.layers.Dense(1)])),
                 "model does not know the shape of its input yet; give it an input of shape (60, 1)."),
    "input-shape": (lambda: (0.0, stacked(keras.layers.Dense(1), window=30)),
                    "model reads inputs of shape (30, 1); expected (60, 1): 60 days of one feature."),
    "one-lstm": (lambda: (0.0, stacked(keras.layers.Dense(1), lstms=[keras.layers.LSTM(UNITS)])),
                 "model has 1 LSTM layer; the chapter's network stacks 4."),
    "relu-output": (lambda: (0.0, stacked(keras.layers.Dense(1, activation="relu"))),
                    "the Dense output layer has the relu activation; a price forecast needs the default, none (linear), "
                    "so that any value can come out."),
    "two-outputs": (lambda: (0.0, stacked(keras.layers.Dense(2))),
                    "the Dense output layer has 2 units, so the model makes 2 numbers per window; it should make 1, the "
                    "next day's scaled open: Dense(1)."),
    "extra-dense": (lambda: (0.0, stacked(keras.layers.Dense(8), keras.layers.Dense(1))),
                    "model has layers the chapter's network does not, before its output layer: Dense."),
    "sgd": (lambda: (0.0, stacked(keras.layers.Dense(1), optimizer="sgd")),
            "model is compiled with the SGD optimiser; the chapter uses Adam."),
    "mae-object": (lambda: (0.0, stacked(keras.layers.Dense(1), loss=keras.losses.MeanAbsoluteError())),
                   "model is compiled with the loss 'mean_absolute_error'; expected the mean squared error."),
    "mae-function": (lambda: (0.0, stacked(keras.layers.Dense(1), loss=keras.losses.mean_absolute_error)),
                     "model is compiled with the loss 'mean_absolute_error'; expected the mean squared error."),
    "last-dropout-missing": (lambda: (0.2, stacked(keras.layers.Dense(1), lstms=[
        *(layer for _ in range(3) for layer in (keras.layers.LSTM(UNITS, return_sequences=True), keras.layers.Dropout(0.2))),
        keras.layers.LSTM(UNITS)])),
                             "LSTM layer 4 is not followed by a Dropout layer; with DROPOUT = 0.2 each LSTM layer's "
                             "output goes through dropout, after the layer."),
    "dropout-of-one": (lambda: (1, stacked(keras.layers.Dense(1))),
                       "DROPOUT is 1; expected a number from 0 up to (not including) 1."),
    "last-returns-sequences": (lambda: (0.0, stacked(keras.layers.Dense(1), lstms=[
        keras.layers.LSTM(UNITS, return_sequences=True) for _ in range(4)])),
                               "the last LSTM layer has return_sequences=True: it should pass only its final output to "
                               "the Dense layer, which makes one prediction per window."),
    "second-returns-last-step": (lambda: (0.0, stacked(keras.layers.Dense(1), lstms=[
        keras.layers.LSTM(UNITS, return_sequences=True), keras.layers.LSTM(UNITS), keras.layers.RepeatVector(WINDOW),
        keras.layers.LSTM(UNITS, return_sequences=True), keras.layers.LSTM(UNITS)])),
                                 "LSTM layer 2 has no return_sequences=True, so it passes on only its last step and LSTM "
                                 "layer 3 has no sequence to read: every LSTM layer but the last needs "
                                 "return_sequences=True."),
    "ends-with-an-lstm": (lambda: (0.2, stacked(lstms=[
        *(layer for _ in range(3) for layer in (keras.layers.LSTM(UNITS, return_sequences=True), keras.layers.Dropout(0.2))),
        keras.layers.LSTM(UNITS)])),
                          "LSTM layer 4 is not followed by a Dropout layer; with DROPOUT = 0.2 each LSTM layer's "
                          "output goes through dropout, after the layer."),
    "loss-without-a-name": (lambda: (0.0, stacked(keras.layers.Dense(1), loss=SquaredLoss())),
                            "model is compiled with the loss 'SquaredLoss'; expected the mean squared error."),
}


class SquaredLoss:
    """A loss written by hand, as a callable object with no name of its own."""

    def __call__(self, y_true, y_pred):
        return keras.ops.mean(keras.ops.square(y_true - y_pred))


@pytest.mark.parametrize("mistake", MODEL_MISTAKES)
def test_each_model_mistake_gets_its_own_hint_word_for_word(capsys, mistake):
    build, hint = MODEL_MISTAKES[mistake]
    dropout, model = build()
    assert printed(capsys, check_model, WINDOW=WINDOW, UNITS=UNITS, DROPOUT=dropout, model=model) == f"Not quite: {hint}"


@pytest.mark.parametrize("loss", ["mse", "MeanSquaredError", "mean_squared_error", "mse-object", "mse-function"])
def test_a_model_with_the_mean_squared_error_passes_however_it_is_named(capsys, loss):
    given = {"mse-object": keras.losses.MeanSquaredError(), "mse-function": keras.losses.mean_squared_error}.get(loss, loss)
    message = printed(capsys, check_model, WINDOW=WINDOW, UNITS=UNITS, DROPOUT=0.0,
                      model=stacked(keras.layers.Dense(1), loss=given))
    assert message.startswith("Correct: 4 LSTM layers of 50 units, the first three returning sequences")


def test_model_window_that_is_not_a_whole_number_is_named(capsys):
    assert printed(capsys, check_model, WINDOW="sixty", UNITS=UNITS, DROPOUT=0.0, model=stacked(keras.layers.Dense(1))) == (
        "Not quite: WINDOW is 'sixty'; expected a whole number, at least 1 (see the parameters cell).")


def test_model_units_that_are_not_a_whole_number_are_named(capsys):
    assert printed(capsys, check_model, WINDOW=WINDOW, UNITS="fifty", DROPOUT=0.0, model=stacked(keras.layers.Dense(1))) == (
        "Not quite: UNITS is 'fifty'; expected a whole number, at least 1 (see the parameters cell).")


# ---- check_january_inputs ------------------------------------------------------------------------------------------


def test_january_inputs_pass_on_the_solution(solution, capsys):
    assert printed(capsys, check_january_inputs, **january(solution)) == (
        "Correct: 21 test windows; the first is the last 60 training days, and each next one slides one day "
        "into January.")


def test_january_inputs_name_windows_that_do_not_start_with_the_last_training_days(solution, capsys):
    series = solution["train_scaled"]
    shifted = np.concatenate([series[-WINDOW - 1:-1], solution["test_scaled"]])
    assert printed(capsys, check_january_inputs, **january(solution, inputs=shifted)) == (
        "Not quite: inputs does not start with the last 60 days of train_scaled: the window for the first test day "
        "is the 60 training days right before it.")
    test_only = solution["test_scaled"]
    assert "inputs has shape (21,); expected (81, 1) or (81,), one value per day: 81 = the last 60 training days" in printed(
        capsys, check_january_inputs, **january(solution, inputs=test_only))


def test_january_inputs_name_test_windows_off_by_one(solution, capsys):
    late = np.lib.stride_tricks.sliding_window_view(solution["inputs"], WINDOW)[1:, :, None]
    assert printed(capsys, check_january_inputs, **january(solution, X_test=late)) == (
        "Not quite: each test window starts one day late, so it already contains the day it should predict "
        "(off by one).")
    flat = solution["X_test"][:, :, 0]
    assert "X_test has shape (21, 60), but an LSTM layer reads three axes" in printed(
        capsys, check_january_inputs, **january(solution, X_test=flat))


def test_january_inputs_name_a_refitted_scaler_and_unscaled_test_prices(solution, capsys):
    refitted = MinMaxScaler().fit(solution["prices"].test_open.reshape(-1, 1))
    assert printed(capsys, check_january_inputs, **january(solution, scaler=refitted)) == (
        "Not quite: scaler has been fitted again, now on 21 prices: run the scaling cell again to get back the scaler "
        "fitted on the training days, then change this cell to use it without fitting it again (transform, not "
        "fit_transform) and run it.")
    dollars = solution["prices"].test_open
    assert printed(capsys, check_january_inputs, **january(solution, test_scaled=dollars)) == (
        "Not quite: test_scaled holds January prices in dollars; scale them with scaler first.")


# ---- the catalogue of mistakes: each gets its own hint, word for word ---------------------------------------------


def raised_minimum(training_data):
    """A scaler fitted on as many prices as the training days, but not on them: the lowest open replaced."""
    data = training_data.copy()
    data[data.argmin()] = data.max()
    return MinMaxScaler().fit(data)


def without_prices(values: dict) -> dict:
    return {name: value for name, value in values.items() if name != "prices"}


MISTAKES = {
    "scaling-standard-scaler": (check_scaling, lambda s: scaling(s, scaler=StandardScaler().fit(s["training_data"])),
                                "scaler is a StandardScaler; expected scikit-learn's MinMaxScaler, which maps the "
                                "training prices to the range 0 to 1."),
    "scaling-unfitted": (check_scaling, lambda s: scaling(s, scaler=MinMaxScaler()),
                         "scaler has not been fitted yet: fit it on the training prices before scaling them."),
    "scaling-range": (check_scaling, lambda s: scaling(s, scaler=MinMaxScaler((-1, 1)).fit(s["training_data"])),
                      "scaler maps prices to (-1, 1); the lesson scales them to (0, 1)."),
    "scaling-two-columns": (check_scaling,
                            lambda s: scaling(s, scaler=MinMaxScaler().fit(np.hstack([s["training_data"]] * 2))),
                            "scaler was fitted on 2 columns; expected one, the opening price."),
    "scaling-1d-training-data": (check_scaling, lambda s: scaling(s, training_data=s["training_data"][:, 0]),
                                 "training_data has shape (1258,); expected (days, 1): one row per trading day and one "
                                 "column, the opening price."),
    "scaling-high-column": (check_scaling, lambda s: scaling(s, training_data=s["prices"].train[["High"]].to_numpy()),
                            "training_data is not the Open column of the training file; the model forecasts opening "
                            "prices."),
    "scaling-text": (check_scaling, lambda s: scaling(s, training_data=s["training_data"].astype(str)),
                     "training_data holds <U32 values; expected numbers, in an array of shape (days, 1)."),
    "scaling-all-days": (check_scaling, lambda s: scaling(s, scaler=MinMaxScaler().fit(
        np.vstack([s["training_data"], s["prices"].test_open.reshape(-1, 1)]))),
                         "scaler was fitted on 1279 prices, 21 more than the 1258 training days: it has seen test "
                         "prices, which leaks the future into training. Fit it on the training prices only."),
    "scaling-fewer-days": (check_scaling, lambda s: scaling(s, scaler=MinMaxScaler().fit(s["training_data"][:1000])),
                           "scaler was fitted on 1000 prices, not on the 1258 training days; fit it on the training "
                           "prices only."),
    "scaling-other-prices": (check_scaling, lambda s: scaling(s, scaler=raised_minimum(s["training_data"])),
                             "scaler was fitted on 1258 prices, as many as the training days, but not on "
                             "training_data's; fit it on the training prices only."),
    "scaling-dollars": (check_scaling, lambda s: scaling(s, train_scaled=s["training_data"][:, 0]),
                        "train_scaled holds prices in dollars; it should be the training prices transformed by "
                        "scaler."),
    "scaling-reversed": (check_scaling, lambda s: scaling(s, train_scaled=s["train_scaled"][::-1].copy()),
                         "train_scaled is not training_data transformed by scaler (the lowest training open should "
                         "become 0 and the highest 1)."),
    "windows-window-text": (check_windows, lambda s: {**windows(s), "WINDOW": "sixty"},
                            "WINDOW is 'sixty'; expected a whole number, at least 1 (see the parameters cell)."),
    "windows-window-zero": (check_windows, lambda s: {**windows(s), "WINDOW": 0},
                            "WINDOW is 0; expected a whole number, at least 1 (see the parameters cell)."),
    "windows-series-list": (check_windows, lambda s: windows(s, train_scaled=list(s["train_scaled"])),
                            "train_scaled is a list; expected a NumPy array of shape (days, 1) or (days,)."),
    "windows-series-2d": (check_windows, lambda s: windows(s, train_scaled=np.ones((5, 2))),
                          "train_scaled has shape (5, 2); expected (days, 1) or (days,), one value per day."),
    "windows-too-short": (check_windows, lambda s: windows(s, train_scaled=s["train_scaled"][:60]),
                          "train_scaled has 60 values, too few for one 60-day window and its target."),
    "windows-x-short": (check_windows, lambda s: windows(s, X_train=s["X_train"][:-1]),
                        "X_train has shape (1197, 60, 1); expected (1198, 60, 1): one 60-day window for each of the "
                        "1198 training days that have 60 days before them."),
    "windows-y-short": (check_windows, lambda s: windows(s, y_train=s["y_train"][:-1]),
                        "y_train has shape (1197,); expected (1198,): one target per window."),
    "windows-y-list": (check_windows, lambda s: windows(s, y_train=list(s["y_train"])),
                       "y_train is a list; expected a NumPy array of shape (1198,)."),
    "windows-x-text": (check_windows, lambda s: windows(s, X_train=s["X_train"].astype(str)),
                       "X_train holds <U32 values; expected numbers, in an array of shape (1198, 60, 1)."),
    "windows-y-series": (check_windows, lambda s: windows(s, y_train=s["prices"].train["Open"][:1198]),
                         "y_train is a Series; expected a NumPy array of shape (1198,) (.to_numpy() turns it into one)."),
    "windows-y-dollars": (check_windows, lambda s: windows(s, y_train=s["y_train"] * 1000),
                          "X_train or y_train holds prices in dollars; cut the windows from train_scaled."),
    "windows-y-reversed": (check_windows, lambda s: windows(s, y_train=s["y_train"][::-1].copy()),
                           "y_train is not the day after each window (y_train[i] should be day i + 60 of "
                           "train_scaled)."),
    "january-window-text": (check_january_inputs, lambda s: {**january(s), "WINDOW": "sixty"},
                            "WINDOW is 'sixty'; expected a whole number, at least 1 (see the parameters cell)."),
    "january-train-list": (check_january_inputs, lambda s: january(s, train_scaled=list(s["train_scaled"])),
                           "train_scaled is a list; expected a NumPy array of shape (days, 1) or (days,)."),
    "january-unfitted": (check_january_inputs, lambda s: january(s, scaler=MinMaxScaler()),
                         "scaler has not been fitted yet: fit it on the training prices before scaling them."),
    "january-test-short": (check_january_inputs, lambda s: january(s, test_scaled=s["test_scaled"][:-1]),
                           "test_scaled has shape (20,); expected (21, 1) or (21,), one value per day."),
    "january-test-refitted": (check_january_inputs, lambda s: january(s, test_scaled=MinMaxScaler().fit_transform(
        s["prices"].test_open.reshape(-1, 1))[:, 0]),
                              "test_scaled is not the January opens scaled by scaler; use the scaler fitted on the "
                              "training days, without fitting it again."),
    "january-dollars-without-prices": (check_january_inputs,
                                       lambda s: without_prices(january(s, test_scaled=s["prices"].test_open)),
                                       "test_scaled holds prices in dollars; scale the January opens with scaler "
                                       "first."),
    "january-inputs-dollars": (check_january_inputs, lambda s: january(s, inputs=s["inputs"] * 1000),
                               "inputs holds prices in dollars; scale the joined days with scaler (transform)."),
    "january-inputs-test-reversed": (check_january_inputs, lambda s: january(s, inputs=np.concatenate(
        [s["inputs"][:WINDOW], s["inputs"][WINDOW:][::-1]])),
                                     "after its first 60 values, inputs should continue with the 21 January opens in "
                                     "order, scaled by scaler, the one fitted on the training days (transform, not "
                                     "fit_transform)."),
    "january-first-window-wrong": (check_january_inputs, lambda s: january(s, X_test=np.concatenate(
        [s["X_test"][1:2], s["X_test"][1:]])),
                                   "the first test window should be the last 60 days of train_scaled, the days before "
                                   "the first test day."),
    "january-windows-shuffled": (check_january_inputs, lambda s: january(s, X_test=np.concatenate(
        [s["X_test"][:1], s["X_test"][1:][::-1]])),
                                 "the rows of X_test are not the windows of inputs in order (row i should be inputs[i] "
                                 "to inputs[i + 59])."),
    "january-windows-short": (check_january_inputs, lambda s: january(s, X_test=s["X_test"][:-1]),
                              "X_test has shape (20, 60, 1); expected (21, 60, 1): one 60-day window for each of the 21 "
                              "test days."),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_mistake_gets_its_own_hint_word_for_word(solution, capsys, mistake):
    check, values, hint = MISTAKES[mistake]
    assert printed(capsys, check, **values(solution)) == f"Not quite: {hint}"


@pytest.mark.parametrize("check, values", [
    (check_scaling, lambda s: without_prices(scaling(s))),
    (check_january_inputs, lambda s: without_prices(january(s))),
    (check_windows, lambda s: windows(s, y_train=s["y_train"].reshape(-1, 1))),  # a column of targets is as right
    (check_windows, lambda s: windows(s, train_scaled=s["train_scaled"][:61], X_train=s["X_train"][:1],
                                      y_train=s["y_train"][:1])),  # one window is enough
    (check_windows, lambda s: {"WINDOW": 1, "train_scaled": s["train_scaled"],
                               **dict(zip(("X_train", "y_train"), make_windows(s["train_scaled"], 1)))}),
], ids=["scaling-without-prices", "january-without-prices", "windows-column-targets", "windows-just-one", "window-of-1"])
def test_right_answers_in_other_forms_pass(solution, capsys, check, values):
    assert printed(capsys, check, **values(solution)).startswith("Correct:")


# ---- reading the notebook's variables ---------------------------------------------------------------------------


def test_a_check_before_its_cell_names_the_cell_to_complete(capsys):
    notebook = {}
    exec("from utils.checks import check_windows\ncheck_windows()", notebook)
    assert capsys.readouterr().out == ("Not yet: WINDOW is not defined yet: complete and run the parameters cell at the "
                                       "top, then run this check again.\n")
    notebook.update(WINDOW=WINDOW, train_scaled=np.zeros(100))
    exec("check_windows()", notebook)
    assert capsys.readouterr().out == ("Not yet: X_train is not defined yet: complete and run the cell that cuts the "
                                       "training windows, then run this check again.\n")


def test_called_without_arguments_a_check_reads_the_callers_variables(solution, capsys):
    notebook = {"WINDOW": WINDOW, **{name: solution[name] for name in ("train_scaled", "X_train", "y_train")}}
    exec("from utils.checks import check_windows\ncheck_windows()", notebook)
    assert capsys.readouterr().out.startswith("Correct: 1198 windows")
    notebook["y_train"] = solution["y_train"][:-1]
    exec("check_windows()", notebook)
    assert "y_train has shape (1197,); expected (1198,)" in capsys.readouterr().out


def test_a_check_given_a_misspelt_name_says_which():
    with pytest.raises(TypeError, match=r"^unexpected keyword argument\(s\): X_tset, windw$"):
        check_windows(windw=60, X_tset=None)


def test_in_jupyter_a_check_reads_the_notebooks_variables(solution, capsys, monkeypatch):
    import types

    import IPython

    notebook = {"WINDOW": WINDOW, **{name: solution[name] for name in ("train_scaled", "X_train", "y_train")}}
    monkeypatch.setattr(IPython, "get_ipython", lambda: types.SimpleNamespace(user_ns=notebook))
    check_windows()  # this module defines none of them: they come from the notebook's namespace
    assert capsys.readouterr().out.startswith("Correct: 1198 windows")
    monkeypatch.setattr(IPython, "get_ipython", lambda: types.SimpleNamespace(user_ns=None))
    check_windows()  # a shell without a namespace: the caller's globals, where WINDOW is but X_train is not
    assert capsys.readouterr().out.startswith("Not yet: train_scaled is not defined yet")
