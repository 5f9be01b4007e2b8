"""Trained models saved with full runs, checked by checksum, loaded instead of training; runs with other settings apart."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import run_record

import utils.registry as registry
import utils.results as results
import utils.saved_models as saved_models
from utils.backend import load_keras
from utils.data import ChecksumWarning, load_prices
from utils.errors import DataError
from utils.features import fit_scaler, january_inputs, make_windows, scale
from utils.files import sha256_of, shown
from utils.tools.cli import main
from utils.tools.model import build_stacked_lstm
from utils.training import TrainingRun, predict_prices

keras = load_keras()

ROOT = Path(__file__).resolve().parents[1]
OWN = {"ticker": "GOOG", "units": 50, "dropout": 0.0, "window": 60, "seed": 1}


@pytest.fixture
def results_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(results, "REPO_ROOT", tmp_path)
    monkeypatch.setenv(results.MAIN_JOB_VARIABLE, "1")  # saved as the main job saves; the learner's tests unset it
    monkeypatch.delenv(results.RESULTS_DIR_VARIABLE, raising=False)
    return tmp_path / "results"


@pytest.fixture(scope="module")
def tiny_model():
    """A small model on the workshop's 60-day windows, trained one epoch (the settings recorded are the notebook's)."""
    model = build_stacked_lstm(window=60, units=2, layers=1)
    X = np.random.default_rng(0).random((32, 60, 1)).astype("float32")
    if load_keras().backend.backend() == "numpy":
        # make mutation runs these tests on Keras's NumPy backend, which cannot train: Adam's state is made by hand.
        model.optimizer.build(model.trainable_variables)
        model.optimizer.iterations.assign(1)
        for moment in model.optimizer.variables[2:]:
            moment.assign(np.ones(moment.shape))
    else:
        model.fit(X, X[:, -1, 0], epochs=1, batch_size=32, verbose=0)
    return model


def record(**changes) -> dict:
    return run_record(**changes)


def windows(count: int = 4) -> np.ndarray:
    return np.random.default_rng(1).random((count, 60, 1)).astype("float32")


def load(name="Exercise9.01", **changes):
    return saved_models.load_trained_model(name, **{**OWN, **changes})


def test_a_full_run_saves_its_model_and_loading_it_predicts_the_same(results_dir, tiny_model, capsys):
    path = saved_models.save_result("Exercise9.01", 100, record(), model=tiny_model)
    saved = json.loads(path.read_text())
    model_file = results_dir / "models" / "Exercise9.01.keras"
    assert saved["model_sha256"] == sha256_of(model_file)
    assert (saved["notebook"], saved["epochs"]) == ("Exercise9.01", 100)
    assert not [entry for entry in model_file.parent.iterdir() if entry.name.startswith(".")], "temporary file left"
    assert capsys.readouterr().out == (f"Saved to {shown(path)} and its model ({results.MAIN_JOB_VARIABLE} is set: these "
                                       "are the committed results).\n")

    model, run = load()
    np.testing.assert_allclose(model.predict(windows(), verbose=0), tiny_model.predict(windows(), verbose=0), atol=1e-6)
    assert (run.loaded, run.epochs, run.seconds, run.final_loss) == (True, 100, 0.0, 0.001)
    assert capsys.readouterr().out == (f"Loaded the trained model from {shown(model_file)} instead of training it; "
                                       "training it took about 12 s for 100 epochs (on jax). Set TRAIN = True to train "
                                       "it yourself.\n")


def test_loading_a_model_drops_what_building_models_compiled(results_dir, tiny_model, monkeypatch):
    """On JAX each initializer's operations stay compiled (1.7 MB apiece); a loaded model needs none of them."""
    saved_models.save_result("Exercise9.01", 100, record(), model=tiny_model)
    saved_models.save_named_model("Beyond9", "GOOG-change", 100, tiny_model, run_of())
    forgotten = []
    monkeypatch.setattr(saved_models, "forget_compiled_computations", lambda: forgotten.append("after loading"))
    load(announce=False)
    saved_models.load_named_model("Beyond9", "GOOG-change")
    assert forgotten == ["after loading"] * 2


def test_a_keras_that_cannot_read_the_files_configuration_gets_the_model_rebuilt_from_its_weights(
        results_dir, monkeypatch):
    """Keras 3.14 and older (Colab's among them) refuse initializer arguments that Keras 3.15 writes."""
    saved = build_stacked_lstm(window=60, units=2, layers=2, dropout=0.2)  # every kind of layer the workshop uses
    saved_models.save_result("Activity9.02", 100, record(ticker="AMZN", dropout=0.2), model=saved)

    def older_keras(path):
        raise TypeError("GlorotUniform.__init__() got an unexpected keyword argument 'input_axes'")

    monkeypatch.setattr(keras.saving, "load_model", older_keras)
    model, run = load("Activity9.02", dropout=0.2, ticker="AMZN", announce=False)
    assert run.loaded
    described = [(type(layer).__name__, layer.name, getattr(layer, "rate", None), getattr(layer, "return_sequences", None))
                 for layer in model.layers]
    assert described == [(type(layer).__name__, layer.name, getattr(layer, "rate", None),
                          getattr(layer, "return_sequences", None)) for layer in saved.layers]
    np.testing.assert_allclose(model.predict(windows(), verbose=0), saved.predict(windows(), verbose=0), atol=1e-6)
    assert (type(model.optimizer).__name__, model.loss) == ("Adam", "mean_squared_error")


def test_a_keras_that_reads_the_file_loads_it_as_saved(results_dir, tiny_model, monkeypatch):
    saved_models.save_result("Exercise9.01", 100, record(), model=tiny_model)
    monkeypatch.setattr(saved_models, "rebuild_from_weights", lambda keras, path: pytest.fail("rebuilt needlessly"))
    model, _ = load(announce=False)
    assert model.name == tiny_model.name  # Keras's own loading keeps the name; the rebuild does not


def test_only_a_sequential_model_is_rebuilt(tmp_path):
    inputs = keras.Input((60, 1))
    path = tmp_path / "model.keras"
    keras.Model(inputs, keras.layers.Dense(1)(keras.layers.LSTM(2)(inputs))).save(path)
    with pytest.raises(ValueError, match="not a Sequential model"):
        saved_models.rebuild_from_weights(keras, path)


@pytest.mark.parametrize("layer, refused", [("gru", "a GRU layer"), ("relu", "'activation': 'relu'"),
                                            ("dense_tanh", "'activation': 'tanh'"), ("lstm_dropout", "'dropout': 0.5")])
def test_the_rebuild_takes_only_the_layers_and_settings_the_workshop_uses(tmp_path, layer, refused):
    layers = {"gru": [keras.layers.GRU(2)], "relu": [keras.layers.LSTM(2, activation="relu")],
              "dense_tanh": [keras.layers.LSTM(2)], "lstm_dropout": [keras.layers.LSTM(2, dropout=0.5)]}[layer]
    last = keras.layers.Dense(1, activation="tanh" if layer == "dense_tanh" else None)
    model = keras.Sequential([keras.Input((60, 1)), *layers, last])
    path = tmp_path / "model.keras"
    model.save(path)
    with pytest.raises(ValueError, match=re.escape(refused)):
        saved_models.rebuild_from_weights(keras, path)


def test_a_file_neither_way_can_read_is_one_line(results_dir, tiny_model, monkeypatch):
    saved_models.save_result("Exercise9.01", 100, record(), model=tiny_model)
    monkeypatch.setattr(keras.saving, "load_model", lambda path: 1 / 0)
    monkeypatch.setattr(saved_models, "rebuild_from_weights", lambda keras, path: {}["layers"])
    with pytest.raises(DataError, match=r"models/Exercise9\.01\.keras cannot be loaded by Keras .* \(KeyError\): "
                                        r"set TRAIN = True"):
        load(announce=False)


def test_a_results_file_without_timing_or_backend_is_announced_in_general_words(results_dir, tiny_model, capsys):
    path = saved_models.save_result("Exercise9.01", 100, record(), model=tiny_model)
    saved = json.loads(path.read_text())
    del saved["keras_backend"]
    path.write_text(json.dumps({**saved, "fit_seconds": 0.0}))
    capsys.readouterr()
    load()
    assert capsys.readouterr().out.endswith("training it took a few minutes for 100 epochs (on Keras). Set TRAIN = True "
                                            "to train it yourself.\n")


def test_each_model_file_problem_is_named_word_for_word(committed, tiny_model):
    assert saved_models.model_file_problem(committed, None) == "has no SHA-256 recorded in its results file"
    assert saved_models.model_file_problem(committed, "0" * 64) == (
        "differs from the SHA-256 recorded when it was saved (it was changed or replaced since)")
    assert saved_models.model_file_problem(committed, sha256_of(committed)) is None


def test_saved_models_leave_out_the_optimizer_state(results_dir, tiny_model):
    import h5py

    def steps_taken():
        return int(keras.ops.convert_to_numpy(tiny_model.optimizer.iterations))  # Keras 3.3's variables have no int()

    steps = steps_taken()
    saved_models.save_result("Exercise9.01", 100, record(), model=tiny_model)
    assert steps_taken() == steps > 0  # the notebook's own model keeps its optimizer
    with zipfile.ZipFile(results_dir / "models" / "Exercise9.01.keras") as archive:
        weights = h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r")
    arrays = {}
    weights.visititems(lambda name, item: arrays.update({name: item[()]}) if isinstance(item, h5py.Dataset) else None)
    optimizer = {name: value for name, value in arrays.items() if name.startswith("optimizer/")}
    # Adam's moments would be one array per weight; a fresh optimizer keeps only its step count (0) and learning rate.
    assert all(np.ndim(value) == 0 for value in optimizer.values()), sorted(optimizer)
    assert len(optimizer) <= 2 and 0 in [int(value) for value in optimizer.values()]
    assert sum(np.size(value) for name, value in arrays.items() if name not in optimizer) == tiny_model.count_params()


def test_quick_runs_save_no_model(results_dir, tiny_model):
    path = saved_models.save_result("Exercise9.01", 2, record(epochs=2), model=tiny_model)
    assert path == results_dir / "epochs-2" / "Exercise9.01.json"
    assert "model_sha256" not in json.loads(path.read_text())
    assert not (results_dir / "models").exists()


def test_a_run_with_other_settings_never_replaces_the_committed_result(results_dir, tiny_model, capsys):
    committed = saved_models.save_result("Exercise9.01", 100, record(), model=tiny_model)
    before = {p: p.read_bytes() for p in results_dir.rglob("*") if p.is_file()}
    capsys.readouterr()
    path = saved_models.save_result("Exercise9.01", 100, record(units=8), model=tiny_model)
    assert path == results_dir / "other-settings" / "Exercise9.01_GOOG_8u_d0_w60_seed1.json"
    assert json.loads(path.read_text())["units"] == 8
    assert {p: p.read_bytes() for p in before} == before and committed.is_file()
    said = capsys.readouterr().out
    assert "UNITS = 8 (the notebook's own: 50)" in said and said.count("\n") == 1


@pytest.mark.parametrize("changes", [{"ticker": "AMZN"}, {"dropout": 0.2}, {"window": 30}, {"seed": 2}])
def test_every_setting_counts(results_dir, changes):
    path = saved_models.save_result("Exercise9.01", 100, record(**changes))
    assert path.parent.name == "other-settings"
    assert not (results_dir / "Exercise9.01.json").exists()


def test_a_loaded_run_writes_nothing(results_dir, tiny_model):
    assert saved_models.save_result("Exercise9.01", 100, record(loaded=True), model=tiny_model) == \
        results_dir / "Exercise9.01.json"
    assert not results_dir.exists()


def files_under(folder: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


@pytest.mark.parametrize("epochs", [100, 2])
def test_a_learners_run_never_changes_a_file_under_results(results_dir, tiny_model, monkeypatch, capsys, epochs):
    saved_models.save_result("Exercise9.01", epochs, record(epochs=epochs), model=tiny_model)  # the main job's run
    before = files_under(results_dir)
    monkeypatch.delenv(results.MAIN_JOB_VARIABLE)  # a learner in JupyterLab
    other = build_stacked_lstm(window=60, units=2, layers=1)  # an edited model cell: another model, same settings
    mine = saved_models.save_result("Exercise9.01", epochs, record(epochs=epochs, rmse=30.0), model=other)
    seeded = saved_models.save_result("Exercise9.01", epochs, record(epochs=epochs, seed=2), model=other)
    assert files_under(results_dir) == before
    learner = results_dir.parent / "my-results"
    assert mine == results.results_dir(epochs, root=learner) / "Exercise9.01.json"
    assert seeded.is_relative_to(learner) and seeded.parent.name == "other-settings"
    assert not (learner / "models").exists(), "a learner's model is not saved"
    said = capsys.readouterr().out
    assert f"Saved your run to {mine}" in said and "written only by the main job" in said
    # Later notebooks read the committed full run, and a learner's own quick run.
    assert results.load_result("Exercise9.01", epochs)["rmse"] == (18.0 if epochs == 100 else 30.0)


def test_the_main_job_writes_the_committed_results_and_says_so(results_dir, tiny_model, capsys):
    path = saved_models.save_result("Exercise9.01", 100, record(), model=tiny_model)
    assert path == results_dir / "Exercise9.01.json" and (results_dir / "models" / "Exercise9.01.keras").is_file()
    assert "WORKSHOP_MAIN_JOB is set: these are the committed results" in capsys.readouterr().out


def test_a_named_results_folder_takes_the_learners_runs(results_dir, tmp_path, monkeypatch):
    monkeypatch.delenv(results.MAIN_JOB_VARIABLE)
    monkeypatch.setenv(results.RESULTS_DIR_VARIABLE, str(tmp_path / "alice"))
    path = saved_models.save_result("Exercise9.01", 2, record(epochs=2))
    assert path == tmp_path / "alice" / "epochs-2" / "Exercise9.01.json"
    assert results.load_result("Exercise9.01", 2)["epochs"] == 2
    assert not results_dir.exists()


def test_a_read_only_repository_sends_the_learners_runs_to_their_data_folder(results_dir, tmp_path, monkeypatch):
    monkeypatch.delenv(results.MAIN_JOB_VARIABLE)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home-data"))
    real_check = results.check_can_write

    def read_only(path):  # tests run as root, whom permissions do not stop: the refusal is injected
        if Path(path).is_relative_to(tmp_path / "my-results"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_check(path)

    monkeypatch.setattr(results, "check_can_write", read_only)
    path = saved_models.save_result("Exercise9.01", 100, record())
    assert path == tmp_path / "home-data" / "lstm-workshop" / "results" / "Exercise9.01.json"
    assert not results_dir.exists() and not (tmp_path / "my-results").exists()


@pytest.fixture
def committed(results_dir, tiny_model):
    saved_models.save_result("Exercise9.01", 100, record(), model=tiny_model)
    return results_dir / "models" / "Exercise9.01.keras"


def test_a_missing_model_says_how_to_train(committed):
    committed.unlink()
    with pytest.raises(DataError, match=r"Exercise9.01.keras is missing: set TRAIN = True to train the model yourself "
                                        r"\(about 12 s for 100 epochs\), or restore"):
        load()


def test_a_truncated_model_says_so(committed):
    committed.write_bytes(committed.read_bytes()[: committed.stat().st_size // 2])
    with pytest.raises(DataError, match=r"is truncated or damaged \(not a complete .keras file\): set TRAIN = True"):
        load()


def test_a_damaged_model_says_so(committed):
    data = bytearray(committed.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the stored weights: the zip's CRC no longer matches
    committed.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"is damaged \(model.weights.h5 inside it fails its check\)"):
        load()


def test_a_replaced_model_fails_its_checksum(committed, tiny_model, results_dir):
    other = build_stacked_lstm(window=60, units=2, layers=1)
    saved_models.save_model("Exercise9.01", other)  # a complete model file, but not the one the results recorded
    with pytest.raises(DataError, match=r"differs from the SHA-256 recorded when it was saved"):
        load()


def test_a_learner_with_other_settings_is_told_to_train(committed):
    with pytest.raises(DataError, match=r"not UNITS = 8 \(the notebook's own: 50\): set TRAIN = True to train the model "
                                        r"yourself with your settings"):
        load(units=8)


def test_no_committed_results_or_unknown_notebook(results_dir):
    with pytest.raises(DataError, match=r"no saved results for Exercise9.01 .* run Exercise9.01/Exercise9.01.ipynb first"):
        load()
    with pytest.raises(DataError, match=r"'Exercise9.99' is not one of the workshop's notebooks"):
        load("Exercise9.99")


def test_a_file_keras_cannot_read_is_one_sentence(committed, results_dir):
    shutil.copy(committed, committed.with_suffix(".bak"))
    import zipfile

    with zipfile.ZipFile(committed, "w") as archive:  # a valid zip, recorded checksum, but no model inside
        archive.writestr("metadata.json", "{}")
    saved = json.loads((results_dir / "Exercise9.01.json").read_text())
    results.write_json_atomically(results_dir / "Exercise9.01.json", {**saved, "model_sha256": sha256_of(committed)})
    with pytest.raises(DataError, match=r"Exercise9.01.keras cannot be loaded by Keras [0-9.]+ \(\w+\): set TRAIN = True"):
        load()


def test_data_check_verifies_the_model_files(committed, capsys):
    assert saved_models.check_saved_models() == []
    assert "models/Exercise9.01.keras  ok" in capsys.readouterr().out
    committed.write_bytes(committed.read_bytes()[:100])
    assert saved_models.check_saved_models() == [f"{committed}: is truncated or damaged (not a complete .keras file)"]


def test_the_cli_evaluates_the_committed_model(committed, capsys, shipped_data):
    # The ticker as a learner may type it: the committed model of Exercise9.01 is GOOG's.
    assert main(["train", "--ticker", "goog", "--units", "50", "--load", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["ticker"] == "GOOG"
    assert shown["loaded"] is True and shown["fit_seconds"] == 0 and shown["epochs"] == 100
    assert len(shown["predictions"]) == 21 and shown["rmse"] > 0


@pytest.mark.parametrize("arguments, message", [
    (["--units", "8"], "no committed model has these settings"),
    (["--units", "50", "--seeds", "1,2"], "leave out --seeds, --save and --epochs other than 100"),
    (["--units", "50", "--epochs", "3"], "leave out --seeds, --save and --epochs other than 100"),
])
def test_the_cli_load_mistakes_are_one_line(results_dir, capsys, shipped_data, arguments, message):
    assert main(["train", "--ticker", "GOOG", "--load", *arguments]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_committed_models_are_not_ignored_by_git():
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    ignored = subprocess.run(["git", "check-ignore", "-q", "results/models/Exercise9.01.keras"], cwd=ROOT)
    assert ignored.returncode == 1, "results/models/*.keras must be committed, but .gitignore ignores them"


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="saves on the JAX path")
@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="TensorFlow is not installed")
def test_a_model_saved_on_jax_predicts_the_same_on_tensorflow(results_dir, tmp_path):
    model = build_stacked_lstm(window=60, units=50)
    X = windows(8)
    model.fit(X, X[:, -1, 0], epochs=1, batch_size=8, verbose=0)
    saved_models.save_model("Exercise9.01", model)
    np.save(tmp_path / "windows.npy", X)
    code = ("import sys, numpy as np, keras; assert keras.backend.backend() == 'tensorflow'; "
            "model = keras.saving.load_model(sys.argv[1]); "
            "np.save(sys.argv[3], model.predict(np.load(sys.argv[2]), verbose=0))")
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "HOME": str(tmp_path), "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run([sys.executable, "-c", code, str(results_dir / "models" / "Exercise9.01.keras"),
                    str(tmp_path / "windows.npy"), str(tmp_path / "on_tensorflow.npy")], env=env, check=True)
    np.testing.assert_allclose(np.load(tmp_path / "on_tensorflow.npy"), model.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["Exercise9.01", "Exercise9.02", "Activity9.01", "Activity9.02", "Activity9.03"])
def test_each_committed_model_reproduces_its_committed_predictions(name, shipped_data):
    # Also on a Keras older than the one that saved the model (make test-oldest), through read_model_file's rebuild.
    assert saved_models.model_path(name).is_file(), f"results/models/{name}.keras is committed with the notebooks"
    settings = registry.committed_settings(name)
    model, _ = saved_models.load_trained_model(name, **settings, announce=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ChecksumWarning)
        prices = load_prices(settings["ticker"], window=settings["window"])
    scaler = fit_scaler(prices.train_open)
    train_scaled = scale(scaler, prices.train_open)
    X_test, _ = make_windows(january_inputs(train_scaled, scale(scaler, prices.test_open), settings["window"]),
                             settings["window"])
    committed = results.load_result(name, 100)["predictions"]
    # A tenth of a cent: one float32 step of the scaled output is about 1e-4 $ over AMZN's price range, and a process
    # that ran other models first (another loop, other compiled code) may land a few steps away.
    np.testing.assert_allclose(predict_prices(model, X_test, scaler), committed, rtol=0, atol=1e-3)


def test_a_ticker_in_any_case_finds_its_notebook():
    assert registry.differences(registry.committed_settings("Exercise9.01"), {**OWN, "ticker": " goog "}) == []
    assert registry.notebook_for_settings("amzn", 50, 0.2, 60, 1) == "Activity9.02"
    assert registry.differences(registry.committed_settings("Exercise9.01"), {**OWN, "ticker": "AMZN"}) == [
        "TICKER = 'AMZN' (the notebook's own: 'GOOG')"]


def test_every_setting_that_differs_is_named_and_an_unknown_notebook_lists_the_five(committed):
    with pytest.raises(DataError) as raised:
        load(ticker="AMZN", dropout=0.2, window=30, seed=2)
    assert str(raised.value) == (
        "the committed model of Exercise9.01 was trained with the notebook's own settings, not TICKER = 'AMZN' (the "
        "notebook's own: 'GOOG'), DROPOUT = 0.2 (the notebook's own: 0.0), WINDOW = 30 (the notebook's own: 60), "
        "SEED = 2 (the notebook's own: 1): set TRAIN = True to train the model yourself with your settings")
    with pytest.raises(DataError) as raised:
        load("Exercise9.99")
    assert str(raised.value) == ("'Exercise9.99' is not one of the workshop's notebooks (Exercise9.01, Exercise9.02, "
                                 "Activity9.01, Activity9.02, Activity9.03), so there is no committed model to load")


def run_of(epochs: int = 100, loaded: bool = False) -> TrainingRun:
    return TrainingRun(history={"loss": [0.5, 0.25]}, seconds=12.5, epochs=epochs, loaded=loaded)


def test_a_notebook_of_several_named_models_saves_each_by_key_and_loads_it_back(results_dir, tiny_model):
    saved_models.save_named_model("Beyond9", "GOOG-change", 100, tiny_model, run_of())
    saved_models.save_named_model("Beyond9", "AMZN-direct", 100, tiny_model, run_of())
    listed = json.loads((results_dir / "Beyond9.json").read_text())
    assert listed["notebook"] == "Beyond9" and list(listed["models"]) == ["AMZN-direct", "GOOG-change"]
    entry = listed["models"]["GOOG-change"]
    path = results_dir / "models" / "Beyond9-GOOG-change.keras"
    assert entry == {"epochs": 100, "fit_seconds": 12.5, "final_loss": 0.25, "model_sha256": sha256_of(path)}
    model, run = saved_models.load_named_model("Beyond9", "GOOG-change")
    assert run.loaded and run.epochs == 100 and run.final_loss == 0.25
    assert np.allclose(model.predict(windows(), verbose=0), tiny_model.predict(windows(), verbose=0))


@pytest.mark.parametrize("epochs, loaded, main_job", [(2, False, "1"), (100, True, "1"), (100, False, "0")])
def test_only_the_main_jobs_full_training_saves_a_named_model(results_dir, tiny_model, monkeypatch, epochs, loaded,
                                                               main_job):
    monkeypatch.setenv(results.MAIN_JOB_VARIABLE, main_job)
    assert saved_models.save_named_model("Beyond9", "GOOG-change", epochs, tiny_model, run_of(epochs, loaded)) is None
    assert not results_dir.exists()


def test_a_named_model_that_is_missing_changed_or_unlisted_is_one_sentence(results_dir, tiny_model):
    with pytest.raises(DataError, match=r"Beyond9 has no committed model 'GOOG-change' in .*Beyond9\.json: set TRAIN"):
        saved_models.load_named_model("Beyond9", "GOOG-change")
    saved_models.save_named_model("Beyond9", "GOOG-change", 100, tiny_model, run_of())
    path = results_dir / "models" / "Beyond9-GOOG-change.keras"
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(DataError, match=r"Beyond9-GOOG-change\.keras differs from the SHA-256 .*: set TRAIN = True .*"
                                        r"\(about 12 s for 100 epochs\), or restore"):
        saved_models.load_named_model("Beyond9", "GOOG-change")
    (results_dir / "Beyond9.json").write_text('{"notebook": "Beyond9", "models": {"GOOG-change": {"epochs": 100}}}')
    with pytest.raises(DataError, match=r"Beyond9\.json, model 'GOOG-change': the key 'fit_seconds' is missing: restore"):
        saved_models.load_named_model("Beyond9", "GOOG-change")
