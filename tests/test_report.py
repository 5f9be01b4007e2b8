"""The results table: built from saved results, written as CSV and into the README between markers."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_record, seed_spread_record

import utils.atomic as atomic
import utils.files as files
import utils.results as results
import utils.saved_models as saved_models
import utils.tools.report as report
from utils.errors import DataError
from utils.registry import NOTEBOOKS
from utils.tools.cli import main


def fake_result(ticker, units, dropout, rmse, days=21):
    return run_record(ticker, units, dropout, rmse, days=days)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(results, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(files, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(report, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(report, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(report, "README", tmp_path / "README.md")
    monkeypatch.setattr(report, "FIGURE", tmp_path / "docs" / "january_forecasts.png")
    monkeypatch.setenv(results.MAIN_JOB_VARIABLE, "1")  # the notebooks' results are saved as the main job saves them
    (tmp_path / "README.md").write_text(f"intro\n{report.TABLE_START}\nold table\n{report.TABLE_END}\noutro\n")
    return tmp_path


def outputs(project) -> dict:
    """The three files the table command writes, as bytes (None when absent)."""
    paths = [project / "results" / "results.csv", project / "README.md", project / "docs" / "january_forecasts.png"]
    return {path.name: path.read_bytes() if path.exists() else None for path in paths}


def test_table_from_saved_results_with_seed_spread(project, shipped_data):
    save_every_notebook()
    results.save_cli_result(seed_spread_record("GOOG", 50, 0.0, (11.0, 12.5, 14.0)))

    table = report.refresh_results_table_and_figure()
    assert list(table["notebook"]) == list(NOTEBOOKS)
    csv = pd.read_csv(project / "results" / "results.csv")
    assert csv.loc[0, "rmse"] == pytest.approx(11.0) and csv.loc[0, "rmse_std"] == pytest.approx(1.5)
    readme = (project / "README.md").read_text()
    assert readme.startswith("intro\n") and readme.endswith("outro\n") and "old table" not in readme
    assert "| Exercise9.01 | GOOG | 50 | 0 | 11.00 | 10.00 | 1.10 |" in readme
    assert "12.50 ± 1.50 (3 seeds)" in readme and "not run" in readme


@pytest.mark.parametrize("content, said", [
    ("[]", "holds list where a record"),
    ('{"seeds": []}', "the key 'ticker' is missing"),
    ('{"ticker": "GOOG"', "cannot be read"),
])
def test_a_damaged_cli_result_is_one_line_and_nothing_is_written(project, shipped_data, capsys, content, said):
    save_every_notebook()
    (project / "results" / "cli").mkdir()
    (project / "results" / "cli" / "GOOG_50u_d0_100ep_seeds1-2.json").write_text(content)
    before = outputs(project)
    assert main(["table"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "results/cli/GOOG_50u_d0_100ep_seeds1-2.json" in err and said in err
    assert outputs(project) == before


def test_a_saved_result_without_a_metric_is_one_line_and_nothing_is_written(project, shipped_data, capsys):
    save_every_notebook()
    broken = results.load_result("Exercise9.02", 100)
    del broken["rmse"]
    atomic.write_json_atomically(project / "results" / "Exercise9.02.json", broken)
    before = outputs(project)
    assert main(["table"]) == 2
    assert capsys.readouterr().err.startswith("error: results/Exercise9.02.json: the key 'rmse' is missing; run "
                                              "Exercise9.02/Exercise9.02.ipynb again")
    assert outputs(project) == before


def test_forecasts_for_other_test_days_are_one_line(project, shipped_data, capsys):
    save_every_notebook(days=20)
    assert main(["table"]) == 2
    err = capsys.readouterr().err
    assert err == ("error: results/Exercise9.01.json: its 20 forecast days are not the 21 test days of GOOG in the "
                   "data folder: run Exercise9.01 again to rewrite it\n")


def test_table_without_results_says_what_to_run(project, shipped_data):
    with pytest.raises(DataError, match="no saved results for Exercise9.01 .* run Exercise9.01/Exercise9.01.ipynb first"):
        report.refresh_results_table_and_figure()


def test_seed_spread_table_reads_the_saved_multi_seed_runs(project, capsys):
    results.save_cli_result(seed_spread_record("AMZN", 50, 0.0, (40.0, 41.0, 42.0)))
    # More seeds of the same model: the table uses the run with the most seeds.
    results.save_cli_result(seed_spread_record("AMZN", 50, 0.0, (40.0, 41.0, 42.0, 43.0, 44.0)))
    table = results.seed_spread_table(["Activity9.01", "Activity9.02"])
    # Every row says its epochs, so a learner's quick run never passes for the full runs beside it.
    assert list(table.index) == ["Activity9.01: 50 units, 100 epochs"]
    row = table.loc["Activity9.01: 50 units, 100 epochs"]
    assert row["seeds"] == "1, 2, 3, 4, 5"
    assert row["one-step RMSE ($), mean ± sd"] == "42.00 ± 1.58"
    assert row["one-step RMSE ($), each seed"] == "40.00, 41.00, 42.00, 43.00, 44.00"
    assert row["free-running RMSE ($), each seed"] == "30, 30, 30, 30, 30"
    # The missing model is named, with the command that trains it.
    assert ("Activity9.02: no multi-seed run saved; make one with "
            "python -m utils train --ticker AMZN --units 50 --dropout 0.2 --seeds 1,2,3 --save") in capsys.readouterr().out


def save_every_notebook(days=21):
    for index, (name, (ticker, units, dropout)) in enumerate(NOTEBOOKS.items()):
        saved_models.save_result(name, 100, fake_result(ticker, units, dropout, rmse=11.0 + index, days=days))


def test_table_command_writes_the_csv_the_readme_table_and_the_figure(project, shipped_data, capsys):
    save_every_notebook()
    assert main(["table"]) == 0
    assert "wrote results/results.csv and the README table (5 rows), and docs/january_forecasts.png" in \
        capsys.readouterr().out
    assert list(pd.read_csv(project / "results" / "results.csv")["notebook"]) == list(NOTEBOOKS)
    assert "| Activity9.03 | AMZN | 100 | 0 | 15.00 |" in (project / "README.md").read_text()
    assert (project / "docs" / "january_forecasts.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_readme_figure_draws_every_notebook_forecast_against_the_real_opens(project, shipped_data):
    from utils.data import load_prices

    save_every_notebook()
    figure = report.readme_figure(report.saved_full_runs())
    for ax, ticker in zip(figure.axes, ("GOOG", "AMZN")):
        lines = {line.get_label(): line.get_ydata() for line in ax.get_lines()}
        np.testing.assert_array_equal(lines[f"Real {ticker} open"], load_prices(ticker).test_open)
        for index, (name, (nb_ticker, units, dropout)) in enumerate(NOTEBOOKS.items()):
            if nb_ticker == ticker:
                label = f"{name}: {units} units" + (f", dropout {dropout:g}" if dropout else "")
                np.testing.assert_array_equal(lines[label], [111.0 + index + day for day in range(21)])
    assert [len(ax.get_lines()) for ax in figure.axes] == [2 + 2, 2 + 3]  # real, naive, then each notebook


def test_readme_without_table_markers_is_one_line_and_nothing_is_written(project, capsys):
    save_every_notebook()
    (project / "README.md").write_text("intro without markers\n")
    assert main(["table"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "README.md" in err and report.TABLE_START in err
    assert (project / "README.md").read_text() == "intro without markers\n"
    assert not (project / "results" / "results.csv").exists()


class StoppedMidWriteError(Exception):
    """Stands for Ctrl-C or a crash (a real KeyboardInterrupt escaping a test would stop pytest)."""


def half_written(self, target, *args, **kwargs):
    """As Figure.savefig: write the start of ``target`` (a file), then stop."""
    target.write(b"\x89PNG half")
    raise StoppedMidWriteError


def test_an_interrupted_refresh_keeps_the_old_csv_readme_and_figure(project, shipped_data):
    import matplotlib.figure

    save_every_notebook()
    report.refresh_results_table_and_figure()
    before = outputs(project)
    with pytest.MonkeyPatch.context() as patch, pytest.raises(UnicodeEncodeError):
        # A table that cannot be encoded fails part-way through writing the README.
        patch.setattr(report, "markdown_table", lambda table: "| half |\n" * 1000 + "\udc80")
        report.refresh_results_table_and_figure()
    with pytest.MonkeyPatch.context() as patch, pytest.raises(StoppedMidWriteError):
        patch.setattr(matplotlib.figure.Figure, "savefig", half_written)
        report.refresh_results_table_and_figure()
    replace = atomic.os.replace

    def third_rename_fails(source, target):
        if Path(target).name == "january_forecasts.png":
            raise StoppedMidWriteError
        replace(source, target)

    with pytest.MonkeyPatch.context() as patch, pytest.raises(StoppedMidWriteError):
        patch.setattr(atomic.os, "replace", third_rename_fails)  # the CSV and README already replaced: put back
        report.refresh_results_table_and_figure()
    assert outputs(project) == before
    assert sorted(path.name for path in (project / "results").iterdir()) == sorted(
        [f"{name}.json" for name in NOTEBOOKS] + ["results.csv"])  # no temporary file left behind


@pytest.mark.parametrize("error, words", [(errno.ENOSPC, "No space left on device"), (errno.EACCES, "Permission denied")])
def test_a_full_disk_or_a_refusal_names_the_users_file_and_writes_nothing(project, shipped_data, capsys, monkeypatch,
                                                                          error, words):
    save_every_notebook()
    report.refresh_results_table_and_figure()
    before = outputs(project)
    capsys.readouterr()

    def refused(handle):  # tests run as root in CI, where permissions do not stop a write: the error is injected
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(atomic.os, "fsync", refused)
    assert main(["table"]) == 2
    assert capsys.readouterr().err == f"error: results/results.csv: {words} (nothing was written)\n"
    assert outputs(project) == before
    assert not [path for path in project.rglob(".*") if path.is_file()], "a temporary file was left"
