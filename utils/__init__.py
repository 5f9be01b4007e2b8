"""Shared helpers for the LSTM stock-price workshop.

One job per module: ``backend`` (which Keras backend trains, and its fast CPU
LSTM hook), ``jax_lstm`` (that compiled LSTM loop), ``lstm_numpy`` (the same
cell in plain NumPy, to look inside a trained layer), ``data`` (load and
validate prices), ``features`` (scaling and windows), ``epochs`` (how many),
``model`` (the stacked LSTM, for the CLI and the sweep), ``training`` (seeds,
progress, predict), ``evaluation`` (baseline, metrics and the verdict rule),
``plots``, ``results`` (saved predictions), ``saved_models`` (the trained
models, loaded instead of training), ``checks`` (the activities' self-checks),
``tasks`` (task notebooks from the solutions), ``pipeline`` (all steps, for the
CLI), ``sweep`` (many trainings on Dask), ``report`` (data check, results table,
README figure), ``notebooks`` (the main job), ``download`` (optional yfinance
download) and ``cli`` (``python -m utils``).
"""

import os

from .backend import choose_backend

# TensorFlow's start-up chatter (CPU feature notes, CUDA probes) is noise for
# learners and for nbval's output comparison; real errors still come through.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Before anything imports Keras: the user's backend if they chose one, else JAX where the fast CPU LSTM
# will run (utils.backend.choose_backend has the rule).
choose_backend()
