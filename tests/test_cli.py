"""The command line: the JSON report, seed spread, and one-line errors for bad input."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from utils.data import load_prices
from utils.evaluation import forecast_metrics, naive_forecast
from utils.files import REPO_ROOT
from utils.tools.cli import main


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "utils", *args], capture_output=True, text=True, cwd=REPO_ROOT,
                          env={**os.environ, **(env or {})}, timeout=600)


def test_train_json_report_and_save(shipped_data, capsys, tmp_path, monkeypatch):
    import utils.results as results

    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.delenv(results.MAIN_JOB_VARIABLE, raising=False)
    monkeypatch.delenv(results.RESULTS_DIR_VARIABLE, raising=False)
    assert main(["train", "--ticker", "GOOG", "--units", "4", "--epochs", "1", "--json", "--save"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    # --save: the same report, by its settings; a quick run's in the learner's folder, which git ignores.
    saved = tmp_path / "my-results" / "epochs-1" / "cli" / "GOOG_4u_d0_1ep_seed1.json"
    assert json.loads(saved.read_text()) == report and f"saved {saved}" in captured.err
    assert results.check_cli_result(report, saved) == report  # what it saves passes the schema it is read with
    assert results.load_cli_results() == [] and not (tmp_path / "results").exists()
    required = {"ticker", "units", "dropout", "epochs", "seed", "fit_seconds", "rmse", "naive_rmse", "predictions",
                "mae", "mape", "naive_mae", "naive_mape", "free_running_rmse"}
    assert required <= set(report)
    assert (report["ticker"], report["units"], report["dropout"], report["epochs"], report["seed"]) == ("GOOG", 4, 0.0, 1, 1)
    prices = load_prices("GOOG")
    assert len(report["predictions"]) == len(prices.test) == 21
    assert report["rmse"] == pytest.approx(forecast_metrics(prices.test_open, report["predictions"])["rmse"])
    naive = naive_forecast(prices.train_open, prices.test_open)
    assert report["naive_rmse"] == pytest.approx(np.sqrt(np.mean((prices.test_open - naive) ** 2)))
    assert report["fit_seconds"] > 0


def test_ctrl_c_exits_130_with_one_line(monkeypatch, capsys):
    import utils.tools.cli as cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "command_train", interrupted)
    assert main(["train", "--ticker", "GOOG", "--units", "4"]) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_a_file_the_system_refuses_is_one_line(monkeypatch, capsys):
    import utils.tools.cli as cli

    def refused(args):
        raise PermissionError(13, "Permission denied", "results/cli/GOOG_4u_d0_1ep_seed1.json")

    monkeypatch.setattr(cli, "command_train", refused)
    assert main(["train", "--ticker", "GOOG", "--units", "4", "--save"]) == 2
    assert capsys.readouterr().err == "error: results/cli/GOOG_4u_d0_1ep_seed1.json: Permission denied (nothing was written)\n"


@pytest.mark.parametrize("error", [errno.EACCES, errno.ENOSPC])
def test_train_save_checks_it_can_write_before_it_trains(shipped_data, capsys, tmp_path, monkeypatch, error):
    import utils.atomic as atomic
    import utils.results as results
    import utils.tools.cli as cli

    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(cli.pipeline, "run_experiment", lambda *args, **kwargs: pytest.fail("trained before checking"))

    def refused(*args, **kwargs):  # tests run as root, whom permissions do not stop: the refusal is injected
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(atomic.tempfile, "NamedTemporaryFile", refused)
    assert main(["train", "--ticker", "GOOG", "--units", "4", "--epochs", "100", "--seeds", "1,2", "--save"]) == 2
    target = tmp_path / "results" / "cli" / "GOOG_4u_d0_100ep_seeds1-2.json"
    assert capsys.readouterr().err == f"error: {target}: {os.strerror(error)} (nothing was written)\n"


def test_quick_seed_spreads_go_where_git_does_not_look(tmp_path, monkeypatch):
    import utils.results as results

    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.delenv(results.MAIN_JOB_VARIABLE, raising=False)
    monkeypatch.delenv(results.RESULTS_DIR_VARIABLE, raising=False)
    quick = results.cli_result_path({"ticker": "GOOG", "units": 50, "dropout": 0.0, "epochs": 1, "seed": [1, 2, 3]})
    full = results.cli_result_path({"ticker": "GOOG", "units": 50, "dropout": 0.0, "epochs": 100, "seed": [1, 2, 3]})
    assert full == tmp_path / "results" / "cli" / "GOOG_50u_d0_100ep_seeds1-2-3.json"
    assert not quick.is_relative_to(tmp_path / "results")
    if (REPO_ROOT / ".git").exists():
        relative = [str(path.relative_to(tmp_path)) for path in (quick, full)]
        relative += ["results/cli/GOOG_50u_d0_1ep_seeds1-2-3.json", "results/epochs-1/cli/GOOG_50u_d0_1ep_seed1.json"]
        ignored = subprocess.run(["git", "check-ignore", "--no-index", *relative], cwd=REPO_ROOT, capture_output=True,
                                 text=True).stdout.split()
        assert ignored == [relative[0], relative[2], relative[3]], "only full-run seed spreads are committed"


def test_the_one_line_warning_display_ends_with_the_command(shipped_data, capsys):
    import warnings

    before = warnings.showwarning
    assert main(["data", "check"]) == 0
    assert warnings.showwarning is before  # a notebook or test calling main() keeps its own warning display


def test_seed_spread(shipped_data, capsys):
    assert main(["train", "--ticker", "AMZN", "--units", "4", "--epochs", "1", "--seeds", "1,2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [run["seed"] for run in report["seeds"]] == [1, 2]
    rmses = [run["rmse"] for run in report["seeds"]]
    assert report["rmse_mean"] == pytest.approx(np.mean(rmses))
    assert report["rmse_std"] == pytest.approx(np.std(rmses, ddof=1))
    assert rmses[0] != rmses[1]


@pytest.mark.parametrize("args, message", [
    (["--units", "50", "--dropout", "1.5"], "dropout rate must be a number from 0 up to"),
    (["--units", "0"], "units must be a whole number, from 1 to 1024"),
    (["--units", "50", "--epochs", "0"], "epochs must be a whole number, from 1 to 1000"),
    (["--units", "50", "--seeds", "1,x"], "seeds must be distinct whole numbers"),
])
def test_bad_parameters_exit_with_one_line(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--ticker", "GOOG", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_notebooks_jobs_must_be_at_least_one(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["notebooks", "--jobs", "0"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "jobs must be a whole number, at least 1" in err and len(err.strip().splitlines()) == 1


def test_missing_data_is_one_line_on_stderr_without_traceback(tmp_path):
    result = run_cli("train", "--ticker", "NOPE", "--units", "50", env={"WORKSHOP_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "NOPE_train.csv: file not found" in lines[0] and "Traceback" not in result.stderr


def test_bad_workshop_epochs_is_reported(shipped_data, capsys, monkeypatch):
    monkeypatch.setenv("WORKSHOP_EPOCHS", "-3")
    assert main(["train", "--ticker", "GOOG", "--units", "4"]) == 2
    assert "WORKSHOP_EPOCHS='-3'" in capsys.readouterr().err


def test_data_check(shipped_data, capsys, tmp_path, monkeypatch):
    assert main(["data", "check"]) == 0
    out = capsys.readouterr().out
    assert "GOOG" in out and "AMZN" in out and "1258 / 21" in out and "ok/ok" in out
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path / "missing"))
    assert main(["data", "check"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_notebooks_cpus_must_be_cpu_numbers(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["notebooks", "--cpus", "0,one"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "'0,one': give CPU numbers separated by commas, e.g. 0,1" in err


def test_a_data_folder_variable_naming_no_folder_is_one_line(tmp_path):
    missing = tmp_path / "no-such-folder"
    for command in (["train", "--ticker", "GOOG", "--units", "50"], ["data", "check"]):
        result = run_cli(*command, env={"WORKSHOP_DATA_DIR": str(missing)})
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr == (f"error: WORKSHOP_DATA_DIR={missing}: the data folder {missing} does not exist; unset "
                                 "WORKSHOP_DATA_DIR to use the workshop's own data/ folder, or point it at a folder "
                                 "that holds the price files\n")


def spread_input(seed: int, rmse: float, predictions: list[float]) -> dict:
    return {"ticker": "GOOG", "units": 4, "dropout": 0.0, "epochs": 1, "window": 60, "dates": ["2019-01-02", "2019-01-03"],
            "seed": seed, "naive_rmse": 2.0, "naive_mae": 1.5, "naive_mape": 1.25, "rmse": rmse, "mae": rmse / 2,
            "mape": rmse * 2, "free_running_rmse": rmse + 10, "rmse_ratio": rmse / 2, "fit_seconds": rmse * 3,
            "predictions": predictions}


def test_seed_spread_averages_each_metric_and_each_days_prediction_over_the_seeds():
    from utils.tools.cli import seed_spread

    runs = [spread_input(1, 1.0, [10.0, 20.0]), spread_input(2, 3.0, [12.0, 26.0])]
    spread = seed_spread(runs)
    assert spread["predictions"] == [11.0, 23.0]  # day by day, the mean of the seeds' forecasts
    assert spread["seed"] == [1, 2] and spread["seeds"] == runs
    assert {key: spread[key] for key in ("ticker", "units", "dropout", "epochs", "window", "dates")} == {
        key: runs[0][key] for key in ("ticker", "units", "dropout", "epochs", "window", "dates")}
    assert (spread["naive_rmse"], spread["naive_mae"], spread["naive_mape"]) == (2.0, 1.5, 1.25)
    means = {"rmse": 2.0, "mae": 1.0, "mape": 4.0, "free_running_rmse": 12.0, "rmse_ratio": 1.0, "fit_seconds": 6.0}
    for key, mean in means.items():
        assert spread[key] == spread[f"{key}_mean"] == mean
        assert spread[f"{key}_std"] == pytest.approx(abs(runs[1][key] - runs[0][key]) / 2**0.5)
    assert seed_spread(runs[:1])["rmse_std"] == 0.0


def test_a_warning_during_a_command_is_one_line(monkeypatch, capsys):
    import warnings

    import utils.tools.cli as cli

    def warns(args):
        warnings.warn("data/GOOG_train.csv: contents differ from the documented SHA-256", UserWarning, stacklevel=2)
        return 0

    monkeypatch.setattr(cli, "command_train", warns)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert main(["train", "--ticker", "GOOG", "--units", "4"]) == 0
    assert capsys.readouterr().err == "warning: data/GOOG_train.csv: contents differ from the documented SHA-256\n"
