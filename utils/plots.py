"""Figures: real against predicted January prices, with real dates on the x-axis."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np

REAL_STYLE = {"color": "green", "linestyle": "--", "marker": "o", "markersize": 3}
NAIVE_STYLE = {"color": "grey", "linestyle": ":", "linewidth": 1.5}


def plot_forecasts(dates, real, forecasts: dict, ticker: str, naive=None, title: str | None = None, ax=None):
    """Plot the real opens, each named forecast and (optionally) the naive baseline.

    ``forecasts`` maps a legend label to an array of dollar prices, one per date.
    Returns the matplotlib Axes so a notebook can add to it.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 5))
    ax.plot(dates, np.asarray(real), label=f"Real {ticker} open", **REAL_STYLE)
    if naive is not None:
        ax.plot(dates, np.asarray(naive), label="Naive: yesterday's open", **NAIVE_STYLE)
    for label, values in forecasts.items():
        ax.plot(dates, np.asarray(values), label=label, linewidth=2)
    ax.set_title(title or f"{ticker}: real and predicted opening prices")
    ax.set_xlabel("Trading day")
    ax.set_ylabel("Open price (USD)")
    ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))
    ax.grid(alpha=0.3)
    ax.legend()
    return ax
