"""The backend choice and the fast CPU LSTM: same numbers as Keras's own loop, used when it applies."""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import utils.backend as backend
from utils.backend import load_keras
from utils.tools import fast_lstm

keras = load_keras()

ROOT = Path(__file__).resolve().parents[1]

jax_only = pytest.mark.skipif(keras.backend.backend() != "jax", reason="the fast CPU LSTM is written in JAX")
fast_loop_only = pytest.mark.skipif(not backend.use_fast_cpu_lstm(),
                                    reason="the fast CPU LSTM is not in place (another backend, or its self-test failed)")
glibc_only = pytest.mark.skipif(not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
                                reason="the setting is glibc's")


CLEARED = ("KERAS_BACKEND", "KERAS_HOME", "XLA_FLAGS", "JAX_PLATFORMS", backend.COMPILE_CACHE_VARIABLE,
           backend.FAST_LSTM_VARIABLE, "XDG_CACHE_HOME")


LOAD_KERAS = "import os; from utils.backend import load_keras; keras = load_keras(); "


def in_fresh_process(code: str, home: Path, known_verdict: bool = True, **env_changes) -> str:
    """The last line a new Python process prints after loading Keras the workshop's way.

    ``home`` stands in for the user's home folder (and their cache), so the real one is never read. With
    ``known_verdict`` its cache holds this process's self-test verdict, so the new process does not run it again.
    """
    if known_verdict:
        verdicts = tmp_cache_file(home)
        verdicts.parent.mkdir(parents=True, exist_ok=True)
        verdicts.write_text(json.dumps({backend.self_test_key(): backend.fast_path_verdict(in_this_process=True)}))
    env = {key: value for key, value in os.environ.items() if key not in CLEARED}
    env.update(HOME=str(home), **env_changes)
    done = subprocess.run([sys.executable, "-c", LOAD_KERAS + code], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def tmp_cache_file(home: Path) -> Path:
    return home / ".cache" / "lstm-stock-workshop" / backend.SELF_TEST_FILE


def keras_json(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "keras.json").write_text(text, encoding="utf-8")
    return folder


SHOW_BACKEND = "print(keras.backend.backend(), os.environ.get('XLA_FLAGS'))"


@fast_loop_only
def test_jax_on_one_thread_with_a_compile_cache_is_chosen_when_nothing_is_set(tmp_path):
    compile_something = "import jax; jax.jit(lambda x: x * 2)(1.0); "
    # A first start: no verdict cached, so the self-test runs once (in a child process when TensorFlow is installed
    # and the verdict decides the backend, else after Keras is imported) and its verdict is kept beside the compile cache.
    shown = in_fresh_process(compile_something + SHOW_BACKEND, home=tmp_path, known_verdict=False)
    assert shown == "jax " + backend.ONE_THREAD_XLA_FLAGS
    cache = tmp_path / ".cache" / "lstm-stock-workshop" / "jax"
    if backend.jax_compile_cache_is_safe():
        assert [entry for entry in cache.iterdir()], "JAX wrote nothing into the workshop's compile cache"
    else:
        assert not cache.exists(), "an old JAX's compile cache was turned on"
    assert json.loads(tmp_cache_file(tmp_path).read_text()) == {backend.self_test_key(): {"passed": True, "reason": ""}}
    # Keras wrote its own keras.json on that first import; it is not a choice, so the next start still picks JAX.
    assert json.loads((tmp_path / ".keras" / "keras.json").read_text())["backend"] == "tensorflow"
    assert in_fresh_process(SHOW_BACKEND, home=tmp_path) == "jax " + backend.ONE_THREAD_XLA_FLAGS


# Whether a call returns only once its computation is done (it ran in the calling thread) or at once, with the
# computation queued for a worker thread (JAX's asynchronous dispatch): a few hundred matrix products take long
# enough that a queued one is never done by the time the call returns.
RUNS_IN_CALLING_THREAD = """
import jax, jax.numpy as jnp
work = jax.jit(lambda x: jax.lax.fori_loop(0, 400, lambda i, a: jnp.tanh(a @ a), x))
x = jnp.ones((256, 256)) / 256
work(x).block_until_ready()  # compiled now, so the next call only runs it
print(work(x).is_ready())
"""


@fast_loop_only
def test_the_fast_loop_runs_each_step_in_the_calling_thread(tmp_path):
    """With async dispatch two training steps' scratch buffers lived at once, in two threads' heaps (docs/speed.md)."""
    import jax

    assert in_fresh_process(RUNS_IN_CALLING_THREAD, home=tmp_path) == "True"
    if fast_lstm.ASYNC_DISPATCH_OPTION in jax.config.values:
        # Without the fast path JAX keeps its own default, which hands such a computation to a worker thread.
        assert in_fresh_process(RUNS_IN_CALLING_THREAD, home=tmp_path, KERAS_BACKEND="jax",
                                WORKSHOP_FAST_LSTM="0") == "False"


COMPILES_OF_ONE_FAST_LAYER = """
import jax.monitoring, jax.numpy as jnp
from utils.tools.fast_lstm import BACKEND_COMPILE_EVENT, fast_lstm
batch, steps, features, units = 2, 5, 3, 7
shapes = [(batch, steps, features), (batch, units), (batch, units), (features, 4 * units), (units, 4 * units), (4 * units,)]
arrays = [jnp.full(shape, 0.5, "float32") for shape in shapes]  # made before counting: making them compiles too
compiles = []
jax.monitoring.register_event_duration_secs_listener(
    lambda event, duration, **details: compiles.append(event) if event == BACKEND_COMPILE_EVENT else None)
fast_lstm(*arrays, return_sequences=True)
print(len(compiles))
"""


@fast_loop_only
def test_a_layer_run_on_its_own_is_one_compiled_computation(tmp_path):
    """Exercise 9.01 calls its first layer alone: one compilation, not one per operation (15 MB of a kernel's memory)."""
    assert in_fresh_process(COMPILES_OF_ONE_FAST_LAYER, home=tmp_path, JAX_ENABLE_COMPILATION_CACHE="false") == "1"


@fast_loop_only
def test_forgetting_compiled_computations_drops_them_and_hands_their_memory_back(monkeypatch):
    import jax
    import jax.numpy as jnp

    x = jnp.ones(11)  # made before counting: making it compiles too
    compiles = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, duration, **details: compiles.append(event) if event == fast_lstm.BACKEND_COMPILE_EVENT else None)
    trims = []
    monkeypatch.setattr(fast_lstm, "_malloc_trim", lambda pad: trims.append(pad))
    scale = jax.jit(lambda x: x * 3 - 1)
    scale(x).block_until_ready()
    scale(x).block_until_ready()
    assert len(compiles) == 1, "the second call should have reused the compiled computation"
    backend.forget_compiled_computations()
    assert trims == [0]
    scale(x).block_until_ready()
    assert len(compiles) == 2, "the computation should have been dropped, so compiled (or read from the cache) again"


def test_on_other_backends_nothing_is_forgotten(monkeypatch):
    import keras

    monkeypatch.setattr(keras.backend, "backend", lambda: "tensorflow")
    monkeypatch.setattr(fast_lstm, "_malloc_trim", lambda pad: pytest.fail("trimmed on another backend"))
    import jax

    monkeypatch.setattr(jax, "clear_caches", lambda: pytest.fail("JAX's caches cleared on another backend"))
    backend.forget_compiled_computations()


def test_an_explicit_keras_backend_and_xla_flags_win(tmp_path):
    # Keras's NumPy backend stands for any explicit choice here: it starts in a second, TensorFlow in ten.
    assert in_fresh_process("print(keras.backend.backend())", home=tmp_path, KERAS_BACKEND="numpy") == "numpy"
    assert in_fresh_process("print(os.environ['XLA_FLAGS'])", home=tmp_path,
                            XLA_FLAGS="--xla_cpu_multi_thread_eigen=true") == "--xla_cpu_multi_thread_eigen=true"


def test_a_backend_chosen_in_keras_json_wins(tmp_path):
    keras_json(tmp_path / ".keras", '{"backend": "numpy"}')
    assert in_fresh_process(SHOW_BACKEND, home=tmp_path) == "numpy None"


def test_keras_json_is_looked_for_in_keras_home_first(tmp_path):
    keras_json(tmp_path / "elsewhere", '{"backend": "numpy", "floatx": "float32"}')
    keras_json(tmp_path / ".keras", '{"backend": "jax"}')
    assert in_fresh_process(SHOW_BACKEND, home=tmp_path, KERAS_HOME=str(tmp_path / "elsewhere")) == "numpy None"


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="TensorFlow is not installed")
def test_tensorflow_chosen_in_keras_json_stays(tmp_path):
    keras_json(tmp_path / ".keras", '{\n  "backend": "tensorflow"\n}\n')
    assert in_fresh_process(SHOW_BACKEND, home=tmp_path) == "tensorflow None"


@jax_only
def test_a_keras_json_that_is_not_json_is_left_to_keras(tmp_path):
    keras_json(tmp_path / ".keras", '{"backend": "numpy",')  # Keras itself reads it as no settings
    assert in_fresh_process(SHOW_BACKEND, home=tmp_path) == "jax " + backend.ONE_THREAD_XLA_FLAGS


def test_workshop_fast_lstm_0_turns_the_fast_loop_and_its_settings_off(tmp_path):
    shown = in_fresh_process("from keras.src import backend as b; from utils.backend import describe_training_path; "
                             "print(keras.backend.backend(), os.environ.get('XLA_FLAGS'), "
                             "getattr(b.lstm, 'fast_cpu_lstm', False), describe_training_path())",
                             home=tmp_path, KERAS_BACKEND="jax", WORKSHOP_FAST_LSTM="0")
    assert shown == "jax None False The model trains with Keras's own LSTM on JAX, on the CPU."


def test_the_rule_picks_jax_only_when_the_fast_loop_will_run(monkeypatch):
    monkeypatch.setattr(backend, "installed", lambda module: True)
    monkeypatch.setattr(backend, "fast_cpu_lstm_would_run", lambda: True)
    assert backend.backend_to_pick() == "jax"
    monkeypatch.setattr(backend, "fast_cpu_lstm_would_run", lambda: False)
    assert backend.backend_to_pick() is None  # Keras's default, TensorFlow (cuDNN on a GPU)
    monkeypatch.setattr(backend, "installed", lambda module: module == "jax")
    assert backend.backend_to_pick() == "jax"  # Keras's default is not installed, so it could not start
    monkeypatch.setattr(backend, "installed", lambda module: module == "tensorflow")
    assert backend.backend_to_pick() is None


def test_the_fast_loop_runs_only_where_its_self_test_passed_with_jax_on_the_cpu(monkeypatch):
    verdict = {"passed": True, "reason": ""}
    asked = []
    monkeypatch.setattr(backend, "fast_path_verdict", lambda in_this_process: asked.append(in_this_process) or verdict)
    monkeypatch.setattr(backend, "installed", lambda module: module in ("jax", "keras"))
    monkeypatch.delenv("WORKSHOP_FAST_LSTM", raising=False)
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    assert backend.fast_cpu_lstm_would_run()
    assert asked == [False]  # before Keras is imported: the self-test would run in a child process
    monkeypatch.setenv("WORKSHOP_FAST_LSTM", "0")
    assert not backend.fast_cpu_lstm_would_run()
    monkeypatch.delenv("WORKSHOP_FAST_LSTM")
    verdict["passed"] = False
    assert not backend.fast_cpu_lstm_would_run()
    verdict["passed"] = True
    monkeypatch.setenv("JAX_PLATFORMS", "cuda,cpu")
    asked.clear()
    assert not backend.fast_cpu_lstm_would_run()
    assert asked == []  # on a GPU no self-test runs at all


def test_on_a_faked_gpu_the_rule_keeps_keras_default_and_runs_no_self_test(monkeypatch, tmp_path):
    """The GPU rule: where JAX's default device is not the CPU, Keras's own LSTM (cuDNN) on Keras's default backend."""
    monkeypatch.delenv("JAX_PLATFORMS", raising=False)
    monkeypatch.delenv("WORKSHOP_FAST_LSTM", raising=False)
    monkeypatch.setattr(backend.sys, "platform", "linux")
    monkeypatch.setattr(backend.importlib.metadata, "entry_points",
                        lambda group: [type("EntryPoint", (), {"name": "xla_cuda12"})()])
    device = tmp_path / "nvidia0"
    device.touch()
    monkeypatch.setattr(backend, "ACCELERATOR_DEVICE_FILES", (str(device),))
    monkeypatch.setattr(backend, "installed", lambda module: module in ("jax", "keras", "tensorflow"))
    monkeypatch.setattr(backend, "fast_path_verdict", lambda in_this_process: pytest.fail("a self-test on a GPU"))
    assert backend.backend_to_pick() is None  # TensorFlow, which hands the layer to cuDNN


@pytest.mark.parametrize("version, safe", [("0.4.26", False), ("0.5.0", False), ("0.6.1", True), ("0.10.2", True)])
def test_jax_compile_cache_is_turned_on_only_from_the_jax_it_was_safe_on(monkeypatch, version, safe):
    monkeypatch.setattr(backend.importlib.metadata, "version", lambda name: version)
    assert backend.jax_compile_cache_is_safe() is safe


@pytest.fixture
def verdict_cache(monkeypatch, tmp_path):
    """The verdict cache in a folder of its own, with nothing known to this process."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(backend, "_known_verdicts", {})
    return backend.self_test_file()


def test_a_verdict_is_cached_per_keras_and_jax_and_the_self_test_runs_once(verdict_cache, monkeypatch):
    runs = []
    monkeypatch.setattr(backend, "_self_test_in_child_process",
                        lambda: runs.append("run") or ({"passed": False, "reason": "the hook is gone"}, True))
    assert backend.fast_path_verdict(in_this_process=False) == {"passed": False, "reason": "the hook is gone"}
    assert json.loads(verdict_cache.read_text()) == {backend.self_test_key(): {"passed": False, "reason": "the hook is gone"}}
    monkeypatch.setattr(backend, "_known_verdicts", {})  # a new process: the file answers
    assert backend.fast_path_verdict(in_this_process=False)["reason"] == "the hook is gone"
    assert runs == ["run"]
    # Another Keras (or JAX) is another key: the self-test runs again.
    real_version = backend.importlib.metadata.version
    monkeypatch.setattr(backend.importlib.metadata, "version",
                        lambda name: "3.99.0" if name == "keras" else real_version(name))
    assert "keras 3.99.0" in backend.self_test_key()
    backend.fast_path_verdict(in_this_process=False)
    assert runs == ["run", "run"]
    assert len(json.loads(verdict_cache.read_text())) == 2


def test_an_unwritable_cache_never_fails_the_import(verdict_cache, monkeypatch, tmp_path):
    # A cache folder that cannot be made (its parent is a file) stands for a read-only home, even for root.
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    monkeypatch.setattr(backend, "_self_test_in_child_process", lambda: ({"passed": True, "reason": ""}, True))
    assert backend.fast_path_verdict(in_this_process=False)["passed"]
    assert not backend.self_test_file().exists()


@fast_loop_only
def test_the_training_path_is_named_in_one_sentence():
    assert backend.describe_training_path() == \
        "The model trains with the workshop's fast CPU LSTM loop on JAX (utils/tools/jax_lstm.py)."


def paired_layers(units: int, return_sequences: bool, features: int = 3, steps: int = 7, batch=None,
                  wrapper=None, **options):
    """The same LSTM twice: one free to use the fast loop, one held to Keras's own step-by-step loop."""
    fast = keras.layers.LSTM(units, return_sequences=return_sequences, **options)
    looped = keras.layers.LSTM(units, return_sequences=return_sequences, use_cudnn=False, **options)
    if wrapper is not None:
        fast, looped = wrapper(fast), wrapper(looped)
    fast.build((batch, steps, features))
    looped.build((batch, steps, features))
    rng = np.random.default_rng(0)
    # Random weights (not Keras's zero bias) so that every gate matters in the comparison.
    weights = [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in fast.get_weights()]
    fast.set_weights(weights)
    looped.set_weights(weights)
    return fast, looped


def outputs_and_gradients(layer, x, training=False):
    """The layer's outputs, and the gradients of a weighted sum of them for the inputs and every weight."""
    import jax
    import jax.numpy as jnp

    def weighted_sum(trainable, inputs):
        outputs, _ = layer.stateless_call(trainable, non_trainable, inputs, training=training)
        # A different weight per output position, so that each one gets its own gradient.
        weights = jnp.arange(outputs.size, dtype=jnp.float32).reshape(outputs.shape) / outputs.size
        return (outputs * weights).sum(), outputs

    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]  # the dropout seed
    (_, outputs), (d_weights, d_inputs) = jax.value_and_grad(weighted_sum, argnums=(0, 1), has_aux=True)(
        trainable, jnp.asarray(x))
    return np.asarray(outputs), [np.asarray(d_inputs)] + [np.asarray(g) for g in d_weights]


@jax_only
@pytest.mark.parametrize("return_sequences", [True, False])
def test_fast_lstm_matches_keras_loop_in_outputs_and_gradients(return_sequences):
    fast, looped = paired_layers(units=5, return_sequences=return_sequences)
    x = np.random.default_rng(1).normal(size=(4, 7, 3)).astype("float32")
    out_fast, grads_fast = outputs_and_gradients(fast, x)
    out_looped, grads_looped = outputs_and_gradients(looped, x)
    assert out_fast.shape == out_looped.shape == ((4, 7, 5) if return_sequences else (4, 5))
    np.testing.assert_allclose(out_fast, out_looped, atol=1e-5)
    assert len(grads_fast) == 4  # inputs, kernel, recurrent kernel, bias
    for got, expected in zip(grads_fast, grads_looped):
        assert np.abs(expected).max() > 1e-3  # a real gradient, not zeros on both sides
        np.testing.assert_allclose(got, expected, atol=1e-4)


@jax_only
def test_the_first_layer_with_one_feature_and_a_long_window_also_matches():
    fast, looped = paired_layers(units=8, return_sequences=True, features=1, steps=60)
    x = np.random.default_rng(4).random((6, 60, 1)).astype("float32")
    (out_fast, grads_fast), (out_looped, grads_looped) = outputs_and_gradients(fast, x), outputs_and_gradients(looped, x)
    np.testing.assert_allclose(out_fast, out_looped, atol=1e-5)
    for got, expected in zip(grads_fast, grads_looped):
        np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-4)


@pytest.fixture
def fast_calls(monkeypatch):
    """Every call of the fast loop (while JAX traces, for compiled code), as its inputs' shape."""
    calls = []
    real = fast_lstm.fast_lstm

    def counting(*args, **kwargs):
        calls.append(tuple(args[0].shape))
        return real(*args, **kwargs)

    monkeypatch.setattr(fast_lstm, "fast_lstm", counting)
    return calls


@fast_loop_only
def test_training_the_workshop_model_goes_through_the_fast_loop(fast_calls):
    from utils.tools.model import build_stacked_lstm

    calls = fast_calls
    model = build_stacked_lstm(window=10, units=4)
    X = np.random.default_rng(2).random((8, 10, 1)).astype("float32")
    history = model.fit(X, X[:, -1, 0], epochs=2, batch_size=8, verbose=0)
    # Counted while JAX traces the training step: each of the four LSTM layers at least once.
    assert len(calls) >= 4
    assert set(calls) == {(8, 10, 1), (8, 10, 4)}
    assert np.isfinite(history.history["loss"]).all()


@jax_only
def test_cases_the_fast_loop_does_not_cover_go_to_keras(monkeypatch):
    import jax
    import jax.numpy as jnp

    x = jnp.zeros((2, 5, 3))
    common = dict(mask=None, bias=jnp.zeros(8), activation=keras.activations.tanh,
                  recurrent_activation=keras.activations.sigmoid)
    assert fast_lstm.fast_lstm_applies(x, **common)
    assert not fast_lstm.fast_lstm_applies(x, **{**common, "mask": jnp.ones((2, 5), dtype=bool)})
    assert not fast_lstm.fast_lstm_applies(x, **{**common, "bias": None})
    assert not fast_lstm.fast_lstm_applies(x, **{**common, "activation": keras.activations.relu})
    assert not fast_lstm.fast_lstm_applies(x, **common, go_backwards=True)
    assert not fast_lstm.fast_lstm_applies(x, **common, unroll=True)
    assert not fast_lstm.fast_lstm_applies(x.astype(jnp.bfloat16), **common)
    # On a GPU, Keras's own path, which hands the layer to cuDNN there.
    monkeypatch.setattr(jax, "default_backend", lambda: "gpu")
    assert not fast_lstm.fast_lstm_applies(x, **common)


@jax_only
def test_layers_the_fast_loop_does_not_cover_still_match_keras_loop():
    x = np.random.default_rng(3).normal(size=(3, 6, 2)).astype("float32")
    for options in ({"go_backwards": True}, {"activation": "relu"}):
        fast, looped = paired_layers(units=4, return_sequences=False, features=2, steps=6, **options)
        np.testing.assert_allclose(np.asarray(fast(x)), np.asarray(looped(x)), atol=1e-6)


@jax_only
def test_installing_twice_wraps_once():
    from keras.src import backend as keras_backend

    before = keras_backend.lstm
    backend.use_fast_cpu_lstm()
    assert keras_backend.lstm is before


@fast_loop_only
def test_a_failed_self_test_keeps_keras_own_code_and_says_why(monkeypatch, fast_calls):
    from keras.src import backend as keras_backend

    keras_own = keras_backend.lstm.keras_lstm  # as in a process whose self-test failed: never wrapped
    monkeypatch.setattr(keras_backend, "lstm", keras_own)
    monkeypatch.setattr(backend, "_known_verdicts", {backend.self_test_key(): {"passed": False, "reason": "why"}})
    assert backend.use_fast_cpu_lstm() is False
    assert keras_backend.lstm is keras_own
    assert backend.describe_training_path() == \
        "The model trains with Keras's own LSTM on JAX, on the CPU: the fast CPU LSTM path is off, why."
    # An LSTM layer then runs Keras's own loop: the same numbers as a layer held to it, the fast loop never called.
    fast, looped = paired_layers(units=4, return_sequences=True)
    x = np.random.default_rng(6).normal(size=(2, 7, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(fast(x)), np.asarray(looped(x)), atol=1e-6)
    assert fast_calls == []


@fast_loop_only
def test_the_self_test_passes_on_this_keras_and_leaves_the_hook_as_it_was():
    from keras.src import backend as keras_backend

    before = keras_backend.lstm
    assert fast_lstm.self_test() is None
    assert keras_backend.lstm is before


@jax_only
@pytest.mark.parametrize("wrong, reason", [
    (lambda out: (out[0], out[1] * 1.001, out[2]), "sequence differs by"),  # a small error in every output
    (lambda out: (out[0], out[1], [out[2][0], out[2][1] + 1e-3]), "last state c differs by"),
])
def test_the_self_test_catches_a_wrong_fast_loop(monkeypatch, wrong, reason):
    real = fast_lstm.fast_lstm
    monkeypatch.setattr(fast_lstm, "fast_lstm", lambda *args: wrong(real(*args)))
    assert reason in fast_lstm.self_test()


@jax_only
def test_the_self_test_catches_a_wrong_gradient(monkeypatch):
    import jax

    real = fast_lstm.fast_lstm

    @jax.custom_vjp
    def scaled_gradient(x):
        return x

    scaled_gradient.defvjp(lambda x: (x, None), lambda _, g: (g * 1.01,))
    monkeypatch.setattr(fast_lstm, "fast_lstm", lambda inputs, *rest: real(scaled_gradient(inputs), *rest))
    assert "gradient of the" in fast_lstm.self_test()


@jax_only
def test_the_self_test_fails_where_keras_has_no_hook_or_never_calls_it(monkeypatch):
    from keras.src import backend as keras_backend

    monkeypatch.setattr(fast_lstm, "fast_lstm_applies", lambda *args: False)  # as if the layer went round the hook
    assert "never called the keras.src.backend.lstm hook" in fast_lstm.self_test()
    monkeypatch.delattr(keras_backend, "lstm")
    assert fast_lstm.self_test() == f"Keras {keras.__version__} has no keras.src.backend.lstm hook"


@jax_only
def test_hand_written_gradient_equals_jax_autodiff_including_initial_states():
    """Against JAX's own derivative of a plain step-by-step LSTM, for all six inputs (h0 and c0 too)."""
    import jax
    import jax.numpy as jnp

    from utils.tools.jax_lstm import lstm_time_major

    def reference(inputs, h0, c0, kernel, recurrent_kernel, bias):
        def step(state, x_t):
            h, c = state
            i, f, g, o = jnp.split(x_t @ kernel + h @ recurrent_kernel + bias, 4, axis=-1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), h

        (h, c), hs = jax.lax.scan(step, (h0, c0), inputs)
        return hs, h, c

    rng = np.random.default_rng(5)
    steps, batch, features, units = 9, 3, 2, 4
    shapes = [(steps, batch, features), (batch, units), (batch, units), (features, 4 * units), (units, 4 * units),
              (4 * units,)]
    args = [jnp.asarray(rng.normal(scale=0.5, size=shape).astype("float32")) for shape in shapes]

    def loss(fn):
        def weighted(*a):
            hs, h, c = fn(*a)
            # Every output counts, each with its own weight: the sequence, the last h and the last c.
            return (hs * jnp.linspace(0.1, 1.0, hs.size).reshape(hs.shape)).sum() + (h * 0.3).sum() + (c * 0.7).sum()
        return weighted

    for got, expected in zip(lstm_time_major(*args), reference(*args)):
        np.testing.assert_allclose(got, expected, atol=1e-5)
    grads = jax.grad(loss(lstm_time_major), argnums=tuple(range(6)))(*args)
    expected = jax.grad(loss(reference), argnums=tuple(range(6)))(*args)
    for name, got, want in zip(["inputs", "h0", "c0", "kernel", "recurrent_kernel", "bias"], grads, expected):
        np.testing.assert_allclose(got, want, atol=1e-4, err_msg=name)


MALLOC_PROBE = """
import ctypes, ctypes.util, json
from utils.tools import fast_lstm
libc = ctypes.CDLL(ctypes.util.find_library("c"))
class Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc.mallinfo2.restype = Mallinfo2
libc.malloc.restype, libc.malloc.argtypes, libc.free.argtypes = ctypes.c_void_p, [ctypes.c_size_t], [ctypes.c_void_p]
size = 64 * 2**20
def mapped_while_held():
    block = libc.malloc(size)
    mapped = libc.mallinfo2().hblkhd
    libc.free(block)
    return mapped
before = mapped_while_held()
agreed = fast_lstm.reuse_freed_memory()
after = mapped_while_held()
print(json.dumps([before, agreed, after, libc.mallinfo2().arena]))
"""


@glibc_only
def test_freed_scratch_memory_stays_in_the_process_for_reuse():
    """A 64 MB block (XLA's scratch at 100 units is of that order) comes from the heap and stays there once freed."""

    done = subprocess.run([sys.executable, "-c", MALLOC_PROBE], cwd=ROOT, capture_output=True, text=True, check=True)
    before, agreed, after, heap = json.loads(done.stdout.strip().splitlines()[-1])
    size = 64 * 2**20
    assert before >= size, "by default glibc maps a block this large from the OS (the cost being avoided)"
    assert agreed is True
    assert after < size, "after reuse_freed_memory the block should come from the heap"
    assert heap >= size, "the freed block should stay in the process's heap"


@glibc_only
@pytest.mark.parametrize("variable, value", [("MALLOC_TRIM_THRESHOLD_", "131072"),
                                             ("GLIBC_TUNABLES", "glibc.malloc.mmap_threshold=131072")])
def test_an_explicit_malloc_setting_wins(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    assert fast_lstm.reuse_freed_memory() is False


@pytest.mark.parametrize("system, libc_version", [("Windows", ("", "")), ("Darwin", ("", "")), ("Linux", ("musl", "1.2"))])
def test_other_systems_and_c_libraries_keep_their_allocator(monkeypatch, system, libc_version):
    monkeypatch.setattr(fast_lstm.platform, "system", lambda: system)
    monkeypatch.setattr(fast_lstm.platform, "libc_ver", lambda: libc_version)
    monkeypatch.setattr(fast_lstm.ctypes, "CDLL", lambda name: pytest.fail("no C library is opened off glibc"))
    assert fast_lstm.reuse_freed_memory() is False


class LibcWithoutMallopt:
    def __init__(self, name):
        pass


def unopenable(name):
    raise OSError(f"{name}: cannot open shared object file")


@pytest.mark.parametrize("library", [LibcWithoutMallopt, unopenable])
def test_a_c_library_without_mallopt_is_left_alone(monkeypatch, library):
    for variable in fast_lstm.MALLOC_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    monkeypatch.setattr(fast_lstm.platform, "system", lambda: "Linux")
    monkeypatch.setattr(fast_lstm.platform, "libc_ver", lambda: ("glibc", "2.35"))
    monkeypatch.setattr(fast_lstm.ctypes.util, "find_library", lambda name: None)
    monkeypatch.setattr(fast_lstm.ctypes, "CDLL", library)
    assert fast_lstm.reuse_freed_memory() is False


def test_loading_keras_for_the_fast_loop_sets_the_allocator(monkeypatch):
    calls = []
    monkeypatch.setattr(fast_lstm, "reuse_freed_memory", lambda: calls.append("set") or True)
    monkeypatch.setattr(backend, "use_fast_cpu_lstm", lambda: True)
    backend.load_keras()
    monkeypatch.setattr(backend, "use_fast_cpu_lstm", lambda: False)
    backend.load_keras()
    assert calls == ["set"]


def assert_same_outputs_and_gradients(fast, looped, x, training=False):
    (out_fast, grads_fast), (out_looped, grads_looped) = (
        outputs_and_gradients(layer, x, training=training) for layer in (fast, looped))
    for got, expected in zip(out_fast if isinstance(out_fast, list) else [out_fast],
                             out_looped if isinstance(out_looped, list) else [out_looped]):
        np.testing.assert_allclose(got, expected, atol=1e-5)
    for got, expected in zip(grads_fast, grads_looped):
        assert np.abs(expected).max() > 1e-3
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


@fast_loop_only
def test_return_state_gives_keras_last_output_and_states(fast_calls):
    fast, looped = paired_layers(units=5, return_sequences=True, return_state=True)
    x = np.random.default_rng(7).normal(size=(4, 7, 3)).astype("float32")
    got, expected = fast(x), looped(x)
    assert len(got) == len(expected) == 3  # the sequence, the last h and the last c
    for a, b in zip(got, expected):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)
    assert fast_calls, "the fast loop was not used"


@fast_loop_only
def test_a_stateful_layer_carries_its_state_like_keras(fast_calls):
    fast, looped = paired_layers(units=4, return_sequences=False, batch=2, stateful=True)
    rng = np.random.default_rng(8)
    batches = [rng.normal(size=(2, 7, 3)).astype("float32") for _ in range(3)]
    for x in batches:  # each call starts from the state the previous one left
        np.testing.assert_allclose(np.asarray(fast(x)), np.asarray(looped(x)), atol=1e-5)
    carried = np.asarray(fast(batches[0]))
    for state in fast.states:  # what reset_states() does; Keras 3.10's own reset_states fails on JAX 0.6
        state.assign(np.zeros(state.shape, dtype="float32"))
    assert not np.allclose(carried, np.asarray(fast(batches[0])), atol=1e-3), "the state made no difference"
    assert fast_calls


@fast_loop_only
def test_input_dropout_inside_the_layer_matches_keras_while_training(fast_calls):
    fast, looped = paired_layers(units=5, return_sequences=True, dropout=0.4, seed=11)
    x = np.random.default_rng(9).normal(size=(4, 7, 3)).astype("float32")
    dropped = np.asarray(outputs_and_gradients(fast, x, training=True)[0])
    assert not np.allclose(dropped, outputs_and_gradients(fast, x)[0], atol=1e-3), "no input was dropped"
    assert_same_outputs_and_gradients(fast, looped, x, training=True)
    # Keras before 3.4 sends no layer with dropout to the hook: its own loop runs (the numbers above still hold).
    assert fast_calls or "if not self.dropout" in inspect.getsource(keras.layers.LSTM.inner_loop)


@fast_loop_only
def test_bidirectional_matches_keras(fast_calls):
    fast, looped = paired_layers(units=3, return_sequences=True, features=2, steps=5, wrapper=keras.layers.Bidirectional)
    x = np.random.default_rng(10).normal(size=(3, 5, 2)).astype("float32")
    assert_same_outputs_and_gradients(fast, looped, x)
    assert fast_calls  # the forward half; the backward half (go_backwards) runs Keras's loop


@fast_loop_only
def test_training_a_few_epochs_gives_keras_losses_and_weights(fast_calls):
    """From the same initial weights, fitting through the fast loop follows Keras's own loop step for step."""

    def small_model(use_cudnn):
        model = keras.Sequential([keras.Input((10, 1)),
                                  keras.layers.LSTM(6, return_sequences=True, use_cudnn=use_cudnn),
                                  keras.layers.LSTM(6, use_cudnn=use_cudnn), keras.layers.Dense(1)])
        # Plain SGD: every error in a gradient shows in the next step (Adam would hide one that only rescales it).
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="mean_squared_error")
        return model

    fast, looped = small_model("auto"), small_model(False)
    looped.set_weights(fast.get_weights())
    rng = np.random.default_rng(12)
    X = rng.random((48, 10, 1)).astype("float32")
    y = X[:, -3:, 0].mean(axis=1)
    losses = [model.fit(X, y, epochs=4, batch_size=16, shuffle=False, verbose=0).history["loss"]
              for model in (fast, looped)]
    assert fast_calls, "the fast loop was not used"
    assert losses[0][-1] < losses[0][0]  # it learned something, so the comparison covers real updates
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)
    for got, expected in zip(fast.get_weights(), looped.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_the_compile_cache_needs_no_home_folder(monkeypatch):
    import tempfile

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(backend.Path, "home", staticmethod(no_home))
    folder = backend.compile_cache_folder()
    assert folder.is_relative_to(tempfile.gettempdir()) and folder.name == "jax"


def test_which_keras_json_counts_as_the_user_choosing(tmp_path, monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    assert backend.user_chosen_backend() is None  # no file
    keras_json(tmp_path, json.dumps(backend.KERAS_WRITTEN_CONFIG, indent=4))
    assert backend.user_chosen_backend() is None  # the file Keras writes on its first import
    keras_json(tmp_path, json.dumps({**backend.KERAS_WRITTEN_CONFIG, "backend": "jax"}, indent=4))
    assert backend.user_chosen_backend() == "jax"
    keras_json(tmp_path, '{"backend": "tensorflow"}')
    assert backend.user_chosen_backend() == "tensorflow"
    keras_json(tmp_path, '{"backend": ')
    assert backend.user_chosen_backend() is None
    monkeypatch.setenv("KERAS_BACKEND", "torch")
    assert backend.user_chosen_backend() == "torch"


TRIM_PROBE = """
import ctypes, ctypes.util, json
import jax
from utils.tools import fast_lstm
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype, libc.malloc.argtypes, libc.free.argtypes = ctypes.c_void_p, [ctypes.c_size_t], [ctypes.c_void_p]
def resident_anonymous_mb():
    line = next(line for line in open("/proc/self/status") if line.startswith("RssAnon:"))
    return int(line.split()[1]) // 1024
agreed = fast_lstm.reuse_freed_memory()
size = 64 * 2**20
blocks = [libc.malloc(size) for _ in range(2)]
for block in blocks:
    ctypes.memset(block, 1, size)  # touched, so resident
libc.free(blocks[0])  # below the second block: freed heap that stays resident under the thresholds
held = resident_anonymous_mb()
jax.jit(lambda x: x * 3 + 1)(2.0).block_until_ready()  # one XLA compilation
after_compile = resident_anonymous_mb()
print(json.dumps([agreed, held, after_compile]))
"""


@glibc_only
def test_freed_heap_goes_back_to_the_os_after_each_compilation():
    """What XLA's compiler frees must not stay resident: the first (cold) run of a kernel would keep it for good."""
    done = subprocess.run([sys.executable, "-c", TRIM_PROBE], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "JAX_PLATFORMS": "cpu"})
    agreed, held, after_compile = json.loads(done.stdout.strip().splitlines()[-1])
    assert agreed is True
    assert held - after_compile >= 48, f"{held} MB resident before the compilation, {after_compile} MB after"
