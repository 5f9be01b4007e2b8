"""The fast CPU LSTM path's internals: the hook around Keras's backend LSTM, and glibc's allocator settings.

:func:`utils.backend.load_keras` decides whether the path applies (Keras on
JAX on the CPU, the fast loop wanted, and :func:`self_test` passed for this
Keras and JAX) and then calls :func:`install` and :func:`reuse_freed_memory`.
Nothing here runs at import. The compiled loop
itself is :mod:`utils.tools.jax_lstm`; ``docs/speed.md`` has the measurements.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import platform

# glibc's malloc settings (malloc.h) and the sizes the workshop gives them: blocks up to the first come
# from the heap rather than from the OS, and up to the second of freed heap stays with the process.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
HEAP_BLOCK_LIMIT_BYTES, KEPT_FREE_HEAP_BYTES = 256 * 2**20, 512 * 2**20
MALLOC_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
# What JAX records when XLA has compiled (or read from its cache) one computation: jax._src.dispatch's event name.
BACKEND_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"
ASYNC_DISPATCH_OPTION = "jax_cpu_enable_async_dispatch"
_malloc_trim = None  # glibc's malloc_trim, once reuse_freed_memory has raised the thresholds and the listener is in


def reuse_freed_memory() -> bool:
    """Let glibc's malloc reuse freed memory for XLA's scratch buffers; True when it agreed.

    Every training step XLA allocates its scratch buffers afresh and frees
    them (tens of MB at 100 units). By default glibc hands blocks that large
    back to the OS when they are freed, so each step paid for mapping and
    zeroing new pages: a quarter of the CPU time at 100 units, per ``perf``.
    Raising both thresholds keeps that memory in the process for the next
    step; what XLA's compiler frees is handed back after each compilation
    (:func:`_trim_after_each_compile`). Other C libraries are left alone, and so is a process whose
    environment already sets glibc's malloc (an explicit setting wins).
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    if any(name in os.environ for name in MALLOC_VARIABLES) or "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    try:
        # find_library may find nothing (no ldconfig); CDLL(None) then opens the process's own symbols, glibc's among them.
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # a C library that cannot be opened, or that has no mallopt: leave the allocator as it is
    if not (mallopt(M_MMAP_THRESHOLD, HEAP_BLOCK_LIMIT_BYTES) and mallopt(M_TRIM_THRESHOLD, KEPT_FREE_HEAP_BYTES)):
        return False
    _trim_after_each_compile(libc)
    return True


def _trim_after_each_compile(libc) -> None:
    """After every XLA compilation, hand the pages of freed heap memory back to the OS (``malloc_trim(0)``).

    With the thresholds above, what XLA's compiler frees (tens of MB per
    training step compiled, in the compiling threads' heaps) would otherwise
    stay resident for the rest of the kernel's life: on a shared hub that was a
    learner's first run costing 100 MB or more than a run whose steps came from
    JAX's compile cache. Compilations are few (a model's steps, a few small
    operations), so the scratch buffers of the training steps between them
    still come from memory already in the process. Registered once per process.
    """
    global _malloc_trim
    trim = getattr(libc, "malloc_trim", None)
    if trim is None or _malloc_trim is not None:
        return
    import jax.monitoring

    def trim_after_compile(event: str, duration: float, **details) -> None:
        if event == BACKEND_COMPILE_EVENT:
            trim(0)

    jax.monitoring.register_event_duration_secs_listener(trim_after_compile)
    _malloc_trim = trim


def hand_back_freed_heap() -> None:
    """``malloc_trim(0)`` where :func:`reuse_freed_memory` keeps freed heap in the process; elsewhere glibc trims itself.

    For a moment when much was freed at once and no compilation follows soon (the listener above trims after each).
    """
    if _malloc_trim is not None:
        _malloc_trim(0)


def run_computations_in_calling_thread() -> None:
    """Have JAX's CPU client run each compiled computation in the thread that calls it (no async dispatch).

    With async dispatch, Keras's loop hands the next training step to a worker thread while the previous one still
    runs. Each step brings its own scratch buffer (41 MB at 100 units), often two at once and from two threads'
    malloc arenas, and with :func:`reuse_freed_memory` each arena keeps its block. Run inline, each step reuses
    the block the previous one freed: over ten runs a 100-unit training process never peaked above 564 MB, against
    530-650 MB with async dispatch, as fast, with the same weights to the bit (``benchmarks/jax_memory.py``).
    JAX reads the setting once, when it creates its CPU client: the caller calls this before anything asks JAX
    for a device.
    """
    import jax

    if ASYNC_DISPATCH_OPTION in jax.config.values:  # older JAX (0.4.26) has none, and ran steps inline
        jax.config.update(ASYNC_DISPATCH_OPTION, False)


def install() -> None:
    """Route Keras's backend LSTM through :func:`fast_lstm` for the cases it covers; nothing if already done.

    The caller (:func:`utils.backend.load_keras`) has checked that Keras runs on JAX, that :func:`self_test`
    passed on this Keras and JAX, and that the fast loop is wanted.
    """
    from keras.src import backend as keras_backend

    if not getattr(keras_backend.lstm, "fast_cpu_lstm", False):
        keras_backend.lstm = _with_fast_cpu_lstm(keras_backend.lstm)


def _with_fast_cpu_lstm(keras_lstm):
    """Wrap Keras's backend LSTM so that the CPU cases the fast loop covers go to it."""

    def lstm(inputs, initial_state_h, initial_state_c, mask, kernel, recurrent_kernel, bias, activation,
             recurrent_activation, return_sequences=False, go_backwards=False, unroll=False):
        if fast_lstm_applies(inputs, mask, bias, activation, recurrent_activation, go_backwards, unroll):
            lstm.fast_calls += 1  # counted once per trace under jit: the self-test's proof that the hook is used
            return fast_lstm(inputs, initial_state_h, initial_state_c, kernel, recurrent_kernel, bias, return_sequences)
        return keras_lstm(inputs, initial_state_h, initial_state_c, mask, kernel, recurrent_kernel, bias, activation,
                          recurrent_activation, return_sequences=return_sequences, go_backwards=go_backwards,
                          unroll=unroll)

    lstm.fast_cpu_lstm = True
    lstm.fast_calls = 0
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

    arrays = (jnp.asarray(a) for a in (inputs, initial_state_h, initial_state_c, kernel, recurrent_kernel, bias))
    return _compiled_layer(return_sequences)(*arrays)


@functools.cache
def _compiled_layer(return_sequences: bool):
    """The layer as one jitted function.

    Inside Keras's compiled training and prediction steps this changes nothing (XLA inlines it: the same weights and
    forecasts to the bit). A layer called on its own, as ``model.layers[0](x)`` in Exercise 9.01, would otherwise run
    its operations one at a time, each compiled and kept apart: 15 MB more of the kernel's memory, and slower.
    """
    import jax
    import jax.numpy as jnp

    from .jax_lstm import lstm_time_major

    def layer(inputs, initial_state_h, initial_state_c, kernel, recurrent_kernel, bias):
        time_major = jnp.swapaxes(inputs, 0, 1)
        states, last_h, last_c = lstm_time_major(time_major, initial_state_h, initial_state_c, kernel,
                                                 recurrent_kernel, bias)
        outputs = jnp.swapaxes(states, 0, 1) if return_sequences else last_h[:, None]
        return last_h, outputs, [last_h, last_c]

    return jax.jit(layer)


# The self-test's layer: small enough to run in well under a second once JAX is up, big enough that every gate and
# every step counts. Tolerances: float32 round-off for these sizes (on Keras 3.15.1 the two loops differ by about
# 1e-7 in outputs and 1e-6 in gradients); a real error in a gate or a gradient is of the order of the values themselves.
SELF_TEST_SHAPE = {"batch": 4, "steps": 7, "features": 3, "units": 5}
OUTPUT_TOLERANCE = 1e-5  # absolute, on outputs and states (values in -1..1)
GRADIENT_TOLERANCE = 1e-4  # absolute plus relative, on the gradients of the inputs and the three weights


def self_test() -> str | None:
    """Check the fast loop against Keras's own loop in this process; None when they agree, else the one-line reason.

    Keras must already run on JAX, on the CPU. Builds one LSTM layer with random weights and runs it twice, once
    with ``keras.src.backend.lstm`` as Keras has it (on JAX that hook declines and the layer runs its own loop), once
    wrapped by :func:`install`, with and without ``return_sequences``, dropout off: the sequence or last output, both
    states, and the gradients of the inputs and the three weights must agree within the tolerances above, and the
    layer must really have called the hook. Then a layer with input dropout, outside training, must predict the same
    both ways. Leaves ``keras.src.backend.lstm`` as it found it.
    """
    import keras
    import numpy as np
    from keras.src import backend as keras_backend

    if not callable(getattr(keras_backend, "lstm", None)):
        return f"Keras {keras.__version__} has no keras.src.backend.lstm hook"
    found = keras_backend.lstm
    keras_own = getattr(found, "keras_lstm", found)
    wrapped = _with_fast_cpu_lstm(keras_own)
    try:
        for return_sequences in (True, False):
            layer, x = _self_test_layer(keras, return_sequences)
            keras_backend.lstm = keras_own
            expected = _outputs_and_gradients(layer, x)
            keras_backend.lstm = wrapped
            got = _outputs_and_gradients(layer, x)
            if not wrapped.fast_calls:
                return f"Keras {keras.__version__}'s LSTM layer never called the keras.src.backend.lstm hook"
            problem = _difference(got, expected, return_sequences)
            if problem:
                return f"the fast loop's {problem} Keras {keras.__version__}'s own loop"
        # The hook cannot see whether the layer trains: a Keras that hands it inputs with dropout applied outside
        # training too (3.8 does) would change what a layer with dropout predicts.
        layer, x = _self_test_layer(keras, True, dropout=0.5)
        keras_backend.lstm = keras_own
        expected = np.asarray(layer(x, training=False)[0])
        keras_backend.lstm = wrapped
        if not np.allclose(np.asarray(layer(x, training=False)[0]), expected, atol=OUTPUT_TOLERANCE):
            return (f"Keras {keras.__version__} hands the hook inputs with dropout applied outside training too, "
                    "so a layer with dropout would predict differently")
    except Exception as error:  # any failure of Keras's internals here means: do not use the path
        message = str(error).strip().splitlines()[0][:160] if str(error).strip() else ""
        return f"the self-test raised {type(error).__name__} on Keras {keras.__version__}: {message}".rstrip(": ")
    finally:
        keras_backend.lstm = found
    return None


def _self_test_layer(keras, return_sequences: bool, dropout: float = 0.0):
    import numpy as np

    batch, steps, features, units = (SELF_TEST_SHAPE[key] for key in ("batch", "steps", "features", "units"))
    layer = keras.layers.LSTM(units, return_sequences=return_sequences, return_state=True, dropout=dropout, seed=1)
    layer.build((None, steps, features))
    rng = np.random.default_rng(0)
    # Random weights, the bias included (Keras starts it at zero), so that every gate matters.
    layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()])
    return layer, rng.normal(size=(batch, steps, features)).astype("float32")


def _outputs_and_gradients(layer, x):
    """The layer's outputs and states, and the gradients of a weighted sum of them for the inputs and every weight."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]

    def weighted_sum(trainable, inputs):
        outputs, _ = layer.stateless_call(trainable, non_trainable, inputs)
        # A different weight for every value, so that each one gets its own gradient.
        total = sum((out * jnp.linspace(0.1, 1.0, out.size).reshape(out.shape)).sum() for out in outputs)
        return total, outputs

    (_, outputs), (d_weights, d_inputs) = jax.value_and_grad(weighted_sum, argnums=(0, 1), has_aux=True)(
        trainable, jnp.asarray(x))
    return [np.asarray(out) for out in outputs], [np.asarray(d_inputs)] + [np.asarray(g) for g in d_weights]


def _difference(got, expected, return_sequences: bool) -> str | None:
    """What differs beyond the tolerances, as words (e.g. 'last state c differs by 0.03 from'), or None."""
    import numpy as np

    names = ["sequence" if return_sequences else "output", "last state h", "last state c"]
    pairs = [(name, a, b, OUTPUT_TOLERANCE, 0.0) for name, a, b in zip(names, got[0], expected[0])]
    pairs += [(f"gradient of the {name}", a, b, GRADIENT_TOLERANCE, GRADIENT_TOLERANCE)
              for name, a, b in zip(("inputs", "kernel", "recurrent kernel", "bias"), got[1], expected[1])]
    if len(got[0]) != len(expected[0]) or len(got[1]) != len(expected[1]):
        return "outputs do not line up with those of"
    for name, a, b, absolute, relative in pairs:
        if a.shape != b.shape:
            return f"{name} has shape {a.shape}, not the {b.shape} of"
        if not np.allclose(a, b, atol=absolute, rtol=relative):
            return f"{name} differs by {np.abs(a - b).max():.2g} from"
    return None


def report_self_test() -> None:
    """Run :func:`self_test` in a process of its own and print its verdict as one JSON line (utils.backend reads it)."""
    import json

    import keras  # on JAX: the caller sets KERAS_BACKEND

    assert keras.backend.backend() == "jax", keras.backend.backend()
    reason = self_test()
    print(json.dumps({"passed": reason is None, "reason": reason or ""}))


if __name__ == "__main__":
    report_self_test()
