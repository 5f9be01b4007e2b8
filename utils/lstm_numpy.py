"""A look inside an LSTM layer: the same cell, step by step, in plain NumPy.

:func:`run_lstm_layer` takes a trained ``keras.layers.LSTM`` and reruns it on
some windows with the layer's own weights, keeping what Keras does not show:
every gate's value at every step and the cell state. Keras stores the four
gates side by side in one weight matrix, in the order input, forget, candidate
(the new content, with ``tanh``), output. Each step computes, for the previous
hidden state ``h`` and cell state ``c``::

    z = x_t @ kernel + h @ recurrent_kernel + bias      # four blocks of `units` columns
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)  # how much to write, keep, show
    g = tanh(z_c)                                        # what could be written
    c = f * c + i * g                                    # the cell state: the layer's memory
    h = o * tanh(c)                                      # what the layer outputs at this step

``tests/test_lstm_numpy.py`` uses it as an oracle: the Keras layer, on the
path that trains the workshop's models, gives the same hidden states.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import DataError


@dataclass(frozen=True)
class LSTMTrace:
    """Everything one LSTM layer computed, each array of shape (batch, time steps, units)."""

    input_gate: np.ndarray
    forget_gate: np.ndarray
    candidate: np.ndarray
    output_gate: np.ndarray
    cell: np.ndarray
    hidden: np.ndarray

    @property
    def units(self) -> int:
        return self.hidden.shape[-1]

    @property
    def steps(self) -> int:
        return self.hidden.shape[1]


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # the same value as 1 / (1 + exp(-z)), without overflow


def lstm_weights(layer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The layer's ``kernel``, ``recurrent_kernel`` and ``bias`` as float64 arrays (a zero bias if it has none)."""
    from keras import activations

    name = getattr(layer, "name", type(layer).__name__)
    cell = getattr(layer, "cell", None)
    if cell is None or not all(hasattr(cell, part) for part in ("kernel", "recurrent_kernel")):
        raise DataError(f"{name!r} is not a built keras.layers.LSTM layer (run the model once, or pick an LSTM layer)")
    if cell.activation is not activations.tanh or cell.recurrent_activation is not activations.sigmoid:
        raise DataError(f"layer {name!r}: only the standard LSTM (activation='tanh', recurrent_activation='sigmoid') "
                        "can be traced")
    if getattr(layer, "go_backwards", False):
        raise DataError(f"layer {name!r} reads its input backwards, which the trace does not do")
    kernel, recurrent_kernel = (np.asarray(weight.numpy(), dtype=np.float64)
                                for weight in (cell.kernel, cell.recurrent_kernel))
    bias = np.asarray(cell.bias.numpy(), dtype=np.float64) if cell.use_bias else np.zeros(kernel.shape[1])
    return kernel, recurrent_kernel, bias


def run_lstm_layer(layer, x) -> LSTMTrace:
    """Run ``layer``'s own weights over ``x`` in NumPy (float64), from zero states; return every gate and state.

    ``x`` has shape (batch, time steps, features), like the layer's input; one
    window of shape (time steps, features) is taken as a batch of one.
    """
    kernel, recurrent_kernel, bias = lstm_weights(layer)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 2:
        x = x[np.newaxis]
    features, units = kernel.shape[0], recurrent_kernel.shape[0]
    if x.ndim != 3 or x.shape[2] != features:
        raise DataError(f"x has shape {x.shape}; layer {layer.name!r} expects (batch, time steps, {features})")
    batch, steps, _ = x.shape

    # The inputs' share of every step at once; the loop adds the recurrent share.
    input_part = x @ kernel + bias
    h = np.zeros((batch, units))
    c = np.zeros((batch, units))
    trace = {name: np.empty((batch, steps, units)) for name in LSTMTrace.__dataclass_fields__}
    for t in range(steps):
        z = input_part[:, t] + h @ recurrent_kernel
        z_i, z_f, z_c, z_o = np.split(z, 4, axis=1)  # Keras's gate order
        i, f, g, o = sigmoid(z_i), sigmoid(z_f), np.tanh(z_c), sigmoid(z_o)
        c = f * c + i * g
        h = o * np.tanh(c)
        for name, value in zip(("input_gate", "forget_gate", "candidate", "output_gate", "cell", "hidden"),
                               (i, f, g, o, c, h)):
            trace[name][:, t] = value
    return LSTMTrace(**trace)
