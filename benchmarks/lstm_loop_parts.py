"""Where one training batch spends its time in the workshop's LSTM loop, part by part.

Run from the repository root, on one core to match the main job's lanes:

    taskset -c 0 .venv/bin/python benchmarks/lstm_loop_parts.py --units 50 100

For each size it times, in milliseconds (median and fastest of ``--repeats``
calls, each compiled once beforehand), with batch 32 and 60 steps:

* ``forward``: one layer's forward pass as training runs it, keeping what the
  gradient needs (``utils/tools/jax_lstm.py``'s forward half);
* ``backward``: that layer's backward pass (the reverse loop and the three
  large products over all steps);
* ``large product``: one of those large products alone, (60 x 32) rows by
  ``units`` by ``4 x units`` (each layer does four per batch, the first three);
* ``recurrence``: the 60 small products ``h @ recurrent_kernel`` in a loop,
  with nothing else (each layer does two such loops per batch: forward, backward);
* ``batch``: a whole batch, four stacked layers forward and backward, and the
  arithmetic rate that implies (counted multiply-adds of the matrix products
  only).

The first line is the host line (``benchmarks/host.py``), with the XLA flags
in force. No Keras is involved: this is the loop the Keras layers are routed to.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from host import host_line  # noqa: E402

from utils.backend import choose_backend, reuse_freed_memory  # noqa: E402

# XLA's flags (one thread for matrix products) must be set before JAX starts, as in the workshop.
choose_backend()
reuse_freed_memory()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from jax import lax  # noqa: E402

from utils.tools.jax_lstm import _lstm_backward, _lstm_forward, lstm_time_major  # noqa: E402

BATCH, STEPS, LAYERS = 32, 60, 4


def timed(function, *args, repeats: int) -> tuple[float, float]:
    """Median and fastest wall time of ``function(*args)`` in ms, after one call to compile it."""
    jax.block_until_ready(function(*args))
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(function(*args))
        seconds.append(time.perf_counter() - start)
    return 1e3 * statistics.median(seconds), 1e3 * min(seconds)


def matrix_flops(units: int) -> int:
    """Floating-point operations of one batch's matrix products: four layers, forward and backward.

    Per layer: the inputs' product and the recurrence forward; the recurrence, the two
    weight gradients and the input gradient backward. The first layer reads one
    feature, so only its three recurrent-sized products count (the input gradient of
    the data is not computed in training).
    """
    one_product = 2 * STEPS * BATCH * units * 4 * units
    return (LAYERS - 1) * 6 * one_product + 3 * one_product


def measure(units: int, repeats: int) -> list[tuple[str, float, float]]:
    rng = np.random.default_rng(0)

    def array(*shape):
        return jnp.asarray(rng.normal(scale=0.3, size=shape).astype("float32"))

    inputs, h0 = array(STEPS, BATCH, units), array(BATCH, units)
    kernel, recurrent_kernel, bias = array(units, 4 * units), array(units, 4 * units), array(4 * units)
    forward = jax.jit(_lstm_forward)
    _, saved = forward(inputs, h0, h0, kernel, recurrent_kernel, bias)
    output_gradients = (array(STEPS, BATCH, units), array(BATCH, units), array(BATCH, units))

    def recurrence(h, recurrent_kernel, input_parts):
        return lax.scan(lambda h, part: ((h @ recurrent_kernel)[:, :units] + part, None), h, input_parts)[0]

    layers = [(array(1 if layer == 0 else units, 4 * units), array(units, 4 * units), array(4 * units))
              for layer in range(LAYERS)]
    series, targets = array(STEPS, BATCH, 1), array(BATCH)

    def loss(layers, series):
        hidden, zeros = series, jnp.zeros((BATCH, units), jnp.float32)
        for layer_kernel, layer_recurrent_kernel, layer_bias in layers:
            hidden, last_h, _ = lstm_time_major(hidden, zeros, zeros, layer_kernel, layer_recurrent_kernel, layer_bias)
        return jnp.mean((last_h.sum(axis=1) - targets) ** 2)

    rows = [
        ("forward", *timed(forward, inputs, h0, h0, kernel, recurrent_kernel, bias, repeats=repeats)),
        ("backward", *timed(jax.jit(_lstm_backward), saved, output_gradients, repeats=repeats)),
        ("large product", *timed(jax.jit(jnp.matmul), inputs.reshape(STEPS * BATCH, units), kernel,
                                 repeats=repeats)),
        ("recurrence", *timed(jax.jit(recurrence), h0, recurrent_kernel, array(STEPS, BATCH, units),
                              repeats=repeats)),
        ("batch", *timed(jax.jit(jax.value_and_grad(loss)), layers, series, repeats=repeats)),
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[50, 100])
    parser.add_argument("--repeats", type=int, default=100, help="timed calls of each part (default 100)")
    args = parser.parse_args()
    print(host_line())
    print(f"jax {jax.__version__}, {jax.default_backend()}; batch {BATCH}, {STEPS} steps, {args.repeats} calls each")
    print(f"{'units':>5}  {'part':<14} {'median ms':>9} {'fastest':>8}  note")
    for units in args.units:
        for part, median, fastest in measure(units, args.repeats):
            note = ""
            if part == "recurrence":
                note = f"{1e3 * median / STEPS:.1f} us per step"
            elif part == "batch":
                note = f"{matrix_flops(units) / (median / 1e3) / 1e9:.0f} GFLOP/s of matrix products"
            print(f"{units:>5}  {part:<14} {median:>9.2f} {fastest:>8.2f}  {note}")


if __name__ == "__main__":
    main()
