"""The notebooks' steps end to end, for the command line."""

from __future__ import annotations

import sys

import numpy as np

from ..data import Prices, load_prices
from ..epochs import FULL_EPOCHS
from ..errors import DataError
from ..evaluation import experiment_record, free_running_forecast, naive_forecast
from ..features import daily_changes, fit_scaler, january_inputs, make_windows, scale
from ..registry import notebook_for_settings
from ..saved_models import load_trained_model
from ..training import predict_prices, set_seed, train
from .model import build_stacked_lstm


def run_experiment(ticker: str, units: int, dropout: float = 0.0, epochs: int = FULL_EPOCHS, seed: int = 1,
                   window: int = 60, progress: bool = False, load: bool = False) -> dict:
    """Load, scale, window, train, predict the test period and score it against the naive baseline.

    ``load=True`` evaluates the committed model of the notebook with these settings instead of training.
    """
    return train_and_score(load_prices(ticker, window=window), units, dropout, epochs=epochs, seed=seed,
                           window=window, progress=progress, load=load)


def train_and_score(prices: Prices, units: int, dropout: float = 0.0, epochs: int = FULL_EPOCHS, seed: int = 1,
                    window: int = 60, progress: bool = False, load: bool = False, target: str = "price") -> dict:
    """Scale on ``prices.train`` only, window, train, predict each ``prices.test`` day one step ahead, and score.

    ``target="change"`` trains the same model on the daily changes of the open instead of the opens, and turns
    each predicted change back into a price by adding it to the day before's real open.
    """
    changes = target == "change"
    if changes and load:
        raise DataError("no committed model predicts the change: leave out --load to train one")
    if changes:
        train_series = daily_changes(prices.train_open)
        # The first test day's change is from the last training open; the others from the test day before.
        test_series = daily_changes([prices.train_open[-1], *prices.test_open])
    else:
        train_series, test_series = prices.train_open, prices.test_open
    scaler = fit_scaler(train_series)
    train_scaled = scale(scaler, train_series)
    X_train, y_train = make_windows(train_scaled, window)

    if load:
        name = notebook_for_settings(prices.ticker, units, dropout, window, seed)
        model, run = load_trained_model(name, ticker=prices.ticker, units=units, dropout=dropout, window=window, seed=seed,
                                        announce=False)
    else:
        set_seed(seed)
        model = build_stacked_lstm(window, units, dropout)
        run = train(model, X_train, y_train, epochs=epochs, progress=progress, stream=sys.stderr)

    X_test, _ = make_windows(january_inputs(train_scaled, scale(scaler, test_series), window), window)
    predicted = predict_prices(model, X_test, scaler)
    free_running = free_running_forecast(model, scaler, train_series, len(prices.test_open), window)
    if changes:  # each change added to the open it is measured from: the day before's real one, or its own forecast
        predicted = naive_forecast(prices.train_open, prices.test_open) + predicted
        free_running = prices.train_open[-1] + np.cumsum(free_running)
    return experiment_record(prices, run, predicted, free_running, units=units, dropout=dropout, seed=seed, window=window)
