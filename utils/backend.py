"""Which Keras backend trains the models, and the compiled LSTM loop it uses on a CPU.

The notebooks use plain ``keras.layers.LSTM``. On a GPU every Keras backend
hands that layer to cuDNN's fused kernel. On a CPU, Keras 3 runs its own
step-by-step loop instead, and how fast that goes depends on the backend
(docs/speed.md has the measurements). The fastest we found for this
model on a small CPU is JAX, with two changes to how one LSTM layer is computed:

* the forward pass is one compiled ``lax.scan`` in which each step does a
  single matrix product (``h @ recurrent_kernel``) and one fused pass over the
  four gates; the inputs' product with ``kernel`` is done for all 60 steps at
  once, before the loop;
* the gradient is written out (``jax.custom_vjp``): the backward loop only
  carries the state's gradient from step to step, and the weight and input
  gradients are then three large matrix products over all steps (the gradient
  JAX would derive itself does the weights' share in 60 small ones inside the loop).

So the workshop:

* picks JAX as the Keras backend only when nobody chose one and the fast loop
  will actually run (:func:`choose_backend` has the rule; a backend set in
  ``KERAS_BACKEND`` or ``keras.json`` always wins, and ``WORKSHOP_FAST_LSTM=0``
  turns all of this off), with XLA's matrix products on one thread unless
  ``XLA_FLAGS`` says otherwise (splitting these small products over two
  threads made training slower, not faster, when measured),
* routes an LSTM layer to that loop (``utils/tools/jax_lstm.py``) when it runs on
  the CPU with the settings the loop computes (tanh and sigmoid, a bias, no
  mask, not reversed, not unrolled, float32). Anything else, including every layer on a GPU, goes to
  Keras's own code unchanged, so a GPU still gets cuDNN, and
* asks glibc's malloc to keep freed memory for reuse (:func:`utils.tools.fast_lstm.reuse_freed_memory`),
  so that XLA's per-step scratch buffers do not cost fresh pages every step, and to hand back to the
  system what XLA's compiler freed, after each compilation.

Keras offers no public switch for the routing, so :func:`use_fast_cpu_lstm` wraps
``keras.src.backend.lstm``, the hook that ``keras.layers.LSTM`` already calls
to ask a backend for a fused kernel. That hook is internal to Keras, so the
path is enabled by behaviour, not by version: a self-test
(:func:`utils.tools.fast_lstm.self_test`) runs one small layer through
Keras's own loop and through the hook, and the path is used only when the
outputs, states and gradients agree within float32 round-off. Its verdict is
kept per Keras, JAX and jaxlib version (and version of the workshop's loop) in
``fast-lstm-self-test.json`` beside JAX's compile cache
(:func:`self_test_file`), so it runs once per installation:

* when nobody chose a backend and TensorFlow is installed, the backend
  depends on the verdict, and Keras is not imported yet: with no verdict
  cached, :func:`choose_backend` runs the self-test in a child process on
  JAX (a few seconds, once);
* when Keras is going to run on JAX anyway (chosen, or the only backend
  installed), :func:`use_fast_cpu_lstm` runs it in the process itself, after
  Keras is imported.

A failed self-test (or a Keras without the hook) leaves everything as if the
fast path did not exist, and :func:`describe_training_path` says why in its
one sentence. When the cache cannot be written (a read-only home), the
verdict is kept in the process only. ``tests/test_backend.py`` checks that
the wrapped layer gives the same outputs and gradients as Keras's own loop.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import sys
from pathlib import Path

from .atomic import write_json_atomically

BACKEND_VARIABLE = "KERAS_BACKEND"
FAST_CPU_BACKEND = "jax"
KERAS_DEFAULT_BACKEND = "tensorflow"
# WORKSHOP_FAST_LSTM=0 leaves the backend, XLA and the LSTM layer exactly as Keras would have them.
FAST_LSTM_VARIABLE = "WORKSHOP_FAST_LSTM"
XLA_FLAGS_VARIABLE = "XLA_FLAGS"
ONE_THREAD_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false"
COMPILE_CACHE_VARIABLE = "JAX_COMPILATION_CACHE_DIR"
# The oldest JAX minor whose compile cache the workshop turns on (jax_compile_cache_is_safe says why).
SAFE_COMPILE_CACHE_JAX = (0, 6)
# The self-test's verdicts, one per installation (see the module's docstring), beside JAX's compile cache.
SELF_TEST_FILE = "fast-lstm-self-test.json"
# The workshop's files whose code the self-test checks: a change to either asks for a new verdict.
FAST_PATH_SOURCES = ("tools/fast_lstm.py", "tools/jax_lstm.py")
# The self-test in a child process: JAX starts and a small layer compiles; a minute means something is stuck.
SELF_TEST_TIMEOUT_SECONDS = 120
# The keras.json Keras writes itself the first time it is imported (whatever backend it then runs on):
# finding exactly this file says nothing about what the user wants.
KERAS_WRITTEN_CONFIG = {"floatx": "float32", "epsilon": 1e-07, "backend": KERAS_DEFAULT_BACKEND,
                        "image_data_format": "channels_last"}
# Device files whose presence means an installed JAX accelerator plugin has a device to run on.
ACCELERATOR_DEVICE_FILES = ("/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd", "/dev/accel0", "/dev/vfio")


def choose_backend() -> str:
    """Set ``KERAS_BACKEND`` to JAX when that is what runs fastest and nobody chose; return the backend Keras will use.

    The rule, in order:

    1. A backend the user chose wins: ``KERAS_BACKEND``, or ``backend`` in the
       ``keras.json`` Keras reads (``$KERAS_HOME`` or ``~/.keras``). The file
       Keras writes itself on first import is not a choice and is ignored, and
       so is a file that is not valid JSON (Keras ignores it too).
    2. JAX when Keras's default, TensorFlow, is not installed but JAX is
       (Keras could not start otherwise); the fast loop runs on it if its
       self-test passes there (:func:`use_fast_cpu_lstm`), Keras's own LSTM otherwise.
    3. JAX when the workshop's fast CPU LSTM will run: JAX installed, JAX's
       default device the CPU, ``WORKSHOP_FAST_LSTM`` not ``0`` (which turns
       the fast loop, its XLA and allocator settings off), and the self-test
       passed on this Keras and JAX (:func:`fast_path_verdict`: read from the
       cache, or run once in a child process).
    4. Otherwise Keras's default, so that a GPU runtime (Colab's) stays on
       TensorFlow and cuDNN.

    Must run before Keras is first imported: Keras reads the variable once,
    and XLA reads its flags when JAX starts. Reads a few package records and
    at most two small files; imports neither JAX nor Keras (the self-test's
    child process does, once per installation).
    """
    if "keras" in sys.modules:
        import keras

        return keras.backend.backend()
    chosen = user_chosen_backend() or backend_to_pick()
    if chosen:
        os.environ[BACKEND_VARIABLE] = chosen
    if chosen == FAST_CPU_BACKEND and fast_lstm_enabled():
        os.environ.setdefault(XLA_FLAGS_VARIABLE, ONE_THREAD_XLA_FLAGS)
        # Keep XLA's compiled code on disk, so that running a notebook again, or a model of the same
        # shape (the tests build many), skips a compile of several seconds. JAX's own cache;
        # by default it keeps only compiles over a second long, we keep them all.
        if jax_compile_cache_is_safe():
            os.environ.setdefault(COMPILE_CACHE_VARIABLE, str(compile_cache_folder()))
            os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    return chosen or KERAS_DEFAULT_BACKEND


def backend_to_pick() -> str | None:
    """When the user chose no backend: JAX if the fast CPU loop will run on it, or if it is the only backend
    installed of the two; otherwise None (Keras's default)."""
    if not installed(FAST_CPU_BACKEND):
        return None
    if not installed(KERAS_DEFAULT_BACKEND):
        return FAST_CPU_BACKEND  # decided without the self-test, which then runs after Keras is imported
    return FAST_CPU_BACKEND if fast_cpu_lstm_would_run() else None


def fast_lstm_enabled() -> bool:
    """False when ``WORKSHOP_FAST_LSTM=0`` asks for Keras exactly as it comes."""
    return os.environ.get(FAST_LSTM_VARIABLE, "").strip() != "0"


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def keras_config_path() -> Path:
    """The ``keras.json`` Keras reads, found the way Keras finds it (``$KERAS_HOME``, else ~/.keras or /tmp/.keras)."""
    if "KERAS_HOME" in os.environ:
        folder = os.environ["KERAS_HOME"]
    else:
        home = os.path.expanduser("~")
        folder = os.path.join(home if os.access(home, os.W_OK) else "/tmp", ".keras")
    return Path(os.path.expanduser(folder)) / "keras.json"


def user_chosen_backend() -> str | None:
    """The backend the user chose in ``KERAS_BACKEND`` or ``keras.json``, or None when they chose none."""
    if os.environ.get(BACKEND_VARIABLE):
        return os.environ[BACKEND_VARIABLE]
    try:
        config = json.loads(keras_config_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # no file, or one Keras itself will ignore (it reads invalid JSON as no settings)
    if not isinstance(config, dict) or config == KERAS_WRITTEN_CONFIG or not config.get("backend"):
        return None
    return str(config["backend"])


def fast_cpu_lstm_would_run() -> bool:
    """True when the fast loop is on, JAX and Keras are installed, JAX's default device is the CPU, and the
    self-test passed on this Keras and JAX (run in a child process when no verdict is cached)."""
    if not fast_lstm_enabled() or not (installed(FAST_CPU_BACKEND) and installed("keras")):
        return False
    return jax_default_device_is_cpu() and fast_path_verdict(in_this_process=False)["passed"]


# Verdicts already known to this process, by self_test_key(): the cache file may be unwritable.
_known_verdicts: dict[str, dict] = {}


def self_test_key() -> str:
    """What a verdict holds for: the Keras, JAX and jaxlib versions, and the workshop's loop (a hash of its code)."""
    import hashlib

    versions = []
    for package in ("keras", FAST_CPU_BACKEND, "jaxlib"):
        try:
            versions.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{package} none")
    code = hashlib.sha256(b"".join((Path(__file__).parent / name).read_bytes() for name in FAST_PATH_SOURCES))
    return ", ".join(versions) + f", loop {code.hexdigest()[:12]}"


def self_test_file() -> Path:
    """The cached verdicts: a JSON object from :func:`self_test_key` to ``{"passed": ..., "reason": ...}``."""
    return compile_cache_folder().parent / SELF_TEST_FILE


def fast_path_verdict(in_this_process: bool, run_if_unknown: bool = True) -> dict:
    """Whether the fast loop passed its self-test on this Keras and JAX: ``{"passed": bool, "reason": str}``.

    From this process's memory, else from :func:`self_test_file`, else (with ``run_if_unknown``) by running the
    self-test: here when Keras already runs on JAX in this process (``in_this_process``), in a child process
    otherwise. A new verdict is written to the file when it can be; writing never fails the caller.
    Without ``run_if_unknown`` an unknown verdict reads ``{"passed": False, "reason": ""}``.
    """
    key = self_test_key()
    if key in _known_verdicts:
        return _known_verdicts[key]
    verdict = _cached_verdicts().get(key)
    if verdict is None:
        if not run_if_unknown:
            return {"passed": False, "reason": ""}
        verdict, keep = _self_test_here() if in_this_process else _self_test_in_child_process()
        if keep:
            _store_verdict(key, verdict)
    _known_verdicts[key] = verdict
    return verdict


def _cached_verdicts() -> dict:
    try:
        verdicts = json.loads(self_test_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return verdicts if isinstance(verdicts, dict) else {}


def _store_verdict(key: str, verdict: dict) -> None:
    """Add one verdict to the cache file; skipped where the folder cannot be written (a read-only home)."""
    try:
        self_test_file().parent.mkdir(parents=True, exist_ok=True)
        write_json_atomically(self_test_file(), {**_cached_verdicts(), key: verdict})
    except OSError:
        pass  # the verdict stays in this process; the next one runs the self-test again


def _self_test_here() -> tuple[dict, bool]:
    from .tools import fast_lstm

    reason = fast_lstm.self_test()
    return {"passed": reason is None, "reason": reason or ""}, True


def _self_test_in_child_process() -> tuple[dict, bool]:
    """The self-test in a child process on JAX (this one has not imported Keras yet); (verdict, worth caching)."""
    import subprocess
    import tempfile

    root = str(Path(__file__).resolve().parents[1])
    with tempfile.TemporaryDirectory() as keras_home:  # where that Keras writes its keras.json, not the user's home
        env = {**os.environ, BACKEND_VARIABLE: FAST_CPU_BACKEND, "JAX_PLATFORMS": "cpu", "KERAS_HOME": keras_home,
               "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
               "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3")}
        env.setdefault(XLA_FLAGS_VARIABLE, ONE_THREAD_XLA_FLAGS)
        try:
            done = subprocess.run([sys.executable, "-m", "utils.tools.fast_lstm"], env=env, capture_output=True,
                                  text=True, timeout=SELF_TEST_TIMEOUT_SECONDS)
        except (OSError, subprocess.TimeoutExpired) as error:
            return {"passed": False, "reason": f"the self-test could not run ({type(error).__name__})"}, False
    try:
        return json.loads(done.stdout.strip().splitlines()[-1]), True
    except (IndexError, ValueError):
        last = (done.stderr.strip().splitlines() or ["no output"])[-1][:160]
        # Keras or JAX failing to start on JAX is an answer for this installation; a killed process is not.
        return {"passed": False, "reason": f"the self-test failed on JAX: {last}"}, done.returncode > 0


def jax_default_device_is_cpu() -> bool:
    """Would ``jax.default_backend()`` say ``cpu``? Answered from the installed packages, without starting JAX.

    JAX runs on the CPU unless ``JAX_PLATFORMS`` names another platform first,
    or an accelerator plugin (CUDA, ROCm, TPU, Metal) is installed and has a
    device to run on. Starting JAX to ask would cost a second or more at every
    ``import utils``.
    """
    platforms = os.environ.get("JAX_PLATFORMS", "").strip()
    if platforms:
        return platforms.split(",")[0].strip().lower() == "cpu"
    plugins = {entry.name for entry in importlib.metadata.entry_points(group="jax_plugins")}
    if installed("jax_plugins"):
        import pkgutil

        import jax_plugins

        plugins |= {module.name for module in pkgutil.iter_modules(jax_plugins.__path__)}
    if installed("libtpu"):
        plugins.add("tpu")
    try:
        if "+" in importlib.metadata.version("jaxlib"):  # jaxlib built with CUDA or ROCm inside (before plugins)
            plugins.add("jaxlib")
    except importlib.metadata.PackageNotFoundError:
        pass
    if not plugins:
        return True
    if sys.platform == "darwin":
        return False  # jax-metal: the Mac's GPU
    return not any(os.path.exists(device) for device in ACCELERATOR_DEVICE_FILES)


def jax_compile_cache_is_safe() -> bool:
    """False on a JAX older than :data:`SAFE_COMPILE_CACHE_JAX`: there the workshop leaves JAX's disk cache off.

    With the cache on, JAX 0.4.26 (Keras 3.3) and 0.5.0 (Keras 3.8) ran one model's training step with another
    model's compiled code in the same process (``test_training_a_few_epochs_gives_keras_losses_and_weights``:
    the second model's first SGD step was off by 1e19; with the cache off, both were exact). JAX 0.6.1 and later
    passed the same test (``make test-matrix``).
    """
    try:
        version = importlib.metadata.version(FAST_CPU_BACKEND)
    except importlib.metadata.PackageNotFoundError:
        return False
    numbers = tuple(int(part) for part in version.split(".")[:2] if part.isdigit())
    return numbers >= SAFE_COMPILE_CACHE_JAX


def compile_cache_folder() -> Path:
    """Where JAX keeps the workshop's compiled code: the user's cache folder (``XDG_CACHE_HOME``, else ~/.cache).

    Without a home folder (a service account, a container with no HOME) it goes to the system's
    temporary folder instead: a cache only saves time, so its place must never stop the import.
    """
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    except RuntimeError:
        import tempfile

        base = Path(tempfile.gettempdir()) / f"cache-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    return base / "lstm-stock-workshop" / "jax"


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
    """Import Keras on the chosen backend, quietly, with the fast CPU LSTM in place; return the module.

    The one call that sets the process up for Keras: every notebook's setup cell makes it before anything touches
    Keras, and so do the command line and the sweep's workers (through the helpers that need Keras). Importing
    ``utils`` changes nothing; this call sets ``TF_CPP_MIN_LOG_LEVEL`` (unless set), the backend and XLA's settings
    (:func:`choose_backend`), and, where the fast path applies, Keras's LSTM hook and glibc's allocator
    (:mod:`utils.tools.fast_lstm`). Calling it again returns the same module and changes nothing more.
    """
    # TensorFlow's start-up chatter (CPU feature notes, CUDA probes) is noise for learners and for nbval's output
    # comparison; real errors still come through.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    choose_backend()
    quiet_tensorflow_import()
    import keras

    if use_fast_cpu_lstm():
        from .tools import fast_lstm  # JAX and Keras's internals: only where the fast path runs

        fast_lstm.reuse_freed_memory()
    return keras


def forget_compiled_computations() -> None:
    """On JAX, drop every computation compiled so far in this process; nothing on other backends.

    On JAX every operation that Keras runs outside a compiled step is compiled on its own, and XLA keeps each one:
    about 1.7 MB apiece on a CPU (jaxlib 0.10.2, ``docs/speed.md``). Building a model runs its initializers that
    way, some twenty of them, and a loaded model never needs them again; dropped, they leave a learner's kernel
    about 30 MB lighter. What is used again is compiled again, or read from JAX's compile cache.
    """
    import keras

    if keras.backend.backend() == FAST_CPU_BACKEND:
        import jax

        from .tools import fast_lstm

        jax.clear_caches()
        fast_lstm.hand_back_freed_heap()


def use_fast_cpu_lstm() -> bool:
    """Send CPU LSTM layers on the JAX backend to the workshop's loop (:mod:`utils.tools.fast_lstm`); True when in place.

    Does nothing on other backends, where JAX's default device is not the CPU, with ``WORKSHOP_FAST_LSTM=0``, or
    where the self-test failed on this Keras and JAX (run here, once, when no verdict is known).
    """
    import keras

    if keras.backend.backend() != FAST_CPU_BACKEND or not fast_lstm_enabled():
        return False
    import jax

    from .tools import fast_lstm

    fast_lstm.run_computations_in_calling_thread()  # before the next line creates JAX's CPU client
    if jax.default_backend() != "cpu":
        return False  # Keras's own LSTM, which runs cuDNN on a GPU
    if not fast_path_verdict(in_this_process=True)["passed"]:
        return False  # Keras's own LSTM, correct but slower on a CPU; describe_training_path() says why
    fast_lstm.install()
    return True


def describe_training_path() -> str:
    """One plain sentence saying what trains the model: the workshop's fast CPU LSTM loop on JAX, or Keras's own LSTM
    (with, where the fast path's self-test failed in this process, its reason)."""
    import keras
    from keras.src import backend as keras_backend

    name = keras.backend.backend()
    if name == FAST_CPU_BACKEND and getattr(keras_backend.lstm, "fast_cpu_lstm", False) and fast_lstm_enabled():
        import jax

        if jax.default_backend() == "cpu":
            return "The model trains with the workshop's fast CPU LSTM loop on JAX (utils/tools/jax_lstm.py)."
    device = "a GPU" if _backend_sees_a_gpu(name) else "the CPU"
    backend_names = {"jax": "JAX", "tensorflow": "TensorFlow", "torch": "PyTorch", "numpy": "NumPy"}
    sentence = f"The model trains with Keras's own LSTM on {backend_names.get(name, name)}, on {device}."
    reason = _known_verdicts.get(self_test_key(), {}).get("reason") if device == "the CPU" else None
    return f"{sentence[:-1]}: the fast CPU LSTM path is off, {reason}." if reason else sentence


def _backend_sees_a_gpu(name: str) -> bool:
    if name == "jax":
        import jax

        return jax.default_backend() == "gpu"
    if name == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    if name == "torch":
        import torch

        return torch.cuda.is_available()
    return False
