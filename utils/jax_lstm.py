"""One LSTM layer as a compiled JAX loop with a hand-written gradient: the workshop's fast CPU path.

:mod:`utils.backend` sends Keras's CPU LSTM layers here on the JAX backend.
It computes exactly Keras's LSTM cell (gates i, f, c, o; sigmoid and tanh),
organised for a small CPU:

* forward: the inputs' product with ``kernel`` for all steps at once, then a
  ``lax.scan`` whose step is one small matrix product and one fused pass over
  the gates (a single tanh serves all four, since a sigmoid is a scaled tanh);
* backward (``jax.custom_vjp``): a reverse ``lax.scan`` that only carries the
  state's gradient, then the weight gradients as large matrix products over
  all steps at once (automatic differentiation of the scan would do 60 small
  ones inside the loop). The gates' tanh values saved by the forward loop give
  their slopes, so the backward loop computes no gate activation again.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

# sigmoid(z) = (1 + tanh(z / 2)) / 2, so one tanh over all four blocks gives every gate:
# the sigmoid gates' blocks are halved first and the candidate's (block 2) is not.
_TANH_SCALE = (0.5, 0.5, 1.0, 0.5)
# d/dz of each gate as a multiple of (1 - t**2), where t is that block's tanh.
_SLOPE_SCALE = (0.25, 0.25, 1.0, 0.25)


def _per_gate(values, dtype):
    """``values`` (one per gate block, Keras order i, f, c, o) shaped to broadcast over (batch, 4, units)."""
    return jnp.asarray(values, dtype)[None, :, None]


def _gate_tanh(z, units):
    """The tanh of every gate block of the pre-activations ``z`` (batch, 4 * units), as (batch, 4, units).

    One fused pass over all four blocks: slicing ``z`` four ways and calling
    sigmoid and tanh on each took about twice as long per step (measured).
    """
    blocks = z.reshape(z.shape[0], 4, units)
    return jnp.tanh(blocks * _per_gate(_TANH_SCALE, z.dtype))


def _gates(gate_tanh):
    """Input, forget, candidate and output gates from :func:`_gate_tanh`'s result."""
    sigmoids = 0.5 * gate_tanh + 0.5
    return sigmoids[:, 0], sigmoids[:, 1], gate_tanh[:, 2], sigmoids[:, 3]


def _lstm_forward(inputs, h0, c0, kernel, recurrent_kernel, bias):
    """The LSTM over time-major ``inputs`` (steps, batch, features); also returns what the gradient needs."""
    steps, batch, features = inputs.shape
    units = recurrent_kernel.shape[0]
    # The inputs' share of every step's pre-activations, all steps in one matrix product.
    input_part = (inputs.reshape(steps * batch, features) @ kernel + bias).reshape(steps, batch, 4 * units)

    def step(state, input_part_t):
        h, c = state
        gate_tanh = _gate_tanh(input_part_t + h @ recurrent_kernel, units)
        i, f, g, o = _gates(gate_tanh)
        c = f * c + i * g
        h = o * jnp.tanh(c)
        return (h, c), (h, c, gate_tanh)

    (last_h, last_c), (hs, cs, gate_tanhs) = lax.scan(step, (h0, c0), input_part)
    return (hs, last_h, last_c), (inputs, h0, c0, kernel, recurrent_kernel, hs, cs, gate_tanhs)


def _lstm_backward(saved, gradients):
    """Gradients of :func:`lstm_time_major`: a loop over the steps backwards, then the weights in bulk."""
    inputs, h0, c0, kernel, recurrent_kernel, hs, cs, gate_tanhs = saved
    d_hs, d_last_h, d_last_c = gradients
    steps, batch, features = inputs.shape
    units = recurrent_kernel.shape[0]
    previous_c = jnp.concatenate([c0[None], cs[:-1]])
    previous_h = jnp.concatenate([h0[None], hs[:-1]])
    recurrent_kernel_t = recurrent_kernel.T
    slope_scale = _per_gate(_SLOPE_SCALE, inputs.dtype)

    def step(carried, at_t):
        d_h_next, d_c_next = carried
        d_h_out, c, c_before, gate_tanh = at_t
        i, f, g, o = _gates(gate_tanh)
        d_h = d_h_out + d_h_next
        tanh_c = jnp.tanh(c)
        d_c = d_c_next + d_h * o * (1 - tanh_c * tanh_c)
        # Gradient with respect to each gate's value, in Keras's order i, f, c, o ...
        d_gates = jnp.stack([d_c * g, d_c * c_before, d_c * i, d_h * tanh_c], axis=1)
        # ... times every gate's slope, which the saved tanh gives without another tanh.
        d_z = (d_gates * (1 - gate_tanh * gate_tanh) * slope_scale).reshape(batch, 4 * units)
        return (d_z @ recurrent_kernel_t, d_c * f), d_z

    (d_h0, d_c0), d_zs = lax.scan(step, (d_last_h, d_last_c), (d_hs, cs, previous_c, gate_tanhs), reverse=True)
    d_z = d_zs.reshape(steps * batch, 4 * units)
    d_kernel = inputs.reshape(steps * batch, features).T @ d_z
    d_recurrent_kernel = previous_h.reshape(steps * batch, units).T @ d_z
    d_inputs = (d_z @ kernel.T).reshape(steps, batch, features)
    return d_inputs, d_h0, d_c0, d_kernel, d_recurrent_kernel, d_z.sum(axis=0)


@jax.custom_vjp
def lstm_time_major(inputs, h0, c0, kernel, recurrent_kernel, bias):
    """LSTM over (steps, batch, features) inputs: every step's h, then the last h and c."""
    return _lstm_forward(inputs, h0, c0, kernel, recurrent_kernel, bias)[0]


lstm_time_major.defvjp(_lstm_forward, _lstm_backward)
