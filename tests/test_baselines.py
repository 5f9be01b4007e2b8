"""The baselines on hand-made series: drift and moving average by hand, ARIMA on a known process, no peeking ahead."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import business_days, rows, write_prices

from utils import baselines
from utils.baselines import (
    ARIMA_ORDERS,
    BASELINES,
    FRAME_COLUMNS,
    arima,
    arima_aic,
    baseline_forecasts,
    choose_arima_order,
    drift,
    moving_average,
    naive,
    order_label,
    walk_forward_baselines,
)
from utils.data import load_prices
from utils.errors import DataError


def ar1_prices(days: int, phi: float = 0.6, seed: int = 0) -> np.ndarray:
    """Opens whose daily changes follow an AR(1) process: change_t = phi * change_(t-1) + noise, i.e. ARIMA(1,1,0)."""
    noise = np.random.default_rng(seed).normal(size=days)
    changes = np.zeros(days)
    for day in range(1, days):
        changes[day] = phi * changes[day - 1] + noise[day]
    return 500.0 + np.cumsum(changes)


PRICES = ar1_prices(240)
TRAIN, TEST = PRICES[:200], PRICES[200:]


def test_naive_is_the_open_of_the_day_before():
    assert naive([1.0, 2.0], [4.0, 7.0, 5.0]).tolist() == [2.0, 4.0, 7.0]


def test_drift_by_hand():
    # Day 1 sees 1, 2, 4: 4 + (4 - 1) / 2. Day 2 sees 1, 2, 4, 5: 5 + (5 - 1) / 3.
    assert drift([1.0, 2.0, 4.0], [5.0, 3.0]) == pytest.approx([5.5, 5 + 4 / 3])
    assert drift([10.0, 8.0], [0.0]).tolist() == [6.0]


def test_moving_average_by_hand():
    assert moving_average([1.0, 2.0, 3.0, 4.0], [10.0, 20.0, 30.0], days=2).tolist() == [3.5, 7.0, 15.0]
    assert moving_average([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [12.0, 0.0]).tolist() == [4.0, 6.0]  # five days by default
    assert moving_average([1.0, 2.0, 3.0], [3.0, 1.0], days=3).tolist() == [2.0, 8 / 3]
    assert moving_average([1.0, 2.0], [4.0, 7.0, 5.0], days=1).tolist() == naive([1.0, 2.0], [4.0, 7.0, 5.0]).tolist()


@pytest.mark.parametrize(("call", "message"), [
    (lambda: naive([], [1.0]), "training opens: empty (no opens)"),
    (lambda: drift([1.0, 2.0], []), "test opens: empty (no opens)"),
    (lambda: moving_average([1.0, np.nan, 3.0], [1.0]), "training opens: value nan at position 1 is not a finite number"),
    (lambda: naive([1.0], [2.0, np.inf]), "test opens: value inf at position 1 is not a finite number"),
    (lambda: naive(["1", "x"], [2.0]), "training opens: not a series of numbers"),
    (lambda: drift([3.0], [4.0]), "training opens: the drift forecast needs at least 2 (one daily change), got 1"),
    (lambda: moving_average([1.0, 2.0], [3.0], days=3), "training opens: a 3-day moving average needs at least 3, got 2"),
    (lambda: moving_average([1.0, 2.0], [3.0], days=0),
     "days=0: the number of days averaged must be a whole number, at least 1"),
    (lambda: moving_average([1.0, 2.0], [3.0], days=1.5),
     "days=1.5: the number of days averaged must be a whole number, at least 1"),
    (lambda: choose_arima_order([5.0] * 30),
     "training opens: an ARIMA needs daily changes that vary, and these 30 opens have 1 distinct daily change"),
    (lambda: choose_arima_order([5.0, 6.0, 8.0, 7.0], orders=[(2, 1, 2)]),
     "training opens: statsmodels cannot fit ARIMA(2,1,2) to these 4 opens ("),
    (lambda: choose_arima_order(TRAIN, orders=[]), "ARIMA orders: none to choose from"),
    (lambda: arima(TRAIN, [np.nan]), "test opens: value nan at position 0"),
])
def test_bad_input_is_one_line_naming_what_is_wrong(call, message):
    with pytest.raises(DataError, match=f"^{re.escape(message)}") as raised:
        call()
    assert "\n" not in str(raised.value)


def test_arima_finds_the_ar_term_of_an_ar_process():
    assert choose_arima_order(TRAIN, orders=[(0, 1, 0), (1, 1, 0)]) == (1, 1, 0)
    assert choose_arima_order(TRAIN) != (0, 1, 0)
    # The smaller model's AIC is higher; the order search takes the lowest.
    assert arima_aic(TRAIN, (1, 1, 0)) < arima_aic(TRAIN, (0, 1, 0)) - 10


def test_an_order_too_large_for_the_opens_is_left_out_of_the_choice():
    assert choose_arima_order([5.0, 6.0, 8.0, 7.0], orders=[(2, 1, 2), (0, 1, 0)]) == (0, 1, 0)


def test_arima_aic_is_statsmodels_own():
    from statsmodels.tsa.arima.model import ARIMA

    with pytest.warns(UserWarning, match="differenced"):  # statsmodels' own warning, which the baselines silence
        fitted = ARIMA(TRAIN, order=(1, 1, 0)).fit(method=baselines.ARIMA_FIT_METHOD)
    assert arima_aic(TRAIN, (1, 1, 0)) == pytest.approx(fitted.aic, rel=1e-9)


def test_arima_forecasts_the_change_it_learned():
    forecast = arima(TRAIN, TEST, order=(1, 1, 0))
    seen = np.concatenate([TRAIN, TEST[:-1]])
    last, last_change = seen[-TEST.size:], np.diff(seen)[-TEST.size:]
    # ARIMA(1,1,0): tomorrow = today + phi * today's change, with phi estimated near the 0.6 the prices were made with.
    phi = np.linalg.lstsq(last_change[:, None], forecast - last, rcond=None)[0][0]
    assert phi == pytest.approx(0.6, abs=0.15)
    assert forecast - last == pytest.approx(phi * last_change, abs=1e-6)
    naive_error = np.sqrt(np.mean((TEST - naive(TRAIN, TEST)) ** 2))
    assert np.sqrt(np.mean((TEST - forecast) ** 2)) < 0.95 * naive_error


def test_the_random_walk_arima_is_the_naive_forecast():
    assert arima(TRAIN, TEST, order=(0, 1, 0)) == pytest.approx(naive(TRAIN, TEST), abs=1e-6)


def test_statsmodels_warnings_are_silenced_only_inside_the_fits():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        choose_arima_order(TRAIN[:40])
        arima(TRAIN[:40], TEST[:3], order=(2, 1, 2))
        arima(TRAIN[:40], TEST[:3], order=(1, 1, 1), refit_daily=True)
        warnings.warn("still heard", UserWarning, stacklevel=1)
    assert [str(warning.message) for warning in caught] == ["still heard"]


def test_arima_chooses_its_order_on_the_training_opens_when_none_is_given():
    assert arima(TRAIN, TEST).tolist() == arima(TRAIN, TEST, order=choose_arima_order(TRAIN)).tolist()


def test_refitting_daily_fits_again_each_day():
    fixed = arima(TRAIN, TEST[:6], order=(1, 1, 0))
    refitted = arima(TRAIN, TEST[:6], order=(1, 1, 0), refit_daily=True)
    assert refitted[0] == pytest.approx(fixed[0], abs=1e-9)  # both fitted to the training opens alone
    assert not np.allclose(refitted[1:], fixed[1:], rtol=0, atol=1e-9)
    assert refitted == pytest.approx(fixed, abs=0.5)  # a few more days barely move the parameters


FORECASTERS = {
    "naive": naive,
    "drift": drift,
    "moving average": moving_average,
    "ARIMA": lambda train, test: arima(train, test, order=(1, 1, 1)),
    "ARIMA refitted daily": lambda train, test: arima(train, test, order=(1, 1, 0), refit_daily=True),
}


@pytest.mark.parametrize("name", FORECASTERS)
def test_no_forecast_sees_its_own_day_or_a_later_one(name):
    forecast = FORECASTERS[name]
    before = forecast(TRAIN, TEST[:8])
    changed = TEST[:8].copy()
    changed[4] += 50.0
    after = forecast(TRAIN, changed)
    assert before.shape == (8,)
    assert after[:5].tolist() == pytest.approx(before[:5].tolist(), abs=1e-9)  # days 0..4 come before the change
    assert not np.isclose(after[5], before[5])  # day 5 sees it


def test_baseline_forecasts_gives_the_four_for_every_test_day():
    forecasts = baseline_forecasts(TRAIN, TEST, arima_order=(0, 1, 0))
    assert tuple(forecasts) == BASELINES == ("naive", "drift", "moving average", "ARIMA")
    assert forecasts["naive"].tolist() == naive(TRAIN, TEST).tolist()
    assert forecasts["drift"].tolist() == drift(TRAIN, TEST).tolist()
    assert forecasts["moving average"].tolist() == moving_average(TRAIN, TEST, days=5).tolist()
    assert forecasts["ARIMA"] == pytest.approx(forecasts["naive"], abs=1e-6)  # the order given is the one used
    chosen = baseline_forecasts(TRAIN, TEST)["ARIMA"]
    assert chosen.tolist() == arima(TRAIN, TEST, order=choose_arima_order(TRAIN)).tolist()


def test_order_label():
    assert order_label((2, 1, 0)) == "ARIMA(2,1,0)"
    assert len(ARIMA_ORDERS) == 9 and {order[1] for order in ARIMA_ORDERS} == {1}


@pytest.fixture
def ticker(tmp_path):
    """A ticker with ARIMA(1,1,0) opens from 2017-01-02 to 2017-04-28, the last month in its test file."""
    dates = business_days("2017-01-02", 85)
    opens = ar1_prices(85, seed=3)
    test_days = [day for day in dates if day.month == 4]
    train_rows, test_rows = rows(dates[:-len(test_days)], opens[:-len(test_days)]), rows(test_days, opens[-len(test_days):])
    return load_prices("TEST", window=10, folder=write_prices(tmp_path, "TEST", train_rows, test_rows), verify=False)


def test_walk_forward_baselines_scores_each_month_on_the_days_before_it(ticker):
    frame = walk_forward_baselines(ticker, ["2017-03", "2017-04"], window=10)
    assert tuple(frame.columns) == FRAME_COLUMNS == ("ticker", "test_month", "date", "model", "real", "forecast",
                                                     "arima_order")
    march_days = [f"{day:%Y-%m-%d}" for day in pd.bdate_range("2017-03-01", "2017-03-31")]
    april_days = [f"{day:%Y-%m-%d}" for day in pd.bdate_range("2017-04-01", "2017-04-30")]
    assert len(frame) == 4 * (len(march_days) + len(april_days))
    march = frame[frame.test_month == "2017-03"]
    assert (march.ticker == "TEST").all()
    for model in BASELINES:
        rows_of_model = march[march.model == model]
        assert rows_of_model.date.tolist() == march_days
    opens = pd.concat([ticker.train, ticker.test]).set_index("Date")["Open"]
    before, during = opens[:"2017-02-28"].to_numpy(), opens["2017-03-01":"2017-03-31"].to_numpy()
    assert march[march.model == "naive"].real.tolist() == during.tolist()
    assert march[march.model == "drift"].forecast.tolist() == drift(before, during).tolist()
    order = choose_arima_order(before)
    assert march[march.model == "ARIMA"].forecast.tolist() == arima(before, during, order=order).tolist()
    assert set(march[march.model == "ARIMA"].arima_order) == {order_label(order)}
    assert set(frame[frame.model != "ARIMA"].arima_order) == {""}
    april = frame[(frame.test_month == "2017-04") & (frame.model == "naive")]
    assert april.forecast.iloc[0] == during[-1] and april.date.tolist() == april_days


def test_walk_forward_baselines_takes_one_month_as_text_and_the_years_of_history(ticker):
    frame = walk_forward_baselines(ticker, "2017-04", window=10)
    assert set(frame.test_month) == {"2017-04"}
    with pytest.raises(DataError, match="^test months: none given$"):
        walk_forward_baselines(ticker, [], window=10)
    with pytest.raises(DataError, match=r"^TEST, years=1 before 2017-04: needs prices from 2016-04-01"):
        walk_forward_baselines(ticker, ["2017-04"], years=1, window=10)
    with pytest.raises(DataError, match="^TEST, test month 2017-01: 0 training days before it"):
        walk_forward_baselines(ticker, ["2017-04", "2017-01"], window=10)
