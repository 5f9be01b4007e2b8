"""Forecasts without a network, to measure the LSTM against: naive, drift, moving average and ARIMA.

Every forecast here is one step ahead and walk-forward: the forecast for a
test day uses only the opens before that day, that is the training opens
followed by the test opens already seen. Nothing is trained on a test day's
own open or on any later one.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .data import Prices, prices_for_month
from .errors import DataError
from .evaluation import naive_forecast
from .values import check_whole

# The model column's names, in the order the tables show them.
NAIVE, DRIFT, MOVING_AVERAGE, ARIMA = "naive", "drift", "moving average", "ARIMA"
BASELINES = (NAIVE, DRIFT, MOVING_AVERAGE, ARIMA)
MOVING_AVERAGE_DAYS = 5
# The ARIMA orders tried, (p, d, q): prices are differenced once (d=1), and p and q go from 0 to 2.
ARIMA_ORDERS = tuple((p, 1, q) for p in range(3) for q in range(3))
# statsmodels' innovations maximum likelihood: a few times faster here than its default state-space fit, which twelve
# months of order searches need; the parameters it finds can differ slightly from the default's.
ARIMA_FIT_METHOD = "innovations_mle"
FRAME_COLUMNS = ("ticker", "test_month", "date", "model", "real", "forecast", "arima_order")


def _opens(values, name: str) -> np.ndarray:
    """``values`` as a flat array of finite floats, or one DataError line naming ``name``."""
    try:
        opens = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise DataError(f"{name}: not a series of numbers") from None
    if opens.size == 0:
        raise DataError(f"{name}: empty (no opens)")
    missing = ~np.isfinite(opens)
    if missing.any():
        raise DataError(f"{name}: value {float(opens[missing.argmax()])} at position {missing.argmax()} is not a finite number")
    return opens


def _split(train_open, test_open) -> tuple[np.ndarray, np.ndarray]:
    return _opens(train_open, "training opens"), _opens(test_open, "test opens")


def naive(train_open, test_open) -> np.ndarray:
    """Tomorrow's open equals today's: each test day's forecast is the open of the trading day before it."""
    return naive_forecast(*_split(train_open, test_open))


def drift(train_open, test_open) -> np.ndarray:
    """The last open plus the average daily change of all the opens so far.

    With the history ``y_1 .. y_n`` (the training opens and the test opens
    before the day), the forecast is ``y_n + (y_n - y_1) / (n - 1)``: a straight
    line from the first open through the last one, one day further.
    """
    train, test = _split(train_open, test_open)
    if train.size < 2:
        raise DataError(f"training opens: the drift forecast needs at least 2 (one daily change), got {train.size}")
    history = np.concatenate([train, test[:-1]])
    seen = np.arange(train.size, history.size + 1)  # n, the number of opens before each test day
    last = history[seen - 1]
    return last + (last - history[0]) / (seen - 1)


def moving_average(train_open, test_open, days: int = MOVING_AVERAGE_DAYS) -> np.ndarray:
    """The mean of the last ``days`` opens before each test day (``days=1`` is the naive forecast)."""
    days = check_whole(days, "days", 1, what="the number of days averaged")
    train, test = _split(train_open, test_open)
    if train.size < days:
        raise DataError(f"training opens: a {days}-day moving average needs at least {days}, got {train.size}")
    history = np.concatenate([train, test[:-1]])
    windows = np.lib.stride_tricks.sliding_window_view(history, days)
    return windows[train.size - days:].mean(axis=1)


def _arima_model(opens: np.ndarray, order: tuple[int, int, int]):
    from statsmodels.tsa.arima import model

    return model.ARIMA(opens, order=order)


def _quietly(compute, *args, **kwargs):
    # statsmodels warns that it differences the prices itself, and about convergence and start values on short or flat
    # series; the AIC judges each fit anyway. Only these calls are silenced.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compute(*args, **kwargs)


def _fitted_parameters(opens: np.ndarray, order: tuple[int, int, int]) -> np.ndarray:
    """The fitted parameters alone: building statsmodels' results object (a smoother pass) would double the time."""
    changes = np.diff(opens)
    if changes.size < 2 or (changes == changes[0]).all():
        raise DataError(f"training opens: an ARIMA needs daily changes that vary, and these {opens.size} opens have "
                        f"{np.unique(changes).size} distinct daily change(s)")
    try:
        return _quietly(_arima_model(opens, order).fit, method=ARIMA_FIT_METHOD, return_params=True)
    except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:  # too few opens, or no change to model
        raise DataError(f"training opens: statsmodels cannot fit {order_label(order)} to these {opens.size} opens "
                        f"({exc})") from None


def arima_aic(train_open, order: tuple[int, int, int]) -> float:
    """AIC of the ARIMA of ``order`` fitted to the opens: 2 x (number of parameters) - 2 x log-likelihood."""
    opens = _opens(train_open, "training opens")
    parameters = _fitted_parameters(opens, tuple(order))
    return float(2 * parameters.size - 2 * _quietly(_arima_model(opens, tuple(order)).loglike, parameters))


def choose_arima_order(train_open, orders=ARIMA_ORDERS) -> tuple[int, int, int]:
    """The order ``(p, d, q)`` of ``orders`` whose ARIMA fitted to the training opens has the lowest AIC.

    AIC (Akaike's information criterion) rewards a close fit and charges for
    every parameter, so an extra term must earn its place. Ties go to the
    order listed first, the smaller model.
    """
    train = _opens(train_open, "training opens")
    if not orders:
        raise DataError("ARIMA orders: none to choose from")
    aic, problems = {}, []
    for order in map(tuple, orders):
        try:
            aic[order] = arima_aic(train, order)
        except DataError as problem:  # a larger order may not fit a short series that a smaller one fits
            problems.append(problem)
    if not aic:
        raise problems[0]
    return min(aic, key=aic.get)


def _one_step_predictions(opens: np.ndarray, order: tuple[int, int, int], parameters: np.ndarray, first: int) -> np.ndarray:
    """The model's forecast of each open from ``first`` on, each from the opens before it (the Kalman filter's)."""
    filtered = _quietly(_arima_model(opens, order).filter, parameters)
    return np.asarray(filtered.predict(start=first, end=opens.size - 1), dtype=float)


def arima(train_open, test_open, order: tuple[int, int, int] | None = None, refit_daily: bool = False) -> np.ndarray:
    """One-step ARIMA forecasts of the test days, by statsmodels.

    The order is chosen on the training opens (:func:`choose_arima_order`)
    unless given. Its parameters are fitted to the training opens once; each
    test day's forecast then runs the fitted model over the opens before that
    day (the Kalman filter's one-step prediction), so a forecast sees every
    earlier open but never its own day's. With ``refit_daily`` the parameters
    are fitted again each test day to the opens before it: one fit per test day
    instead of one in all.
    """
    train, test = _split(train_open, test_open)
    order = choose_arima_order(train) if order is None else tuple(order)
    opens = np.concatenate([train, test])
    if not refit_daily:
        return _one_step_predictions(opens, order, _fitted_parameters(train, order), train.size)
    return np.array([_one_step_predictions(opens[:seen + 1], order, _fitted_parameters(opens[:seen], order), seen)[0]
                     for seen in range(train.size, opens.size)])


def order_label(order: tuple[int, int, int]) -> str:
    """``(1, 1, 0)`` -> ``ARIMA(1,1,0)``."""
    return f"{ARIMA}({','.join(str(int(term)) for term in order)})"


def baseline_forecasts(train_open, test_open, arima_order: tuple[int, int, int] | None = None) -> dict[str, np.ndarray]:
    """The four baselines' one-step forecasts of the test days, keyed by :data:`BASELINES`' names.

    Each value holds one forecast per test day. The ARIMA's order is chosen on
    the training opens unless ``arima_order`` gives it; call
    :func:`choose_arima_order` first to know (and show) the order used.
    """
    train, test = _split(train_open, test_open)
    return {
        NAIVE: naive(train, test),
        DRIFT: drift(train, test),
        MOVING_AVERAGE: moving_average(train, test),
        ARIMA: arima(train, test, order=arima_order),
    }


def walk_forward_baselines(prices: Prices, months, years: int | None = None, window: int = 60) -> pd.DataFrame:
    """The baselines over several test months, each trained on the days before its month.

    Each month is split as the sweep splits it (:func:`utils.data.prices_for_month`).
    One row per test day and model, with the columns of :data:`FRAME_COLUMNS`:
    ``date`` is ``YYYY-MM-DD`` text and ``arima_order`` names the ARIMA order
    chosen for the month on the ARIMA rows (``ARIMA(0,1,1)``), empty on the others.
    """
    months = [months] if isinstance(months, str) else list(months)
    if not months:
        raise DataError("test months: none given")
    parts = []
    for month in months:
        split = prices_for_month(prices, month, years=years, window=window)
        order = choose_arima_order(split.train_open)
        dates = [f"{day:%Y-%m-%d}" for day in split.test_dates]
        for model, forecast in baseline_forecasts(split.train_open, split.test_open, arima_order=order).items():
            parts.append(pd.DataFrame({
                "ticker": prices.ticker, "test_month": f"{split.test_dates.iloc[0]:%Y-%m}", "date": dates,
                "model": model, "real": split.test_open, "forecast": forecast,
                "arima_order": order_label(order) if model == ARIMA else "",
            }))
    return pd.concat(parts, ignore_index=True)
