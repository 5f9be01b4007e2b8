"""One LSTM layer as a compiled JAX loop with a hand-written gradient: the workshop's fast CPU path.

:mod:`utils.backend` sends Keras's CPU LSTM layers here on the JAX backend.
It computes exactly Keras's LSTM cell (gates i, f, c, o; sigmoid and tanh),
organised for a small CPU:

* forward: the inputs' product with ``kernel`` for all steps at once, then a
  ``lax.scan`` whose step is one small matrix product and one fused pass over
  the gates;
* backward (``jax.custom_vjp``): a reverse ``lax.scan`` that only carries the
  state's gradient, then the weight gradients as large matrix products over
  all steps at once (automatic differentiation of the scan would do 60 small
  ones inside the loop).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax


def _gates(z, units):
    """Input, forget, candidate and output gates from the pre-activations ``z`` (batch, 4 * units).

    Keras orders the four blocks i, f, c, o. Viewing ``z`` as (batch, 4, units)
    lets XLA compute them in one fused pass; slicing it four ways took twice as
    long per step (measured).
    """
    blocks = z.reshape(z.shape[0], 4, units)
    sigmoids = jax.nn.sigmoid(blocks)
    return sigmoids[:, 0], sigmoids[:, 1], jnp.tanh(blocks[:, 2]), sigmoids[:, 3]


def _lstm_forward(inputs, h0, c0, kernel, recurrent_kernel, bias):
    """The LSTM over time-major ``inputs`` (steps, batch, features); also returns what the gradient needs."""
    steps, batch, features = inputs.shape
    units = recurrent_kernel.shape[0]
    # The inputs' share of every step's pre-activations, all steps in one matrix product.
    input_part = (inputs.reshape(steps * batch, features) @ kernel + bias).reshape(steps, batch, 4 * units)

    def step(state, input_part_t):
        h, c = state
        z = input_part_t + h @ recurrent_kernel
        i, f, g, o = _gates(z, units)
        c = f * c + i * g
        h = o * jnp.tanh(c)
        return (h, c), (h, c, z)

    (last_h, last_c), (hs, cs, zs) = lax.scan(step, (h0, c0), input_part)
    return (hs, last_h, last_c), (inputs, h0, c0, kernel, recurrent_kernel, hs, cs, zs)


def _lstm_backward(saved, gradients):
    """Gradients of :func:`lstm_time_major`: a loop over the steps backwards, then the weights in bulk."""
    inputs, h0, c0, kernel, recurrent_kernel, hs, cs, zs = saved
    d_hs, d_last_h, d_last_c = gradients
    steps, batch, features = inputs.shape
    units = recurrent_kernel.shape[0]
    previous_c = jnp.concatenate([c0[None], cs[:-1]])
    previous_h = jnp.concatenate([h0[None], hs[:-1]])
    recurrent_kernel_t = recurrent_kernel.T

    def step(carried, at_t):
        d_h_next, d_c_next = carried
        d_h_out, c, c_before, z = at_t
        i, f, g, o = _gates(z, units)
        d_h = d_h_out + d_h_next
        tanh_c = jnp.tanh(c)
        d_c = d_c_next + d_h * o * (1 - tanh_c * tanh_c)
        # Gradient of the pre-activations, in Keras's gate order i, f, c, o.
        d_z = jnp.stack([d_c * g * i * (1 - i), d_c * c_before * f * (1 - f), d_c * i * (1 - g * g),
                         d_h * tanh_c * o * (1 - o)], axis=1).reshape(batch, 4 * units)
        return (d_z @ recurrent_kernel_t, d_c * f), d_z

    (d_h0, d_c0), d_zs = lax.scan(step, (d_last_h, d_last_c), (d_hs, cs, previous_c, zs), reverse=True)
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
