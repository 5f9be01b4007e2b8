"""Figures: real against predicted January prices, with real dates on the x-axis."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np

REAL_STYLE = {"color": "green", "linestyle": "--", "marker": "o", "markersize": 3}
NAIVE_STYLE = {"color": "grey", "linestyle": ":", "linewidth": 1.5}


def plot_rmse_ratios(settings, ratios, groups=None, title: str | None = None):
    """One column per setting, one dot per run: its RMSE divided by the naive forecast's on the same days.

    ``settings`` and ``ratios`` hold one entry per run; ``groups`` (for example
    the test month) colours the dots. A dashed line marks 1.0, where the model
    and the naive forecast do equally well. Returns the matplotlib Figure.
    """
    settings, ratios = list(settings), np.asarray(ratios, dtype=float)
    groups = list(groups) if groups is not None else [None] * len(settings)
    columns, palette = list(dict.fromkeys(settings)), list(dict.fromkeys(groups))
    figure, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(columns) + 2.5), 5))
    x = np.zeros(len(settings))
    for column, setting in enumerate(columns):
        # Spread a setting's dots sideways (grouped by colour) so that equal ratios stay visible.
        runs = sorted((i for i, s in enumerate(settings) if s == setting), key=lambda i: palette.index(groups[i]))
        x[runs] = column + (np.linspace(-0.3, 0.3, len(runs)) if len(runs) > 1 else 0.0)
    for colour, group in enumerate(palette):
        runs = [i for i, g in enumerate(groups) if g == group]
        ax.plot(x[runs], ratios[runs], "o", markersize=5, alpha=0.75, color=f"C{colour}",
                label=None if group is None else str(group))
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=1.2, label="naive forecast (ratio 1.0)")
    ax.set_xticks(range(len(columns)), columns, rotation=30, ha="right")
    ax.set_xlim(-0.6, len(columns) - 0.4)
    ax.set_ylabel("LSTM RMSE / naive RMSE (same days)")
    ax.set_title(title or "RMSE relative to the naive forecast, one dot per run")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize="small")
    figure.tight_layout()
    return figure


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
