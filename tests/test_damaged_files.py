"""Each kind of file the project reads, damaged five ways or more: every command that reads it answers in one line
and writes nothing.

The project is a temporary copy (the committed results, models and price
files); each test damages one file, runs each command that reads it through
the command line's ``main``, and compares every file of the copy before and after.
"""

from __future__ import annotations

import codecs
import json
import re
import shutil
import warnings
from pathlib import Path

import pytest

import utils.files as files
import utils.results as results
import utils.tools.report as report
from utils.files import REPO_ROOT
from utils.tools.cli import main


@pytest.fixture
def project(tmp_path, monkeypatch, shipped_data):
    for name in ("results", "data"):
        shutil.copytree(REPO_ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("epochs-*", "*.lock"))
    shutil.copy(REPO_ROOT / "README.md", tmp_path / "README.md")
    (tmp_path / "docs").mkdir()
    shutil.copy(REPO_ROOT / "docs" / "january_forecasts.png", tmp_path / "docs" / "january_forecasts.png")
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(files, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(report, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(report, "README", tmp_path / "README.md")
    monkeypatch.setattr(report, "FIGURE", tmp_path / "docs" / "january_forecasts.png")
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(results.MAIN_JOB_VARIABLE, raising=False)
    monkeypatch.setenv(results.RESULTS_DIR_VARIABLE, str(tmp_path / "mine"))
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def answers_in_one_line(project, capsys, argv, status=2, naming=None):
    """Run ``argv``; it must exit with ``status``, say one line on stderr (naming ``naming``), and write nothing."""
    before = snapshot(project)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would be a second line
        assert main(argv) == status, capsys.readouterr()
    err = capsys.readouterr().err
    problems = [line for line in err.splitlines() if line.startswith(("error:", "problem:"))]
    assert len(problems) == 1 and "Traceback" not in err, err
    if naming:
        assert naming in problems[0], problems[0]
    assert snapshot(project) == before, "a file was written"


def edit_json(path: Path, change) -> None:
    payload = json.loads(path.read_text())
    change(payload)
    path.write_text(json.dumps(payload))


NOTEBOOK_DAMAGE = {
    "truncated": lambda path: path.write_bytes(path.read_bytes()[:500]),
    "rmse removed": lambda path: edit_json(path, lambda r: r.pop("rmse")),
    "predictions removed": lambda path: edit_json(path, lambda r: r.pop("predictions")),
    "rmse NaN": lambda path: path.write_text(path.read_text().replace('"rmse": ', '"rmse": NaN, "x": ', 1)),
    "fit_seconds text": lambda path: edit_json(path, lambda r: r.update(fit_seconds="abc")),
    "final_loss removed": lambda path: edit_json(path, lambda r: r.pop("final_loss")),
    "ticker changed": lambda path: edit_json(path, lambda r: r.update(ticker="AMZN")),
    "units missing": lambda path: edit_json(path, lambda r: r.pop("units")),
    "a NaN prediction": lambda path: edit_json(path, lambda r: r["predictions"].__setitem__(3, float("nan"))),
    "20 predictions": lambda path: edit_json(path, lambda r: r["predictions"].pop()),
    "not an object": lambda path: path.write_text("[1, 2]"),
}


@pytest.mark.parametrize("damage", NOTEBOOK_DAMAGE)
def test_a_damaged_notebook_result(project, capsys, damage):
    NOTEBOOK_DAMAGE[damage](project / "results" / "Exercise9.01.json")
    answers_in_one_line(project, capsys, ["table"], naming="results/Exercise9.01.json")
    answers_in_one_line(project, capsys, ["train", "--ticker", "GOOG", "--units", "50", "--load"],
                        naming="results/Exercise9.01.json")


SPREAD = "results/cli/GOOG_50u_d0_100ep_seeds1-2-3.json"
SPREAD_DAMAGE = {
    "truncated": lambda path: path.write_bytes(path.read_bytes()[:300]),
    "rmse_std removed": lambda path: edit_json(path, lambda r: r.pop("rmse_std")),
    "a seed's rmse NaN": lambda path: edit_json(path, lambda r: r["seeds"][1].update(rmse=float("nan"))),
    "seeds do not match": lambda path: edit_json(path, lambda r: r.update(seed=[1, 2, 4])),
    "ticker changed": lambda path: edit_json(path, lambda r: r.update(ticker="AMZN")),
    "a run without predictions": lambda path: edit_json(path, lambda r: r["seeds"][0].pop("predictions")),
    "empty file": lambda path: path.write_text(""),
}


@pytest.mark.parametrize("damage", SPREAD_DAMAGE)
def test_a_damaged_seed_spread(project, capsys, damage):
    SPREAD_DAMAGE[damage](project / SPREAD)
    answers_in_one_line(project, capsys, ["table"], naming=SPREAD)


SWEEP_DAMAGE = {
    "a short row": lambda text: text.rstrip("\n").rsplit(",", 3)[0] + "\n",
    "rmse nan": lambda text: text.replace(",18.645737726737387,", ",nan,", 1),
    "units text": lambda text: text.replace("GOOG,50,", "GOOG,fifty,", 1),
    "month written out": lambda text: text.replace(",2019-01,", ",January,", 1),
    "header changed": lambda text: text.replace("rmse_ratio", "ratio", 1),
    "a date as 31/01/2019": lambda text: text.replace(",2019-01-31,", ",31/01/2019,", 1),
}


@pytest.mark.parametrize("damage", SWEEP_DAMAGE)
def test_a_damaged_sweep_file(project, capsys, damage):
    out = project / "results" / "sweeps" / "notebooks.csv"
    out.write_text(SWEEP_DAMAGE[damage](out.read_text()))
    answers_in_one_line(project, capsys, ["sweep", "--tickers", "GOOG", "--units", "8", "--epochs", "1",
                                          "--out", str(out)], naming=str(out))


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


MODEL_DAMAGE = {
    "missing": lambda path: path.unlink(),
    "truncated": lambda path: path.write_bytes(path.read_bytes()[:1000]),
    "empty": lambda path: path.write_bytes(b""),
    "a byte flipped": flip_a_byte,
    "another model's file": lambda path: shutil.copy(path.with_name("Exercise9.02.keras"), path),
    "not a zip": lambda path: path.write_text("not a model"),
}


@pytest.mark.parametrize("damage", MODEL_DAMAGE)
def test_a_damaged_saved_model(project, capsys, damage):
    MODEL_DAMAGE[damage](project / "results" / "models" / "Exercise9.01.keras")
    answers_in_one_line(project, capsys, ["data", "check"], status=1, naming="Exercise9.01.keras")
    answers_in_one_line(project, capsys, ["train", "--ticker", "GOOG", "--units", "50", "--load"],
                        naming="Exercise9.01.keras")


def replace_in(path: Path, old: bytes, new: bytes) -> None:
    content = path.read_bytes()
    assert old in content
    path.write_bytes(content.replace(old, new, 1))


PRICE_DAMAGE = {
    "missing": lambda path: path.unlink(),
    "empty": lambda path: path.write_bytes(b""),
    "an open that is text": lambda path: replace_in(path, b"\n1/10/19,", b"\n1/10/19,abc"),
    "a day twice": lambda path: path.write_bytes(path.read_bytes() + path.read_bytes().splitlines(True)[-1]),
    "no Open column": lambda path: replace_in(path, b"Open", b"Opening"),
    "a date that is not one": lambda path: replace_in(path, b"\n1/10/19,", b"\n13/10/19,"),
    "an open left empty": lambda path: path.write_bytes(re.sub(rb"\n1/10/19,[0-9.]+,", b"\n1/10/19,,", path.read_bytes())),
}


@pytest.mark.parametrize("damage", PRICE_DAMAGE)
def test_a_damaged_price_file(project, capsys, damage):
    PRICE_DAMAGE[damage](project / "data" / "GOOG_test.csv")
    answers_in_one_line(project, capsys, ["table"], naming="GOOG_test.csv")
    answers_in_one_line(project, capsys, ["train", "--ticker", "GOOG", "--units", "4", "--epochs", "1", "--save"],
                        naming="GOOG_test.csv")


@pytest.mark.parametrize("rewrite", ["CRLF", "BOM", "CRLF and BOM"])
def test_line_endings_or_a_byte_order_mark_give_the_same_results_without_a_warning(project, capsys, rewrite):
    from utils.data import checksum_status, load_prices

    original = load_prices("GOOG")
    for name in ("GOOG_train.csv", "GOOG_test.csv"):
        path = project / "data" / name
        content = path.read_bytes()
        if "CRLF" in rewrite:  # the other line ending than the committed file's (they hold both kinds)
            content = content.replace(b"\r\n", b"\n") if b"\r\n" in content else content.replace(b"\n", b"\r\n")
        if "BOM" in rewrite:
            content = codecs.BOM_UTF8 + content
        path.write_bytes(content)
        assert checksum_status(path) == "ok"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rewritten = load_prices("GOOG")
    assert rewritten.train.equals(original.train) and rewritten.test.equals(original.test)
    assert main(["table"]) == 0
    assert capsys.readouterr().err == ""
