"""Scaling and windowing: hand-checked cases and properties on generated series."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from utils.errors import DataError
from utils.features import daily_changes, fit_scaler, january_inputs, make_windows, scale, unscale

prices = arrays(np.float64, st.integers(2, 300), elements=st.floats(1.0, 1e5, allow_nan=False))


def test_windows_line_up_with_their_targets():
    series = np.arange(10.0)
    X, y = make_windows(series, window=3)
    assert X.shape == (7, 3, 1) and y.shape == (7,)
    assert X[0, :, 0].tolist() == [0, 1, 2] and y[0] == 3
    assert X[-1, :, 0].tolist() == [6, 7, 8] and y[-1] == 9


def test_chapter_shapes_follow_the_data_length():
    X, y = make_windows(np.linspace(0, 1, 1258), 60)
    assert X.shape == (1198, 60, 1) and y.shape == (1198,)
    X, y = make_windows(np.linspace(0, 1, 500), 60)
    assert X.shape == (440, 60, 1)


def test_too_short_series_is_a_clear_error():
    with pytest.raises(DataError, match=r"too short for a 60-day window \(it needs at least 61\)"):
        make_windows(np.ones(60), 60)
    with pytest.raises(DataError, match=r"59 training values cannot fill a 60-day window"):
        january_inputs(np.ones(59), np.ones(3), 60)
    assert january_inputs(np.ones(60), np.ones(3), 60).shape == (63,)  # exactly one window of training days is enough


def test_the_chapters_window_of_60_days_is_the_default():
    X, y = make_windows(np.arange(70.0))
    assert X.shape == (10, 60, 1) and y[0] == 60
    assert january_inputs(np.arange(100.0), np.arange(3.0)).tolist()[:2] == [40.0, 41.0]


def test_prices_read_as_text_or_whole_dollars_become_floats():
    # A CSV column read as text, or whole-dollar prices: windows and inputs hold floats, as Keras and the scaler expect.
    X, y = make_windows(["1", "2", "3", "4"], 2)
    assert X.dtype == y.dtype == float and y.tolist() == [3.0, 4.0]
    inputs = january_inputs(["1", "2"], ["3"], 2)
    assert inputs.dtype == float and inputs.tolist() == [1.0, 2.0, 3.0]
    assert scale(fit_scaler(["10", "20"]), ["15"]).tolist() == [0.5]


def test_january_inputs_are_the_last_window_of_training_then_every_test_value():
    train, test = np.arange(100.0), np.arange(1000.0, 1021.0)
    inputs = january_inputs(train, test, 60)
    assert inputs.shape == (81,)
    assert inputs[:60].tolist() == list(range(40, 100)) and inputs[60:].tolist() == test.tolist()
    X_test, targets = make_windows(inputs, 60)
    assert X_test.shape == (21, 60, 1)
    # The window for test day k ends on the day before it and never contains day k itself.
    assert targets.tolist() == test.tolist()
    assert X_test[0, -1, 0] == 99 and X_test[5, -1, 0] == test[4]


def test_scaler_never_sees_test_rows():
    train, test = np.array([10.0, 20.0, 30.0]), np.array([50.0, 5.0])
    scaler = fit_scaler(train)
    assert scaler.data_min_[0] == 10 and scaler.data_max_[0] == 30
    assert scale(scaler, test).tolist() == pytest.approx([2.0, -0.25])  # outside 0..1: honest, not refitted


@settings(max_examples=60, deadline=None)
@given(prices)
def test_scaling_round_trips_and_spans_zero_to_one(series):
    scaler = fit_scaler(series)
    scaled = scale(scaler, series)
    assert np.allclose(unscale(scaler, scaled), series, rtol=1e-9, atol=1e-6)
    # scikit-learn treats a range under ten machine epsilons as no range at all (it scales by 1 instead).
    if np.ptp(series) >= 10 * np.finfo(float).eps:
        assert scaled.min() == pytest.approx(0) and scaled.max() == pytest.approx(1)


@settings(max_examples=60, deadline=None)
@given(prices, prices)
def test_scaler_range_comes_from_training_rows_only(train, test):
    scaler = fit_scaler(train)
    assert scaler.data_min_[0] == train.min() and scaler.data_max_[0] == train.max()
    # Test prices are scaled by the training range, even where they fall outside it (never refitted to them).
    span = np.ptp(train) or 1.0  # scikit-learn scales a constant series by 1
    np.testing.assert_allclose(scale(scaler, test), (test - train.min()) / span, rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(prices, st.integers(1, 80))
def test_every_window_is_followed_by_its_own_target(series, window):
    if len(series) <= window:
        with pytest.raises(DataError):
            make_windows(series, window)
        return
    X, y = make_windows(series, window)
    assert X.shape == (len(series) - window, window, 1) and y.shape == (len(series) - window,)
    for i in range(len(y)):
        assert np.array_equal(X[i, :, 0], series[i:i + window]) and y[i] == series[i + window]


@pytest.mark.parametrize("values, match", [
    ([], r"^no prices to fit the scaler on \(the training series is empty\)$"),
    ([100.0, float("nan"), 102.0], r"price 2 of 3 is nan"),
    (np.ones((5, 2)), r"one column of prices, not an array of shape \(5, 2\)"),
])
def test_a_scaler_fitted_on_unusable_prices_is_a_clear_error(values, match):
    with pytest.raises(DataError, match=match):
        fit_scaler(values)


def test_two_columns_are_never_read_as_one():
    with pytest.raises(DataError, match=r"one column of prices"):
        scale(fit_scaler([1.0, 2.0]), np.ones((3, 2)))
    with pytest.raises(DataError, match=r"one column of prices, not an array of shape \(3, 1, 1\)"):
        scale(fit_scaler([1.0, 2.0]), np.ones((3, 1, 1)))
    # A column as scikit-learn keeps it, (n, 1), is one series.
    assert scale(fit_scaler(np.array([[1.0], [3.0]])), np.array([[2.0], [3.0]])).tolist() == [0.5, 1.0]


def test_daily_changes_of_two_opens_are_one_change_as_a_float():
    changes = daily_changes(np.array([[3], [5]], dtype=np.int8))  # a column of whole numbers, as scikit-learn keeps it
    assert changes.dtype == float and changes.tolist() == [2.0]
    assert daily_changes(np.array([250, 10], dtype=np.uint8)).tolist() == [-240.0]  # not wrapped around in uint8


@pytest.mark.parametrize("opens", [[10.0], []])
def test_fewer_than_two_opens_have_no_change(opens):
    with pytest.raises(DataError, match=rf"^{len(opens)} open\(s\) have no change between them \(it takes at least 2\)$"):
        daily_changes(opens)
