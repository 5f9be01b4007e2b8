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
    from .data import DataError

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
