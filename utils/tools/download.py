"""Fetch daily prices for any ticker with yfinance (optional) into the workshop's file format.

This is the only code that writes into the data folder, and only when asked:
it refuses to overwrite an existing file unless ``overwrite`` is set.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from ..atomic import write_files_atomically
from ..data import price_paths
from ..errors import DataError
from ..values import check_ticker

COLUMNS = ["Open", "High", "Low", "Close", "Adj Close", "Volume"]
# The workshop's periods: five training years, then January 2019.
DEFAULT_PERIODS = {"start": "2014-01-01", "end": "2018-12-31", "test_start": "2019-01-01", "test_end": "2019-01-31"}
SPLIT_NOTE = (
    "Note: Yahoo now serves split-adjusted prices. GOOG and AMZN both split 20-for-1 in 2022, so their "
    "downloaded prices are about 1/20 of the chapter's (and the shipped files'), and the checksums in "
    "data/README.md will not match."
)


def parse_day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise DataError(f"--{name.replace('_', '-')}={text!r}: not a date in YYYY-MM-DD form") from None


def fetch_yahoo(ticker: str, start: date, end: date) -> pd.DataFrame:
    """Daily prices from ``start`` to ``end`` inclusive, unadjusted, as yfinance returns them."""
    try:
        import yfinance
    except ImportError:
        raise DataError("downloading needs the optional package yfinance: pip install yfinance") from None
    # yfinance's end date is exclusive.
    return yfinance.download(ticker, start=start.isoformat(), end=(end + timedelta(days=1)).isoformat(),
                             auto_adjust=False, actions=False, progress=False, multi_level_index=False)


def to_workshop_frame(raw: pd.DataFrame, ticker: str, start: date, end: date) -> pd.DataFrame:
    """Keep the shipped files' columns in their order, one row per trading day."""
    if raw is None or raw.empty:
        raise DataError(f"no prices for {ticker} between {start} and {end} (unknown ticker, or no trading days?)")
    missing = [column for column in COLUMNS if column not in raw.columns]
    if missing:
        raise DataError(f"the download for {ticker} lacks the columns {', '.join(missing)}")
    frame = raw[COLUMNS].reset_index(drop=True)
    frame.insert(0, "Date", pd.DatetimeIndex(raw.index).tz_localize(None))
    frame = frame.dropna(subset=["Open"]).sort_values("Date", ignore_index=True)
    frame["Volume"] = frame["Volume"].astype("int64")
    return frame


def iso_date(day) -> str:
    return f"{day:%Y-%m-%d}"


def short_us_date(day) -> str:
    return f"{day.month}/{day.day}/{day:%y}"


def frame_to_csv(frame: pd.DataFrame, format_date, line_ending: str) -> str:
    """CSV text as the shipped files write it: training dates 2014-01-02, test dates 1/2/19."""
    out = frame.copy()
    out["Date"] = [format_date(day) for day in out["Date"]]
    return out.to_csv(index=False, float_format="%.6f", lineterminator=line_ending)


def download_prices(ticker: str, start: str | None = None, end: str | None = None, test_start: str | None = None,
                    test_end: str | None = None, folder: Path | None = None, overwrite: bool = False,
                    fetch=fetch_yahoo) -> tuple[Path, Path]:
    """Write ``{ticker}_train.csv`` and ``{ticker}_test.csv``; both are checked before either is written."""
    ticker = check_ticker(ticker)
    given = {"start": start, "end": end, "test_start": test_start, "test_end": test_end}
    days = {name: parse_day(value or DEFAULT_PERIODS[name], name) for name, value in given.items()}
    if not days["start"] <= days["end"] < days["test_start"] <= days["test_end"]:
        raise DataError("the periods must satisfy start <= end < test-start <= test-end")
    train_path, test_path = price_paths(ticker, folder)
    existing = [str(path) for path in (train_path, test_path) if path.exists()]
    if existing and not overwrite:
        raise DataError(f"{' and '.join(existing)} already exist; pass --overwrite to replace them")

    train = to_workshop_frame(fetch(ticker, days["start"], days["end"]), ticker, days["start"], days["end"])
    test = to_workshop_frame(fetch(ticker, days["test_start"], days["test_end"]), ticker, days["test_start"],
                             days["test_end"])
    try:
        # Both files or neither: a training file without its test file would be a broken ticker.
        write_files_atomically({train_path: frame_to_csv(train, iso_date, "\n"),
                                test_path: frame_to_csv(test, short_us_date, "\r\n")})
    except OSError as exc:
        raise DataError(f"cannot write {ticker}'s files into {train_path.parent} ({exc.strerror or exc}); "
                        "nothing was written") from None
    return train_path, test_path
