"""The notebooks' trained models: saved beside their results, checked, and loaded instead of training.

A full run (100 epochs) of a notebook with its own settings saves its model as
``results/models/<notebook>.keras`` (Keras's native format) and records the
file's SHA-256 in ``results/<notebook>.json``. With ``TRAIN = False`` a notebook
loads that model instead of training; anything that would make the loaded
model differ from the committed run (a missing, truncated or changed file, or
other settings) is one :class:`~utils.errors.DataError` sentence saying how to
train instead. Keras itself is imported only to save or load a model.

A notebook that trains several models (the sixth, beyond the chapter) saves each under a key:
``results/models/<notebook>-<key>.keras``, listed with its SHA-256 in ``results/<notebook>.json``
(:func:`save_named_model`, :func:`load_named_model`).
"""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path

from . import results
from .atomic import replace_atomically, write_json_atomically
from .backend import forget_compiled_computations, load_keras, quiet_tensorflow_import
from .epochs import FULL_EPOCHS
from .errors import DataError
from .files import sha256_of, shown
from .registry import committed_notebooks, committed_settings, differences
from .schema import MODEL_SET, SAVED_MODEL, check_record
from .training import TrainingRun

TRAIN_INSTEAD = "set TRAIN = True to train the model yourself"


def models_dir() -> Path:
    return results.RESULTS_DIR / "models"


def model_path(name: str) -> Path:
    return models_dir() / f"{name}.keras"


def save_model(name: str, model) -> str:
    """Save ``model`` as ``results/models/<name>.keras`` atomically; return the file's SHA-256.

    The optimizer's state (Adam's two moments per weight) is left out: it
    would triple the file and is not needed to predict; a model loaded to
    train further starts a fresh optimizer, as a new model would.
    """
    keras = load_keras()
    # Keras's file handling imports TensorFlow where it is installed, whatever the backend; quietly, as load_keras does.
    quiet_tensorflow_import(any_backend=True)
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    if model.optimizer is not None:
        copy.compile(optimizer=type(model.optimizer).from_config(model.optimizer.get_config()), loss=model.loss)
    path = replace_atomically(model_path(name), lambda temporary: copy.save(temporary), suffix=".keras")
    return sha256_of(path)


def save_result(name: str, epochs: int, payload: dict, model=None) -> Path:
    """Save a notebook's results (predictions, metrics, settings); print and return where.

    Only the main job (``python -m utils notebooks``, which sets
    ``WORKSHOP_MAIN_JOB=1`` for its kernels) writes the committed
    ``results/<name>.json`` (``results/epochs-N/`` for a quick run) and, after a
    full run, ``results/models/<name>.keras`` with the file's SHA-256 in the
    results. Any other run (a learner in JupyterLab, whatever the epochs or the
    model cell) is saved in the learner's own folder
    (:func:`utils.results.learner_results_root`, git-ignored), where later
    notebooks find a learner's quick runs; a run with other settings (a learner
    who changed UNITS or TICKER) goes to ``other-settings/`` there. A run whose
    model was loaded rather than trained writes nothing: the committed files
    already hold it.
    """
    if payload.get("loaded"):
        return results.result_path(name, epochs)
    record = {"notebook": name, "epochs": epochs, **payload}
    committed = committed_settings(name)
    changed = differences(committed, payload) if committed is not None else []
    if changed:
        path = write_json_atomically(results.other_settings_path(name, epochs, payload), record)
        print(f"Saved to {shown(path)}, not beside the notebook's own run, because your settings differ from "
              f"the notebook's own ({', '.join(changed)}); later notebooks compare with the notebook's own run.")
        return path
    path = results.results_dir(epochs, root=results.save_root()) / f"{name}.json"
    if not results.writes_committed():
        path = write_json_atomically(path, record)
        print(f"Saved your run to {shown(path)} (yours alone, git-ignored); the committed results are written only "
              f"by the main job, python -m utils notebooks.")
        return path
    if model is not None and epochs == FULL_EPOCHS and committed is not None:
        record["model_sha256"] = save_model(name, model)
    path = write_json_atomically(path, record)
    print(f"Saved to {shown(path)}{' and its model' if 'model_sha256' in record else ''} "
          f"({results.MAIN_JOB_VARIABLE} is set: these are the committed results).")
    return path


def model_file_problem(path: Path, expected_sha256: str | None) -> str | None:
    """What is wrong with a saved model file, in a few words, or None when it is complete and unchanged."""
    if not path.is_file():
        return "is missing"
    if expected_sha256 is None:
        return "has no SHA-256 recorded in its results file"
    try:
        with zipfile.ZipFile(path) as archive:
            damaged = archive.testzip()
    except (zipfile.BadZipFile, OSError):
        return "is truncated or damaged (not a complete .keras file)"
    if damaged is not None:
        return f"is damaged ({damaged} inside it fails its check)"
    if sha256_of(path) != expected_sha256:
        return "differs from the SHA-256 recorded when it was saved (it was changed or replaced since)"
    return None


def load_trained_model(name: str, *, ticker: str, units: int, dropout: float, window: int, seed: int,
                       announce: bool = True):
    """Load the committed model of notebook ``name`` and rebuild its run; ``(model, run)`` with ``run.loaded`` True.

    The settings must be the notebook's own (those its model was trained
    with). ``announce`` prints one sentence saying the model was loaded and
    how long training it took.
    """
    expected = committed_settings(name)
    if expected is None:
        raise DataError(f"{name!r} is not one of the workshop's notebooks ({', '.join(committed_notebooks())}), "
                        "so there is no committed model to load")
    wrong = differences(expected, {"ticker": ticker, "units": units, "dropout": dropout, "window": window, "seed": seed})
    if wrong:
        raise DataError(f"the committed model of {name} was trained with the notebook's own settings, not "
                        f"{', '.join(wrong)}: {TRAIN_INSTEAD} with your settings")
    saved = results.load_result(name, FULL_EPOCHS)
    path = model_path(name)
    took = f"about {saved['fit_seconds']:.0f} s" if saved.get("fit_seconds") else "a few minutes"
    problem = model_file_problem(path, saved.get("model_sha256"))
    if problem:
        raise DataError(f"{shown(path)} {problem}: {TRAIN_INSTEAD} ({took} for {saved['epochs']} epochs), "
                        f"or restore the committed file with 'python -m utils reset {name}'")

    model = read_model_file(path, took)
    run = TrainingRun(history={"loss": [saved["final_loss"]]}, seconds=0.0, epochs=saved["epochs"], loaded=True)
    if announce:
        print(f"Loaded the trained model from {shown(path)} instead of training it; training it took {took} for "
              f"{saved['epochs']} epochs (on {saved.get('keras_backend', 'Keras')}). Set TRAIN = True to train it yourself.")
    return model, run


def read_model_file(path: Path, took: str):
    """Keras's model from ``path`` (already checked against its SHA-256), or one DataError line.

    A Keras older than the one that wrote the file may not know every argument its configuration names (Keras 3.15
    writes initializer arguments that 3.14 and earlier refuse, and Colab's Keras is older): then the model is built
    again from the layers the file lists and given the file's weights (:func:`rebuild_from_weights`).
    """
    keras = load_keras()
    try:
        with warnings.catch_warnings():
            # The file holds no optimizer state on purpose (see save_model); Keras notes that it found none.
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            try:
                model = keras.saving.load_model(path)
            except Exception:  # Keras's own errors vary by version
                model = rebuild_from_weights(keras, path)
    except Exception as exc:  # neither way works: this file cannot be used with this Keras
        raise DataError(f"{shown(path)} cannot be loaded by Keras {keras.__version__} ({type(exc).__name__}): "
                        f"{TRAIN_INSTEAD} ({took})") from None
    forget_compiled_computations()  # what building the models compiled: a loaded model needs none of it
    return model


def rebuild_from_weights(keras, path: Path):
    """The workshop's model saved in ``path``, built from its list of layers and loaded with its weights.

    Only the layers the workshop's models use, with the settings they use (Keras's defaults otherwise), so that
    nothing the file says is dropped; anything else raises ValueError. Compiled as the file says, as Keras's own
    loading does.
    """
    with zipfile.ZipFile(path) as archive:
        saved = json.loads(archive.read("config.json"))
    if saved["class_name"] != "Sequential":
        raise ValueError("not a Sequential model")
    model = keras.Sequential([_layer_from_config(keras, entry["class_name"], entry["config"])
                              for entry in saved["config"]["layers"]])
    model.load_weights(path)
    model.compile(optimizer="adam", loss=saved["compile_config"]["loss"])
    return model


# What each layer's configuration must say for the rebuilt layer to compute what the saved one did.
_EXPECTED_LAYER_SETTINGS = {
    "LSTM": {"activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True, "go_backwards": False,
             "return_state": False, "stateful": False, "unit_forget_bias": True, "dropout": 0.0,
             "recurrent_dropout": 0.0},
    "Dense": {"activation": "linear", "use_bias": True},
}


def _layer_from_config(keras, kind: str, config: dict):
    differing = {key: config.get(key) for key, value in _EXPECTED_LAYER_SETTINGS.get(kind, {}).items()
                 if config.get(key, value) != value}
    if differing:
        raise ValueError(f"a {kind} layer with {differing}")
    # Layer names as saved: the weights file finds each layer's weights by them.
    if kind == "InputLayer":
        return keras.Input(shape=tuple(config["batch_shape"][1:]))
    if kind == "LSTM":
        return keras.layers.LSTM(config["units"], return_sequences=config["return_sequences"], name=config["name"])
    if kind == "Dropout":
        return keras.layers.Dropout(config["rate"], name=config["name"])
    if kind == "Dense":
        return keras.layers.Dense(config["units"], name=config["name"])
    raise ValueError(f"a {kind} layer")


def model_set_path(notebook: str) -> Path:
    return results.RESULTS_DIR / f"{notebook}.json"


def read_model_set(notebook: str) -> dict:
    """``results/<notebook>.json``'s record of each saved model, checked; empty when there is no such file yet."""
    path = model_set_path(notebook)
    if not path.is_file():
        return {}
    fix = f"restore the committed file with 'git checkout -- {shown(path)}', or run {notebook} with TRAIN = True"
    payload = results.read_json(path, fix)
    try:
        check_record(payload, MODEL_SET, shown(path))
        for key, entry in payload["models"].items():
            check_record(entry, SAVED_MODEL, f"{shown(path)}, model {key!r}")
    except DataError as exc:
        raise DataError(f"{exc}: {fix}") from None
    return payload["models"]


def save_named_model(notebook: str, key: str, epochs: int, model, run: TrainingRun) -> Path | None:
    """After the main job's full run, save ``model`` as ``results/models/<notebook>-<key>.keras`` and list it in
    ``results/<notebook>.json``; any other run (a learner's, a quick one, a loaded model) writes nothing."""
    if run.loaded or not results.writes_committed() or epochs != FULL_EPOCHS:
        return None
    name = f"{notebook}-{key}"
    entry = {"epochs": epochs, "fit_seconds": run.seconds, "final_loss": run.final_loss,
             "model_sha256": save_model(name, model)}
    models = {**read_model_set(notebook), key: entry}
    return write_json_atomically(model_set_path(notebook), {"notebook": notebook, "models": dict(sorted(models.items()))})


def load_named_model(notebook: str, key: str):
    """The committed model ``key`` of ``notebook`` and its run, ``(model, run)`` with ``run.loaded`` True."""
    entry = read_model_set(notebook).get(key)
    if entry is None:
        raise DataError(f"{notebook} has no committed model {key!r} in {shown(model_set_path(notebook))}: {TRAIN_INSTEAD}")
    path = model_path(f"{notebook}-{key}")
    took = f"about {entry['fit_seconds']:.0f} s"
    problem = model_file_problem(path, entry["model_sha256"])
    if problem:
        raise DataError(f"{shown(path)} {problem}: {TRAIN_INSTEAD} ({took} for {entry['epochs']} epochs), "
                        f"or restore the committed file with 'git checkout -- {shown(path)}'")
    model = read_model_file(path, took)
    run = TrainingRun(history={"loss": [entry["final_loss"]]}, seconds=0.0, epochs=entry["epochs"], loaded=True)
    return model, run


def check_saved_models() -> list[str]:
    """One line per model file in results/models/ (for ``python -m utils data check``); problems come back as text."""
    problems = []
    # A model file that exists, or that a full-run result records (so a missing one is a problem, not a skip).
    present = [name for name in committed_notebooks()
               if model_path(name).exists() or results.result_path(name, FULL_EPOCHS).is_file()]
    if present:
        print(f"trained models in {shown(models_dir())}, against the SHA-256 in their results:")
    for name in present:
        path = model_path(name)
        try:
            expected = results.load_result(name, FULL_EPOCHS).get("model_sha256")
        except DataError as exc:
            expected, note = None, str(exc)
        else:
            note = None
        problem = note or model_file_problem(path, expected)
        print(f"{shown(path)}  {'ok' if problem is None else 'problem'}")
        if problem:
            problems.append(f"{shown(path)}: {problem}")
    return problems
