"""Seconds per epoch: the chapter's plain Keras code against the project's training path.

Both train on the same windows of GOOG's opens in one process, so they share
the machine's state. Run from the repository root:

    .venv/bin/python benchmarks/train_speed.py --epochs 8 --units 50 100

It prints one row per (path, units): the median seconds per epoch after the
first (which includes tracing and compilation), the speed-up over the plain
code, the final training loss and the January RMSE in dollars.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import keras

from utils.data import load_prices
from utils.evaluation import forecast_metrics
from utils.features import fit_scaler, january_inputs, make_windows, scale
from utils.model import build_stacked_lstm
from utils.training import predict_prices, set_seed


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def plain_chapter_model(window: int, units: int) -> keras.Model:
    """The chapter's model as written there: four LSTMs, default compile settings."""
    model = keras.Sequential()
    model.add(keras.Input(shape=(window, 1)))
    model.add(keras.layers.LSTM(units=units, return_sequences=True))
    model.add(keras.layers.LSTM(units=units, return_sequences=True))
    model.add(keras.layers.LSTM(units=units, return_sequences=True))
    model.add(keras.layers.LSTM(units=units))
    model.add(keras.layers.Dense(units=1))
    model.compile(optimizer="adam", loss="mean_squared_error")
    return model


def measure(build, units: int, epochs: int, data) -> dict:
    X_train, y_train, X_test, scaler, real = data
    set_seed(1)
    model = build(X_train.shape[1], units)
    timer = EpochTimer()
    history = model.fit(X_train, y_train, epochs=epochs, batch_size=32, verbose=0, callbacks=[timer])
    predicted = predict_prices(model, X_test, scaler)
    return {
        "first": timer.seconds[0],
        "per_epoch": statistics.median(timer.seconds[1:]) if epochs > 1 else timer.seconds[0],
        "loss": history.history["loss"][-1],
        "rmse": forecast_metrics(real, predicted)["rmse"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--units", type=int, nargs="+", default=[50, 100])
    parser.add_argument("--ticker", default="GOOG")
    args = parser.parse_args()

    prices = load_prices(args.ticker)
    scaler = fit_scaler(prices.train_open)
    train_scaled = scale(scaler, prices.train_open)
    X_train, y_train = make_windows(train_scaled)
    X_test, _ = make_windows(january_inputs(train_scaled, scale(scaler, prices.test_open)))
    data = (X_train, y_train, X_test, scaler, prices.test_open)

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"Keras {keras.__version__}, backend {keras.backend.backend()}; {args.epochs} epochs, batch 32")
    print(f"{'path':10}{'units':>6}{'first epoch s':>15}{'s/epoch':>9}{'speed-up':>10}{'loss':>10}{'RMSE $':>9}")
    for units in args.units:
        plain = measure(plain_chapter_model, units, args.epochs, data)
        fast = measure(lambda window, u: build_stacked_lstm(window, u), units, args.epochs, data)
        for name, row in (("plain", plain), ("project", fast)):
            print(f"{name:10}{units:6d}{row['first']:15.2f}{row['per_epoch']:9.2f}"
                  f"{plain['per_epoch'] / row['per_epoch']:10.2f}{row['loss']:10.5f}{row['rmse']:9.2f}")


if __name__ == "__main__":
    main()
