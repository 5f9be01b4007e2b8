"""The loader: the shipped files, every rejection with a clear message, and messy-but-valid input."""

from __future__ import annotations

import re
import warnings

import pandas as pd
import pytest
from conftest import HEADER, business_days, rows, write_prices

from utils.data import DOCUMENTED_SHA256, ChecksumWarning, data_dir, load_prices, prices_for_month
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


def test_checksums_say_ok_or_differs(shipped_data, tmp_path):
    from utils.data import checksum_status, verify_checksum

    shipped = shipped_data / "GOOG_test.csv"
    assert checksum_status(shipped) == "ok" and verify_checksum(shipped) is True
    changed = tmp_path / "GOOG_test.csv"
    changed.write_bytes(shipped.read_bytes() + b"\n")
    assert checksum_status(changed) == "differs"
    with pytest.warns(ChecksumWarning) as caught:
        assert verify_checksum(changed) is False
    assert str(caught[0].message) == (f"{changed}: contents differ from the SHA-256 documented in data/README.md; "
                                      "results will not match the committed notebooks")


def test_a_checksum_warning_points_at_the_line_that_loaded_the_prices(make_prices, shipped_data, tmp_path):
    changed = tmp_path / "changed"
    changed.mkdir()
    for kind in ("train", "test"):
        (changed / f"GOOG_{kind}.csv").write_bytes((shipped_data / f"GOOG_{kind}.csv").read_bytes() + b"\n")
    for ticker, folder in (("TEST", make_prices()), ("GOOG", changed)):  # an undocumented file, a changed one
        with pytest.warns(ChecksumWarning) as caught:
            load_prices(ticker, window=3, folder=folder)
        assert {warning.filename for warning in caught} == {__file__}  # the notebook's line that loaded the prices


def test_the_loaded_prices_carry_the_ticker_in_capitals_and_the_default_window_is_60(make_prices):
    folder = make_prices(n_train=61, ticker="TEST")
    prices = load_prices("test", folder=folder, verify=False)
    assert prices.ticker == "TEST" and len(prices.train) == 61  # one 60-day window and its target: just enough
    with pytest.raises(DataError, match=r"TEST_train\.csv: 60 training rows, but a 60-day window needs at least 61"):
        load_prices("TEST", folder=make_prices(n_train=60, ticker="TEST"), verify=False)


def test_the_first_test_day_must_come_after_the_last_training_day_even_by_one(tmp_path):
    dates = business_days("2020-01-01", 10)
    folder = write_prices(tmp_path, "TEST", rows(dates[:8], range(1, 9)), rows(dates[7:], [8, 9, 10]))
    reject(folder, rf"TEST_test\.csv, row 2: test date {dates[7]:%Y-%m-%d} is not after the last training date "
                   rf"{dates[7]:%Y-%m-%d} in TEST_train\.csv")


def test_dates_out_of_order_in_the_test_file_name_both_dates(tmp_path):
    dates = business_days("2020-01-01", 12)
    test = [dates[9], dates[11], dates[10]]
    folder = write_prices(tmp_path, "TEST", rows(dates[:8], range(1, 9)), rows(test, [9, 10, 11]))
    reject(folder, rf"TEST_test\.csv, row 4: date {dates[10]:%Y-%m-%d} comes before the previous row's "
                   rf"{dates[11]:%Y-%m-%d} \(dates must be in order\)")


def test_a_missing_column_lists_the_columns_found(tmp_path):
    folder = write_prices(tmp_path, "TEST", ["2020-01-01,1,2"] * 5, ["2020-02-01,1,2"], header="Day, Open ,Close")
    reject(folder, r"TEST_train\.csv: no 'Date' column \(columns found: Day, Open, Close\)$")


def test_extra_columns_of_numbers_become_numbers_and_others_stay_text(tmp_path):
    dates = business_days("2020-01-01", 12)
    train = [f"{day:%Y-%m-%d},{100 + i},{101.5 + i},note" for i, day in enumerate(dates[:10])]
    test = [f"{day:%Y-%m-%d},{200 + i},{201.5 + i},note" for i, day in enumerate(dates[10:])]
    folder = write_prices(tmp_path, "TEST", train, test, header="Date,Open,High,Note")
    prices = load_prices("TEST", window=3, folder=folder, verify=False)
    assert prices.train["High"].tolist()[:2] == [101.5, 102.5] and prices.train["Note"].iloc[0] == "note"
    assert prices.train_open.dtype == float


def test_a_month_split_keeps_the_ticker_and_the_files_and_needs_one_window_and_a_target(tmp_path):
    dates = business_days("2016-01-01", 40)  # January 2016 has 21 trading days; February 1 ends the training file
    folder = write_prices(tmp_path, "TEST", rows(dates[:22], range(1, 23)), rows(dates[22:], range(23, 41)))
    prices = load_prices("TEST", window=10, folder=folder, verify=False)
    split = prices_for_month(prices, "2016-02", window=20)
    assert split.ticker == "TEST" and split.train_path == prices.train_path
    assert split.test_path == prices.train_path  # February's first day is in the training file
    assert len(split.train) == 21 and split.test["Date"].iloc[0] == pd.Timestamp("2016-02-01")
    with pytest.raises(DataError, match=r"^TEST, test month 2016-02: 21 training days before it, but a 21-day window "
                                        r"needs at least 22$"):
        prices_for_month(prices, "2016-02", window=21)
    with pytest.raises(DataError, match="but a 60-day window needs at least 61"):
        prices_for_month(prices, "2016-02")
    with pytest.raises(DataError, match=r"^TEST, test month 2016-04: no trading days in TEST_train\.csv or TEST_test\.csv "
                                        r"\(they cover 2016-01-01\.\.2016-02-25\)$"):
        prices_for_month(prices, "2016-04", window=10)
    with pytest.raises(DataError, match=r"^test month '2016-13' is not a month like 2018-11$"):
        prices_for_month(prices, "2016-13", window=10)
