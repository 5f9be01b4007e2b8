"""The backend choice and the fused CPU LSTM: same numbers as Keras's own loop, used when it applies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import utils.backend as backend
from utils.training import keras

ROOT = Path(__file__).resolve().parents[1]

torch_only = pytest.mark.skipif(keras.backend.backend() != "torch", reason="the fused CPU kernel is PyTorch's")


def backend_in_fresh_process(**env_changes) -> str:
    """The backend a new Python process gets after importing the workshop's model module."""
    env = {key: value for key, value in os.environ.items() if key != "KERAS_BACKEND"}
    env.update(env_changes)
    code = "import utils.model, keras; print(keras.backend.backend())"
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def test_pytorch_is_chosen_when_keras_backend_is_not_set():
    assert backend_in_fresh_process() == "torch"


def test_an_explicit_keras_backend_wins():
    assert backend_in_fresh_process(KERAS_BACKEND="tensorflow") == "tensorflow"


def paired_layers(units: int, return_sequences: bool, features: int = 3, steps: int = 7):
    """The same LSTM twice: one free to use a fused kernel, one held to Keras's step-by-step loop."""
    fused = keras.layers.LSTM(units, return_sequences=return_sequences)
    looped = keras.layers.LSTM(units, return_sequences=return_sequences, use_cudnn=False)
    fused.build((None, steps, features))
    looped.build((None, steps, features))
    rng = np.random.default_rng(0)
    # Random weights (not Keras's zero bias) so that every gate matters in the comparison.
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in fused.get_weights()]
    fused.set_weights(weights)
    looped.set_weights(weights)
    return fused, looped


@torch_only
@pytest.mark.parametrize("return_sequences", [True, False])
def test_fused_lstm_matches_keras_loop_in_outputs_and_gradients(return_sequences):
    import torch

    fused, looped = paired_layers(units=5, return_sequences=return_sequences)
    x = np.random.default_rng(1).normal(size=(4, 7, 3)).astype("float32")
    results = []
    for layer in (fused, looped):
        inputs = torch.tensor(x, requires_grad=True)
        outputs = layer(inputs)
        # A weighted sum, so that each output position gets its own gradient.
        weights = torch.arange(outputs.numel(), dtype=torch.float32).reshape(outputs.shape) / outputs.numel()
        grads = torch.autograd.grad((outputs * weights).sum(), [inputs] + [w.value for w in layer.trainable_weights])
        results.append((outputs.detach().numpy(), [g.numpy() for g in grads]))
    (out_fused, grads_fused), (out_looped, grads_looped) = results
    assert out_fused.shape == out_looped.shape == ((4, 7, 5) if return_sequences else (4, 5))
    np.testing.assert_allclose(out_fused, out_looped, atol=1e-5)
    for got, expected in zip(grads_fused, grads_looped):
        np.testing.assert_allclose(got, expected, atol=1e-4)


@torch_only
def test_training_the_workshop_model_goes_through_the_fused_kernel(monkeypatch):
    from utils.model import build_stacked_lstm

    calls = []
    real = backend.fused_lstm

    def counting(*args, **kwargs):
        calls.append(args[0].shape)
        return real(*args, **kwargs)

    monkeypatch.setattr(backend, "fused_lstm", counting)
    model = build_stacked_lstm(window=10, units=4)
    X = np.random.default_rng(2).random((8, 10, 1)).astype("float32")
    model.fit(X, X[:, -1, 0], epochs=1, batch_size=8, verbose=0)
    assert len(calls) >= 4  # each of the four LSTM layers, once per batch
    assert {tuple(shape) for shape in calls} == {(8, 10, 1), (8, 10, 4)}


@torch_only
def test_cases_the_kernel_does_not_cover_go_to_keras():
    import torch

    x = torch.zeros((2, 5, 3))
    common = dict(mask=None, bias=torch.zeros(8), activation=keras.activations.tanh,
                  recurrent_activation=keras.activations.sigmoid)
    assert backend.fused_kernel_applies(x, **common)
    assert not backend.fused_kernel_applies(x, **{**common, "mask": torch.ones((2, 5), dtype=torch.bool)})
    assert not backend.fused_kernel_applies(x, **{**common, "bias": None})
    assert not backend.fused_kernel_applies(x, **{**common, "activation": keras.activations.relu})
    assert not backend.fused_kernel_applies(x, **common, go_backwards=True)
    assert not backend.fused_kernel_applies(x.double(), **common)
    # Not on the CPU (a GPU, say): Keras's own path, which uses cuDNN there.
    assert not backend.fused_kernel_applies(torch.zeros((2, 5, 3), device="meta"), **common)


@torch_only
def test_reversed_layers_still_match_keras_loop():
    import torch

    fused = keras.layers.LSTM(4, go_backwards=True)
    looped = keras.layers.LSTM(4, go_backwards=True, use_cudnn=False)
    for layer in (fused, looped):
        layer.build((None, 6, 2))
    looped.set_weights(fused.get_weights())
    x = torch.tensor(np.random.default_rng(3).normal(size=(3, 6, 2)).astype("float32"))
    np.testing.assert_allclose(fused(x).detach().numpy(), looped(x).detach().numpy(), atol=1e-6)


def test_installing_twice_wraps_once():
    from keras.src import backend as keras_backend

    before = keras_backend.lstm
    backend.use_fused_cpu_lstm()
    assert keras_backend.lstm is before


@torch_only
def test_an_unchecked_keras_version_keeps_keras_own_code(monkeypatch):
    from keras.src import backend as keras_backend

    before = keras_backend.lstm
    monkeypatch.setattr(keras, "__version__", "3.99.0")
    with pytest.warns(UserWarning, match=r"Keras 3\.99\.0: the workshop's fused CPU LSTM was checked on Keras 3\.15\.x only"):
        assert backend.use_fused_cpu_lstm() is False
    assert keras_backend.lstm is before
