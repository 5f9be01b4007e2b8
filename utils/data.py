"""Load and validate the workshop's daily price files.

Each ticker has two CSV files in the data folder: ``{TICKER}_train.csv``
(2014-2018) and ``{TICKER}_test.csv`` (January 2019). The folder is named by
the environment variable ``WORKSHOP_DATA_DIR`` and defaults to ``data/`` at
the repository root. Nothing here ever writes into that folder.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError
from .files import REPO_ROOT, sha256_of
from .values import check_ticker, check_window, check_years

DATA_DIR_VARIABLE = "WORKSHOP_DATA_DIR"

# SHA-256 of the files the workshop ships with; data/README.md documents the
# same values and a test keeps the two in step.
DOCUMENTED_SHA256 = {
    "GOOG_train.csv": "a9e90d1df20fceeaa1193dc992b42d65040292bc9e310560bf31a77cb3aac21b",
    "GOOG_test.csv": "a7dd8bd6bf0b36c6dc9de4bb148ef25d7473d17ddc06d12e340e597a58ca2de6",
    "AMZN_train.csv": "30cda052d866b3626f2f94a9d5098f2963d9ac383986abd35d949828e2a90915",
    "AMZN_test.csv": "10af51fa7e78b1087cb5b7a5169446fae319daf03b38c9249453adc7381633a4",
}

# The shipped training files write ISO dates, the test files US short dates.
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%y")

HOW_TO_GET_DATA = (
    "Copy GOOG_train.csv, GOOG_test.csv, AMZN_train.csv and AMZN_test.csv into "
    "data/ (see data/README.md), point WORKSHOP_DATA_DIR at the folder that holds "
    "them, or fetch a ticker with 'python -m utils data download --ticker T'."
)


class ChecksumWarning(UserWarning):
    """A data file differs from the checksum documented in data/README.md."""


@dataclass(frozen=True)
class Prices:
    """One ticker's training and test prices, each sorted by date."""

    ticker: str
    train: pd.DataFrame
    test: pd.DataFrame
    train_path: Path
    test_path: Path

    @property
    def train_open(self) -> np.ndarray:
        return self.train["Open"].to_numpy(dtype=float)

    @property
    def test_open(self) -> np.ndarray:
        return self.test["Open"].to_numpy(dtype=float)

    @property
    def test_dates(self) -> pd.Series:
        return self.test["Date"]


def data_dir() -> Path:
    """The data folder: ``$WORKSHOP_DATA_DIR`` (relative to the repository root) or ``data/``."""
    configured = os.environ.get(DATA_DIR_VARIABLE, "").strip()
    if not configured:
        return REPO_ROOT / "data"
    path = Path(configured).expanduser()
    return path if path.is_absolute() else (REPO_ROOT / path).resolve()


def require_folder(folder: Path) -> Path:
    """The data folder, or one line naming it when it does not exist (and the variable that chose it, if one did)."""
    folder = Path(folder)
    if folder.is_dir():
        return folder
    if os.environ.get(DATA_DIR_VARIABLE, "").strip() and folder == data_dir():
        raise DataError(f"{DATA_DIR_VARIABLE}={os.environ[DATA_DIR_VARIABLE].strip()}: the data folder {folder} does not "
                        f"exist; unset {DATA_DIR_VARIABLE} to use the workshop's own data/ folder, or point it at a "
                        "folder that holds the price files")
    raise DataError(f"data folder {folder} does not exist. {HOW_TO_GET_DATA}")


def price_paths(ticker: str, folder: Path | None = None) -> tuple[Path, Path]:
    """Where the training and test files of ``ticker`` are expected."""
    ticker = check_ticker(ticker)
    folder = data_dir() if folder is None else Path(folder)
    return folder / f"{ticker}_train.csv", folder / f"{ticker}_test.csv"


def checksum_status(path: Path) -> str:
    """``"ok"``, ``"differs"`` from data/README.md's SHA-256, or ``"undocumented"`` (not a shipped file)."""
    expected = DOCUMENTED_SHA256.get(Path(path).name)
    if expected is None:
        return "undocumented"
    if sha256_of(path) == expected:
        return "ok"
    # The same prices saved with other line endings (an editor, git's autocrlf) or with a byte-order mark (Excel)
    # read identically: compare the text written with either line ending, without the mark.
    text = normalised_text(path)
    candidates = (text, text.replace(b"\n", b"\r\n"))
    return "ok" if any(hashlib.sha256(candidate).hexdigest() == expected for candidate in candidates) else "differs"


def normalised_text(path: Path) -> bytes:
    """A text file's bytes without a UTF-8 byte-order mark and with every line ending written as LF."""
    content = Path(path).read_bytes().removeprefix(codecs.BOM_UTF8)
    return content.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def verify_checksum(path: Path) -> bool:
    """Warn (never fail) when a file is not byte-for-byte the documented one."""
    status = checksum_status(path)
    if status == "undocumented":
        warnings.warn(
            f"{path}: not one of the workshop's documented files, so its checksum is not verified",
            ChecksumWarning,
            stacklevel=3,
        )
    elif status == "differs":
        warnings.warn(
            f"{path}: contents differ from the SHA-256 documented in data/README.md; "
            "results will not match the committed notebooks",
            ChecksumWarning,
            stacklevel=3,
        )
    return status == "ok"


def read_price_file(path: Path) -> pd.DataFrame:
    """Read one price file into a frame with a parsed ``Date`` and a float ``Open``.

    Rows stay in file order; :func:`load_prices` checks the order. Row numbers
    in errors are the file's line numbers (the header is line 1).
    """
    path = Path(path)
    require_folder(path.parent)
    if not path.is_file():
        raise DataError(f"{path}: file not found. {HOW_TO_GET_DATA}")
    try:
        # utf-8-sig drops a byte-order mark; strings keep values exactly as written.
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty (no header and no rows)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable CSV file ({exc})") from None
    except OSError as exc:  # no permission to read it, a disk error, ...
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None

    frame.columns = [str(name).strip() for name in frame.columns]
    for column in ("Date", "Open"):
        if column not in frame.columns:
            found = ", ".join(frame.columns) or "none"
            raise DataError(f"{path}: no '{column}' column (columns found: {found})")
    if frame.empty:
        raise DataError(f"{path}: the file has a header but no rows")

    frame["Date"] = _parse_dates(frame["Date"], path)
    frame["Open"] = _parse_opens(frame["Open"], frame["Date"], path)
    for column in frame.columns.difference(["Date", "Open"]):
        # Extra columns (High, Volume, ...) become numbers when every value is one.
        numbers = pd.to_numeric(frame[column].str.strip(), errors="coerce")
        if numbers.notna().all():
            frame[column] = numbers
    return frame.reset_index(drop=True)


def _line(index: int) -> int:
    return index + 2  # line 1 is the header


def _parse_dates(raw: pd.Series, path: Path) -> pd.Series:
    text = raw.fillna("").str.strip()
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    for fmt in DATE_FORMATS:
        missing = parsed.isna()
        parsed[missing] = pd.to_datetime(text[missing], format=fmt, errors="coerce")
    bad = parsed.isna()
    if bad.any():
        index = bad.idxmax()
        raise DataError(
            f"{path}, row {_line(index)}: date {text[index]!r} cannot be parsed "
            "(expected YYYY-MM-DD or M/D/YY)"
        )
    return parsed


def _parse_opens(raw: pd.Series, dates: pd.Series, path: Path) -> pd.Series:
    values = pd.to_numeric(raw.str.strip(), errors="coerce")
    for index in raw.index:
        value = values[index]
        where = f"{path}, row {_line(index)} ({dates[index]:%Y-%m-%d})"
        if pd.isna(raw[index]) or not str(raw[index]).strip():
            raise DataError(f"{where}: the Open value is empty")
        if pd.isna(value) or not np.isfinite(value):
            raise DataError(f"{where}: Open value {raw[index]!r} is not a number")
        if value <= 0:
            raise DataError(f"{where}: Open value {value:g} is not positive")
    return values.astype(float)


def check_date_order(frame: pd.DataFrame, path: Path) -> None:
    """Dates must be unique and strictly increasing, as a trading calendar is."""
    dates = frame["Date"]
    duplicated = dates.duplicated()
    if duplicated.any():
        index = duplicated.idxmax()
        raise DataError(f"{path}, row {_line(index)}: duplicate date {dates[index]:%Y-%m-%d}")
    steps = dates.diff()
    backwards = steps < pd.Timedelta(0)
    if backwards.any():
        index = backwards.idxmax()
        raise DataError(
            f"{path}, row {_line(index)}: date {dates[index]:%Y-%m-%d} comes before "
            f"the previous row's {dates[index - 1]:%Y-%m-%d} (dates must be in order)"
        )


def load_prices(ticker: str, window: int = 60, folder: Path | None = None, verify: bool = True) -> Prices:
    """Load and validate ``{ticker}_train.csv`` and ``{ticker}_test.csv``.

    Raises :class:`DataError` with the file, row and problem for anything the
    pipeline cannot use; warns with :class:`ChecksumWarning` when a file is
    not the documented one.
    """
    window = check_window(window)
    train_path, test_path = price_paths(ticker, folder)
    train = read_price_file(train_path)
    test = read_price_file(test_path)
    check_date_order(train, train_path)
    check_date_order(test, test_path)

    last_train = train["Date"].iloc[-1]
    first_test = test["Date"].iloc[0]
    if first_test <= last_train:
        raise DataError(
            f"{test_path}, row 2: test date {first_test:%Y-%m-%d} is not after the last "
            f"training date {last_train:%Y-%m-%d} in {train_path.name}"
        )
    if len(train) < window + 1:
        raise DataError(
            f"{train_path}: {len(train)} training rows, but a {window}-day window needs at "
            f"least {window + 1} (one window and its next-day target)"
        )
    if verify:
        verify_checksum(train_path)
        verify_checksum(test_path)
    return Prices(check_ticker(ticker), train, test, train_path, test_path)


# The first trading day of a year can fall a few days after its first calendar day (New Year, a weekend).
HISTORY_START_SLACK = pd.Timedelta(days=7)


def prices_for_month(prices: Prices, month: str, years: int | None = None, window: int = 60) -> Prices:
    """The notebooks' split moved to any month: train on the days before ``month``, test on its trading days.

    The training and test files are read as one calendar, so January 2019 gives
    the shipped split unchanged and a month such as ``2018-11`` takes its test
    days from the training file. ``years`` keeps only the last ``years`` years
    of training days before the month (all of them when None).
    """
    window = check_window(window)
    try:
        period = pd.Period(str(month).strip(), freq="M")
    except ValueError:
        raise DataError(f"test month {month!r} is not a month like 2018-11") from None
    days = pd.concat([prices.train, prices.test], ignore_index=True)
    first_day, month_start, month_end = days["Date"].iloc[0], period.start_time, period.end_time
    in_month = days["Date"].between(month_start, month_end)
    if not in_month.any():
        raise DataError(
            f"{prices.ticker}, test month {period}: no trading days in {prices.train_path.name} or "
            f"{prices.test_path.name} (they cover {first_day:%Y-%m-%d}..{days['Date'].iloc[-1]:%Y-%m-%d})"
        )
    before = days["Date"] < month_start
    if years is not None:
        years = check_years(years)
        history_start = month_start - pd.DateOffset(years=int(years))
        if first_day > history_start + HISTORY_START_SLACK:
            raise DataError(
                f"{prices.ticker}, years={years} before {period}: needs prices from {history_start:%Y-%m-%d}, "
                f"but {prices.train_path.name} starts on {first_day:%Y-%m-%d}"
            )
        before &= days["Date"] >= history_start
    if before.sum() < window + 1:
        raise DataError(
            f"{prices.ticker}, test month {period}: {before.sum()} training days before it, but a {window}-day "
            f"window needs at least {window + 1}"
        )
    test_path = prices.test_path if month_start > prices.train["Date"].iloc[-1] else prices.train_path
    return Prices(prices.ticker, days[before].reset_index(drop=True), days[in_month].reset_index(drop=True),
                  prices.train_path, test_path)
