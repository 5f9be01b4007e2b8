"""Metrics, the naive baseline, the lag check and the free-running loop on hand-computed cases."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from utils.errors import DataError
from utils.evaluation import (
    SIGNIFICANCE_LEVEL,
    compare_with_naive,
    describe_dm,
    describe_lag,
    diebold_mariano,
    experiment_record,
    forecast_metrics,
    forecast_summary,
    free_running_forecast,
    lag_diagnostic,
    naive_comparison,
    naive_forecast,
    verdict,
    verdict_column,
    verdict_counts,
)
from utils.features import fit_scaler


def test_metrics_by_hand():
    real, predicted = [100.0, 200.0, 400.0], [110.0, 190.0, 400.0]
    metrics = forecast_metrics(real, predicted)
    assert metrics["rmse"] == pytest.approx(math.sqrt((100 + 100 + 0) / 3))
    assert metrics["mae"] == pytest.approx(20 / 3)
    assert metrics["mape"] == pytest.approx(100 * (0.1 + 0.05 + 0) / 3)


def test_metrics_reject_mismatched_lengths():
    with pytest.raises(ValueError, match="equally long"):
        forecast_metrics([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="non-empty"):
        forecast_metrics([], [])
    assert forecast_metrics([10.0], [12.0]) == {"rmse": 2.0, "mae": 2.0, "mape": 20.0}  # one day is a forecast too


def test_prices_written_as_text_or_whole_dollars_are_read_as_numbers():
    # A price column read from a CSV as text, or whole-dollar prices: the baseline and the metrics are in dollars.
    naive = naive_forecast(["1", "2"], ["3", "5"])
    assert naive.dtype == float and naive.tolist() == [2.0, 3.0]
    assert forecast_metrics(["4", "6"], ["3", "5"])["rmse"] == 1.0
    assert lag_diagnostic(["1", "3", "2"], ["1", "3", "2"], ["0", "1", "3"])["corr_today"] == pytest.approx(1.0)


def test_naive_forecast_is_the_previous_real_open():
    assert naive_forecast([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]).tolist() == [3.0, 4.0, 5.0]


def test_comparison_table_includes_the_baseline_and_ratio():
    table = compare_with_naive([10.0, 12.0], {"model": [10.0, 13.0]}, naive=[9.0, 10.0])
    assert table.loc["model", "RMSE ($)"] == pytest.approx(math.sqrt(0.5), abs=1e-3)
    naive_rmse = math.sqrt((1 + 4) / 2)
    assert table.loc["naive (yesterday's open)", "RMSE ($)"] == pytest.approx(naive_rmse, abs=1e-3)
    assert table.loc["model", "RMSE / naive RMSE"] == pytest.approx(math.sqrt(0.5) / naive_rmse, abs=1e-3)
    assert list(table.columns) == ["RMSE ($)", "MAE ($)", "MAPE (%)", "RMSE / naive RMSE"]
    assert table.loc["model", "MAE ($)"] == 0.5 and table.loc["model", "MAPE (%)"] == 4.167
    assert table.loc["model", "RMSE ($)"] == 0.707  # three decimals, as the notebooks show it


def test_lag_diagnostic_spots_an_echo():
    real = np.array([10.0, 12.0, 11.0, 15.0, 14.0, 18.0])
    previous = np.array([9.0, 10.0, 12.0, 11.0, 15.0, 14.0])
    echo = lag_diagnostic(real, previous + 0.01, previous)  # a forecast that repeats yesterday
    assert echo["corr_yesterday"] == pytest.approx(1.0) and echo["corr_today"] < 1
    assert echo["direction_accuracy"] == pytest.approx(4 / 6)  # +0.01 is "up": right on the up days
    perfect = lag_diagnostic(real, real, previous)
    assert perfect["corr_today"] == pytest.approx(1.0) and perfect["direction_accuracy"] == 1.0
    assert perfect["corr_yesterday"] == pytest.approx(np.corrcoef(real, previous)[0, 1]) and perfect["corr_yesterday"] < 1


def lag_text(corr_today: float, corr_yesterday: float) -> str:
    return describe_lag({"corr_today": corr_today, "corr_yesterday": corr_yesterday, "direction_accuracy": 0.5})


def test_describe_lag_reads_the_correlations_the_right_way_round():
    echo = lag_text(0.80, 0.95)
    assert echo.splitlines() == [
        "correlation with the same day's real open:  +0.800",
        "correlation with the previous day's open:   +0.950",
        "direction of the daily move guessed right:  50% of days",
        "Reading: it follows yesterday's open more closely than today's: mostly an echo of the last price.",
    ]
    assert lag_text(0.95, 0.80).endswith("Reading: it follows today's open more closely than yesterday's.")
    assert lag_text(0.90, 0.90).endswith("Reading: it follows today's open more closely than yesterday's.")
    assert lag_text(0.30, -0.20).endswith("Reading: it follows today's open more closely than yesterday's.")


@pytest.mark.parametrize("corr_today, corr_yesterday", [(-0.9, -0.1), (-0.1, -0.9), (0.0, -0.5)])
def test_describe_lag_never_says_a_forecast_follows_a_price_it_moves_against(corr_today, corr_yesterday):
    # -0.1 is above -0.9, but a forecast that moves against both days' opens follows neither.
    reading = lag_text(corr_today, corr_yesterday).splitlines()[-1]
    assert reading == ("Reading: it follows neither day's open: neither correlation is positive, so it does not move "
                       "with the price.")


class RecordingModel:
    """Predicts the mean of its window plus one, and remembers every window it was given."""

    def __init__(self):
        self.seen = []

    def predict_on_batch(self, inputs):
        self.seen.append(np.array(inputs).ravel().copy())
        return np.array([[inputs.mean() + 0.1]])


@pytest.mark.parametrize(("today", "yesterday", "reading"), [
    (0.9, 0.95, "follows yesterday's open more closely than today's"),
    (0.95, 0.9, "follows today's open more closely than yesterday's"),
    (-0.3, 0.4, "follows yesterday's open more closely"),
    # Both negative (a 1-epoch run's figures): the forecast follows neither day, whichever is less negative.
    (-0.609, -0.638, "follows neither day's open: neither correlation is positive"),
    (-0.638, -0.609, "follows neither day's open: neither correlation is positive"),
])
def test_describe_lag_reads_the_correlations_by_their_sign(today, yesterday, reading):
    text = describe_lag({"corr_today": today, "corr_yesterday": yesterday, "direction_accuracy": 0.5})
    assert text.splitlines()[-1].startswith(f"Reading: it {reading}")


def test_free_running_forecast_feeds_back_its_own_predictions():
    train = np.arange(1.0, 11.0)  # scaled: (x - 1) / 9
    scaler = fit_scaler(train)
    model = RecordingModel()
    forecast = free_running_forecast(model, scaler, train, steps=3, window=4)
    assert len(forecast) == 3 and len(model.seen) == 3
    scaled_train = (train - 1) / 9
    assert np.allclose(model.seen[0], scaled_train[-4:], atol=1e-6)
    first = scaled_train[-4:].mean() + 0.1
    assert np.allclose(model.seen[1], [*scaled_train[-3:], first], atol=1e-6)
    assert forecast[0] == pytest.approx(first * 9 + 1, rel=1e-5)


class CountingModel:
    """Predicts 10, 11, 12, ... (far outside the scaled training range 0..1), remembering every window it was given."""

    def __init__(self):
        self.seen = []

    def predict_on_batch(self, inputs):
        self.seen.append(np.array(inputs).ravel().copy())
        return np.array([[10.0 + len(self.seen) - 1]])


def test_free_running_forecast_sees_only_training_values_and_its_own_outputs():
    # Window k holds the last (window - k) scaled training values, then the model's first k outputs, in order:
    # no January price (nor anything else) can enter.
    train, window = np.arange(1.0, 11.0), 4
    scaled_train = (train - 1) / 9
    model = CountingModel()
    forecast = free_running_forecast(model, fit_scaler(train), train, steps=6, window=window)
    outputs = [10.0 + step for step in range(6)]
    for step, seen in enumerate(model.seen):
        expected = np.concatenate([scaled_train[len(train) - window + step:], outputs[:step]])[-window:]
        np.testing.assert_allclose(seen, expected, atol=1e-6, err_msg=f"window {step}")
    np.testing.assert_allclose(forecast, np.array(outputs) * 9 + 1, rtol=1e-5)


def test_summary_and_verdict_report_the_baseline():
    real, naive = [10.0, 12.0, 11.0], [9.0, 10.0, 12.0]
    summary = forecast_summary(real, [10.5, 11.0, 11.5], naive, free_running=[10.0, 10.0, 10.0])
    assert summary["rmse_ratio"] == pytest.approx(summary["rmse"] / summary["naive_rmse"])
    # Each forecast against the real opens: the free-running one is not scored against the naive one.
    assert summary["free_running_rmse"] == pytest.approx(math.sqrt((0 + 4 + 1) / 3))
    assert summary["free_running_mae"] == pytest.approx(1.0)
    assert summary["naive_rmse"] == pytest.approx(math.sqrt((1 + 4 + 1) / 3))
    assert summary["corr_yesterday"] == pytest.approx(np.corrcoef([10.5, 11.0, 11.5], naive)[0, 1])
    assert "free_running_rmse" not in forecast_summary(real, [10.5, 11.0, 11.5], naive)
    assert {"mae", "mape", "naive_mae", "naive_mape", "free_running_rmse", "direction_accuracy"} <= set(summary)
    assert "beats the naive forecast" in verdict(summary)
    assert naive_comparison(summary["rmse_ratio"]) in verdict(summary)
    assert "does worse" in verdict(forecast_summary(real, [20.0, 0.0, 20.0], naive, [1, 1, 1]))


@pytest.mark.parametrize(("ratio", "phrase"), [
    (0.9449, "beats"),
    (0.9451, "about as well"),  # shown as 0.95: judged as shown
    (0.95, "about as well"),
    (1.0, "about as well"),
    (1.02, "about as well"),
    (1.05, "about as well"),
    (1.0549, "about as well"),  # shown as 1.05
    (1.0551, "does worse"),
    (1.92, "does worse"),
])
def test_naive_comparison_boundaries(ratio, phrase):
    assert phrase in naive_comparison(ratio)


@pytest.mark.parametrize("ratio", [float("nan"), float("inf"), -0.5])
def test_naive_comparison_rejects_a_ratio_that_is_not_one(ratio):
    with pytest.raises(ValueError, match="RMSE ratio"):
        naive_comparison(ratio)


@pytest.mark.parametrize("ratio", [0.97, 1.03])
def test_cli_report_uses_the_same_rule(ratio):
    # A ratio just under 1 is "about as well", not "beats", in the CLI's report as in the notebooks.
    from utils.tools.cli import format_report

    result = {"ticker": "GOOG", "units": 50, "dropout": 0.0, "epochs": 100, "window": 60, "seed": 1,
              "fit_seconds": 80.0, "rmse": 18.0 * ratio, "mae": 14.0, "mape": 1.3, "naive_rmse": 18.0,
              "naive_mae": 14.0, "naive_mape": 1.3, "free_running_rmse": 27.0, "rmse_ratio": ratio}
    report = format_report(result)
    assert f"= {ratio:.2f}: the model {naive_comparison(ratio)}" in report
    assert "beats" not in report


def test_the_three_readings_word_for_word_and_a_perfect_forecast_beats_naive():
    assert naive_comparison(0.0) == "beats the naive forecast"  # RMSE 0: every day right
    assert naive_comparison(1.0) == "does about as well as the naive forecast, within 5%"
    assert naive_comparison(2.0) == "does worse than the naive forecast, which just repeats yesterday's open"


class ShapeModel:
    """Predicts 0.5, remembering the array it was given each time."""

    def __init__(self):
        self.inputs = []

    def predict_on_batch(self, inputs):
        self.inputs.append(inputs)
        return np.array([[0.5]])


def test_free_running_forecast_gives_the_model_one_float32_window_of_the_workshops_length():
    train = np.arange(1.0, 66.0)  # 65 days: more than one window, fewer than two
    model = ShapeModel()
    free_running_forecast(model, fit_scaler(train), train, steps=2)
    assert [(batch.shape, batch.dtype) for batch in model.inputs] == [((1, 60, 1), np.float32)] * 2
    np.testing.assert_allclose(model.inputs[0].ravel(), (train[-60:] - 1) / 64, atol=1e-6)


def test_experiment_record_holds_the_settings_timings_metrics_and_forecasts():
    import types

    import pandas as pd

    from utils.backend import load_keras

    keras = load_keras()
    prices = types.SimpleNamespace(ticker="GOOG", train_open=np.array([8.0, 9.0]), test_open=np.array([10.0, 12.0]),
                                   test_dates=pd.Series(pd.to_datetime(["2019-01-02", "2019-01-03"])))
    run = types.SimpleNamespace(epochs=3, seconds=4.5, final_loss=0.25)  # a run that does not say it was loaded
    record = experiment_record(prices, run, np.array([10.5, 11.0]), np.array([9.0, 9.5]),
                               units=8, dropout=0.2, seed=7, window=2)
    summary = forecast_summary(prices.test_open, [10.5, 11.0], [9.0, 10.0], [9.0, 9.5])
    assert record == {"ticker": "GOOG", "units": 8, "dropout": 0.2, "epochs": 3, "seed": 7, "window": 2,
                      "keras_backend": keras.backend.backend(), "fit_seconds": 4.5, "loaded": False, "final_loss": 0.25,
                      **summary, "dates": ["2019-01-02", "2019-01-03"], "predictions": [10.5, 11.0],
                      "free_running": [9.0, 9.5]}
    assert experiment_record(prices, types.SimpleNamespace(**vars(run), loaded=True), np.array([10.5, 11.0]),
                             np.array([9.0, 9.5]), units=8, dropout=0.2, seed=7, window=2)["loaded"] is True


# Squared errors 1, 4, 9, 0 against 0, 1, 1, 1: the loss differential d is 1, 3, 8, -1, its mean 11/4.
DM_REAL, DM_A, DM_B = [0.0, 0.0, 0.0, 0.0], [1.0, 2.0, 3.0, 0.0], [0.0, 1.0, 1.0, 1.0]
DM_DEVIATIONS = [-1.75, 0.25, 5.25, -3.75]


def student_t_two_sided_p(statistic: float) -> float:
    """P(|T| > statistic) for Student's t with 3 degrees of freedom, from its closed-form distribution function."""
    x = statistic / math.sqrt(3)
    return 1 - 2 / math.pi * (x / (1 + x * x) + math.atan(x))


def test_diebold_mariano_by_hand():
    variance = sum(v * v for v in DM_DEVIATIONS) / 4  # gamma_0 = 44.75 / 4
    statistic = 2.75 / math.sqrt(variance / 4) * math.sqrt((4 + 1 - 2) / 4)  # with the small-sample correction, h = 1
    dm, p = diebold_mariano(DM_REAL, DM_A, DM_B)
    assert dm == pytest.approx(statistic, rel=1e-12) and dm == pytest.approx(1.42406, abs=1e-5)
    assert p == pytest.approx(student_t_two_sided_p(statistic), rel=1e-9)


def test_diebold_mariano_over_two_days_ahead_adds_the_first_autocovariance():
    gamma_0 = sum(v * v for v in DM_DEVIATIONS) / 4
    gamma_1 = sum(a * b for a, b in zip(DM_DEVIATIONS[1:], DM_DEVIATIONS[:-1])) / 4  # -18.8125 / 4
    statistic = 2.75 / math.sqrt((gamma_0 + 2 * gamma_1) / 4) * math.sqrt((4 + 1 - 4 + 2 / 4) / 4)
    dm, p = diebold_mariano(DM_REAL, DM_A, DM_B, horizon=2)
    assert dm == pytest.approx(statistic, rel=1e-12) and dm == pytest.approx(2.52357, abs=1e-5)
    assert p == pytest.approx(student_t_two_sided_p(statistic), rel=1e-9)


def test_diebold_mariano_is_symmetric_in_its_two_forecasts():
    real = np.sin(np.arange(30.0)) + np.arange(30.0)
    a, b = real + np.cos(np.arange(30.0) * 3), real - 0.5 + np.arange(30.0) % 2
    forward, backward = diebold_mariano(real, a, b), diebold_mariano(real, b, a)
    assert backward[0] == pytest.approx(-forward[0]) and backward[1] == pytest.approx(forward[1])
    assert 0 < forward[1] < 1


def test_diebold_mariano_of_forecasts_with_the_same_errors_finds_no_difference():
    # Identical forecasts, or errors of the same size on each day: nothing to test, and no division by zero.
    assert diebold_mariano([1.0, 2.0, 3.0], [1.5, 2.5, 3.5], [1.5, 2.5, 3.5]) == (0.0, 1.0)
    assert diebold_mariano([1.0, 2.0, 3.0], [1.5, 1.5, 3.5], [0.5, 2.5, 2.5], horizon=2) == (0.0, 1.0)


def test_diebold_mariano_of_a_clear_winner_is_significant():
    real = np.arange(50.0)
    dm, p = diebold_mariano(real, real + 0.1 * np.cos(real), real + 3 + np.sin(real))
    assert dm < -5 and p < 1e-6


@pytest.mark.parametrize(("arguments", "message"), [
    (([1.0, 2.0], [1.0], [1.0, 2.0]),
     "Diebold-Mariano test: need equally long series; got 2 real values and forecasts of 1 and 2"),
    (([1.0, 2.0], [1.0, 2.0], [1.0]),
     "Diebold-Mariano test: need equally long series; got 2 real values and forecasts of 2 and 1"),
    (([1.0], [1.0], [2.0]), "Diebold-Mariano test: needs at least 2 days, got 1"),
    (([], [], []), "Diebold-Mariano test: needs at least 2 days, got 0"),
    (([1.0, np.nan], [1.0, 2.0], [1.0, 2.0]), "Diebold-Mariano test: a real value or a forecast is missing"),
    (([1.0, 2.0], [1.0, 2.0], [1.0, np.inf]), "Diebold-Mariano test: a real value or a forecast is missing"),
    (([1.0, 2.0, 3.0], [1.0, 2.0, 4.0], [2.0, 2.0, 3.0], 3),
     "horizon=3: the forecast horizon must be a whole number of days, from 1 to 2"),
    (([1.0, 2.0, 3.0], [1.0, 2.0, 4.0], [2.0, 2.0, 3.0], 0),
     "horizon=0: the forecast horizon must be a whole number of days, from 1 to 2"),
    # Differentials 4, -1, 4, -1, 4, -1: gamma_0 = 6.25, gamma_1 = -31.25 / 6, so gamma_0 + 2 gamma_1 = -4.17 (two days ahead).
    (([0.0] * 6, [2.0, 0.0] * 3, [0.0, 1.0] * 3, 2),
     "Diebold-Mariano test: the loss differential's long-run variance is -4.17, not positive"),
])
def test_diebold_mariano_rejects_what_it_cannot_test_in_one_line(arguments, message):
    with pytest.raises(DataError, match=f"^{re.escape(message)}"):
        diebold_mariano(*arguments)


def test_describe_dm_says_what_the_p_value_means():
    assert SIGNIFICANCE_LEVEL == 0.05
    assert describe_dm(1.234, 0.3141, "ARIMA", "naive") == (
        "DM = +1.23, p = 0.31: if ARIMA and naive were equally accurate, a difference at least this large would happen "
        "by luck alone 31% of the time; that is not below 5%, so no evidence that ARIMA differs from naive.")
    assert describe_dm(-2.5, 0.0123, "ARIMA", "naive").endswith(
        "by luck alone 1.2% of the time; below 5%, so evidence that ARIMA is more accurate than naive.")
    assert describe_dm(4.0, 0.0004, "drift", "naive").startswith("DM = +4.00, p < 0.001: if drift and naive")
    assert describe_dm(4.0, 0.0004, "drift", "naive").endswith(
        "less than 0.1% of the time; below 5%, so evidence that naive is more accurate than drift.")
    assert describe_dm(2.5, 0.001, "drift", "naive").startswith("DM = +2.50, p = 0.001:")
    # Judged as shown: 0.0496 is shown as 0.05, which is not below 5%.
    assert describe_dm(-2.0, 0.0496, "a", "b").endswith("by luck alone 5% of the time; that is not below 5%, so no "
                                                         "evidence that a differs from b.")
    assert describe_dm(-2.0, 0.0494, "a", "b").endswith("4.9% of the time; below 5%, so evidence that a is more "
                                                        "accurate than b.")


def test_describe_dm_names_the_better_forecast_by_the_statistics_sign_at_the_boundaries():
    # At p = 0.001 exactly the chance is shown, not "less than 0.1%".
    assert "by luck alone 0.1% of the time" in describe_dm(2.5, 0.001, "drift", "naive")
    # A statistic of 0 or between 0 and 1 (with a small p, as a test may pass) says b had the smaller errors.
    for statistic in (0.0, 0.5):
        assert describe_dm(statistic, 0.01, "a", "b").endswith("evidence that b is more accurate than a.")


def test_a_constant_loss_differential_has_no_variance_to_test():
    # Forecast a misses by 1 every day, b never: d_t = 1 on every day, so its variance is 0, not a statistic of infinity.
    with pytest.raises(DataError, match="long-run variance is 0, not positive"):
        diebold_mariano([0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0])


def test_diebold_mariano_reads_whole_numbers_and_columns_as_floats():
    real, a, b = [10, 12, 11, 15], [11, 11, 13, 13], [10, 10, 10, 10]
    expected = diebold_mariano(np.array(real, dtype=float), np.array(a, dtype=float), np.array(b, dtype=float))
    assert diebold_mariano(np.array(real, dtype=np.int8), np.array(a, dtype=np.int8), np.array(b, dtype=np.int8)) == expected
    assert diebold_mariano(np.array(real)[:, None], a, b) == expected


@pytest.mark.parametrize("ratio, column", [(0.5, "beats"), (0.944, "beats"), (0.949, "about as well"), (1.051, "about as well"),
                                           (1.06, "worse")])
def test_verdict_column_is_naive_comparisons_answer_in_a_word(ratio, column):
    assert verdict_column(ratio) == column


def test_verdict_counts_count_each_verdict_out_of_all():
    assert verdict_counts(iter(["beats", "worse", "beats"])) == {"beats": "2 of 3", "about as well": "0 of 3",
                                                               "worse": "1 of 3"}
