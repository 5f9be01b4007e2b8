"""Twelve months of forecasts: the sweep's forecasts read back by day, the monthly ratios, and the significance table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import business_days, rows, write_prices

from utils.data import load_prices
from utils.errors import DataError
from utils.evaluation import diebold_mariano
from utils.horizons import NAIVE_LABEL, errors_by_horizon
from utils.tools import sweep
from utils.walk_forward import lstm_daily_forecasts, monthly_ratios, paired_with_naive, ratio_summary, significance


def daily_frame(forecasts: dict[str, list[float]], real: list[float], months: list[str], ticker: str = "GOOG"):
    dates = [f"2018-{month[-2:]}-{day:02d}" for month in months for day in range(1, len(real) // len(months) + 1)]
    return pd.DataFrame([{"ticker": ticker, "test_month": date[:7], "date": date, "model": model, "real": real[i],
                          "forecast": values[i]} for model, values in forecasts.items() for i, date in enumerate(dates)])


def test_monthly_ratios_score_each_month_against_the_naive_forecast_of_its_own_days():
    real = [10.0, 10.0, 20.0, 20.0]
    daily = daily_frame({"naive": [11.0, 9.0, 22.0, 18.0], "model": [10.5, 9.5, 24.0, 16.0]}, real, ["2018-01", "2018-02"])
    monthly = monthly_ratios(daily)
    assert monthly["test_month"].tolist() == ["2018-01", "2018-02"]
    assert monthly["rmse"].tolist() == [0.5, 4.0] and monthly["naive_rmse"].tolist() == [1.0, 2.0]
    assert monthly["ratio"].tolist() == [0.5, 2.0] and monthly["verdict"].tolist() == ["beats", "worse"]
    summary = ratio_summary(monthly).loc[("GOOG", "model")]
    assert summary["months"] == 2 and summary["median ratio"] == 1.25
    assert [summary["lowest"], summary["highest"]] == [0.5, 2.0]
    assert [summary["months it beats"], summary["months about as well"], summary["months it worse"]] == \
        ["1 of 2", "0 of 2", "1 of 2"]


def test_the_significance_table_is_diebold_marianos_test_against_naive_over_every_day():
    rng = np.random.default_rng(3)
    real = list(100 + rng.normal(size=20).cumsum())
    naive = [real[0]] + real[:-1]
    model = list(np.array(real) + rng.normal(scale=2.0, size=20))
    table = significance(daily_frame({"naive": naive, "model": model}, real, ["2018-01", "2018-02"]))
    row = table.loc[("GOOG", "model")]
    statistic, p_value = diebold_mariano(np.array(real), np.array(model), np.array(naive))
    assert row["days"] == 20 and row["DM statistic"] == round(statistic, 3) and row["p-value"] == round(p_value, 3)
    mse = np.mean((np.array(real) - model) ** 2) / np.mean((np.array(real) - naive) ** 2)
    assert row["RMSE / naive RMSE"] == round(np.sqrt(mse), 3)


def test_a_model_without_the_naive_forecast_of_its_day_is_refused_by_name():
    daily = daily_frame({"naive": [1.0, 1.0], "model": [1.0, 2.0]}, [1.0, 1.0], ["2018-01"])
    with pytest.raises(DataError, match=r"model, GOOG on 2018-01-02: no naive forecast for that day"):
        paired_with_naive(daily.drop(index=1))
    with pytest.raises(DataError, match="no 'naive' model"):
        monthly_ratios(daily[daily["model"] != "naive"])


@pytest.fixture
def walk_forward_file(tmp_path, monkeypatch):
    """Prices of one ticker with two months of test days, and a sweep file of a forecast for each month."""
    dates = business_days("2018-01-01", 130)
    opens = [100.0 + (i % 7) for i in range(130)]
    folder = write_prices(tmp_path / "data", "TEST", rows(dates[:110], opens[:110]), rows(dates[110:], opens[110:], "%m/%d/%y"))
    prices = load_prices("TEST", folder=folder, verify=False)
    months = sorted({f"{day:%Y-%m}" for day in dates[70:]})[-2:]
    out = tmp_path / "walk.csv"
    lines = [sweep.csv_line(dict(zip(sweep.COLUMNS, sweep.COLUMNS)))]
    for month in months:
        days = [i for i, day in enumerate(dates) if f"{day:%Y-%m}" == month]
        row = dict.fromkeys(sweep.COLUMNS, "1.5")
        row.update({"ticker": "TEST", "model": "change", "units": "8", "dropout": "0.0", "years": "all", "seed": "1",
                    "test_month": month, "epochs": "1", "window": "60", "first_train_date": "2018-01-01",
                    "first_test_date": f"{dates[days[0]]:%Y-%m-%d}", "last_test_date": f"{dates[days[-1]]:%Y-%m-%d}",
                    "test_days": str(len(days)), "python_version": "3", "numpy_version": "2", "keras_version": "3",
                    "keras_backend": "jax", "backend_version": "0",
                    "predictions": " ".join(str(opens[i] + 0.5) for i in days)})
        lines.append(sweep.csv_line(row))
    out.write_text("".join(lines))
    return prices, out, months, dates, opens


def test_the_sweeps_forecasts_are_read_back_one_row_per_day_beside_the_real_open(walk_forward_file):
    prices, out, months, dates, opens = walk_forward_file
    daily = lstm_daily_forecasts({"TEST": prices}, path=out)
    assert set(daily["model"]) == {"LSTM on changes"} and daily["test_month"].unique().tolist() == months
    assert (daily["forecast"] - daily["real"]).round(9).eq(0.5).all()
    first = daily.iloc[0]
    assert first["date"] == f"{dates[[f'{d:%Y-%m}' for d in dates].index(months[0])]:%Y-%m-%d}"


@pytest.mark.parametrize("change, message", [
    (lambda text: text.replace(" 100.5", "", 1), r"row 2: \d+ forecasts for the \d+ trading days of"),
    (lambda text: text + text.splitlines(keepends=True)[1], r"row 4: a second run of TEST, change, "),
    (lambda text: text.replace("TEST,change", "OTHER,change", 1), "row 2: ticker OTHER is not among the prices given"),
    (lambda text: text.splitlines(keepends=True)[0], "holds no runs"),
])
def test_a_walk_forward_file_that_cannot_be_used_is_one_line(walk_forward_file, change, message):
    prices, out, *_ = walk_forward_file
    out.write_text(change(out.read_text()))
    with pytest.raises(DataError, match=message):
        lstm_daily_forecasts({"TEST": prices}, path=out)


def test_a_missing_walk_forward_file_names_it(tmp_path):
    with pytest.raises(DataError, match=r"nothing\.csv cannot be read .*run the sweep that writes it"):
        lstm_daily_forecasts({}, path=tmp_path / "nothing.csv")


def test_errors_by_horizon_score_each_horizon_on_the_origins_whose_target_is_in_the_period():
    real = np.array([10.0, 11.0, 12.0, 13.0])
    last_known = np.array([9.0, 10.0, 11.0, 12.0])
    perfect = np.array([[10.0, 11.0], [11.0, 12.0], [12.0, 13.0], [13.0, 99.0]])  # the last row's horizon 2 is outside
    table = errors_by_horizon(real, {"perfect": perfect, "off by 2": perfect + 2.0}, last_known)
    assert table.index.tolist() == [1, 2]
    assert table["perfect"].tolist() == [0.0, 0.0] and table["off by 2"].tolist() == [2.0, 2.0]
    # Naive: horizon 1 misses by 1 every day; horizon 2 by 2 (the last known open is two days old).
    assert table[NAIVE_LABEL].tolist() == [1.0, 2.0]
    assert table["off by 2 / naive"].tolist() == [2.0, 1.0]


@pytest.mark.parametrize("forecasts, message", [
    ({"short": np.zeros((3, 2))}, r"'short' has shape \(3, 2\); expected \(4, horizons\)"),
    ({"a": np.zeros((4, 2)), "b": np.zeros((4, 3))}, r"different numbers of horizons \(2, 3\)"),
    ({}, "need at least one forecast"),
    ({"long": np.zeros((4, 5))}, "need at least one forecast of 1 to 4 horizons"),
])
def test_forecasts_of_the_wrong_shape_are_refused_by_name(forecasts, message):
    with pytest.raises(DataError, match=message):
        errors_by_horizon(np.ones(4), forecasts, np.ones(4))


def test_errors_by_horizon_reach_as_far_as_the_period_and_show_three_decimals():
    real = np.array([10, 11, 12, 13])  # whole numbers, as a learner may type them
    offsets = [0.1234, 0.5, 1.0, 2.0]  # each horizon's miss
    # Origin d's forecast for horizon h targets day d + h - 1; past the period's end it is never scored.
    forecasts = np.array([[real[d + h] + offsets[h] if d + h < 4 else -1.0 for h in range(4)] for d in range(4)])
    table = errors_by_horizon(real, {"model": forecasts}, [9, 10, 11, 12])
    assert table.index.name == "horizon (trading days)" and table.index.tolist() == [1, 2, 3, 4]
    assert table["model"].tolist() == [0.123, 0.5, 1.0, 2.0]  # horizon 4: the one origin whose target is day 4
    with pytest.raises(DataError, match=r"^last_known holds 3 opens for 4 days \(one per origin day\)$"):
        errors_by_horizon(real, {"model": forecasts}, [9, 10, 11])
