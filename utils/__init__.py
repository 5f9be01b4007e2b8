"""Shared helpers for the LSTM stock-price workshop.

One job per module: ``backend`` (which Keras backend trains, and its fast CPU
LSTM hook), ``jax_lstm`` (that compiled LSTM loop), ``data`` (load and
validate prices), ``features`` (scaling and windows), ``model`` (the stacked
LSTM), ``training`` (seeds, epochs, fit, predict), ``evaluation`` (baseline,
metrics and the verdict rule), ``plots``, ``results`` (saved predictions),
``pipeline`` (all steps, for the CLI), ``report`` (data check, results table,
README figure), ``notebooks`` (the main job), ``download`` (optional yfinance
download), ``display`` and ``cli`` (``python -m utils``).
"""

import os

from .backend import choose_backend

# TensorFlow's start-up chatter (CPU feature notes, CUDA probes) is noise for
# learners and for nbval's output comparison; real errors still come through.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Before anything imports Keras, which reads its backend once: see choose_backend for the rule.
choose_backend()
