"""Seconds per epoch: the chapter's plain Keras code against the project's training path.

Run from the repository root (``make benchmark`` runs the defaults):

    .venv/bin/python benchmarks/train_speed.py --epochs 8 --units 50 100

Both paths train on the same windows of GOOG's opens, with seed 1 and batch 32,
one after the other in this one run. Each trains in a fresh Python process,
because a process can load Keras on one backend only:

* ``plain``: the chapter's code as written there, on Keras's default backend
  (TensorFlow): four ``LSTM`` layers and a ``Dense`` layer, ``model.fit``.
* ``project``: ``utils.tools.model.build_stacked_lstm`` on the backend ``utils``
  chooses (JAX, with its compiled LSTM loop on a CPU; see utils/backend.py).

It prints the host line first (``benchmarks/host.py``: CPU, AVX2/AVX-512, L2
and L3, thread settings), then one row per (path, units): the first epoch (which includes tracing
and start-up), the median seconds per epoch after the first, the speed-up over
the plain code, whether the fast path's self-test passed (utils/backend.py; the plain path has none), the final
training loss and the January RMSE in dollars.
With ``--repeats N`` the two paths take turns N times, and the seconds per
epoch are the median over the N runs, with their range: on a shared machine
one run of either path can be slowed by what else runs at that moment.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from host import host_line

ROOT = Path(__file__).resolve().parents[1]
PATHS = ("plain", "project")


def plain_chapter_model(keras, window: int, units: int):
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


def measure(path: str, units: int, epochs: int, ticker: str) -> dict:
    """Train one model in this process and return its timings and scores."""
    sys.path.insert(0, str(ROOT))
    from utils.backend import fast_path_verdict, load_keras
    from utils.data import load_prices
    from utils.evaluation import forecast_metrics
    from utils.features import fit_scaler, january_inputs, make_windows, scale
    from utils.tools.model import build_stacked_lstm
    from utils.training import predict_prices, set_seed
    keras = load_keras()

    prices = load_prices(ticker)
    scaler = fit_scaler(prices.train_open)
    train_scaled = scale(scaler, prices.train_open)
    X_train, y_train = make_windows(train_scaled)
    X_test, _ = make_windows(january_inputs(train_scaled, scale(scaler, prices.test_open)))

    class EpochTimer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    set_seed(1)
    model = plain_chapter_model(keras, X_train.shape[1], units) if path == "plain" else build_stacked_lstm(
        X_train.shape[1], units)
    timer = EpochTimer()
    history = model.fit(X_train, y_train, epochs=epochs, batch_size=32, verbose=0, callbacks=[timer])
    predicted = predict_prices(model, X_test, scaler)
    # The fast path's self-test as this process's load_keras() found it (cached, or run once); the plain path skips it.
    verdict = fast_path_verdict(in_this_process=False, run_if_unknown=False) if path == "project" else None
    return {
        "backend": keras.backend.backend(),
        "self_test": "-" if verdict is None else "passed" if verdict["passed"] else "failed",
        "self_test_reason": verdict["reason"] if verdict else "",
        "first": timer.seconds[0],
        "per_epoch": statistics.median(timer.seconds[1:]) if epochs > 1 else timer.seconds[0],
        "loss": history.history["loss"][-1],
        "rmse": forecast_metrics(prices.test_open, predicted)["rmse"],
    }


def run_worker(path: str, units: int, epochs: int, ticker: str) -> dict:
    """Measure one path in a fresh process; the plain code gets Keras's default backend."""
    env = dict(os.environ)
    env.pop("KERAS_BACKEND", None)
    if path == "plain":
        env["KERAS_BACKEND"] = "tensorflow"
    command = [sys.executable, __file__, "--worker", path, "--units", str(units), "--epochs", str(epochs),
               "--ticker", ticker]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"the {path} run with {units} units failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in ("keras", "tensorflow", "jax"):
        with contextlib.suppress(PackageNotFoundError):
            found.append(f"{package} {version(package)}")
    return ", ".join(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--units", type=int, nargs="+", default=[50, 100])
    parser.add_argument("--ticker", default="GOOG")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each path, taking turns (default 1)")
    parser.add_argument("--worker", choices=PATHS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error(f"--epochs={args.epochs}: need at least 2, the first epoch is not timed")
    if args.repeats < 1:
        parser.error(f"--repeats={args.repeats}: need at least 1")
    if args.worker:
        print(json.dumps(measure(args.worker, args.units[0], args.epochs, args.ticker)))
        return

    print(host_line())
    print(f"{versions()}; {args.ticker}, {args.epochs} epochs, batch 32, seed 1, {args.repeats} run(s) of each path")
    print(f"{'path':9}{'backend':>12}{'units':>6}{'first epoch s':>15}{'s/epoch':>9}{'range':>13}{'speed-up':>10}"
          f"{'self-test':>11}{'loss':>10}{'RMSE $':>9}")
    for units in args.units:
        runs = {path: [] for path in PATHS}
        for _ in range(args.repeats):
            for path in PATHS:
                runs[path].append(run_worker(path, units, args.epochs, args.ticker))
        per_epoch = {path: statistics.median(run["per_epoch"] for run in done) for path, done in runs.items()}
        for path, done in runs.items():
            row, seconds = done[0], [run["per_epoch"] for run in done]
            spread = f"{min(seconds):.2f}-{max(seconds):.2f}"
            print(f"{path:9}{row['backend']:>12}{units:6d}{row['first']:15.2f}{per_epoch[path]:9.2f}{spread:>13}"
                  f"{per_epoch['plain'] / per_epoch[path]:10.2f}{row['self_test']:>11}{row['loss']:10.5f}"
                  f"{row['rmse']:9.2f}", flush=True)
            if row["self_test_reason"]:
                print(f"  the fast path is off: {row['self_test_reason']}")


if __name__ == "__main__":
    main()
