"""Shared helpers for the LSTM stock-price workshop.

One job per module: ``data`` (load and validate prices), ``features``
(scaling and windows), ``model`` (the stacked LSTM), ``training`` (seeds,
epochs, fit, predict), ``evaluation`` (baseline and metrics), ``plots``,
``results`` (saved predictions) and ``pipeline`` (all steps, for the CLI).
"""

import os

# TensorFlow's start-up chatter (CPU feature notes, CUDA probes) is noise for
# learners and for nbval's output comparison; real errors still come through.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def quiet_tensorflow_import() -> None:
    """Import TensorFlow (when it is the Keras backend) with its C++ start-up log silenced.

    On a machine without CUDA, TensorFlow's native code writes two log lines
    to the process's stderr while it loads, before any log-level setting is
    read. They would show in every notebook's setup cell, so the import runs
    with file descriptor 2 pointed at the null device; Python errors still
    propagate as exceptions.
    """
    import importlib.util
    import sys

    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow" or "tensorflow" in sys.modules:
        return
    if importlib.util.find_spec("tensorflow") is None:
        return
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
