"""A week ahead: scoring forecasts made 1 to H trading days before the day they predict.

A forecast from *origin* day ``d`` (made with the opens before ``d``) for horizon ``h`` predicts the open of day
``d + h - 1``: horizon 1 is the chapter's one-step forecast. Forecasts are arrays of shape ``(origins, H)``, one
row per origin. Its naive counterpart at every horizon is the last open known at the origin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import DataError
from .evaluation import forecast_metrics

NAIVE_LABEL = "naive (last known open)"


def errors_by_horizon(real, forecasts: dict[str, np.ndarray], last_known) -> pd.DataFrame:
    """RMSE in dollars of each forecast and of the naive one, by horizon, and each forecast's ratio to naive.

    ``real`` holds the period's opens (``n`` days), ``last_known[d]`` the open of the day before origin ``d`` and each
    forecast one row per origin; horizon ``h`` is scored on the ``n - h + 1`` origins whose target lies in the period.
    """
    real, last_known = np.asarray(real).ravel(), np.asarray(last_known).ravel()
    days = len(real)
    if len(last_known) != days:
        raise DataError(f"last_known holds {len(last_known)} opens for {days} days (one per origin day)")
    forecasts = {name: np.asarray(values) for name, values in forecasts.items()}
    horizons = {values.shape[1] for values in forecasts.values() if values.ndim == 2}
    for name, values in forecasts.items():
        if values.ndim != 2 or values.shape[0] != days:
            raise DataError(f"forecast {name!r} has shape {values.shape}; expected ({days}, horizons), a row per origin")
        if len(horizons) > 1:
            raise DataError(f"the forecasts have different numbers of horizons ({', '.join(map(str, sorted(horizons)))})")
    if not horizons or max(horizons) > days:
        raise DataError(f"need at least one forecast of 1 to {days} horizons")
    rows = {}
    for h in range(1, max(horizons) + 1):
        origins = days - h + 1  # the origins whose target, h - 1 days later, is still in the period
        target = real[h - 1:]  # (forecast_metrics reads every series as floats)
        row = {name: forecast_metrics(target, values[:origins, h - 1])["rmse"] for name, values in forecasts.items()}
        row[NAIVE_LABEL] = forecast_metrics(target, last_known[:origins])["rmse"]
        rows[h] = row
    table = pd.DataFrame(rows).T
    for name in forecasts:
        table[f"{name} / naive"] = table[name] / table[NAIVE_LABEL]
    table.index.name = "horizon (trading days)"
    return table.round(3)
