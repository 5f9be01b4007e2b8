"""python -m utils sweep: the settings product, month splits, the sweep file, and real Dask clusters.

The cluster tests start real processes (a local cluster, or a `dask scheduler`
and `dask worker`s on 127.0.0.1 only) and always stop them, on free ports and
with bounded waits. Trainings are tiny: 4 or 8 units, one or two epochs.
"""

from __future__ import annotations

import csv
import math
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
from conftest import business_days, rows, write_prices

from utils.data import load_prices, prices_for_month
from utils.errors import DataError
from utils.files import REPO_ROOT
from utils.tools import sweep
from utils.tools.cli import main

PYTHON = sys.executable


# --- pure functions ------------------------------------------------------------------------------------------------

def test_product_has_one_training_per_combination_in_a_stable_order():
    product = sweep.settings_product(["GOOG", "AMZN"], [8, 50], [0.0], ["all", 3], [1, 2, 3], ["2018-12"], 5, 60)
    assert len(product) == 2 * 2 * 1 * 2 * 3 * 1
    assert product[0] == {"ticker": "GOOG", "model": "price", "units": 8, "dropout": 0.0, "years": "all", "seed": 1,
                          "test_month": "2018-12", "epochs": 5, "window": 60}
    assert product[1]["seed"] == 2 and product[-1]["ticker"] == "AMZN"
    assert len({sweep.setting_key(settings) for settings in product}) == len(product)


def test_an_empty_option_is_an_empty_sweep():
    with pytest.raises(DataError, match="--seeds has no values"):
        sweep.settings_product(["GOOG"], [8], [0.0], ["all"], [], ["2019-01"], 1, 60)


def test_rows_read_back_from_the_file_match_the_settings_they_were_trained_with(tmp_path):
    product = sweep.settings_product(["GOOG"], [8], [0.0, 0.2], ["all", 2], [1], ["2019-01"], 1, 60)
    path = tmp_path / "s.csv"
    finished = [{**settings, **{name: 1.5 for name in sweep.METRIC_COLUMNS}, "first_train_date": "2014-01-02",
                 "first_test_date": "2019-01-02", "last_test_date": "2019-01-31", "test_days": 21}
                for settings in product[:3]]
    path.write_text(sweep.csv_line(dict(zip(sweep.COLUMNS, sweep.COLUMNS))) + "".join(map(sweep.csv_line, finished)))
    text, found = sweep.read_sweep_file(path)
    assert text == path.read_text() and len(found) == 3
    done = sweep.rows_done(found)
    assert [sweep.setting_key(settings) in done for settings in product] == [True, True, True, False]


def test_a_file_with_other_columns_or_a_short_row_is_refused(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("ticker,units,score\nGOOG,8,1\n")
    with pytest.raises(DataError, match=r"other\.csv: written with other columns.*missing model, dropout.*unknown score"):
        sweep.read_sweep_file(other)
    short = tmp_path / "short.csv"
    short.write_text(sweep.csv_line(dict(zip(sweep.COLUMNS, sweep.COLUMNS))) + "GOOG,8,0.0\n")
    with pytest.raises(DataError, match="short.csv, row 2: not"):
        sweep.read_sweep_file(short)


def summary_rows(ratios_by_setting: dict[tuple, list[float]]) -> pd.DataFrame:
    frame_rows = []
    for (ticker, units, dropout, years, epochs, window), ratios in ratios_by_setting.items():
        frame_rows += [{"ticker": ticker, "model": "price", "units": units, "dropout": dropout, "years": years, "epochs": epochs,
                        "window": window, "seed": seed, "rmse_ratio": ratio} for seed, ratio in enumerate(ratios, 1)]
    return pd.DataFrame(frame_rows)


def test_the_summary_table_columns_counts_and_sample_sd():
    frame = summary_rows({("GOOG", 8, 0.0, "all", 5, 60): [0.9, 1.1, 1.0, 0.5, 1.04],
                          ("AMZN", 50, 0.2, "3", 5, 60): [1.2, 1.3]})
    table = sweep.summary_table(frame)
    assert list(table.index) == ["GOOG 8u", "AMZN 50u drop 0.2 3y"]  # in the file's order, not sorted
    assert list(table.columns) == ["runs", "mean ratio", "sd of ratio", "lowest", "highest", "beats", "about as well",
                                   "worse"]
    # naive_comparison's rule: below 0.95 beats, 0.95 to 1.05 about as well (1.0 and 1.04), above 1.05 worse.
    assert table.loc["GOOG 8u"].tolist()[5:] == ["2 of 5", "2 of 5", "1 of 5"]
    # sd over seeds (n - 1), to three decimals as the table shows it
    ratios = [0.9, 1.1, 1.0, 0.5, 1.04]
    mean = sum(ratios) / 5
    assert table.loc["GOOG 8u"].tolist()[:5] == [5, round(mean, 3),
                                                 round(math.sqrt(sum((r - mean) ** 2 for r in ratios) / 4), 3), 0.5, 1.1]
    assert table.loc["AMZN 50u drop 0.2 3y"].tolist() == [2, 1.25, 0.071, 1.2, 1.3, "0 of 2", "0 of 2", "2 of 2"]


def test_the_summary_labels_name_epochs_and_window_only_where_they_vary():
    frame = summary_rows({("GOOG", 8, 0.0, "all", 5, 60): [0.9], ("GOOG", 8, 0.0, "all", 10, 30): [0.8]})
    assert sweep.setting_labels(frame) == ["GOOG 8u 5ep 60w", "GOOG 8u 10ep 30w"]
    frame = summary_rows({("GOOG", 8, 0.0, "all", 5, 60): [0.9], ("GOOG", 8, 0.0, "all", 10, 60): [0.8]})
    assert sweep.setting_labels(frame) == ["GOOG 8u 5ep", "GOOG 8u 10ep"]
    frame = summary_rows({("AMZN", 50, "0.25", 2, 5, 60): [0.9]})
    assert sweep.setting_labels(frame) == ["AMZN 50u drop 0.25 2y"]


def test_january_2019_is_the_shipped_split_unchanged(shipped_data):
    prices = load_prices("GOOG", verify=False)
    split = prices_for_month(prices, "2019-01")
    pd.testing.assert_frame_equal(split.train, prices.train)
    pd.testing.assert_frame_equal(split.test, prices.test)
    assert split.test_path == prices.test_path


def test_a_month_inside_the_training_file_trains_on_the_days_before_it(tmp_path):
    dates = business_days("2016-01-01", 700)
    opens = [100.0 + i for i in range(700)]
    write_prices(tmp_path, "TEST", rows(dates[:690], opens[:690]), rows(dates[690:], opens[690:], "%m/%d/%y"))
    prices = load_prices("TEST", window=10, folder=tmp_path, verify=False)
    split = prices_for_month(prices, "2017-03", window=10)
    assert split.train["Date"].iloc[-1] == pd.Timestamp("2017-02-28")
    assert split.train["Date"].iloc[0] == pd.Timestamp("2016-01-01")
    assert list(split.test["Date"].dt.month.unique()) == [3] and len(split.test) == 23
    assert split.test_path == prices.train_path
    one_year = prices_for_month(prices, "2017-03", years=1, window=10)
    assert one_year.train["Date"].iloc[0] == pd.Timestamp("2016-03-01")
    assert one_year.train["Date"].iloc[-1] == pd.Timestamp("2017-02-28")
    with pytest.raises(DataError, match=r"years=2 before 2017-03: needs prices from 2015-03-01"):
        prices_for_month(prices, "2017-03", years=2, window=10)
    with pytest.raises(DataError, match="test month 2015-12: no trading days"):
        prices_for_month(prices, "2015-12", window=10)
    with pytest.raises(DataError, match="test month 2016-01: 0 training days before it"):
        prices_for_month(prices, "2016-01", window=10)


# --- the task, on the real price file ------------------------------------------------------------------------------

def december_2018_naive_rmse(path: Path) -> tuple[float, int]:
    """Straight from the CSV text: each December day's open against the previous row's open."""
    with open(path, newline="") as handle:
        table = list(csv.DictReader(handle))
    days = [i for i, row in enumerate(table) if row["Date"].startswith("2018-12-")]
    errors = [float(table[i]["Open"]) - float(table[i - 1]["Open"]) for i in days]
    return math.sqrt(sum(error * error for error in errors) / len(errors)), len(days)


# --- a local cluster -----------------------------------------------------------------------------------------------

def test_local_workers_are_single_threaded_each_on_its_own_cpu_and_keep_the_allocator_setting():
    cpus = sweep.usable_cpus()
    with sweep.dask_client(None, 2) as client:
        affinities = client.run(os.sched_getaffinity, 0)
        malloc = client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_")
        threads = {info["nthreads"] for info in client.scheduler_info(n_workers=-1)["workers"].values()}
    assert threads == {1}
    assert set(malloc.values()) == {None}
    if len(cpus) >= 2:
        assert sorted(len(cpu) for cpu in affinities.values()) == [1, 1]
        assert set.union(*affinities.values()) == set(cpus[:2])


def test_two_seeds_write_two_rows_and_a_figure_and_a_rerun_trains_nothing(tmp_path, shipped_data, capsys):
    out = tmp_path / "X.csv"
    # The command, on one local worker (the tests share two cores).
    command = ["sweep", "--tickers", "GOOG", "--units", "8", "--seeds", "1,2", "--epochs", "1", "--out", str(out),
               "--workers", "1"]
    assert main(command) == 0
    first = out.read_text()
    frame = pd.read_csv(out)
    assert list(frame["seed"]) == [1, 2] or list(frame["seed"]) == [2, 1]
    assert set(frame["test_month"]) == {"2019-01"} and set(frame["first_test_date"]) == {"2019-01-02"}
    assert (frame["rmse_ratio"] == frame["rmse"] / frame["naive_rmse"]).all()
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr()
    assert "GOOG 8u" in printed.out and "of 2" in printed.out  # the summary table: runs that beat naive
    assert main(command) == 0
    assert out.read_text() == first
    assert "2 already in" in capsys.readouterr().err


FAILING_SEED = 2
calls: list[int] = []


def training_that_fails_for_one_seed(settings: dict) -> dict:
    calls.append(settings["seed"])
    if settings["seed"] == FAILING_SEED:
        raise RuntimeError("this training always fails")
    return {**settings, **{name: 1.0 for name in sweep.METRIC_COLUMNS}, "first_train_date": "2014-01-02",
            "first_test_date": "2019-01-02", "last_test_date": "2019-01-31", "test_days": 21}


def test_a_task_failing_twice_is_reported_by_its_settings_and_the_rest_is_kept(tmp_path, shipped_data, monkeypatch,
                                                                                 capsys):
    from contextlib import contextmanager

    from distributed import Client, LocalCluster

    @contextmanager
    def threads_in_this_process(scheduler, workers):
        # The test's stand-in training only exists in this process, so the cluster runs here too.
        with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
                Client(cluster) as client:
            yield client

    monkeypatch.setattr(sweep, "dask_client", threads_in_this_process)
    monkeypatch.setattr(sweep, "run_training", training_that_fails_for_one_seed)
    monkeypatch.setattr(sweep, "warm_up", lambda client: None)
    calls.clear()
    out = tmp_path / "s.csv"
    assert main(["sweep", "--tickers", "GOOG", "--units", "8", "--seeds", "1,2,3", "--epochs", "1", "--out", str(out)]) == 1
    assert sorted(calls) == [1, 2, 2, 3]  # retried once
    assert sorted(pd.read_csv(out)["seed"]) == [1, 3]
    err = capsys.readouterr().err
    assert "failed twice, left out: GOOG, 8 units, dropout 0, all years, seed 2, test month 2019-01" in err
    assert err.strip().splitlines()[-1].startswith("error: 1 of 3 trainings failed twice")


# --- an existing cluster: `dask scheduler` and `dask worker` processes ------------------------------------------------

def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], log: Path, env: dict) -> subprocess.Popen:
    # Its own process group, so that stopping it stops anything it started.
    return subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, cwd=REPO_ROOT,
                            start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    for how, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, how)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A scheduler and two single-threaded workers, each its own process, on 127.0.0.1; stopped afterwards."""
    from distributed import Client

    logs = tmp_path_factory.mktemp("dask")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
           "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": str(sweep.TASK_RETRIES)}
    address = f"tcp://127.0.0.1:{free_port()}"
    processes = {}
    try:
        processes["scheduler"] = start([PYTHON, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port",
                                        address.rsplit(":", 1)[1], "--no-dashboard"], logs / "scheduler.log", env)
        for name in ("w1", "w2"):
            processes[name] = start([PYTHON, "-m", "dask", "worker", address, "--name", name, "--nthreads", "1",
                                     "--no-nanny", "--host", "127.0.0.1", "--no-dashboard"], logs / f"{name}.log", env)
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        yield address, processes
    finally:
        for process in processes.values():
            stop(process)


def test_a_sweep_on_an_existing_cluster_survives_a_killed_worker_and_scores_december_2018_from_the_price_file(
        dask_cluster, tmp_path, shipped_data):
    from distributed import Client

    address, processes = dask_cluster
    out = tmp_path / "cluster.csv"
    log = tmp_path / "sweep.log"
    # Four trainings on two workers: one worker is killed while the rest are still to come.
    sweep_process = start([PYTHON, "-m", "utils", "sweep", "--tickers", "GOOG", "--units", "4", "--seeds", "1,2",
                           "--test-months", "2018-12,2019-01", "--epochs", "1", "--scheduler", address,
                           "--out", str(out)], log, dict(os.environ))
    try:
        deadline = time.monotonic() + 180
        while not (out.exists() and len(out.read_text().splitlines()) >= 2):
            assert sweep_process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        killed = None
        with Client(address, timeout=30) as client:
            while killed is None and sweep_process.poll() is None:
                names = {address: info["name"] for address, info in client.scheduler_info(n_workers=-1)["workers"].items()}
                busy = [names[worker] for worker, keys in client.processing().items() if keys and "run_training" in str(keys)]
                if busy:
                    before = out.read_text()
                    processes[busy[0]].kill()  # SIGKILL, in the middle of a training
                    killed = busy[0]
                time.sleep(0.02)
        assert killed, "the sweep finished before a worker could be killed mid-training"
        assert sweep_process.wait(timeout=240) == 0, log.read_text()
    finally:
        stop(sweep_process)
    assert f"on the cluster at {address}, 2 worker(s)" in log.read_text()
    after = out.read_text()
    assert after.startswith(before)  # every row written before the kill is still there, unchanged
    frame = pd.read_csv(out, dtype={"test_month": str})
    assert sorted(zip(frame["test_month"], frame["seed"])) == [("2018-12", 1), ("2018-12", 2), ("2019-01", 1),
                                                                ("2019-01", 2)]
    december = frame[frame["test_month"] == "2018-12"].iloc[0]
    expected_rmse, days = december_2018_naive_rmse(shipped_data / "GOOG_train.csv")
    assert december["naive_rmse"] == pytest.approx(expected_rmse, rel=1e-12)
    assert (december["test_days"], december["first_test_date"], december["last_test_date"]) == (days, "2018-12-03",
                                                                                               "2018-12-31")
    january = frame[frame["test_month"] == "2019-01"].iloc[0]
    assert january["naive_rmse"] == pytest.approx(18.0496, abs=1e-4)  # the README's January figure


# --- bad input: one line, exit 2, nothing trained or written --------------------------------------------------------

@pytest.mark.parametrize("extra, message", [
    (["--tickers", "NOPE"], "NOPE_train.csv: file not found"),
    (["--test-months", "2012-05"], "test month 2012-05: no trading days"),
    (["--years", "6"], "years=6 before 2019-01: needs prices from 2013-01-01"),
    (["--seeds", ","], "the sweep is empty: --seeds has no values"),
    (["--test-months", "2019-13"], "is not a month like 2018-11"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "--workers sizes the local cluster only"),
    (["--seeds", "4294967296"], "the seed must be a whole number, from 0 to 4294967295"),
    (["--units", "99999999999999999999"], "the number of LSTM units must be a whole number, from 1 to 1024"),
    (["--years", "99999999999999999999"], "the years of history must be a whole number, from 1 to 100"),
    (["--epochs", "1001"], "the number of epochs must be a whole number, from 1 to 1000"),
    (["--models", "price,returns"], "model 'returns': must be one of price, change"),
])
def test_bad_input_is_one_line_and_exit_2_before_training(extra, message, tmp_path, shipped_data, capsys):
    out = tmp_path / "s.csv"
    assert exit_status(["sweep", "--tickers", "GOOG", "--units", "8", "--epochs", "1", "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not out.exists()


def exit_status(argv: list[str]) -> int:
    """main's return value, or the status of argparse's exit for a usage error."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def test_a_scheduler_that_does_not_answer_is_one_line_within_seconds(tmp_path, shipped_data, capsys):
    nobody = f"tcp://127.0.0.1:{free_port()}"
    start_time = time.monotonic()
    assert main(["sweep", "--tickers", "GOOG", "--units", "8", "--epochs", "1", "--scheduler", nobody,
                 "--out", str(tmp_path / "s.csv")]) == 2
    assert time.monotonic() - start_time < 4 * sweep.SCHEDULER_TIMEOUT_S
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: --scheduler {nobody}: no Dask scheduler answered within {sweep.SCHEDULER_TIMEOUT_S} s"]


def test_an_out_file_with_other_columns_is_left_as_it_was(tmp_path, shipped_data, capsys):
    out = tmp_path / "notes.csv"
    out.write_text("ticker,units,score\nGOOG,8,1\n")
    assert main(["sweep", "--tickers", "GOOG", "--units", "8", "--epochs", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "notes.csv: written with other columns" in err[0]
    assert out.read_text() == "ticker,units,score\nGOOG,8,1\n"
    assert not out.with_suffix(".png").exists()


# --- a file safe to share: a CSV, locked while a sweep writes it, its rows checked -------------------------------------

@pytest.mark.parametrize("name", ["y.png", "y", "y.json"])
def test_out_must_be_a_csv_file(name, tmp_path, shipped_data, capsys):
    out = tmp_path / name
    out.write_bytes(b"\x89PNG keep me")
    assert main(["sweep", "--tickers", "GOOG", "--units", "8", "--epochs", "1", "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"error: --out {out}: must be a .csv file (the figure is written beside it with .png)\n"
    assert out.read_bytes() == b"\x89PNG keep me"


def test_a_second_sweep_on_the_same_file_refuses_in_words(tmp_path, shipped_data, capsys):
    from filelock import FileLock

    out = tmp_path / "shared.csv"
    out.write_text(",".join(sweep.COLUMNS) + "\n")
    with FileLock(tmp_path / "shared.csv.lock"):  # the first sweep, still writing
        start_time = time.monotonic()
        assert main(["sweep", "--tickers", "GOOG", "--units", "8", "--epochs", "1", "--out", str(out)]) == 2
        assert time.monotonic() - start_time < 10
    assert capsys.readouterr().err == (f"error: --out {out}: another sweep is writing to this file (it holds "
                                       "shared.csv.lock); wait for it to finish, then run this one again to train what "
                                       "it lacks, or give another --out\n")
    assert out.read_text() == ",".join(sweep.COLUMNS) + "\n"


def sweep_row(**changes) -> dict:
    row = dict.fromkeys(sweep.COLUMNS, "x")
    row.update({"ticker": "GOOG", "model": "price", "predictions": "",
                "units": "8", "dropout": "0.0", "years": "all", "seed": "1", "test_month": "2019-01",
                "epochs": "1", "window": "60", "first_train_date": "2014-01-02", "first_test_date": "2019-01-02",
                "last_test_date": "2019-01-31", "test_days": "21"})
    row.update({name: "1.5" for name in sweep.METRIC_COLUMNS})
    return {**row, **changes}


@pytest.mark.parametrize("changes, said", [
    ({"rmse": "nan"}, "'rmse' must be a finite number, not 'nan'"),
    ({"rmse_ratio": ""}, "'rmse_ratio' must be a finite number"),
    ({"units": "-4"}, "'units' must be a whole number"),
    ({"ticker": "goog?"}, "'ticker' must be a ticker in capitals"),
    ({"test_month": "January"}, "'test_month' must be a month like 2019-01"),
    ({"last_test_date": "31/01/2019"}, "'last_test_date' must be a date like 2019-01-31"),
    ({"model": "returns"}, "'model' must be one of price, change, not 'returns'"),
    ({"predictions": "1050.5 nan"}, "'predictions' must be finite numbers separated by spaces (or nothing)"),
])
def test_a_damaged_row_is_one_line_naming_the_file_row_and_key(changes, said, tmp_path, shipped_data, capsys):
    out = tmp_path / "s.csv"
    text = "".join([sweep.csv_line(dict(zip(sweep.COLUMNS, sweep.COLUMNS))), sweep.csv_line(sweep_row()),
                    sweep.csv_line(sweep_row(seed="2", **changes))])
    out.write_text(text)
    assert main(["sweep", "--tickers", "GOOG", "--units", "8", "--epochs", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--out {out}, row 3: {said}" in err
    assert out.read_text() == text and not out.with_suffix(".png").exists()


def test_the_summary_counts_runs_by_the_one_verdict_rule():
    from utils.evaluation import naive_comparison

    ratios = [0.90, 0.949, 0.951, 1.0, 1.049, 1.051, 1.2]
    frame = pd.DataFrame([{**sweep_row(seed=str(seed)), "rmse_ratio": ratio} for seed, ratio in enumerate(ratios)])
    frame = frame.astype({"units": int, "epochs": int, "window": int, "dropout": float})
    row = sweep.summary_table(frame).iloc[0]
    words = [naive_comparison(ratio) for ratio in ratios]
    # Judged as shown, to two decimals: 0.949 and 1.051 are "about as well" (ratio < 1 would count four as beating).
    assert words.count("beats the naive forecast") == 1
    assert (row["beats"], row["about as well"], row["worse"]) == ("1 of 7", "5 of 7", "1 of 7")


def test_a_scheduler_that_is_not_dask_is_one_line_within_seconds(tmp_path, shipped_data, capsys):
    import http.server
    import threading

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"tcp://127.0.0.1:{server.server_address[1]}"
    try:
        start_time = time.monotonic()
        assert main(["sweep", "--tickers", "GOOG", "--units", "8", "--epochs", "1", "--scheduler", address,
                     "--out", str(tmp_path / "s.csv")]) == 2
        assert time.monotonic() - start_time < 2 * sweep.SCHEDULER_TIMEOUT_S
    finally:
        server.shutdown()
    assert capsys.readouterr().err == (f"error: --scheduler {address}: something answers there, but not as a Dask "
                                       "scheduler (start one with 'dask scheduler' and give its tcp:// address)\n")


def test_a_file_written_before_the_model_column_reads_as_the_price_model_and_keeps_its_rows(tmp_path):
    old = tmp_path / "old.csv"
    row = {name: value for name, value in sweep_row().items() if name in sweep.UNMODELLED_COLUMNS}
    old.write_text(",".join(sweep.UNMODELLED_COLUMNS) + "\n" + ",".join(row[name] for name in sweep.UNMODELLED_COLUMNS)
                   + "\n")
    text, rows = sweep.read_sweep_file(old)
    assert [(found["model"], found["predictions"]) for found in rows] == [("price", "")]
    # The text appended to is the same row under the full header, every old value as it was.
    assert text.splitlines() == [",".join(sweep.COLUMNS), sweep.csv_line(rows[0]).strip()]
    assert sweep.rows_done(rows) == {sweep.setting_key({**sweep_row(), "model": "price"})}
    assert sweep.setting_key({**sweep_row(), "model": "change"}) not in sweep.rows_done(rows)
    frame = sweep.read_rows_frame(old)
    assert list(frame["model"]) == ["price"] and sweep.setting_labels(frame) == ["GOOG 8u"]


def test_the_change_model_is_named_in_labels_and_descriptions():
    frame = summary_rows({("GOOG", 8, 0.0, "all", 5, 60): [0.9]})
    assert sweep.setting_labels(frame.assign(model="change")) == ["GOOG change 8u"]
    settings = sweep.settings_product(["GOOG"], [8], [0.0], ["all"], [1], ["2019-01"], 5, 60, models=["price", "change"])
    assert [s["model"] for s in settings] == ["price", "change"]
    assert sweep.describe(settings[1]).startswith("GOOG change model, 8 units,")
    assert sweep.describe(settings[0]).startswith("GOOG, 8 units,")


def test_a_change_model_row_holds_its_forecasts_and_scores_them(shipped_data):
    from sklearn.metrics import root_mean_squared_error

    settings = sweep.settings_product(["GOOG"], [8], [0.0], ["all"], [1], ["2018-12"], 1, 60, models=["change"])[0]
    row = sweep.run_training(settings)
    forecasts = [float(value) for value in row["predictions"].split()]
    real = prices_for_month(load_prices("GOOG", verify=False), "2018-12").test_open
    assert row["model"] == "change" and len(forecasts) == row["test_days"] == len(real) == 19
    assert row["rmse"] == pytest.approx(root_mean_squared_error(real, forecasts), rel=1e-12)
    sweep.check_rows([{name: str(value) for name, value in row.items()}], Path("row.csv"))
