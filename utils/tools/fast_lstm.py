"""The fast CPU LSTM path's internals: the hook around Keras's backend LSTM, and glibc's allocator settings.

:func:`utils.backend.load_keras` decides whether the path applies (Keras on
JAX, a checked Keras, the fast loop wanted) and then calls :func:`install` and
:func:`reuse_freed_memory`. Nothing here runs at import. The compiled loop
itself is :mod:`utils.tools.jax_lstm`; ``docs/speed.md`` has the measurements.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

# glibc's malloc settings (malloc.h) and the sizes the workshop gives them: blocks up to the first come
# from the heap rather than from the OS, and up to the second of freed heap stays with the process.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
HEAP_BLOCK_LIMIT_BYTES, KEPT_FREE_HEAP_BYTES = 256 * 2**20, 512 * 2**20
MALLOC_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def reuse_freed_memory() -> bool:
    """Let glibc's malloc reuse freed memory for XLA's scratch buffers; True when it agreed.

    Every training step XLA allocates its scratch buffers afresh and frees
    them (tens of MB at 100 units). By default glibc hands blocks that large
    back to the OS when they are freed, so each step paid for mapping and
    zeroing new pages: a quarter of the CPU time at 100 units, per ``perf``.
    Raising both thresholds keeps that memory in the process for the next
    step. Other C libraries are left alone, and so is a process whose
    environment already sets glibc's malloc (an explicit setting wins).
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    if any(name in os.environ for name in MALLOC_VARIABLES) or "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    try:
        # find_library may find nothing (no ldconfig); CDLL(None) then opens the process's own symbols, glibc's among them.
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError):
        return False  # a C library that cannot be opened, or that has no mallopt: leave the allocator as it is
    return bool(mallopt(M_MMAP_THRESHOLD, HEAP_BLOCK_LIMIT_BYTES) and mallopt(M_TRIM_THRESHOLD, KEPT_FREE_HEAP_BYTES))


def install() -> None:
    """Route Keras's backend LSTM through :func:`fast_lstm` for the cases it covers; nothing if already done.

    The caller (:func:`utils.backend.load_keras`) has checked that Keras runs on JAX, on a version of Keras this
    hook was checked on, and that the fast loop is wanted.
    """
    from keras.src import backend as keras_backend

    if not getattr(keras_backend.lstm, "fast_cpu_lstm", False):
        keras_backend.lstm = _with_fast_cpu_lstm(keras_backend.lstm)


def _with_fast_cpu_lstm(keras_lstm):
    """Wrap Keras's backend LSTM so that the CPU cases the fast loop covers go to it."""

    def lstm(inputs, initial_state_h, initial_state_c, mask, kernel, recurrent_kernel, bias, activation,
             recurrent_activation, return_sequences=False, go_backwards=False, unroll=False):
        if fast_lstm_applies(inputs, mask, bias, activation, recurrent_activation, go_backwards, unroll):
            return fast_lstm(inputs, initial_state_h, initial_state_c, kernel, recurrent_kernel, bias, return_sequences)
        return keras_lstm(inputs, initial_state_h, initial_state_c, mask, kernel, recurrent_kernel, bias, activation,
                          recurrent_activation, return_sequences=return_sequences, go_backwards=go_backwards,
                          unroll=unroll)

    lstm.fast_cpu_lstm = True
    lstm.keras_lstm = keras_lstm  # Keras's own, for code (and tests) that must run without the fast loop
    return lstm


def fast_lstm_applies(inputs, mask, bias, activation, recurrent_activation, go_backwards=False,
                      unroll=False) -> bool:
    """True when :func:`utils.tools.jax_lstm.lstm_time_major` computes exactly what Keras's LSTM would, on a CPU."""
    import jax
    import jax.numpy as jnp
    from keras import activations, ops

    return (
        jax.default_backend() == "cpu"
        and inputs.dtype == jnp.float32
        and mask is None
        and bias is not None
        and activation in (activations.tanh, ops.tanh, jnp.tanh)
        and recurrent_activation in (activations.sigmoid, ops.sigmoid, jax.nn.sigmoid)
        and not go_backwards
        and not unroll
    )


def fast_lstm(inputs, initial_state_h, initial_state_c, kernel, recurrent_kernel, bias, return_sequences):
    """One LSTM layer with Keras's weights, batch first; returns what Keras's backend LSTM returns."""
    import jax.numpy as jnp

    from .jax_lstm import lstm_time_major

    time_major = jnp.swapaxes(jnp.asarray(inputs), 0, 1)
    states, last_h, last_c = lstm_time_major(
        time_major, *(jnp.asarray(a) for a in (initial_state_h, initial_state_c, kernel, recurrent_kernel, bias)))
    outputs = jnp.swapaxes(states, 0, 1) if return_sequences else last_h[:, None]
    return last_h, outputs, [last_h, last_c]
