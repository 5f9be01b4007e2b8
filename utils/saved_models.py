"""The five notebooks' trained models: saved beside their results, checked, and loaded instead of training.

A full run (100 epochs) of a notebook with its own settings saves its model as
``results/models/<notebook>.keras`` (Keras's native format) and records the
file's SHA-256 in ``results/<notebook>.json``. With ``TRAIN = False`` a notebook
loads that model instead of training; anything that would make the loaded
model differ from the committed run (a missing, truncated or changed file, or
other settings) is one :class:`~utils.data.DataError` sentence saying how to
train instead. Keras itself is imported only to save or load a model.
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

from . import results
from .data import REPO_ROOT, DataError, sha256_of

TRAIN_INSTEAD = "set TRAIN = True to train the model yourself"


def models_dir() -> Path:
    return results.RESULTS_DIR / "models"


def model_path(name: str) -> Path:
    return models_dir() / f"{name}.keras"


def shown(path: Path) -> str:
    """A path as learners see it: relative to the repository when it is inside."""
    path = Path(path)
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def save_model(name: str, model) -> str:
    """Save ``model`` as ``results/models/<name>.keras`` atomically; return the file's SHA-256.

    The optimizer's state (Adam's two moments per weight) is left out: it
    would triple the file and is not needed to predict; a model loaded to
    train further starts a fresh optimizer, as a new model would.
    """
    from .backend import load_keras

    keras = load_keras()
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    if model.optimizer is not None:
        copy.compile(optimizer=type(model.optimizer).from_config(model.optimizer.get_config()), loss=model.loss)
    path = results.replace_atomically(model_path(name), lambda temporary: copy.save(temporary), suffix=".keras")
    return sha256_of(path)


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


def differences(expected: dict, given: dict) -> list[str]:
    """``["UNITS = 8 (the notebook's own: 50)", ...]`` for each setting in ``given`` that differs from ``expected``."""
    found = []
    for key, value in expected.items():
        if key not in given:
            continue  # a record that does not say (an older or hand-made one) is judged on what it says
        mine = given[key]
        if key == "ticker":
            same = str(mine).strip().upper() == value
        else:
            try:
                same = float(mine) == value
            except (TypeError, ValueError):
                same = False
        if not same:
            found.append(f"{key.upper()} = {mine!r} (the notebook's own: {value!r})")
    return found


def notebook_for_settings(ticker: str, units: int, dropout: float, window: int, seed: int) -> str:
    """The notebook whose committed model has these settings, or a DataError listing the ones that exist."""
    given = {"ticker": ticker, "units": units, "dropout": dropout, "window": window, "seed": seed}
    for name in results.committed_notebooks():
        if not differences(results.committed_settings(name), given):
            return name
    available = "; ".join(
        f"{name}: {s['ticker']}, {s['units']} units, dropout {s['dropout']:g}, window {s['window']}, seed {s['seed']}"
        for name, s in ((name, results.committed_settings(name)) for name in results.committed_notebooks()))
    raise DataError(f"no committed model has these settings (the committed ones are {available}): "
                    "leave out --load to train one")


def load_trained_model(name: str, *, ticker: str, units: int, dropout: float, window: int, seed: int,
                       announce: bool = True):
    """Load the committed model of notebook ``name`` and rebuild its run; ``(model, run)`` with ``run.loaded`` True.

    The settings must be the notebook's own (those its model was trained
    with). ``announce`` prints one sentence saying the model was loaded and
    how long training it took.
    """
    expected = results.committed_settings(name)
    if expected is None:
        raise DataError(f"{name!r} is not one of the workshop's notebooks ({', '.join(results.committed_notebooks())}), "
                        "so there is no committed model to load")
    wrong = differences(expected, {"ticker": ticker, "units": units, "dropout": dropout, "window": window, "seed": seed})
    if wrong:
        raise DataError(f"the committed model of {name} was trained with the notebook's own settings, not "
                        f"{', '.join(wrong)}: {TRAIN_INSTEAD} with your settings")
    saved = results.load_result(name, results.FULL_EPOCHS)
    path = model_path(name)
    took = f"about {saved['fit_seconds']:.0f} s" if saved.get("fit_seconds") else "a few minutes"
    problem = model_file_problem(path, saved.get("model_sha256"))
    if problem:
        raise DataError(f"{shown(path)} {problem}: {TRAIN_INSTEAD} ({took} for {saved['epochs']} epochs), "
                        f"or restore the committed file with 'git checkout -- {shown(path.parent)}'")

    from .backend import load_keras
    from .training import TrainingRun

    keras = load_keras()
    try:
        with warnings.catch_warnings():
            # The file holds no optimizer state on purpose (see save_model); Keras notes that it found none.
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            model = keras.saving.load_model(path)
    except Exception as exc:  # Keras's own errors vary by version; any of them means this file cannot be used
        raise DataError(f"{shown(path)} cannot be loaded by Keras {keras.__version__} ({type(exc).__name__}): "
                        f"{TRAIN_INSTEAD} ({took})") from None
    run = TrainingRun(history={"loss": [saved["final_loss"]]}, seconds=0.0, epochs=saved["epochs"], loaded=True)
    if announce:
        print(f"Loaded the trained model from {shown(path)} instead of training it; training it took {took} for "
              f"{saved['epochs']} epochs (on {saved.get('keras_backend', 'Keras')}). Set TRAIN = True to train it yourself.")
    return model, run


def check_saved_models() -> list[str]:
    """One line per model file in results/models/ (for ``python -m utils data check``); problems come back as text."""
    problems = []
    present = [name for name in results.committed_notebooks() if model_path(name).exists()]
    if present:
        print(f"trained models in {shown(models_dir())}, against the SHA-256 in their results:")
    for name in present:
        path = model_path(name)
        try:
            expected = results.load_result(name, results.FULL_EPOCHS).get("model_sha256")
        except DataError as exc:
            expected, note = None, str(exc)
        else:
            note = None
        problem = note or model_file_problem(path, expected)
        print(f"{shown(path)}  {'ok' if problem is None else 'problem'}")
        if problem:
            problems.append(f"{shown(path)}: {problem}")
    return problems
