"""Saved results: atomic writes, separate folders for quick runs, clear messages when missing."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import run_record, seed_spread_record

import utils.atomic as atomic
import utils.files as files
import utils.results as results
import utils.saved_models as saved_models
from utils.errors import DataError


@pytest.fixture
def results_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(results, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(files, "REPO_ROOT", tmp_path)
    monkeypatch.setenv(results.MAIN_JOB_VARIABLE, "1")  # these tests save as the main job does
    monkeypatch.delenv(results.RESULTS_DIR_VARIABLE, raising=False)
    return tmp_path / "results"


def test_quick_runs_never_share_the_full_run_folder(results_dir):
    assert results.results_dir(100) == results_dir
    assert results.results_dir(2) == results_dir / "epochs-2"


def test_save_then_load(results_dir):
    saved_models.save_result("Exercise9.01", 2, run_record(epochs=2, days=2))
    loaded = results.load_result("Exercise9.01", 2)
    assert loaded["predictions"] == [118.0, 119.0] and loaded["notebook"] == "Exercise9.01"
    assert [path.name for path in (results_dir / "epochs-2").iterdir()] == ["Exercise9.01.json"]


def test_interrupted_write_keeps_the_old_file(results_dir, monkeypatch):
    saved_models.save_result("Exercise9.01", 100, run_record(predictions=[1.0] * 21))

    def fail(*args, **kwargs):
        raise KeyboardInterrupt  # as if the learner pressed stop mid-write

    monkeypatch.setattr(atomic.json, "dumps", fail)
    with pytest.raises(KeyboardInterrupt):
        saved_models.save_result("Exercise9.01", 100, run_record(predictions=[2.0] * 21))
    monkeypatch.undo()
    assert json.loads((results_dir / "Exercise9.01.json").read_text())["predictions"] == [1.0] * 21
    assert [path.name for path in results_dir.iterdir()] == ["Exercise9.01.json"]  # no temporary left


def test_missing_result_says_which_notebook_to_run(results_dir):
    with pytest.raises(DataError, match=r"no saved results for Exercise9.01 .* run Exercise9.01/Exercise9.01.ipynb first"):
        results.load_result("Exercise9.01", 100)


@pytest.mark.parametrize("content", ["{\"predictions\": [1.0, ", "[]", "\x00\xff"])
def test_unreadable_result_says_which_notebook_to_rerun(results_dir, content):
    results_dir.mkdir()
    (results_dir / "Activity9.01.json").write_text(content, encoding="latin-1")
    said = r"Activity9.01.json(: holds list| cannot be read) .* run Activity9.01/Activity9.01.ipynb again"
    with pytest.raises(DataError, match=said):
        results.load_result("Activity9.01", 100)


DATES = ["2019-01-02", "2019-01-03", "2019-01-04"]


def saved_goog(results_dir, capsys, **changes):
    saved_models.save_result("Exercise9.01", 100, run_record(days=3, predictions=[1.0, 2.0, 3.0], **changes))
    assert capsys.readouterr().out.startswith("Saved to results/Exercise9.01.json")


def test_a_comparable_earlier_result_is_returned(results_dir, capsys):
    saved_goog(results_dir, capsys)
    found = results.load_result_for_comparison("Exercise9.01", 100, ticker="goog", window=60,
                                               test_dates=pd.to_datetime(pd.Series(DATES)))
    assert found["predictions"] == [1.0, 2.0, 3.0] and capsys.readouterr().out == ""


@pytest.mark.parametrize("mine, said", [
    ({"ticker": "AMZN"}, "Not compared with Exercise9.01: its saved forecast is for GOOG, this notebook's for AMZN.\n"),
    ({"window": 30}, "Not compared with Exercise9.01: its model saw 60-day windows, this one 30-day windows.\n"),
    ({"test_dates": DATES[:2]}, "Not compared with Exercise9.01: its forecast covers other test days (2019-01-02 to "
                                "2019-01-04, 3 days) than this notebook's (2019-01-02 to 2019-01-03, 2 days).\n"),
])
def test_an_earlier_result_that_cannot_be_compared_is_one_sentence(results_dir, capsys, mine, said):
    saved_goog(results_dir, capsys)
    asked = {"ticker": "GOOG", "window": 60, "test_dates": DATES, **mine}
    assert results.load_result_for_comparison("Exercise9.01", 100, **asked) is None
    assert capsys.readouterr().out == said


def test_a_missing_earlier_result_says_which_notebook_to_run(results_dir, capsys):
    assert results.load_result_for_comparison("Exercise9.01", 2, ticker="GOOG", window=60, test_dates=DATES) is None
    assert capsys.readouterr().out.startswith("Not compared with Exercise9.01: no saved results for Exercise9.01 at "
                                              "results/epochs-2/Exercise9.01.json: run Exercise9.01/Exercise9.01.ipynb first")


def test_command_line_results_are_named_by_their_settings_and_read_back(results_dir):
    one = run_record(dropout=0.2, rmse=30.0)
    assert results.save_cli_result(one) == results_dir / "cli" / "GOOG_50u_d0.2_100ep_seed1.json"
    spread = seed_spread_record(rmses=(31.0, 32.0, 33.0))
    assert results.save_cli_result(spread).name == "GOOG_50u_d0_100ep_seeds1-2-3.json"
    assert results.load_cli_results() == [one, spread]


def test_the_seed_spread_table_shows_each_notebooks_runs_and_says_how_to_make_a_missing_one(results_dir, capsys):
    fewer = seed_spread_record(rmses=(99.0,))
    more = {**seed_spread_record(rmses=(30.0, 32.0)), "naive_rmse": 21.5, "fit_seconds_mean": 64.4}
    more["seeds"] = [{**run, "free_running_rmse": 80.0 + run["seed"]} for run in more["seeds"]]
    for spread in (more, fewer):
        results.save_cli_result(spread)
    table = results.seed_spread_table(["Exercise9.01", "Activity9.02"])
    # The spread with more seeds wins; the sd is the sample one (n - 1) of 30 and 32.
    assert table.to_dict(orient="index") == {"Exercise9.01: 50 units, 100 epochs": {
        "seeds": "1, 2", "one-step RMSE ($), mean ± sd": "31.00 ± 1.41", "one-step RMSE ($), each seed": "30.00, 32.00",
        "free-running RMSE ($), each seed": "81, 82", "naive RMSE ($)": "21.50", "training per run (s)": "64"}}
    assert capsys.readouterr().out == ("Activity9.02: no multi-seed run saved; make one with python -m utils train "
                                       "--ticker AMZN --units 50 --dropout 0.2 --seeds 1,2,3 --save\n")


def test_a_run_with_settings_of_the_learners_own_is_named_by_them(results_dir):
    mine = {"ticker": "GOOG", "units": 8, "dropout": 0.25, "window": 30, "seed": 3}
    assert results.other_settings_path("Exercise9.01", 2, mine) == (
        results_dir / "epochs-2" / "other-settings" / "Exercise9.01_GOOG_8u_d0.25_w30_seed3.json")
    no_dropout = {key: value for key, value in mine.items() if key != "dropout"}
    assert results.other_settings_path("Exercise9.02", 100, no_dropout).name == "Exercise9.02_GOOG_8u_d0_w30_seed3.json"
