"""Honest scoring: the naive baseline, error metrics, a lag check and free-running forecasts."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import mean_absolute_error, mean_absolute_percentage_error, root_mean_squared_error

from .errors import DataError
from .features import scale, unscale
from .values import check_whole, check_window


def naive_forecast(train_open, test_open) -> np.ndarray:
    """Predict each test day's open as the previous trading day's real open."""
    train_open = np.asarray(train_open, dtype=float).ravel()
    test_open = np.asarray(test_open, dtype=float).ravel()
    return np.concatenate([train_open[-1:], test_open[:-1]])


def forecast_metrics(real, predicted) -> dict[str, float]:
    """RMSE and MAE in dollars, MAPE in percent."""
    real = np.asarray(real, dtype=float).ravel()
    predicted = np.asarray(predicted, dtype=float).ravel()
    if real.shape != predicted.shape or real.size == 0:
        raise ValueError(f"need equally long, non-empty series; got {real.size} real and {predicted.size} predicted values")
    return {
        "rmse": float(root_mean_squared_error(real, predicted)),
        "mae": float(mean_absolute_error(real, predicted)),
        "mape": float(100 * mean_absolute_percentage_error(real, predicted)),
    }


def compare_with_naive(real, forecasts: dict[str, np.ndarray], naive) -> pd.DataFrame:
    """One row per forecast plus the naive baseline, with each RMSE relative to the baseline's."""
    rows = {name: forecast_metrics(real, values) for name, values in forecasts.items()}
    rows["naive (yesterday's open)"] = forecast_metrics(real, naive)
    table = pd.DataFrame(rows).T
    table["rmse / naive rmse"] = table["rmse"] / rows["naive (yesterday's open)"]["rmse"]
    table.columns = ["RMSE ($)", "MAE ($)", "MAPE (%)", "RMSE / naive RMSE"]
    return table.round(3)


def lag_diagnostic(real, predicted, previous_real) -> dict[str, float]:
    """Does the forecast track today's price, or just echo yesterday's?

    ``corr_today`` and ``corr_yesterday`` are the correlations of the forecast
    with the real open of the same day and of the day before;
    ``direction_accuracy`` is the share of days on which the forecast moved
    away from yesterday's open in the direction the real price moved.
    """
    real, predicted, previous_real = (np.asarray(v, dtype=float).ravel() for v in (real, predicted, previous_real))
    real_move = np.sign(real - previous_real)
    predicted_move = np.sign(predicted - previous_real)
    return {
        "corr_today": float(np.corrcoef(predicted, real)[0, 1]),
        "corr_yesterday": float(np.corrcoef(predicted, previous_real)[0, 1]),
        "direction_accuracy": float(np.mean(real_move == predicted_move)),
    }


def free_running_forecast(model, scaler, train_open, steps: int, window: int = 60) -> np.ndarray:
    """Forecast ``steps`` days ahead feeding each prediction back as the next input.

    Only training prices go in: unlike the one-step forecast, no real test
    value is ever seen, so this is what the model could have said on the last
    training day.
    """
    window = check_window(window)
    history = list(scale(scaler, np.asarray(train_open, dtype=float)[-window:]))
    forecast = []
    for _ in range(steps):
        inputs = np.asarray(history[-window:], dtype="float32").reshape(1, window, 1)
        next_value = float(np.asarray(model.predict_on_batch(inputs)).ravel()[0])
        forecast.append(next_value)
        history.append(next_value)
    return unscale(scaler, forecast)


def forecast_summary(real, predicted, naive, free_running=None) -> dict[str, float]:
    """Every figure reported for one forecast, keyed as in the CLI's JSON."""
    summary = forecast_metrics(real, predicted)
    summary.update({f"naive_{key}": value for key, value in forecast_metrics(real, naive).items()})
    summary["rmse_ratio"] = summary["rmse"] / summary["naive_rmse"]
    summary.update(lag_diagnostic(real, predicted, naive))
    if free_running is not None:
        summary.update({f"free_running_{key}": value for key, value in forecast_metrics(real, free_running).items()})
    return summary


def experiment_record(prices, run, predicted, free_running, *, units, dropout, seed, window) -> dict:
    """Settings, timings, metrics and forecasts of one trained model, as saved and as the CLI prints."""
    import keras

    naive = naive_forecast(prices.train_open, prices.test_open)
    return {
        "ticker": prices.ticker,
        "units": units,
        "dropout": dropout,
        "epochs": run.epochs,
        "seed": seed,
        "window": window,
        "keras_backend": keras.backend.backend(),
        "fit_seconds": run.seconds,
        "loaded": getattr(run, "loaded", False),
        "final_loss": run.final_loss,
        **forecast_summary(prices.test_open, predicted, naive, free_running),
        "dates": [f"{day:%Y-%m-%d}" for day in prices.test_dates],
        "predictions": [float(value) for value in predicted],
        "free_running": [float(value) for value in free_running],
    }


# The one rule for calling a forecast better or worse than the naive one (notebooks, CLI, docs): an RMSE
# within 5% of the naive forecast's is "about as well", since a single seed moves the RMSE by about that much.
BEATS_NAIVE_BELOW = 0.95
WORSE_THAN_NAIVE_ABOVE = 1.05


def naive_comparison(ratio: float) -> str:
    """How a model did against the naive forecast, from its RMSE ratio (model RMSE / naive RMSE).

    The ratio is judged as it is shown, to two decimals, so the figure printed
    next to the phrase never contradicts it: below 0.95 the model beats the naive
    forecast, from 0.95 to 1.05 it does about as well, above 1.05 it does worse.
    """
    if not np.isfinite(ratio) or ratio < 0:
        raise ValueError(f"RMSE ratio must be a non-negative number, got {ratio!r} (is the naive RMSE zero?)")
    shown = round(float(ratio), 2)
    if shown < BEATS_NAIVE_BELOW:
        return "beats the naive forecast"
    if shown <= WORSE_THAN_NAIVE_ABOVE:
        return "does about as well as the naive forecast, within 5%"
    return "does worse than the naive forecast, which just repeats yesterday's open"


# naive_comparison's three answers as short column names, for tables that count runs or months by verdict.
VERDICT_COLUMNS = {"beats": "beats the naive forecast", "about as well": "does about as well as the naive forecast",
                   "worse": "does worse than the naive forecast"}


def verdict_column(ratio: float) -> str:
    """Which of VERDICT_COLUMNS :func:`naive_comparison` gives ``ratio``."""
    words = naive_comparison(ratio)
    return next(column for column, start in VERDICT_COLUMNS.items() if words.startswith(start))


def verdict_counts(verdicts) -> dict[str, str]:
    """``{"beats": "2 of 13", "about as well": ..., "worse": ...}`` from a list of VERDICT_COLUMNS keys."""
    verdicts = list(verdicts)
    return {column: f"{verdicts.count(column)} of {len(verdicts)}" for column in VERDICT_COLUMNS}


def verdict(summary: dict) -> str:
    """One honest sentence on how the model did against the naive baseline."""
    ratio = summary["rmse_ratio"]
    return (
        f"One-step LSTM RMSE ${summary['rmse']:.2f} vs naive ${summary['naive_rmse']:.2f} "
        f"(ratio {ratio:.2f}): the model {naive_comparison(ratio)}. Free-running, without seeing any January price, "
        f"its RMSE is ${summary['free_running_rmse']:.2f}."
    )


def describe_lag(diagnostic: dict) -> str:
    """The lag diagnostic as three readable lines and a one-line reading of them."""
    today, yesterday = diagnostic["corr_today"], diagnostic["corr_yesterday"]
    if max(today, yesterday) <= 0:
        # Neither positive (-0.1 is above -0.9, but both move against the price): it follows neither day.
        reading = "it follows neither day's open: neither correlation is positive, so it does not move with the price"
    elif yesterday > today:
        reading = "it follows yesterday's open more closely than today's: mostly an echo of the last price"
    else:
        reading = "it follows today's open more closely than yesterday's"
    return "\n".join([
        f"correlation with the same day's real open:  {diagnostic['corr_today']:+.3f}",
        f"correlation with the previous day's open:   {diagnostic['corr_yesterday']:+.3f}",
        f"direction of the daily move guessed right:  {diagnostic['direction_accuracy']:.0%} of days",
        f"Reading: {reading}.",
    ])


# A p-value below this is called evidence of a difference (the usual 5%); one threshold for every test shown.
SIGNIFICANCE_LEVEL = 0.05


def diebold_mariano(real, forecast_a, forecast_b, horizon: int = 1) -> tuple[float, float]:
    """Are two forecasts' squared errors different by more than luck? The Diebold-Mariano test, as (statistic, p-value).

    With the errors ``e_a = real - forecast_a`` and ``e_b = real - forecast_b``
    on ``n`` days, the loss differential is ``d_t = e_a,t^2 - e_b,t^2`` and::

        gamma_k = (1/n) * sum over t > k of (d_t - mean(d)) * (d_(t-k) - mean(d))
        V       = gamma_0 + 2 * (gamma_1 + ... + gamma_(h-1))        (h = horizon)
        DM      = mean(d) / sqrt(V / n)
        DM*     = DM * sqrt((n + 1 - 2h + h(h - 1) / n) / n)          (Harvey, Leybourne and Newbold's correction)
        p       = 2 * P(T > |DM*|), T Student's t with n - 1 degrees of freedom

    A negative statistic means forecast a has the smaller squared errors.
    ``horizon`` is how many days ahead the forecasts were made: errors of
    h-step forecasts overlap, so h - 1 autocovariances enter the variance.
    When the squared errors are the same every day there is no difference to
    test: the answer is (0.0, 1.0).
    """
    real, forecast_a, forecast_b = (np.asarray(values, dtype=float).ravel() for values in (real, forecast_a, forecast_b))
    n = real.size
    if not n == forecast_a.size == forecast_b.size:
        raise DataError(f"Diebold-Mariano test: need equally long series; got {n} real values and forecasts of "
                        f"{forecast_a.size} and {forecast_b.size}")
    if n < 2:
        raise DataError(f"Diebold-Mariano test: needs at least 2 days, got {n}")
    if not np.isfinite(np.concatenate([real, forecast_a, forecast_b])).all():
        raise DataError("Diebold-Mariano test: a real value or a forecast is missing or not a finite number")
    horizon = check_whole(horizon, "horizon", 1, n - 1, "the forecast horizon", of="days")
    differential = (real - forecast_a) ** 2 - (real - forecast_b) ** 2
    if not differential.any():
        return 0.0, 1.0
    deviation = differential - differential.mean()
    autocovariances = [deviation[k:] @ deviation[:n - k] / n for k in range(horizon)]
    variance = autocovariances[0] + 2 * sum(autocovariances[1:])
    if variance <= 0:
        raise DataError(f"Diebold-Mariano test: the loss differential's long-run variance is {variance:.3g}, not positive, "
                        f"so no statistic can be computed (horizon {horizon}; try horizon 1)")
    statistic = differential.mean() / np.sqrt(variance / n)
    statistic *= np.sqrt((n + 1 - 2 * horizon + horizon * (horizon - 1) / n) / n)
    return float(statistic), float(2 * stats.t.sf(abs(statistic), df=n - 1))


def describe_dm(statistic: float, p_value: float, name_a: str, name_b: str) -> str:
    """What a Diebold-Mariano result means, in one sentence (judged on the p-value as shown, to two significant digits)."""
    shown = float(f"{p_value:.2g}")
    chance = "less than 0.1%" if shown < 0.001 else f"{100 * shown:g}%"
    said = "p < 0.001" if shown < 0.001 else f"p = {shown:g}"
    luck = (f"DM = {statistic:+.2f}, {said}: if {name_a} and {name_b} were equally accurate, a difference at least this "
            f"large would happen by luck alone {chance} of the time")
    if shown >= SIGNIFICANCE_LEVEL:
        return f"{luck}; that is not below {SIGNIFICANCE_LEVEL:.0%}, so no evidence that {name_a} differs from {name_b}."
    better, worse = (name_a, name_b) if statistic < 0 else (name_b, name_a)
    return f"{luck}; below {SIGNIFICANCE_LEVEL:.0%}, so evidence that {better} is more accurate than {worse}."
