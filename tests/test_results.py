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


# ---- where runs are saved and read back ---------------------------------------------------------------------------


@pytest.fixture
def learner(results_dir, tmp_path, monkeypatch):
    """A learner's process: not the main job, no folder named, a home folder of its own."""
    monkeypatch.delenv(results.MAIN_JOB_VARIABLE)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "my-results"


def test_a_root_of_its_own_keeps_the_quick_runs_apart_too(tmp_path):
    assert results.results_dir(100, root=tmp_path / "mine") == tmp_path / "mine"
    assert results.results_dir(2, root=str(tmp_path / "mine")) == tmp_path / "mine" / "epochs-2"


@pytest.mark.parametrize("value, committed", [("1", True), (" true ", True), ("0", False), ("", False), ("  ", False),
                                              (None, False)])
def test_only_the_main_job_writes_the_committed_results(monkeypatch, value, committed):
    if value is None:
        monkeypatch.delenv(results.MAIN_JOB_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(results.MAIN_JOB_VARIABLE, value)
    assert results.writes_committed() is committed


def test_a_main_job_flag_that_is_neither_true_nor_false_is_named(monkeypatch):
    monkeypatch.setenv(results.MAIN_JOB_VARIABLE, "maybe")
    with pytest.raises(DataError, match=r"^WORKSHOP_MAIN_JOB='maybe': must be True or False$"):
        results.writes_committed()


def test_a_learners_runs_go_beside_results_in_a_folder_git_ignores(learner, monkeypatch):
    assert results.learner_results_root() == learner and learner.is_dir()
    assert list(learner.iterdir()) == []  # the check that the folder may be written leaves nothing behind
    monkeypatch.setenv(results.RESULTS_DIR_VARIABLE, "  ")  # a blank folder name is no name
    assert results.learner_results_root() == learner


def test_a_named_folder_takes_a_learners_runs_with_home_expanded(learner, tmp_path, monkeypatch):
    monkeypatch.setenv(results.RESULTS_DIR_VARIABLE, " ~/alice ")
    assert results.learner_results_root() == tmp_path / "home" / "alice"
    assert not learner.exists()


def test_where_the_repository_cannot_be_written_a_learners_runs_go_to_their_data_folder(learner, tmp_path, monkeypatch):
    learner.write_text("a file where the folder would be")  # so the folder cannot be made (tests run as root)
    assert results.learner_results_root() == tmp_path / "home" / ".local" / "share" / "lstm-workshop" / "results"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert results.learner_results_root() == tmp_path / "data" / "lstm-workshop" / "results"
    monkeypatch.setenv("XDG_DATA_HOME", " ")
    assert results.learner_results_root() == tmp_path / "home" / ".local" / "share" / "lstm-workshop" / "results"


def test_a_learner_saves_to_their_folder_and_reads_the_committed_full_runs(learner, results_dir):
    assert results.save_root() == learner
    assert results.read_root(100) == results_dir and results.read_root(2) == learner
    assert results.result_path("Exercise9.01", 100) == results_dir / "Exercise9.01.json"
    assert results.result_path("Exercise9.01", 2) == learner / "epochs-2" / "Exercise9.01.json"
    assert results.result_path("Exercise9.01", 2, root=results_dir) == results_dir / "epochs-2" / "Exercise9.01.json"
    mine = {"ticker": "GOOG", "units": 8, "dropout": 0.0, "window": 60, "seed": 1}
    assert results.other_settings_path("Exercise9.01", 100, mine) == (
        learner / "other-settings" / "Exercise9.01_GOOG_8u_d0_w60_seed1.json")


def test_the_main_job_reads_its_quick_runs_from_results(results_dir):
    assert results.save_root() == results_dir and results.read_root(2) == results_dir


def test_a_learners_quick_command_line_runs_go_to_their_folder(learner, results_dir):
    assert results.cli_result_path(run_record()) == results_dir / "cli" / "GOOG_50u_d0_100ep_seed1.json"
    assert results.cli_result_path(run_record(epochs=2, seed=[3, 4])) == (
        learner / "epochs-2" / "cli" / "GOOG_50u_d0_2ep_seeds3-4.json")


# ---- the results files' schema, message by message ----------------------------------------------------------------


FIX = "run it again"


def test_a_folder_where_a_results_file_belongs_cannot_be_read(results_dir):
    (results_dir / "x.json").mkdir(parents=True)
    with pytest.raises(DataError, match=r"^results/x\.json cannot be read \(Is a directory\): run it again$"):
        results.read_json(results_dir / "x.json", FIX)


def test_a_results_file_that_is_not_json_says_where_the_json_breaks(results_dir):
    results_dir.mkdir()
    (results_dir / "x.json").write_text('{"rmse": ', encoding="utf-8")
    with pytest.raises(DataError) as raised:
        results.read_json(results_dir / "x.json", FIX)
    assert str(raised.value) == "results/x.json cannot be read (Expecting value: line 1 column 10 (char 9)): run it again"


def test_a_results_file_in_utf_8_is_read(results_dir):
    results_dir.mkdir()
    (results_dir / "x.json").write_bytes('{"note": "prévu"}'.encode())
    assert results.read_json(results_dir / "x.json", FIX) == {"note": "prévu"}


def damaged_notebook_result(results_dir, in_folder_of, **changes):
    """results/Exercise9.01.json for ``in_folder_of`` epochs, ``changes`` applied."""
    record = {**run_record(epochs=in_folder_of, days=3), "notebook": "Exercise9.01", **changes}
    folder = results.results_dir(in_folder_of)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Exercise9.01.json").write_text(json.dumps(record), encoding="utf-8")
    return folder / "Exercise9.01.json"


@pytest.mark.parametrize("changes, said", [
    ({"units": 8}, "results/epochs-2/Exercise9.01.json: 'units' is 8, but Exercise9.01's own run has 50"),
    ({"dropout": 0.2}, "results/epochs-2/Exercise9.01.json: 'dropout' is 0.2, but Exercise9.01's own run has 0.0"),
    ({"notebook": "Exercise9.02"},
     "results/epochs-2/Exercise9.01.json: 'notebook' is 'Exercise9.02', but Exercise9.01's own run has 'Exercise9.01'"),
    ({"epochs": 3}, "results/epochs-2/Exercise9.01.json: 'epochs' is 3, but Exercise9.01's own run has 2"),
    ({"free_running": [1.0]}, "results/epochs-2/Exercise9.01.json: 'free_running' holds 1 values for 3 test days (one "
                              "per day)"),
])
def test_a_notebook_result_with_other_settings_is_named_key_by_key(results_dir, changes, said):
    path = damaged_notebook_result(results_dir, 2, **changes)
    with pytest.raises(DataError) as raised:
        results.check_notebook_result(json.loads(path.read_text()), "Exercise9.01", 2, path)
    assert str(raised.value) == said
    with pytest.raises(DataError) as raised:
        results.load_result("Exercise9.01", 2)
    assert str(raised.value) == f"{said}; run Exercise9.01/Exercise9.01.ipynb again to rewrite it"


def test_a_damaged_committed_result_says_how_to_restore_it(results_dir):
    damaged_notebook_result(results_dir, 100, units=8)
    with pytest.raises(DataError) as raised:
        results.load_result("Exercise9.01", 100)
    assert str(raised.value) == ("results/Exercise9.01.json: 'units' is 8, but Exercise9.01's own run has 50; run "
                                 "Exercise9.01/Exercise9.01.ipynb again to rewrite it, or restore the committed file "
                                 "with 'git checkout -- results/Exercise9.01.json'")


def test_a_damaged_earlier_result_is_an_error_not_a_comparison_left_out(results_dir, capsys):
    damaged_notebook_result(results_dir, 2, units=8)
    with pytest.raises(DataError, match=r"^results/epochs-2/Exercise9.01.json: 'units' is 8"):
        results.load_result_for_comparison("Exercise9.01", 2, ticker="GOOG", window=60, test_dates=DATES)
    assert capsys.readouterr().out == ""


def test_other_test_days_are_named_by_their_first_and_last(results_dir, capsys):
    saved_goog(results_dir, capsys)
    assert results.load_result_for_comparison("Exercise9.01", 100, ticker="GOOG", window=60,
                                              test_dates=["2019-01-02", "2019-01-03", "2019-01-07"]) is None
    assert capsys.readouterr().out == (
        "Not compared with Exercise9.01: its forecast covers other test days (2019-01-02 to 2019-01-04, 3 days) than "
        "this notebook's (2019-01-02 to 2019-01-07, 3 days).\n")


SPREAD_NAME = "GOOG_50u_d0_100ep_seeds1-2-3.json"


def spread_with(change) -> dict:
    spread = seed_spread_record()
    change(spread)
    return spread


@pytest.mark.parametrize("name, payload, said", [
    ("GOOG_50u_d0_100ep_seed1.json", run_record(units=8),
     "results/cli/GOOG_50u_d0_100ep_seed1.json: its settings (GOOG, 8 units, dropout 0, 100 epochs, seed 1) are not "
     "the ones its name says; 'python -m utils train ... --save' names each file by its settings"),
    ("AMZN_50u_d0_100ep_seeds1-2-3.json", seed_spread_record(dropout=0.2),
     "results/cli/AMZN_50u_d0_100ep_seeds1-2-3.json: its settings (GOOG, 50 units, dropout 0.2, 100 epochs, seed "
     "[1, 2, 3]) are not the ones its name says; 'python -m utils train ... --save' names each file by its settings"),
    ("GOOG_50u_d0_100ep_seed1.json", {key: value for key, value in run_record().items() if key != "mae"},
     "results/cli/GOOG_50u_d0_100ep_seed1.json: the key 'mae' is missing"),
    ("GOOG_50u_d0_100ep_seed1.json", run_record(predictions=[1.0]),
     "results/cli/GOOG_50u_d0_100ep_seed1.json: 'predictions' holds 1 values for 21 test days (one per day)"),
    (SPREAD_NAME, spread_with(lambda spread: spread.update(seed=[1, 2, 4])),
     f"results/cli/{SPREAD_NAME}: 'seeds' holds the runs of seeds [1, 2, 3], 'seed' lists [1, 2, 4]"),
    (SPREAD_NAME, spread_with(lambda spread: spread.pop("rmse_std")),
     f"results/cli/{SPREAD_NAME}: the key 'rmse_std' is missing"),
    (SPREAD_NAME, spread_with(lambda spread: spread.update(predictions=[1.0])),
     f"results/cli/{SPREAD_NAME}: 'predictions' holds 1 values for 21 test days (one per day)"),
    (SPREAD_NAME, spread_with(lambda spread: spread["seeds"][1].pop("rmse")),
     f"results/cli/{SPREAD_NAME}, seeds[1]: the key 'rmse' is missing"),
    (SPREAD_NAME, spread_with(lambda spread: spread["seeds"][2].update(free_running=[1.0])),
     f"results/cli/{SPREAD_NAME}, seeds[2]: 'free_running' holds 1 values for 21 test days (one per day)"),
])
def test_a_damaged_command_line_result_is_one_line_naming_the_file_and_the_fix(results_dir, name, payload, said):
    path = results_dir / "cli" / name
    with pytest.raises(DataError) as raised:
        results.check_cli_result(payload, path)
    assert str(raised.value) == said
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(payload), encoding="utf-8")
    with pytest.raises(DataError) as raised:
        results.load_cli_results()
    assert str(raised.value) == f"{said}; rewrite it with 'python -m utils train ... --save', or restore it with git"


def test_an_unreadable_command_line_result_names_the_fix_once(results_dir):
    (results_dir / "cli").mkdir(parents=True)
    (results_dir / "cli" / SPREAD_NAME).write_text("", encoding="utf-8")
    with pytest.raises(DataError) as raised:
        results.load_cli_results()
    assert str(raised.value) == (f"results/cli/{SPREAD_NAME} cannot be read (Expecting value: line 1 column 1 (char 0)): "
                                 "rewrite it with 'python -m utils train ... --save', or restore it with git")


# ---- the seed spreads ---------------------------------------------------------------------------------------------


def test_a_notebooks_seed_rmses_come_from_its_spread_with_the_most_seeds(results_dir):
    results.save_cli_result(seed_spread_record(rmses=(99.0,)))
    results.save_cli_result(seed_spread_record(rmses=(30, 32)))  # whole dollars are numbers too
    rmses = results.seed_rmses("Exercise9.01")
    assert rmses.dtype == float and rmses.tolist() == [30.0, 32.0]
    with pytest.raises(DataError, match=r"^Exercise9.01: no multi-seed run saved at 2 epochs; "):
        results.seed_rmses("Exercise9.01", epochs=2)  # the spreads read are the full runs' (results/cli/)


@pytest.mark.parametrize("name, said", [
    ("Exercise9.02", "Exercise9.02: no multi-seed run saved at 100 epochs; make one with python -m utils train --ticker "
                     "GOOG --units 100 --seeds 1,2,3 --save"),
    ("Activity9.02", "Activity9.02: no multi-seed run saved at 100 epochs; make one with python -m utils train --ticker "
                     "AMZN --units 50 --dropout 0.2 --seeds 1,2,3 --save"),
])
def test_a_missing_seed_spread_says_which_command_makes_it(results_dir, name, said):
    with pytest.raises(DataError) as raised:
        results.seed_rmses(name)
    assert str(raised.value) == said


def test_the_seed_spread_table_goes_on_past_a_notebook_without_a_spread(results_dir, capsys):
    results.save_cli_result(seed_spread_record(rmses=(30.0, 32.0)))
    table = results.seed_spread_table(["Exercise9.02", "Exercise9.01"])
    assert list(table.index) == ["Exercise9.01: 50 units, 100 epochs"]
    assert capsys.readouterr().out == ("Exercise9.02: no multi-seed run saved; make one with python -m utils train "
                                       "--ticker GOOG --units 100 --seeds 1,2,3 --save\n")
