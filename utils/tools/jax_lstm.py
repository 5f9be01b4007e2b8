"""One LSTM layer as a compiled JAX loop with a hand-written gradient: the workshop's fast CPU path.

:mod:`utils.backend` sends Keras's CPU LSTM layers here on the JAX backend.
It computes exactly Keras's LSTM cell (gates i, f, c, o; sigmoid and tanh),
organised for a small CPU:

* forward: the inputs' product with ``kernel`` for all steps at once, then a
  ``lax.scan`` whose step is one small matrix product and one fused pass over
  the gates (a single tanh serves all four, since a sigmoid is a scaled tanh).
  Each step also stores the factors its gradient will need, while the gate
  values are at hand;
* backward (``jax.custom_vjp``): a reverse ``lax.scan`` that only carries the
  state's gradient and multiplies it by those stored factors, then the weight
  gradients as large matrix products over all steps at once (automatic
  differentiation of the scan would do 60 small ones inside the loop).
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


def _per_gate(values, units, dtype):
    """One value per gate block (Keras order i, f, c, o), repeated over the block's units: shape (1, 4 * units)."""
    return jnp.repeat(jnp.asarray(values, dtype), units)[None]


def _lstm_forward(inputs, h0, c0, kernel, recurrent_kernel, bias):
    """The LSTM over time-major ``inputs`` (steps, batch, features); also returns what the gradient needs."""
    steps, batch, features = inputs.shape
    units = recurrent_kernel.shape[0]
    tanh_scale = _per_gate(_TANH_SCALE, units, inputs.dtype)
    slope_scale = _per_gate(_SLOPE_SCALE, units, inputs.dtype)
    # The inputs' share of every step's pre-activations, all steps in one matrix product.
    input_part = (inputs.reshape(steps * batch, features) @ kernel + bias).reshape(steps, batch, 4 * units)

    def step(state, input_part_t):
        h, c_before = state
        # One tanh over all four gate blocks at once (the sigmoid gates' blocks pre-scaled by 1/2).
        gate_tanh = jnp.tanh((input_part_t + h @ recurrent_kernel) * tanh_scale)
        i = 0.5 * gate_tanh[:, :units] + 0.5
        f = 0.5 * gate_tanh[:, units:2 * units] + 0.5
        g = gate_tanh[:, 2 * units:3 * units]
        o = 0.5 * gate_tanh[:, 3 * units:] + 0.5
        c = f * c_before + i * g
        tanh_c = jnp.tanh(c)
        h = o * tanh_c
        # For the backward loop: d_z = d_c * factor for i, f and c, d_h * factor for o (each gate's
        # value's partner in the product, times the gate's slope), and d_c gains d_h * c_factor.
        z_factors = jnp.concatenate([g, c_before, i, tanh_c], axis=1) * (1 - gate_tanh * gate_tanh) * slope_scale
        c_factor = o * (1 - tanh_c * tanh_c)
        return (h, c), (h, z_factors, c_factor, f)

    (last_h, last_c), (hs, z_factors, c_factors, forgets) = lax.scan(step, (h0, c0), input_part)
    return (hs, last_h, last_c), (inputs, h0, kernel, recurrent_kernel, hs, z_factors, c_factors, forgets)


def _lstm_backward(saved, gradients):
    """Gradients of :func:`lstm_time_major`: a loop over the steps backwards, then the weights in bulk."""
    inputs, h0, kernel, recurrent_kernel, hs, z_factors, c_factors, forgets = saved
    d_hs, d_last_h, d_last_c = gradients
    steps, batch, features = inputs.shape
    units = recurrent_kernel.shape[0]
    previous_h = jnp.concatenate([h0[None], hs[:-1]])
    recurrent_kernel_t = recurrent_kernel.T
    # Gate blocks as their own axis, so that d_c multiplies the first three in one broadcast product.
    z_factors = z_factors.reshape(steps, batch, 4, units)

    def step(carried, at_t):
        d_h_next, d_c_next = carried
        d_h_out, z_factor, c_factor, forget = at_t
        d_h = d_h_out + d_h_next
        d_c = d_c_next + d_h * c_factor
        # Written as a broadcast over blocks i, f, c and a product for o: as a stack of four products
        # XLA's loop took about five times as long, as a select between d_c and d_h two to five times (measured).
        d_z = jnp.concatenate([d_c[:, None] * z_factor[:, :3], (d_h * z_factor[:, 3])[:, None]], axis=1)
        d_z = d_z.reshape(batch, 4 * units)
        return (d_z @ recurrent_kernel_t, d_c * forget), d_z

    (d_h0, d_c0), d_zs = lax.scan(step, (d_last_h, d_last_c), (d_hs, z_factors, c_factors, forgets), reverse=True)
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
