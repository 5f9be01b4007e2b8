"""Which Keras backend trains the models, and the fused LSTM kernel it uses on a CPU.

The notebooks use plain ``keras.layers.LSTM``. How fast that trains depends on
the kernel underneath. On a GPU every Keras backend hands the layer to cuDNN's
fused kernel. On a CPU, Keras 3 runs a Python or graph loop over the 60 time
steps instead, even on PyTorch, whose own fused LSTM kernel (oneDNN) runs on
CPUs too. Profiling one epoch on the PyTorch backend with that kernel showed
83-88% of the operator time inside it, so it is the kernel that matters
(see the README's speed section for the measurements).

So the workshop:

* picks PyTorch as the Keras backend when it is installed and ``KERAS_BACKEND``
  is not set (an explicit setting always wins), and
* routes an LSTM layer to PyTorch's fused kernel when it runs on the CPU with
  the settings that kernel computes (tanh and sigmoid, a bias, no mask, not
  reversed, not unrolled). Anything else, including every layer on a GPU, goes
  to Keras's own code unchanged, so a GPU still gets cuDNN.

Keras offers no public switch for this, so :func:`use_fused_cpu_lstm` wraps
``keras.src.backend.lstm``, the hook that ``keras.layers.LSTM`` already calls
to ask a backend for a fused kernel. ``tests/test_backend.py`` checks that the
wrapped layer gives the same outputs and gradients as Keras's own loop.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings

BACKEND_VARIABLE = "KERAS_BACKEND"
FAST_CPU_BACKEND = "torch"
# The hook below is internal to Keras; it is used only on the versions it was checked on.
CHECKED_KERAS_VERSIONS = ("3.15.",)


def choose_backend() -> str:
    """Default ``KERAS_BACKEND`` to PyTorch when it is installed; return the backend Keras will use.

    Must run before Keras is first imported: Keras reads the variable once.
    """
    if "keras" in sys.modules:
        import keras

        return keras.backend.backend()
    if BACKEND_VARIABLE not in os.environ and importlib.util.find_spec(FAST_CPU_BACKEND) is not None:
        os.environ[BACKEND_VARIABLE] = FAST_CPU_BACKEND
    return os.environ.get(BACKEND_VARIABLE, "tensorflow")


def quiet_tensorflow_import(any_backend: bool = False) -> None:
    """Import TensorFlow (when it is the Keras backend, or always) with its C++ start-up log silenced.

    ``keras.utils.set_random_seed`` imports TensorFlow whenever it is
    installed, whatever the backend, to seed ``tf.data``; ``any_backend=True``
    imports it quietly ahead of that.

    On a machine without CUDA, TensorFlow's native code writes two log lines
    to the process's stderr while it loads, before any log-level setting is
    read. They would show in every notebook's setup cell, so the import runs
    with file descriptor 2 pointed at the null device; Python errors still
    propagate as exceptions.
    """
    if "tensorflow" in sys.modules:
        return
    if not any_backend and os.environ.get(BACKEND_VARIABLE, "tensorflow") != "tensorflow":
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


def load_keras():
    """Import Keras on the chosen backend, quietly, with the fused CPU LSTM in place; return the module."""
    choose_backend()
    quiet_tensorflow_import()
    import keras

    use_fused_cpu_lstm()
    return keras


def use_fused_cpu_lstm() -> bool:
    """Send CPU LSTM layers on the PyTorch backend to PyTorch's fused kernel; True when it is in place.

    Does nothing on other backends (TensorFlow and JAX have no fused CPU
    LSTM kernel that Keras can reach) and nothing if already done.
    """
    import keras
    from keras.src import backend as keras_backend

    if keras.backend.backend() != FAST_CPU_BACKEND:
        return False
    if not keras.__version__.startswith(CHECKED_KERAS_VERSIONS):
        warnings.warn(f"Keras {keras.__version__}: the workshop's fused CPU LSTM was checked on Keras "
                      f"{', '.join(v + 'x' for v in CHECKED_KERAS_VERSIONS)} only, so Keras's own LSTM code runs "
                      "(correct, but slower on a CPU); requirements.txt pins the checked version", stacklevel=2)
        return False
    if not getattr(keras_backend.lstm, "fused_cpu_lstm", False):
        keras_backend.lstm = _with_fused_cpu_lstm(keras_backend.lstm)
    return True


def _with_fused_cpu_lstm(keras_lstm):
    """Wrap Keras's backend LSTM so that the CPU cases the fused kernel covers go to it."""

    def lstm(inputs, initial_state_h, initial_state_c, mask, kernel, recurrent_kernel, bias, activation,
             recurrent_activation, return_sequences=False, go_backwards=False, unroll=False, batch_first=True):
        if fused_kernel_applies(inputs, mask, bias, activation, recurrent_activation, go_backwards, unroll, batch_first):
            return fused_lstm(inputs, initial_state_h, initial_state_c, kernel, recurrent_kernel, bias, return_sequences)
        return keras_lstm(inputs, initial_state_h, initial_state_c, mask, kernel, recurrent_kernel, bias, activation,
                          recurrent_activation, return_sequences=return_sequences, go_backwards=go_backwards,
                          unroll=unroll, batch_first=batch_first)

    lstm.fused_cpu_lstm = True
    return lstm


def fused_kernel_applies(inputs, mask, bias, activation, recurrent_activation, go_backwards=False, unroll=False,
                         batch_first=True) -> bool:
    """True when PyTorch's fused CPU kernel computes exactly what Keras's LSTM would."""
    import torch
    from keras import activations, ops

    return (
        getattr(getattr(inputs, "device", None), "type", None) == "cpu"
        and inputs.dtype == torch.float32
        and mask is None
        and bias is not None
        and activation in (activations.tanh, ops.tanh, torch.tanh)
        and recurrent_activation in (activations.sigmoid, ops.sigmoid, torch.sigmoid)
        and not go_backwards
        and not unroll
        and batch_first
        # Tracing (torch.compile, ONNX export) needs Keras's traceable loop.
        and not torch.jit.is_tracing()
        and not torch.compiler.is_compiling()
    )


def fused_lstm(inputs, initial_state_h, initial_state_c, kernel, recurrent_kernel, bias, return_sequences):
    """One LSTM layer in PyTorch's fused kernel, with Keras's weights; returns what Keras's backend LSTM returns."""
    import torch
    from keras.src.backend.torch.core import convert_to_tensor

    kernel, recurrent_kernel, bias = (convert_to_tensor(w) for w in (kernel, recurrent_kernel, bias))
    # Both libraries order the gates input, forget, cell, output; PyTorch keeps
    # each matrix transposed and splits the bias in two, so one half is zero.
    weights = [kernel.T.contiguous(), recurrent_kernel.T.contiguous(), bias, torch.zeros_like(bias)]
    state = tuple(convert_to_tensor(s).unsqueeze(0) for s in (initial_state_h, initial_state_c))
    outputs, h, c = torch.lstm(inputs, state, weights, True, 1, 0.0, torch.is_grad_enabled(), False, True)
    last_output = outputs[:, -1]
    if not return_sequences:
        outputs = last_output.unsqueeze(1)
    return last_output, outputs, [h.squeeze(0), c.squeeze(0)]
