"""Figures: real against predicted January prices, with real dates on the x-axis."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np

from .errors import DataError
from .horizons import NAIVE_LABEL

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


GATE_PANELS = (
    ("forget_gate", "Forget gate: share of the memory kept"),
    ("input_gate", "Input gate: share of the new content written"),
    ("output_gate", "Output gate: share of the memory shown"),
    ("cell", "Cell state: the layer's memory"),
)


def plot_lstm_gates(trace, units=(0, 1, 2), dates=None, title=None):
    """Forget, input and output gates and the cell state of a few units over one window; returns the Figure.

    ``trace`` is a :class:`utils.lstm_numpy.LSTMTrace`; the first window in it
    is drawn. ``dates`` (one per time step) label the x-axis; without them it
    counts days in the window.
    """
    units = [int(unit) for unit in units]
    if not units or min(units) < 0 or max(units) >= trace.units:
        raise DataError(f"units={units}: the layer has units 0 to {trace.units - 1}")
    if dates is None:
        x, xlabel = np.arange(1, trace.steps + 1), "Day in the window"
    else:
        x, xlabel = np.asarray(dates), "Date"
        if len(x) != trace.steps:
            raise DataError(f"dates has {len(x)} values; the trace has {trace.steps} time steps")
    figure, axes = plt.subplots(2, 2, figsize=(10, 6), sharex=True, constrained_layout=True)
    for ax, (field, panel_title) in zip(axes.flat, GATE_PANELS):
        values = getattr(trace, field)[0]
        for unit in units:
            ax.plot(x, values[:, unit], label=f"unit {unit}", linewidth=1.5)
        ax.set_title(panel_title, fontsize=10)
        ax.set_ylabel("cell state" if field == "cell" else "gate value (0 to 1)")
        if field != "cell":
            ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel(xlabel)
        if dates is not None:
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %d"))
            ax.tick_params(axis="x", labelrotation=30)
    axes[0, 0].legend(fontsize=9)
    figure.suptitle(title or "Inside an LSTM layer: its gates and memory over one window")
    return figure


def plot_errors_by_horizon(errors, title: str, ax=None):
    """RMSE against horizon, one line per forecast, the naive one grey and dotted; ``errors`` is the table of
    :func:`utils.horizons.errors_by_horizon` (its ratio columns are left out). Returns the Axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for column in errors.columns:
        if column.endswith(" / naive"):
            continue
        style = {**NAIVE_STYLE, "marker": "o"} if column == NAIVE_LABEL else {"marker": "o", "linewidth": 2}
        ax.plot(errors.index, errors[column], label=column, **style)
    ax.set_xticks(list(errors.index))
    ax.set_xlabel("Horizon: trading days ahead")
    ax.set_ylabel("RMSE (USD)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return ax
