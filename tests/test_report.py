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
