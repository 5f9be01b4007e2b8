"""Expected training minutes per notebook on the machine at hand: ``python -m utils timing``.

Trains the chapter's 50- and 100-unit models for a couple of epochs on the
GOOG windows (after one untimed epoch that compiles the training step), and
scales the seconds per epoch up to each notebook's full run. It takes a few
seconds to half a minute, so an instructor can run it on a learner's laptop
before deciding between full training, fewer epochs and ``TRAIN = False``.
"""

from __future__ import annotations

import os
import platform
import time

from ..backend import describe_training_path, load_keras
from ..data import load_prices
from ..epochs import FULL_EPOCHS
from ..features import fit_scaler, make_windows, scale
from ..registry import COMMITTED_SEED, COMMITTED_WINDOW, NOTEBOOKS, model_label
from ..training import set_seed, train
from .main_job import pin_to
from .model import build_stacked_lstm

# Dropout costs little next to the LSTM's own work, so Activity 9.02 takes its 50-unit figure.
TIMED_UNITS = sorted({units for _, units, _ in NOTEBOOKS.values()})


def seconds_per_epoch(units: int, epochs: int, ticker: str = "GOOG") -> float:
    """Mean wall time of one training epoch of the ``units``-unit model, the compile left out."""
    prices = load_prices(ticker, window=COMMITTED_WINDOW, verify=False)
    X, y = make_windows(scale(fit_scaler(prices.train_open), prices.train_open), COMMITTED_WINDOW)
    set_seed(COMMITTED_SEED)
    model = build_stacked_lstm(COMMITTED_WINDOW, units)
    train(model, X, y, epochs=1, progress=False)  # compiles the step (or reads it from JAX's cache)
    start = time.perf_counter()
    train(model, X, y, epochs=epochs, progress=False)
    return (time.perf_counter() - start) / epochs


def expected_minutes(per_epoch: dict[int, float], epochs: int = FULL_EPOCHS) -> dict[str, float]:
    """Each notebook's training minutes at ``epochs`` epochs, from the seconds per epoch of its model's width."""
    return {name: per_epoch[units] * epochs / 60 for name, (_, units, _) in NOTEBOOKS.items()}


def host_description() -> str:
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    usable = f"{len(cpus)} CPU(s) for this run ({','.join(map(str, cpus))})" if cpus else f"{os.cpu_count()} CPU(s)"
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return f"{platform.node()}: {platform.platform()}, {platform.processor() or platform.machine()}; {usable}{load}"


def run_timing_command(epochs: int, cpus: set[int] | None = None) -> int:
    """``python -m utils timing``: print the host, the seconds per epoch, and the expected minutes per notebook."""
    if cpus:
        pin_to(cpus)  # before JAX starts: it sizes its thread pool by the CPUs the process may use
    load_keras()
    print(f"host: {host_description()}", flush=True)
    print(describe_training_path(), flush=True)
    per_epoch = {units: seconds_per_epoch(units, epochs) for units in TIMED_UNITS}
    print(f"seconds per epoch (mean of {epochs} timed epoch(s) after one that compiles): "
          + ", ".join(f"{units} units {seconds:.2f} s" for units, seconds in per_epoch.items()))
    print(f"expected training time at {FULL_EPOCHS} epochs:")
    for name, minutes in expected_minutes(per_epoch).items():
        ticker, units, dropout = NOTEBOOKS[name]
        print(f"  {name:14}{ticker:6}{model_label({'units': units, 'dropout': dropout}):22}{minutes:5.1f} min")
    print("With TRAIN = False a notebook loads its committed model and runs in seconds; "
          f"EPOCHS = N trains N/{FULL_EPOCHS} of these times.")
    return 0
