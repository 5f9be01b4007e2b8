"""Shared fixtures: small price files written by each test, and the shipped data when present."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

from utils.data import data_dir

# The property tests draw the same examples on every machine and every run: no example database
# (.hypothesis/, a cache a previous run left) decides what a run tests.
settings.register_profile("workshop", database=None, derandomize=True)
settings.load_profile("workshop")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With ``make test``'s ``-n 2 --dist loadgroup``: every notebook cell in one group, run in order by one worker.

    A notebook compares itself with the quick-run results an earlier notebook saved (``results/epochs-N/``), so the
    notebooks must run one after another; every unit test is a group of its own. pytest-xdist 3.8 marks a group by
    renaming the test, which pytest 9 no longer allows, so the group is read from the test's path here instead.
    The largest group, the notebooks, starts first while the other worker takes the unit tests.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class NotebooksTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "notebooks" if ".ipynb::" in nodeid else nodeid

    return NotebooksTogether(config, log)


HEADER = "Date,Open,High,Low,Close,Adj Close,Volume"


def business_days(start: str, count: int) -> list[pd.Timestamp]:
    return list(pd.bdate_range(start, periods=count))


def write_prices(folder: Path, ticker: str, train_rows: list[str], test_rows: list[str],
                 header: str = HEADER, newline: str = "\n", bom: bool = False) -> Path:
    """Write {ticker}_train.csv and {ticker}_test.csv from already formatted rows."""
    folder.mkdir(parents=True, exist_ok=True)
    for kind, rows in (("train", train_rows), ("test", test_rows)):
        text = newline.join([header, *rows]) + newline
        (folder / f"{ticker}_{kind}.csv").write_bytes(("\ufeff" if bom else "").encode() + text.encode())
    return folder


def rows(dates, opens, fmt: str = "%Y-%m-%d") -> list[str]:
    return [f"{day.strftime(fmt)},{value},{value + 1},{value - 1},{value},{value},1000" for day, value in zip(dates, opens)]


@pytest.fixture
def make_prices(tmp_path):
    """A valid ticker of ``n_train`` and ``n_test`` business days; returns the folder."""

    def make(n_train: int = 80, n_test: int = 5, ticker: str = "TEST", **kwargs) -> Path:
        dates = business_days("2020-01-01", n_train + n_test)
        opens = [100.0 + i for i in range(n_train + n_test)]
        return write_prices(tmp_path / "data", ticker, rows(dates[:n_train], opens[:n_train]),
                            rows(dates[n_train:], opens[n_train:], "%m/%d/%y"), **kwargs)

    return make


@pytest.fixture(scope="session")
def shipped_data() -> Path:
    folder = data_dir()
    if not (folder / "GOOG_train.csv").is_file():
        pytest.fail(f"the workshop's data files are not in {folder}: they are committed in data/; is WORKSHOP_DATA_DIR wrong?")
    return folder


# The 21 trading days of January 2019 (New Year's Day and Martin Luther King Day closed), the shipped test files' days.
JANUARY_2019 = [f"{day:%Y-%m-%d}" for day in pd.bdate_range("2019-01-02", "2019-01-31") if f"{day:%m-%d}" != "01-21"]


def run_record(ticker="GOOG", units=50, dropout=0.0, rmse=18.0, *, days=21, **changes) -> dict:
    """One complete, valid run as the command line saves it (utils.schema.RUN), ``changes`` applied last."""
    dates = JANUARY_2019[:days] if days <= 21 else [f"2019-02-{day:02d}" for day in range(1, days + 1)]
    return {"ticker": ticker, "units": units, "dropout": dropout, "epochs": 100, "seed": 1, "window": 60,
            "keras_backend": "jax", "fit_seconds": 12.0, "loaded": False, "final_loss": 0.001, "rmse": rmse, "mae": 1.0,
            "mape": 0.5, "naive_rmse": 10.0, "naive_mae": 1.0, "naive_mape": 0.5, "rmse_ratio": rmse / 10.0,
            "direction_accuracy": 0.5, "free_running_rmse": 30.0, "dates": dates,
            "predictions": [100.0 + rmse + day for day in range(len(dates))],
            "free_running": [100.0] * len(dates), **changes}


def seed_spread_record(ticker="GOOG", units=50, dropout=0.0, rmses=(18.0, 19.0, 20.0), epochs=100) -> dict:
    """A valid seed spread as ``train --seeds ... --save`` writes it, one run per RMSE (seeds 1, 2, ...)."""
    from utils.tools.cli import seed_spread

    return seed_spread([run_record(ticker, units, dropout, rmse, seed=seed, epochs=epochs)
                        for seed, rmse in enumerate(rmses, start=1)])
