"""``data download`` offline: yfinance is replaced by a stand-in that returns a canned response."""

from __future__ import annotations

import sys
import types
import warnings
from datetime import date

import pandas as pd
import pytest

from utils.data import ChecksumWarning, load_prices
from utils.errors import DataError
from utils.tools.cli import main
from utils.tools.download import download_prices


def canned_response(start: str, end_exclusive: str) -> pd.DataFrame:
    """A frame shaped like yfinance.download(..., multi_level_index=False): Date index, price columns."""
    days = pd.bdate_range(start, pd.Timestamp(end_exclusive) - pd.Timedelta(days=1), name="Date")
    values = [100.0 + i for i in range(len(days))]
    return pd.DataFrame({"Adj Close": values, "Close": values, "High": [v + 1 for v in values],
                         "Low": [v - 1 for v in values], "Open": values, "Volume": [1000 + i for i in range(len(days))]},
                        index=days)


@pytest.fixture
def fake_yfinance(monkeypatch):
    calls = []

    def download(ticker, start, end, **options):
        calls.append({"ticker": ticker, "start": start, "end": end, **options})
        return canned_response(start, end)

    monkeypatch.setitem(sys.modules, "yfinance", types.SimpleNamespace(download=download))
    return calls


def test_download_writes_the_shipped_format(tmp_path, fake_yfinance):
    train_path, test_path = download_prices("msft", folder=tmp_path)
    assert [call["start"] for call in fake_yfinance] == ["2014-01-01", "2019-01-01"]
    assert [call["end"] for call in fake_yfinance] == ["2019-01-01", "2019-02-01"]  # yfinance's end is exclusive
    assert all(call["auto_adjust"] is False for call in fake_yfinance)
    train_lines = train_path.read_bytes().decode().split("\n")
    test_lines = test_path.read_bytes().decode().split("\r\n")
    assert train_lines[0] == test_lines[0] == "Date,Open,High,Low,Close,Adj Close,Volume"
    assert train_lines[1] == "2014-01-01,100.000000,101.000000,99.000000,100.000000,100.000000,1000"
    assert test_lines[1].startswith("1/1/19,") and test_lines[2].startswith("1/2/19,")
    with pytest.warns(ChecksumWarning):
        prices = load_prices("MSFT", folder=tmp_path)
    assert prices.test["Date"].iloc[-1] == pd.Timestamp("2019-01-31") and len(prices.test) == 23


def test_download_never_overwrites_unless_asked(tmp_path, fake_yfinance):
    download_prices("MSFT", folder=tmp_path, test_end="2019-01-10")
    before = (tmp_path / "MSFT_test.csv").read_bytes()
    with pytest.raises(DataError, match="already exist; pass --overwrite"):
        download_prices("MSFT", folder=tmp_path, test_end="2019-01-31")
    assert (tmp_path / "MSFT_test.csv").read_bytes() == before
    download_prices("MSFT", folder=tmp_path, test_end="2019-01-31", overwrite=True)
    assert (tmp_path / "MSFT_test.csv").read_bytes() != before


@pytest.mark.parametrize("kwargs, match", [
    ({"end": "2019-02-01"}, "start <= end < test-start <= test-end"),
    ({"start": "01/01/2014"}, "--start='01/01/2014': not a date"),
])
def test_download_rejects_bad_periods_before_fetching(tmp_path, fake_yfinance, kwargs, match):
    with pytest.raises(DataError, match=match):
        download_prices("MSFT", folder=tmp_path, **kwargs)
    assert fake_yfinance == [] and list(tmp_path.iterdir()) == []


def test_empty_download_writes_nothing(tmp_path):
    def empty_fetch(ticker, start: date, end: date):
        return pd.DataFrame()

    with pytest.raises(DataError, match="no prices for NOPE"):
        download_prices("NOPE", folder=tmp_path, fetch=empty_fetch)
    assert list(tmp_path.iterdir()) == []


def test_cli_download_explains_split_adjustment(tmp_path, fake_yfinance, monkeypatch, capsys):
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a download is checked for its format, not warned about
        assert main(["data", "download", "--ticker", "GOOG"]) == 0
    out = capsys.readouterr().out
    assert "GOOG_train.csv" in out and "20-for-1" in out
    assert main(["data", "download", "--ticker", "GOOG"]) == 2
    assert "already exist" in capsys.readouterr().err


def test_a_failed_write_leaves_neither_file(tmp_path, fake_yfinance, monkeypatch):
    import utils.atomic as atomic

    real_replace, renames = atomic.os.replace, []

    def second_rename_fails(source, target):
        renames.append(target)
        if len(renames) == 2:
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(atomic.os, "replace", second_rename_fails)
    with pytest.raises(DataError, match=r"cannot write MSFT's files into .*No space left on device"):
        download_prices("MSFT", folder=tmp_path)
    assert list(tmp_path.iterdir()) == []  # the two files appear together or not at all, and no temporary is left


def test_a_failed_overwrite_keeps_both_old_files(tmp_path, fake_yfinance, monkeypatch):
    import utils.atomic as atomic

    download_prices("MSFT", folder=tmp_path, end="2018-12-28", test_end="2019-01-10")  # both files differ below
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    real_replace, renames = atomic.os.replace, []

    def interrupted_between_the_two(source, target):
        renames.append(target)
        if len(renames) == 2:
            raise KeyboardInterrupt
        real_replace(source, target)

    monkeypatch.setattr(atomic.os, "replace", interrupted_between_the_two)
    with pytest.raises(KeyboardInterrupt):
        download_prices("MSFT", folder=tmp_path, overwrite=True)
    monkeypatch.undo()
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before


def test_an_unwritable_data_folder_is_one_line(tmp_path, fake_yfinance, monkeypatch, capsys):
    import utils.atomic as atomic

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    assert main(["data", "download", "--ticker", "MSFT"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write MSFT's files into") and "Permission denied" in err
    assert len(err.strip().splitlines()) == 1 and list(tmp_path.iterdir()) == []
