"""The model of daily changes (the sixth notebook's, and the sweep's --models change): its arithmetic, exactly."""

from __future__ import annotations

import numpy as np
import pytest

from utils.data import load_prices, prices_for_month
from utils.errors import DataError
from utils.evaluation import naive_forecast
from utils.features import daily_changes, fit_scaler, unscale
from utils.tools import pipeline
from utils.values import check_target

SCALED_OUTPUT = 0.25


class ConstantModel:
    """Predicts the same scaled value for every window, so the expected prices can be written down."""

    def fit(self, X, y, **kwargs):
        self.windows = X
        return type("History", (), {"history": {"loss": [0.5]}})()

    def predict(self, X, verbose=0):
        return np.full((len(X), 1), SCALED_OUTPUT)

    def predict_on_batch(self, X):
        return self.predict(X)


def test_daily_changes_are_each_open_minus_the_one_before():
    assert daily_changes([10.0, 12.0, 11.5]).tolist() == [2.0, -0.5]
    with pytest.raises(DataError, match="1 open"):
        daily_changes([10.0])


def test_the_change_model_adds_each_predicted_change_to_the_real_open_before(shipped_data, monkeypatch):
    model = ConstantModel()
    monkeypatch.setattr(pipeline, "build_stacked_lstm", lambda *args: model)
    prices = prices_for_month(load_prices("GOOG", verify=False), "2018-12")
    record = pipeline.train_and_score(prices, 8, epochs=1, window=60, target="change")

    changes = daily_changes(prices.train_open)
    change = unscale(fit_scaler(changes), [SCALED_OUTPUT])[0]
    # Trained on windows of the changes, not of the prices.
    assert np.allclose(model.windows[0, :, 0], fit_scaler(changes).transform(changes[:60, None]).ravel())
    assert np.allclose(record["predictions"], naive_forecast(prices.train_open, prices.test_open) + change, rtol=0, atol=1e-9)
    # Free running: every step adds the same change to the last training open, never a real test open.
    steps = np.arange(1, len(prices.test_open) + 1)
    assert np.allclose(record["free_running"], prices.train_open[-1] + change * steps, rtol=0, atol=1e-9)


def test_no_committed_model_predicts_the_change(shipped_data):
    with pytest.raises(DataError, match="no committed model predicts the change"):
        pipeline.train_and_score(load_prices("GOOG", verify=False), 50, load=True, target="change")


@pytest.mark.parametrize("given, expected", [("price", "price"), (" Change ", "change")])
def test_a_target_is_price_or_change(given, expected):
    assert check_target(given) == expected


@pytest.mark.parametrize("given", ["returns", "", None, 1])
def test_anything_else_is_refused_by_name(given):
    with pytest.raises(DataError, match=r"model .*must be one of price, change"):
        check_target(given)
