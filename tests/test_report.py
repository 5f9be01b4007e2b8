"""The results table: built from saved results, written as CSV and into the README between markers."""

from __future__ import annotations

import pandas as pd
import pytest

import utils.report as report
import utils.results as results
from utils.report import NOTEBOOKS


def fake_result(ticker, units, dropout, rmse):
    return {"ticker": ticker, "units": units, "dropout": dropout, "seed": 1, "rmse": rmse, "mae": 1.0, "mape": 0.5,
            "naive_rmse": 10.0, "rmse_ratio": rmse / 10.0, "free_running_rmse": 30.0, "direction_accuracy": 0.5,
            "fit_seconds": 12.0, "predictions": [1.0]}


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(results, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(report, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(report, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(report, "README", tmp_path / "README.md")
    (tmp_path / "README.md").write_text(f"intro\n{report.TABLE_START}\nold table\n{report.TABLE_END}\noutro\n")
    return tmp_path


def test_table_from_saved_results_with_seed_spread(project):
    for index, (name, (ticker, units, dropout)) in enumerate(NOTEBOOKS.items()):
        results.save_result(name, 100, fake_result(ticker, units, dropout, rmse=11.0 + index))
    spread = {**fake_result("GOOG", 50, 0.0, 12.0), "epochs": 100, "seed": [1, 2, 3], "seeds": [{}, {}, {}],
              "rmse_mean": 12.5, "rmse_std": 1.25}
    results.save_cli_result(spread)

    table = report.refresh_results_table()
    assert list(table["notebook"]) == list(NOTEBOOKS)
    csv = pd.read_csv(project / "results" / "results.csv")
    assert csv.loc[0, "rmse"] == pytest.approx(11.0) and csv.loc[0, "rmse_std"] == pytest.approx(1.25)
    readme = (project / "README.md").read_text()
    assert readme.startswith("intro\n") and readme.endswith("outro\n") and "old table" not in readme
    assert "| Exercise9.01 | GOOG | 50 | 0 | 11.00 | 10.00 | 1.10 |" in readme
    assert "12.50 ± 1.25 (3 seeds)" in readme and "not run" in readme


def test_table_without_results_says_what_to_run(project):
    with pytest.raises(Exception, match="run 'python -m utils notebooks' first"):
        report.refresh_results_table()


def multi_seed_run(ticker, units, dropout, rmses):
    runs = [{**fake_result(ticker, units, dropout, rmse), "seed": seed, "free_running_rmse": 20.0 + seed}
            for seed, rmse in enumerate(rmses, start=1)]
    mean = sum(rmses) / len(rmses)
    return {**fake_result(ticker, units, dropout, mean), "epochs": 100, "seed": [run["seed"] for run in runs],
            "seeds": runs, "rmse_mean": mean, "rmse_std": 0.5, "fit_seconds_mean": 90.0}


def test_seed_spread_table_reads_the_saved_multi_seed_runs(project, capsys):
    results.save_cli_result(multi_seed_run("AMZN", 50, 0.0, [40.0, 41.0, 42.0]))
    # More seeds of the same model: the table uses the run with the most seeds.
    results.save_cli_result(multi_seed_run("AMZN", 50, 0.0, [40.0, 41.0, 42.0, 43.0, 44.0]))
    table = report.seed_spread_table(["Activity9.01", "Activity9.02"])
    assert list(table.index) == ["Activity9.01: 50 units"]
    row = table.loc["Activity9.01: 50 units"]
    assert row["seeds"] == "1, 2, 3, 4, 5"
    assert row["one-step RMSE ($), mean ± sd"] == "42.00 ± 0.50"
    assert row["one-step RMSE ($), each seed"] == "40.00, 41.00, 42.00, 43.00, 44.00"
    assert row["free-running RMSE ($), each seed"] == "21, 22, 23, 24, 25"
    # The missing model is named, with the command that trains it.
    assert ("Activity9.02: no multi-seed run saved; make one with "
            "python -m utils train --ticker AMZN --units 50 --dropout 0.2 --seeds 1,2,3 --save") in capsys.readouterr().out
