"""A catalogue of learner mistakes: each gets a hint that contains the words a learner needs, never a traceback.

Each entry is one plausible wrong answer to one step of the tasks, written as a learner would, with the words its
hint must contain. The right answers pass (also written the ways Keras and NumPy allow: "mse", "MSE", a loss object).
"""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from utils.backend import load_keras
from utils.checks import (
    check_comparison,
    check_january_inputs,
    check_model,
    check_predictions,
    check_scaling,
    check_seed_judgement,
    check_width,
    check_windows,
    keras_error_hint,
)
from utils.data import load_prices

keras = load_keras()
layers = keras.layers
WINDOW, UNITS = 60, 50


@pytest.fixture(scope="module")
def chapter(shipped_data):
    """The right values of every step, written as Activity 9.01's solution writes them, on Alphabet's prices."""
    prices = load_prices("GOOG", window=WINDOW)
    training_data = prices.train[["Open"]].to_numpy()
    scaler = MinMaxScaler(feature_range=(0, 1))
    train_scaled = scaler.fit_transform(training_data).ravel()
    windows = np.array([train_scaled[day - WINDOW:day] for day in range(WINDOW, len(train_scaled))])
    y_train = train_scaled[WINDOW:]
    inputs = scaler.transform(np.concatenate([training_data[-WINDOW:], prices.test[["Open"]].to_numpy()])).ravel()
    X_test = np.array([inputs[day - WINDOW:day] for day in range(WINDOW, len(inputs))]).reshape(-1, WINDOW, 1)
    return dict(prices=prices, training_data=training_data, scaler=scaler, train_scaled=train_scaled, windows=windows,
                X_train=windows.reshape(len(windows), WINDOW, 1), y_train=y_train, inputs=inputs, X_test=X_test)


class Echo:
    """A stand-in for a trained model: it answers each window's last day, in float32, as Keras would."""

    def predict(self, X, verbose=0):
        return np.asarray(X)[:, -1, :].astype(np.float32)


def stack(*hidden, output=None, compiled=True, optimizer="adam", loss="mean_squared_error", built=True):
    """A Sequential model of ``hidden`` layers and Dense(1) (or ``output``), as a learner's model cell makes it."""
    model = keras.Sequential(([keras.Input(shape=(WINDOW, 1))] if built else []) + list(hidden)
                             + [output or layers.Dense(1)])
    if compiled:
        model.compile(optimizer=optimizer, loss=loss)
    return model


def lstms(count=4, units=UNITS, sequences=None, dropout=0.0, cell=None):
    """``count`` recurrent layers, all but the last returning sequences unless ``sequences`` says otherwise."""
    sequences = sequences or [number < count - 1 for number in range(count)]
    found = []
    for returns in sequences:
        found.append((cell or layers.LSTM)(units, return_sequences=returns))
        if dropout:
            found.append(layers.Dropout(dropout))
    return found


# ---- the mistakes: (step, how to make it from the chapter's values, words the hint must contain) ----------------------

def scaling(chapter, scaler=None, train_scaled=None, **rest):
    scaler = scaler if scaler is not None else chapter["scaler"]
    if train_scaled is None:
        train_scaled = scaler.transform(chapter["training_data"]).ravel() if hasattr(scaler, "scale_") else \
            chapter["training_data"].ravel()
    return check_scaling, dict(scaler=scaler, training_data=chapter["training_data"], train_scaled=train_scaled,
                               prices=chapter["prices"])


def windows(chapter, X_train=None, y_train=None, window=WINDOW):
    return check_windows, dict(WINDOW=window, train_scaled=chapter["train_scaled"],
                               X_train=chapter["X_train"] if X_train is None else X_train,
                               y_train=chapter["y_train"] if y_train is None else y_train)


def model(chapter, built_model, dropout=0.0):
    return check_model, dict(WINDOW=WINDOW, UNITS=UNITS, DROPOUT=dropout, model=built_model)


def january(chapter, scaler=None, inputs=None, X_test=None):
    return check_january_inputs, dict(WINDOW=WINDOW, scaler=scaler or chapter["scaler"],
                                      train_scaled=chapter["train_scaled"],
                                      inputs=chapter["inputs"] if inputs is None else inputs,
                                      X_test=chapter["X_test"] if X_test is None else X_test, prices=chapter["prices"])


def cut(series, window=WINDOW):
    return np.array([series[day - window:day] for day in range(window, len(series))]).reshape(-1, window, 1)


def fitted(values):
    return MinMaxScaler(feature_range=(0, 1)).fit(np.asarray(values).reshape(-1, 1))


def train_and_test(c):
    return np.concatenate([c["training_data"], c["prices"].test[["Open"]].to_numpy()])


def january_opens(c):
    return c["prices"].test[["Open"]].to_numpy()


MISTAKES = {
    # scaling
    "scaler fitted on train and test": (lambda c: scaling(c, fitted(train_and_test(c))),
                                        ["has seen test prices", "training prices only"]),
    "scaler fitted on the test days only": (lambda c: scaling(c, fitted(january_opens(c))),
                                            ["21 test days", "training prices only"]),
    "scaler never fitted": (lambda c: scaling(c, MinMaxScaler(), c["train_scaled"]), ["not been fitted"]),
    "StandardScaler": (lambda c: scaling(c, StandardScaler().fit(c["training_data"])), ["StandardScaler", "MinMaxScaler"]),
    "scaled to -1..1": (lambda c: scaling(c, MinMaxScaler(feature_range=(-1, 1)).fit(c["training_data"])),
                        ["(-1, 1)", "(0, 1)"]),
    "training prices left in dollars": (lambda c: scaling(c, train_scaled=c["training_data"].ravel()), ["in dollars"]),
    # windows
    "window of 30 days": (lambda c: windows(c, cut(c["train_scaled"], 30), c["train_scaled"][30:]),
                          ["30 days", "WINDOW = 60"]),
    "window contains its own target": (lambda c: windows(c, np.array([c["train_scaled"][day - WINDOW + 1:day + 1] for day in
                                                                     range(WINDOW, len(c["train_scaled"]))])[..., None]),
                                       ["its own target", "off by one"]),
    "no reshape to three axes": (lambda c: windows(c, c["windows"]), ["three axes", "(samples, time steps, features)"]),
    "axes swapped (time steps first)": (lambda c: windows(c, c["X_train"].transpose(1, 0, 2)),
                                        ["wrong order", "(samples, time steps, features)"]),
    "axes swapped (feature before time steps)": (lambda c: windows(c, c["X_train"].transpose(0, 2, 1)),
                                                 ["wrong order", "(1198, 60, 1)"]),
    "windows cut from dollars": (lambda c: windows(c, cut(c["training_data"].ravel()), c["training_data"].ravel()[60:]),
                                 ["in dollars"]),
    # the model
    "return_sequences missing on LSTM layer 1": (lambda c: model(c, stack(*lstms(sequences=[False, True, True, False]),
                                                                          built=False)),
                                                 ["LSTM layer 1", "return_sequences=True"]),
    "return_sequences missing on LSTM layer 2": (lambda c: model(c, stack(*lstms(sequences=[True, False, True, False]),
                                                                          built=False)),
                                                 ["LSTM layer 2", "return_sequences=True"]),
    "return_sequences missing on LSTM layer 3": (lambda c: model(c, stack(*lstms(sequences=[True, True, False, False]),
                                                                          built=False)),
                                                 ["LSTM layer 3", "return_sequences=True"]),
    "return_sequences on the last LSTM layer": (lambda c: model(c, stack(*lstms(sequences=[True] * 4))),
                                                ["last LSTM layer", "return_sequences=True"]),
    "three LSTM layers": (lambda c: model(c, stack(*lstms(3))), ["3 LSTM layers", "stacks 4"]),
    "five LSTM layers": (lambda c: model(c, stack(*lstms(5))), ["5 LSTM layers", "stacks 4"]),
    "GRU instead of LSTM": (lambda c: model(c, stack(*lstms(cell=layers.GRU))), ["GRU", "LSTM"]),
    "100 units instead of 50": (lambda c: model(c, stack(*lstms(units=100))), ["100 units", "UNITS = 50"]),
    "Dropout 0.5 instead of 0.2": (lambda c: model(c, stack(*lstms(dropout=0.5)), 0.2), ["0.5", "DROPOUT = 0.2"]),
    "Dropout missing": (lambda c: model(c, stack(*lstms()), 0.2), ["not followed by a Dropout layer"]),
    "Dropout before each LSTM layer instead of after": (
        lambda c: model(c, stack(*[layer for lstm in lstms() for layer in (layers.Dropout(0.2), lstm)]), 0.2),
        ["before LSTM layer 1", "after each LSTM layer"]),
    "Dropout layers in a model without dropout": (lambda c: model(c, stack(*lstms(dropout=0.2))), ["DROPOUT = 0"]),
    "Dense(10) output": (lambda c: model(c, stack(*lstms(), output=layers.Dense(10))), ["10 units", "Dense(1)"]),
    "sigmoid output": (lambda c: model(c, stack(*lstms(), output=layers.Dense(1, activation="sigmoid"))),
                       ["sigmoid", "linear"]),
    "SGD optimiser": (lambda c: model(c, stack(*lstms(), optimizer="sgd")), ["SGD", "Adam"]),
    "mean absolute error loss": (lambda c: model(c, stack(*lstms(), loss="mae")), ["'mae'", "mean squared error"]),
    "not compiled": (lambda c: model(c, stack(*lstms(), compiled=False)), ["not compiled"]),
    "learning rate far from Adam's default": (
        lambda c: model(c, stack(*lstms(), optimizer=keras.optimizers.Adam(learning_rate=0.5))),
        ["0.5", "far from its default 0.001"]),
    # January
    "January windows from the test days only": (
        lambda c: january(c, inputs=c["inputs"][WINDOW:], X_test=cut(c["inputs"][WINDOW:], 10)),
        ["81 = the last 60 training days (WINDOW) + the 21 test days"]),
    "59 training days before January": (lambda c: january(c, inputs=c["inputs"][1:]),
                                        ["(80,)", "81 = the last 60 training days"]),
    "a new scaler fitted on January": (
        lambda c: january(c, inputs=np.concatenate([c["train_scaled"][-WINDOW:],
                                                    fitted(january_opens(c)).transform(january_opens(c)).ravel()])),
        ["fitted on the training days", "transform, not fit_transform"]),
    "the scaler refitted on the joined days": (lambda c: january(c, scaler=fitted(train_and_test(c)[-81:])),
                                               ["fitted again", "run the scaling cell again"]),
    "January left in dollars": (
        lambda c: january(c, inputs=np.concatenate([c["train_scaled"][-WINDOW:], january_opens(c).ravel()])),
        ["in dollars"]),
    "test windows one day late": (lambda c: january(c, X_test=cut(np.append(c["inputs"][1:], 0.5))), ["off by one"]),
    "test windows without the feature axis": (lambda c: january(c, X_test=c["X_test"][:, :, 0]), ["three axes"]),
    # predictions
    "predictions left on the 0..1 scale": (
        lambda c: (check_predictions, dict(model=Echo(), X_test=c["X_test"], scaler=c["scaler"],
                                           predicted=Echo().predict(c["X_test"]).ravel())),
        ["0..1 scale", "inverse_transform"]),
    "predictions unscaled with a scaler fitted on January": (
        lambda c: (check_predictions, dict(model=Echo(), X_test=c["X_test"], scaler=c["scaler"],
                                           predicted=fitted(january_opens(c)).inverse_transform(
                                               Echo().predict(c["X_test"])).ravel())),
        ["same scaler", "inverse_transform"]),
    # Activity 9.02's comparison
    "a mean squared error for an RMSE": (
        lambda c: (check_comparison, comparison(c, with_dropout=lambda rmse: rmse ** 2)), ["square root"]),
    "the two RMSEs swapped": (lambda c: (check_comparison, comparison(c, swap=True)), ["rmse_with_dropout is"]),
    # Activity 9.03's width and seed judgement
    "weights counted without the bias": (
        lambda c: (check_width, dict(UNITS=UNITS, model=stack(*lstms()),
                                     weights_per_layer=[4 * (1 + UNITS) * UNITS] + [4 * 2 * UNITS * UNITS] * 3)),
        ["LSTM layer 1", "plus a bias"]),
    "population standard deviation (ddof=0)": (
        lambda c: (check_seed_judgement, judgement(spread=lambda a, b: max(a.std(), b.std()))), ["ddof=1", "n - 1"]),
    "tied read the wrong way round": (lambda c: (check_seed_judgement, judgement(flip=True)), ["True or False"]),
}
RMSE_50, RMSE_100 = np.array([40.4, 36.4, 44.0]), np.array([38.7, 38.2, 44.3])


def comparison(c, with_dropout=lambda rmse: rmse, swap=False):
    real = c["prices"].test_open
    predicted, saved = real * 1.01, real * 0.97
    mine, theirs = (float(np.sqrt(np.mean((real - forecast) ** 2))) for forecast in (predicted, saved))
    if swap:
        mine, theirs = theirs, mine
    return dict(predicted=predicted, without_dropout={"predictions": list(saved)}, rmse_with_dropout=with_dropout(mine),
                rmse_without_dropout=theirs, prices=c["prices"])


def judgement(spread=lambda a, b: max(a.std(ddof=1), b.std(ddof=1)), flip=False):
    difference = RMSE_100.mean() - RMSE_50.mean()
    wide = spread(RMSE_50, RMSE_100)
    tied = bool(abs(difference) < max(RMSE_50.std(ddof=1), RMSE_100.std(ddof=1)))
    return dict(rmse_50=RMSE_50, rmse_100=RMSE_100, difference=difference, spread=wide, tied=not tied if flip else tied)


def answer(capsys, check, values) -> str:
    check(**values)
    return capsys.readouterr().out.strip()


def test_the_catalogue_is_large_enough():
    assert len(MISTAKES) >= 30


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_each_mistake_gets_a_hint_with_its_words(chapter, capsys, mistake):
    make, words = MISTAKES[mistake]
    message = answer(capsys, *make(chapter))
    assert message.startswith("Not quite: ") and "\n" not in message, message
    for word in words:
        assert word in message, f"{mistake}: {word!r} not in {message!r}"


@pytest.mark.parametrize("loss", ["mse", "MSE", "mean_squared_error", keras.losses.MeanSquaredError(),
                                  keras.losses.mean_squared_error], ids=["mse", "MSE", "name", "object", "function"])
def test_keras_names_of_the_right_loss_pass(chapter, capsys, loss):
    assert answer(capsys, *model(chapter, stack(*lstms(), loss=loss))).startswith("Correct:")


def test_the_right_answers_pass(chapter, capsys):
    assert answer(capsys, *scaling(chapter)).startswith("Correct:")
    assert answer(capsys, *windows(chapter)).startswith("Correct:")
    # A learning rate near Adam's default is a choice, not a mistake.
    assert answer(capsys, *model(chapter, stack(*lstms(), optimizer=keras.optimizers.Adam(0.002)))).startswith("Correct:")
    assert answer(capsys, *model(chapter, stack(*lstms(dropout=0.2)), 0.2)).startswith("Correct:")
    assert answer(capsys, *january(chapter)).startswith("Correct:")
    predicted = chapter["scaler"].inverse_transform(Echo().predict(chapter["X_test"]).astype(float)).ravel()
    assert answer(capsys, check_predictions, dict(model=Echo(), X_test=chapter["X_test"], scaler=chapter["scaler"],
                                                  predicted=predicted)).startswith("Correct:")
    assert answer(capsys, check_comparison, comparison(chapter)).startswith("Correct:")
    assert answer(capsys, check_width, dict(UNITS=UNITS, model=stack(*lstms()), weights_per_layer=[
        4 * (inputs + UNITS + 1) * UNITS for inputs in (1, UNITS, UNITS, UNITS)])).startswith("Correct:")
    assert answer(capsys, check_seed_judgement, judgement()).startswith("Correct: the means differ by $")


def test_kerass_ndim_error_becomes_one_line_naming_return_sequences():
    built = keras.Sequential([keras.Input(shape=(WINDOW, 1)), layers.LSTM(5)])
    with pytest.raises(ValueError) as error:
        built.add(layers.LSTM(5))
    hint = keras_error_hint(error.value)
    assert hint.startswith("Not quite: ") and "return_sequences=True" in hint and "\n" not in hint
    assert keras_error_hint(ValueError("could not convert string to float")) is None


def test_in_a_notebook_the_model_cell_shows_that_line_instead_of_the_traceback():
    from nbclient import NotebookClient

    setup = "from utils.backend import load_keras\nkeras = load_keras()\nfrom utils.checks import explain_keras_errors\n" \
            "explain_keras_errors()"
    model_cell = new_code_cell("model = keras.Sequential([keras.Input(shape=(60, 1))])\n"
                               "model.add(keras.layers.LSTM(5))\nmodel.add(keras.layers.LSTM(5))",
                               metadata={"tags": ["raises-exception"]})
    other_error = new_code_cell("int('x')", metadata={"tags": ["raises-exception"]})
    notebook = new_notebook(cells=[new_code_cell(setup), model_cell, other_error])
    NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    [shown] = notebook.cells[1].outputs
    assert shown.output_type == "stream" and shown.text.startswith("Not quite: ") and shown.text.count("\n") == 1
    assert "return_sequences=True" in shown.text
    # Any other error keeps its traceback.
    assert any(output.output_type == "error" and output.ename == "ValueError" for output in notebook.cells[2].outputs)
    assert nbformat.validate(notebook) is None
