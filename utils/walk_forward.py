"""Twelve months, not one: every forecast of the walk-forward as one row per day, scored month by month.

The sixth notebook judges its models over every month of 2018 and January 2019. The LSTMs were trained once per
month by the sweep (``python -m utils sweep --models price,change ...``), which keeps each test day's forecast in
its CSV file; the baselines are computed by :mod:`utils.baselines`. Both become one *daily* frame with the
columns of :data:`DAILY_COLUMNS`, from which every table of the notebook is built: the ratio of each model's RMSE
to the naive forecast's, month by month, and a Diebold-Mariano test of each model against the naive forecast
over all the days.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from .baselines import NAIVE
from .data import Prices, prices_for_month
from .errors import DataError
from .evaluation import diebold_mariano, forecast_metrics, verdict_column, verdict_counts
from .files import REPO_ROOT, shown
from .schema import SWEEP_ROW, check_record

# The sweep's file of the twelve months (and January 2019), relative to the repository.
WALK_FORWARD_FILE = Path("results") / "sweeps" / "walk_forward.csv"
WALK_FORWARD_CSV = REPO_ROOT / WALK_FORWARD_FILE
DAILY_COLUMNS = ("ticker", "test_month", "date", "model", "real", "forecast")
# The sweep's model column, as the notebook names the two LSTMs.
LSTM_LABELS = {"price": "LSTM on prices", "change": "LSTM on changes"}


def lstm_daily_forecasts(prices: dict[str, Prices], path: Path = WALK_FORWARD_CSV, window: int = 60) -> pd.DataFrame:
    """The sweep's LSTM forecasts, one row per test day, each beside that day's real open.

    ``prices`` maps each ticker to its loaded prices (:func:`utils.data.load_prices`); every row of the CSV file must
    name one of them, keep its forecasts, and be the only row of its ticker, model and month.
    """
    path = Path(path)
    try:
        rows = list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{shown(path)} cannot be read ({getattr(exc, 'strerror', None) or exc}): run the sweep that "
                        "writes it (docs/evaluation.md names it), or restore the committed file") from None
    found, seen = [], set()
    for line, row in enumerate(rows, start=2):
        where = f"{shown(path)}, row {line}"
        check_record(row, SWEEP_ROW, where)
        key = (row["ticker"], row["model"], row["test_month"])
        if key in seen:
            raise DataError(f"{where}: a second run of {', '.join(key)} (the walk-forward takes one seed per month)")
        seen.add(key)
        if row["ticker"] not in prices:
            raise DataError(f"{where}: ticker {row['ticker']} is not among the prices given ({', '.join(prices)})")
        forecasts = [float(value) for value in row["predictions"].split()]
        split = prices_for_month(prices[row["ticker"]], row["test_month"], window=window)
        if len(forecasts) != len(split.test_open):
            raise DataError(f"{where}: {len(forecasts)} forecasts for the {len(split.test_open)} trading days of "
                            f"{row['test_month']} (a sweep written before it kept its forecasts cannot be used)")
        found.append(pd.DataFrame({
            "ticker": row["ticker"], "test_month": row["test_month"],
            "date": [f"{day:%Y-%m-%d}" for day in split.test_dates], "model": LSTM_LABELS[row["model"]],
            "real": split.test_open, "forecast": forecasts,
        }))
    if not found:
        raise DataError(f"{shown(path)}: holds no runs")
    return pd.concat(found, ignore_index=True)[list(DAILY_COLUMNS)]


def naive_rows(daily: pd.DataFrame) -> pd.DataFrame:
    """The naive forecast's rows of ``daily``, indexed by ticker and date; every other model is scored against them."""
    naive = daily[daily["model"] == NAIVE].set_index(["ticker", "date"])
    if naive.empty:
        raise DataError(f"the daily forecasts hold no {NAIVE!r} model to compare with")
    return naive


def paired_with_naive(daily: pd.DataFrame) -> pd.DataFrame:
    """Every other model's rows with the naive forecast of the same ticker and day beside them (``naive``)."""
    naive = naive_rows(daily)["forecast"].rename("naive")
    others = daily[daily["model"] != NAIVE].join(naive, on=["ticker", "date"])
    missing = others[others["naive"].isna()]
    if len(missing):
        first = missing.iloc[0]
        raise DataError(f"{first['model']}, {first['ticker']} on {first['date']}: no naive forecast for that day")
    # Tables list each ticker's models together, tickers and models in the order they first appear.
    tickers, models = (list(dict.fromkeys(others[column])) for column in ("ticker", "model"))
    order = others["ticker"].map(tickers.index) * len(models) + others["model"].map(models.index)
    return others.iloc[order.argsort(kind="stable")]


def monthly_ratios(daily: pd.DataFrame) -> pd.DataFrame:
    """Per ticker, model and month: the RMSE, the naive RMSE on the same days, their ratio and its verdict."""
    rows = []
    for (ticker, model, month), days in paired_with_naive(daily).groupby(["ticker", "model", "test_month"], sort=False):
        rmse = forecast_metrics(days["real"], days["forecast"])["rmse"]
        naive_rmse = forecast_metrics(days["real"], days["naive"])["rmse"]
        rows.append({"ticker": ticker, "model": model, "test_month": month, "days": len(days), "rmse": rmse,
                     "naive_rmse": naive_rmse, "ratio": rmse / naive_rmse, "verdict": verdict_column(rmse / naive_rmse)})
    return pd.DataFrame(rows)


def ratio_summary(monthly: pd.DataFrame) -> pd.DataFrame:
    """Per ticker and model: months, the median and spread of the monthly ratio, and months by verdict."""
    grouped = monthly.groupby(["ticker", "model"], sort=False)
    table = grouped["ratio"].agg(months="size", median="median", lowest="min", highest="max")
    counts = grouped["verdict"].agg(verdict_counts)
    for column in ("beats", "about as well", "worse"):
        table[f"months it {column}" if column != "about as well" else "months about as well"] = [
            found[column] for found in counts]
    return table.rename(columns={"median": "median ratio"}).round(3)


def significance(daily: pd.DataFrame) -> pd.DataFrame:
    """Per ticker and model: a Diebold-Mariano test of its squared errors against the naive forecast's, over every
    day of the walk-forward. A negative statistic means the model's errors were the smaller ones."""
    rows = []
    for (ticker, model), days in paired_with_naive(daily).groupby(["ticker", "model"], sort=False):
        statistic, p_value = diebold_mariano(days["real"].to_numpy(), days["forecast"].to_numpy(),
                                             days["naive"].to_numpy())
        model_mse = float(np.mean((days["real"] - days["forecast"]) ** 2))
        naive_mse = float(np.mean((days["real"] - days["naive"]) ** 2))
        rows.append({"ticker": ticker, "model": model, "days": len(days), "RMSE / naive RMSE": np.sqrt(model_mse / naive_mse),
                     "DM statistic": statistic, "p-value": p_value})
    return pd.DataFrame(rows).set_index(["ticker", "model"]).round(3)
