"""The loader: the shipped files, every rejection with a clear message, and messy-but-valid input."""

from __future__ import annotations

import re
import warnings

import pytest
from conftest import HEADER, business_days, rows, write_prices

from utils.data import DOCUMENTED_SHA256, ChecksumWarning, data_dir, load_prices
from utils.epochs import effective_epochs
from utils.errors import DataError
from utils.files import REPO_ROOT, sha256_of
from utils.values import check_dropout, check_epochs, check_units


def test_shipped_files_load_with_documented_shape(shipped_data):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ChecksumWarning)  # the shipped files match their checksums
        for ticker in ("GOOG", "AMZN"):
            prices = load_prices(ticker)
            assert len(prices.train) == 1258 and len(prices.test) == 21
            assert f"{prices.train['Date'].iloc[0]:%Y-%m-%d}" == "2014-01-02"
            assert f"{prices.train['Date'].iloc[-1]:%Y-%m-%d}" == "2018-12-31"
            assert f"{prices.test['Date'].iloc[0]:%Y-%m-%d}" == "2019-01-02"
            assert f"{prices.test['Date'].iloc[-1]:%Y-%m-%d}" == "2019-01-31"


def test_data_readme_documents_the_checksums_the_loader_checks():
    readme = (REPO_ROOT / "data" / "README.md").read_text(encoding="utf-8")
    for name, digest in DOCUMENTED_SHA256.items():
        assert re.search(rf"{re.escape(name)}.*{digest}", readme), f"data/README.md lacks {name}'s SHA-256"


def test_committed_files_match_the_checksums_documented_in_the_data_readme():
    # Read the digests from the README's table itself, so the page, the files and the loader must all agree.
    readme = (REPO_ROOT / "data" / "README.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^\| `(\w+_(?:train|test)\.csv)` \|.*\| `([0-9a-f]{64})` \|$", readme, flags=re.M))
    assert set(documented) == {"GOOG_train.csv", "GOOG_test.csv", "AMZN_train.csv", "AMZN_test.csv"}
    for name, digest in documented.items():
        path = REPO_ROOT / "data" / name
        assert path.is_file(), f"data/{name} is not in the repository"
        assert sha256_of(path) == digest, f"data/{name} differs from its documented SHA-256"
        assert DOCUMENTED_SHA256[name] == digest


def test_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
    monkeypatch.setenv("WORKSHOP_DATA_DIR", "some/relative")
    assert data_dir() == (REPO_ROOT / "some/relative").resolve()
    monkeypatch.delenv("WORKSHOP_DATA_DIR")
    assert data_dir() == REPO_ROOT / "data"


def reject(folder, match, ticker="TEST", window=3):
    with pytest.raises(DataError, match=match):
        load_prices(ticker, window=window, folder=folder, verify=False)


def test_missing_folder(tmp_path):
    reject(tmp_path / "nowhere", r"data folder .*nowhere does not exist")


def test_missing_train_file(make_prices):
    folder = make_prices()
    (folder / "TEST_train.csv").unlink()
    reject(folder, r"TEST_train\.csv: file not found")


def test_missing_test_file(make_prices):
    folder = make_prices()
    (folder / "TEST_test.csv").unlink()
    reject(folder, r"TEST_test\.csv: file not found")


def test_unknown_ticker_names_where_it_looked(make_prices):
    folder = make_prices()
    reject(folder, r"NOPE_train\.csv: file not found.*data/README\.md", ticker="NOPE")


@pytest.mark.parametrize("header, column", [("Day,Open,Close", "Date"), ("Date,Close,Volume", "Open")])
def test_missing_column(tmp_path, header, column):
    folder = write_prices(tmp_path, "TEST", ["2020-01-01,1,2"] * 5, ["2020-02-01,1,2"], header=header)
    reject(folder, rf"TEST_train\.csv: no '{column}' column")


@pytest.mark.parametrize("value, problem", [
    ("", "the Open value is empty"),
    ("abc", "Open value 'abc' is not a number"),
    ("0", "Open value 0 is not positive"),
    ("-5.5", "Open value -5.5 is not positive"),
    ("nan", "Open value 'nan' is not a number"),
])
def test_bad_open_value_names_file_row_and_date(make_prices, value, problem):
    folder = make_prices(n_train=10)
    lines = (folder / "TEST_train.csv").read_text().splitlines()
    fields = lines[4].split(",")
    fields[1] = value
    lines[4] = ",".join(fields)
    (folder / "TEST_train.csv").write_text("\n".join(lines) + "\n")
    reject(folder, rf"TEST_train\.csv, row 5 \({fields[0]}\): {re.escape(problem)}")


def test_unparsable_date(make_prices):
    folder = make_prices(n_train=10)
    text = (folder / "TEST_test.csv").read_text().splitlines()
    text[2] = "31/31/2020" + text[2][text[2].index(","):]
    (folder / "TEST_test.csv").write_text("\n".join(text) + "\n")
    reject(folder, r"TEST_test\.csv, row 3: date '31/31/2020' cannot be parsed")


def test_duplicate_dates(tmp_path):
    dates = business_days("2020-01-01", 10)
    dates[6] = dates[5]
    folder = write_prices(tmp_path, "TEST", rows(dates[:8], range(1, 9)), rows(dates[8:], [9, 10]))
    reject(folder, r"TEST_train\.csv, row 8: duplicate date")


def test_dates_out_of_order(tmp_path):
    dates = business_days("2020-01-01", 10)
    dates[3], dates[4] = dates[4], dates[3]
    folder = write_prices(tmp_path, "TEST", rows(dates[:8], range(1, 9)), rows(dates[8:], [9, 10]))
    reject(folder, r"TEST_train\.csv, row 6: date .* comes before the previous row's")


def test_test_rows_must_follow_training_rows(tmp_path):
    dates = business_days("2020-01-01", 10)
    folder = write_prices(tmp_path, "TEST", rows(dates[2:], range(1, 9)), rows(dates[:2], [9, 10]))
    reject(folder, r"TEST_test\.csv, row 2: test date .* is not after the last training date")


def test_empty_test_file(make_prices):
    folder = make_prices()
    (folder / "TEST_test.csv").write_text(HEADER + "\n")
    reject(folder, r"TEST_test\.csv: the file has a header but no rows")
    (folder / "TEST_test.csv").write_text("")
    reject(folder, r"TEST_test\.csv: the file is empty")


def test_too_few_training_rows_for_the_window(make_prices):
    folder = make_prices(n_train=60)
    reject(folder, r"60 training rows, but a 60-day window needs at least 61", window=60)
    assert len(load_prices("TEST", window=59, folder=folder, verify=False).train) == 60


@pytest.mark.parametrize("window", [0, -3, 2.5, "6O", True])
def test_nonsense_window(make_prices, window):
    reject(make_prices(), r"window=.*whole number of days", window=window)


def test_a_window_written_as_text_reads_as_on_the_command_line(make_prices):
    assert len(load_prices("TEST", window=" 60 ", folder=make_prices(), verify=False).train) > 60


@pytest.mark.parametrize("units, dropout, match", [
    (0, 0.0, "units=0"), (12.5, 0.0, "units=12.5"), (50, 1.5, "dropout=1.5"), (50, -0.1, "dropout=-0.1"),
    (50, 1, "dropout=1"),
])
def test_nonsense_model_parameters(units, dropout, match):
    with pytest.raises(DataError, match=match):
        check_units(units)
        check_dropout(dropout)


@pytest.mark.parametrize("epochs", [0, -1, "ten", 2.5, True])
def test_nonsense_epochs(epochs):
    with pytest.raises(DataError, match="number of epochs"):
        check_epochs(epochs)


def test_workshop_epochs_overrides_and_is_checked(monkeypatch):
    monkeypatch.setenv("WORKSHOP_EPOCHS", "3")
    assert effective_epochs(100) == 3
    monkeypatch.setenv("WORKSHOP_EPOCHS", "zero")
    with pytest.raises(DataError, match="WORKSHOP_EPOCHS='zero'"):
        effective_epochs(100)
    monkeypatch.delenv("WORKSHOP_EPOCHS")
    assert effective_epochs(100) == 100


def test_messy_but_valid_files_load(tmp_path):
    dates = business_days("2020-01-01", 75)
    train = [f"{day:%Y-%m-%d},{100 + i},x,{i},extra" for i, day in enumerate(dates[:70])]
    test = [f"{day:%m/%d/%y},{200 + i},x,{i},extra" for i, day in enumerate(dates[70:])]
    folder = write_prices(tmp_path, "MSSY", train, test, header="Date,Open,Note,Rank,Comment", newline="\r\n", bom=True)
    prices = load_prices("mssy", window=60, folder=folder, verify=False)
    assert list(prices.train.columns) == ["Date", "Open", "Note", "Rank", "Comment"]
    assert prices.train_open[0] == 100 and prices.test_open[-1] == 204
    assert len(prices.train) == 70 and len(prices.test) == 5  # the test period follows the file
    assert prices.test["Date"].iloc[0] == dates[70]


def test_checksum_warnings(make_prices, shipped_data, tmp_path):
    folder = make_prices()
    with pytest.warns(ChecksumWarning, match="not one of the workshop's documented files"):
        load_prices("TEST", window=3, folder=folder)
    # A changed copy of a documented file warns but still loads.
    copy = tmp_path / "copy"
    copy.mkdir()
    for kind in ("train", "test"):
        data = (shipped_data / f"GOOG_{kind}.csv").read_bytes()
        (copy / f"GOOG_{kind}.csv").write_bytes(data.replace(b"555.647278", b"555.647279") if kind == "train" else data)
    with pytest.warns(ChecksumWarning, match=r"GOOG_train\.csv: contents differ from the SHA-256"):
        assert len(load_prices("GOOG", folder=copy).train) == 1258


def test_loading_never_changes_the_data_folder(shipped_data, make_prices):
    for folder in (shipped_data, make_prices()):
        before = {path.name: (sha256_of(path), path.stat().st_mtime_ns) for path in folder.iterdir()}
        for ticker in {name[: -len("_train.csv")] for name in before if name.endswith("_train.csv")}:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ChecksumWarning)
                load_prices(ticker, window=3, folder=folder)
        assert before == {path.name: (sha256_of(path), path.stat().st_mtime_ns) for path in folder.iterdir()}


def test_an_unreadable_price_file_is_one_clear_error(make_prices, monkeypatch):
    import utils.data as data

    folder = make_prices()

    def refuse(path, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(data.pd, "read_csv", refuse)
    with pytest.raises(DataError, match=r"TEST_train.csv: cannot be read \(Permission denied\)"):
        load_prices("TEST", folder=folder)


def test_a_data_error_in_a_notebook_cell_is_one_line_not_a_traceback(capfd):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        result = shell.run_cell("from utils.data import load_prices\nload_prices('NOPE', folder='/nonexistent-folder')")
    finally:
        InteractiveShell.clear_instance()
    assert isinstance(result.error_in_exec, DataError)
    shown = capfd.readouterr()
    text = (shown.out + shown.err).strip()
    assert text.startswith("DataError: ") and "Traceback" not in text and len(text.splitlines()) == 1, text
