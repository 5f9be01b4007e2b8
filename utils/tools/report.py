"""Project-level reports: the data folder check, the results table and the README figure."""

from __future__ import annotations

import io
import sys
import warnings

import pandas as pd

from ..atomic import write_files_atomically
from ..data import DOCUMENTED_SHA256, ChecksumWarning, checksum_status, data_dir, load_prices, require_folder
from ..epochs import FULL_EPOCHS
from ..errors import DataError
from ..evaluation import naive_forecast
from ..files import REPO_ROOT, shown
from ..registry import NOTEBOOKS, model_label
from ..results import RESULTS_DIR, load_result, result_path, seed_spreads
from ..saved_models import check_saved_models

README = REPO_ROOT / "README.md"
TABLE_START, TABLE_END = "<!-- results-table:start -->", "<!-- results-table:end -->"
FIGURE = REPO_ROOT / "docs" / "january_forecasts.png"


def check_data_folder() -> int:
    """Print one row per ticker found; return 0 when every file loads and matches its checksum."""
    folder = require_folder(data_dir())
    tickers = sorted({path.name[: -len("_train.csv")] for path in folder.glob("*_train.csv")})
    if not tickers:
        raise DataError(f"{folder}: no *_train.csv files found (see data/README.md)")
    problems = []
    rows = []
    for ticker in tickers:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ChecksumWarning)
                prices = load_prices(ticker, folder=folder, window=1)
        except DataError as exc:
            problems.append(str(exc))
            rows.append((ticker, "-", "-", "-", "unreadable"))
            continue
        checks = [checksum_status(path) for path in (prices.train_path, prices.test_path)]
        if "differs" in checks:
            problems.append(f"{ticker}: a file differs from the SHA-256 documented in data/README.md")
        rows.append((
            ticker,
            f"{len(prices.train)} / {len(prices.test)}",
            f"{prices.train['Date'].iloc[0]:%Y-%m-%d}..{prices.train['Date'].iloc[-1]:%Y-%m-%d}",
            f"{prices.test['Date'].iloc[0]:%Y-%m-%d}..{prices.test['Date'].iloc[-1]:%Y-%m-%d}",
            "/".join(checks),
        ))
    for name in DOCUMENTED_SHA256:
        if not (folder / name).is_file():
            problems.append(f"{folder / name}: missing (the workshop's notebooks need it)")
    print(f"data folder: {folder}")
    header = ("ticker", "rows train/test", "train dates", "test dates", "sha256 train/test")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)))
    problems += check_saved_models()
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


def saved_full_runs() -> dict[str, dict]:
    """Every notebook's committed full-run result, each checked against its schema and its ticker's test days.

    All of them are read before anything is written: one that is missing or
    damaged is one DataError line naming its file, never a row left out.
    """
    runs = {}
    test_days = {}
    for name, (ticker, _, _) in NOTEBOOKS.items():
        result = load_result(name, FULL_EPOCHS)
        if ticker not in test_days:
            test_days[ticker] = [f"{day:%Y-%m-%d}" for day in load_prices(ticker).test_dates]
        if result["dates"] != test_days[ticker]:
            raise DataError(f"{shown(result_path(name, FULL_EPOCHS))}: its {len(result['dates'])} forecast days are not "
                            f"the {len(test_days[ticker])} test days of {ticker} in the data folder: run {name} again "
                            "to rewrite it")
        runs[name] = result
    return runs


def results_table(runs: dict[str, dict] | None = None) -> pd.DataFrame:
    """One row per notebook from its saved full-run results, with seed spread where it was run."""
    runs = saved_full_runs() if runs is None else runs
    spreads = seed_spreads()
    return pd.DataFrame([table_row(name, result, spreads) for name, result in runs.items()])


def table_row(name: str, result: dict, spreads: dict) -> dict:
    """One notebook's row of the results table."""
    # The settings come from the saved run itself, which may have been made with other parameters.
    ticker, units, dropout = result["ticker"], result["units"], float(result["dropout"])
    spread = spreads.get((ticker, units, dropout, result["epochs"]))
    return {
        "notebook": name,
        "ticker": ticker,
        "units": units,
        "dropout": dropout,
        "epochs": result["epochs"],
        "rmse": result["rmse"],
        "mae": result["mae"],
        "mape": result["mape"],
        "naive_rmse": result["naive_rmse"],
        "rmse_ratio": result["rmse_ratio"],
        "free_running_rmse": result["free_running_rmse"],
        "direction_accuracy": result["direction_accuracy"],
        "seeds": len(spread["seeds"]) if spread else None,
        "rmse_mean": spread["rmse_mean"] if spread else None,
        "rmse_std": spread["rmse_std"] if spread else None,
        "fit_seconds": result["fit_seconds"],
    }


def markdown_table(table: pd.DataFrame) -> str:
    lines = [
        "| notebook | ticker | units | dropout | LSTM RMSE ($) | naive RMSE ($) | ratio | MAE ($) | MAPE (%) "
        "| free-running RMSE ($) | direction right | RMSE over seeds ($) | training (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        spread = f"{row.rmse_mean:.2f} ± {row.rmse_std:.2f} ({row.seeds:.0f} seeds)" if pd.notna(row.seeds) else "not run"
        lines.append(
            f"| {row.notebook} | {row.ticker} | {row.units} | {row.dropout:g} | {row.rmse:.2f} | {row.naive_rmse:.2f} "
            f"| {row.rmse_ratio:.2f} | {row.mae:.2f} | {row.mape:.2f} | {row.free_running_rmse:.2f} "
            f"| {row.direction_accuracy:.0%} | {spread} | {row.fit_seconds:.0f} |"
        )
    return "\n".join(lines)


def refresh_results_table_and_figure() -> pd.DataFrame:
    """Write results/results.csv, the README's table (between its markers) and the figure, all or none of them.

    Every results file is read and checked first; the three files are then
    written together, so a damaged input or a failed write leaves all three as they were.
    """
    text = README.read_text(encoding="utf-8")
    if TABLE_START not in text or TABLE_END not in text:
        raise DataError(f"{README.name}: the lines {TABLE_START} and {TABLE_END} that mark where the results table "
                        "goes are missing; put them back (nothing was written)")
    runs = saved_full_runs()
    table = results_table(runs)
    csv_text = table.to_csv(index=False, float_format="%.4f")
    before, rest = text.split(TABLE_START, 1)
    _, after = rest.split(TABLE_END, 1)
    readme = f"{before}{TABLE_START}\n{markdown_table(table)}\n{TABLE_END}{after}"
    figure = figure_png(runs)
    write_files_atomically({RESULTS_DIR / "results.csv": csv_text, README: readme, FIGURE: figure})
    print(f"wrote {shown(RESULTS_DIR / 'results.csv')} and the README table ({len(table)} rows), and {shown(FIGURE)}")
    return table


def readme_figure(runs: dict[str, dict]):
    """Real against predicted January opens for both tickers, from the saved full-run results; the Figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plots import plot_forecasts  # matplotlib, only for the figure

    figure, axes = plt.subplots(1, 2, figsize=(15, 5))
    for ax, ticker in zip(axes, ("GOOG", "AMZN")):
        prices = load_prices(ticker)
        forecasts = {f"{name}: {model_label(result)}": result["predictions"] for name, result in runs.items()
                     if result["ticker"] == ticker}
        plot_forecasts(prices.test_dates, prices.test_open, forecasts, ticker,
                       naive=naive_forecast(prices.train_open, prices.test_open),
                       title=f"{ticker}, January 2019: one-step LSTM forecasts", ax=ax)
    figure.tight_layout()
    return figure


def figure_png(runs: dict[str, dict]) -> bytes:
    """:func:`readme_figure` as PNG bytes, for the README."""
    import matplotlib.pyplot as plt

    figure = readme_figure(runs)
    try:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=80)
    finally:
        plt.close(figure)
    return buffer.getvalue()
