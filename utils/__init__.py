"""Shared helpers for the LSTM stock-price workshop.

One job per module: ``backend`` (the Keras backend and its fast CPU LSTM),
``data`` (load and validate prices), ``features`` (scaling and windows),
``model`` (the stacked LSTM), ``training`` (seeds, epochs, fit, predict),
``evaluation`` (baseline and metrics), ``plots``, ``results`` (saved
predictions), ``saved_models`` (the trained models, loaded instead of
training) and ``pipeline`` (all steps, for the CLI).
"""

import os

from .backend import choose_backend

# TensorFlow's start-up chatter (CPU feature notes, CUDA probes) is noise for
# learners and for nbval's output comparison; real errors still come through.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Before anything imports Keras: the user's backend if they chose one, else JAX where the fast CPU LSTM
# will run (utils.backend.choose_backend has the rule).
choose_backend()
