"""Metrics, the naive baseline, the lag check and the free-running loop on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from utils.evaluation import (
    compare_with_naive,
    describe_lag,
    forecast_metrics,
    forecast_summary,
    free_running_forecast,
    lag_diagnostic,
    naive_comparison,
    naive_forecast,
    verdict,
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


def test_naive_forecast_is_the_previous_real_open():
    assert naive_forecast([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]).tolist() == [3.0, 4.0, 5.0]


def test_comparison_table_includes_the_baseline_and_ratio():
    table = compare_with_naive([10.0, 12.0], {"model": [10.0, 13.0]}, naive=[9.0, 10.0])
    assert table.loc["model", "RMSE ($)"] == pytest.approx(math.sqrt(0.5), abs=1e-3)
    naive_rmse = math.sqrt((1 + 4) / 2)
    assert table.loc["naive (yesterday's open)", "RMSE ($)"] == pytest.approx(naive_rmse, abs=1e-3)
    assert table.loc["model", "RMSE / naive RMSE"] == pytest.approx(math.sqrt(0.5) / naive_rmse, abs=1e-3)


def test_lag_diagnostic_spots_an_echo():
    real = np.array([10.0, 12.0, 11.0, 15.0, 14.0, 18.0])
    previous = np.array([9.0, 10.0, 12.0, 11.0, 15.0, 14.0])
    echo = lag_diagnostic(real, previous + 0.01, previous)  # a forecast that repeats yesterday
    assert echo["corr_yesterday"] == pytest.approx(1.0) and echo["corr_today"] < 1
    assert echo["direction_accuracy"] == pytest.approx(4 / 6)  # +0.01 is "up": right on the up days
    perfect = lag_diagnostic(real, real, previous)
    assert perfect["corr_today"] == pytest.approx(1.0) and perfect["direction_accuracy"] == 1.0


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
    (-0.609, -0.638, "follows neither day's open: both correlations are negative"),
    (-0.638, -0.609, "follows neither day's open: both correlations are negative"),
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
