"""The notebooks' parameters cell is checked by the command line's own checks (utils/values.py)."""

from __future__ import annotations

import pytest

from utils.errors import DataError
from utils.values import check_notebook_parameters

CHAPTER = dict(TICKER="GOOG", UNITS=50, DROPOUT=0.0, EPOCHS=100, WINDOW=60, SEED=1, TRAIN=True)


def checked(**changes):
    return check_notebook_parameters(**{**CHAPTER, **changes})


def test_the_chapter_values_come_back_unchanged():
    assert checked() == ("GOOG", 50, 0.0, 100, 60, 1, True)


@pytest.mark.parametrize(("text", "meant"), [("False", False), ("false", False), ("0", False), ("no", False),
                                             ("True", True), ("1", True), (0, False)])
def test_train_given_as_text_is_read_as_a_person_means_it(text, meant):
    # papermill's -p TRAIN false passes the text "false", which as a Python value would be true.
    assert checked(TRAIN=text)[-1] is meant


def test_text_from_papermill_becomes_numbers():
    assert checked(TICKER=" amzn", UNITS="100", DROPOUT="0.2", EPOCHS="2", WINDOW="30", SEED="7") == (
        "AMZN", 100, 0.2, 2, 30, 7, True)


@pytest.mark.parametrize(("change", "named"), [
    ({"UNITS": 0}, "UNITS=0"), ({"UNITS": -1}, "UNITS=-1"), ({"UNITS": "abc"}, "UNITS='abc'"),
    ({"UNITS": 10**9}, "UNITS=1000000000"), ({"UNITS": 50.5}, "UNITS=50.5"),
    ({"DROPOUT": 1.5}, "DROPOUT=1.5"), ({"DROPOUT": float("nan")}, "DROPOUT=nan"), ({"DROPOUT": 1}, "DROPOUT=1"),
    ({"EPOCHS": 0}, "EPOCHS=0"), ({"EPOCHS": 10**6}, "EPOCHS=1000000"), ({"WINDOW": 0}, "WINDOW=0"),
    ({"SEED": -1}, "SEED=-1"), ({"SEED": 2**32}, "SEED=4294967296"), ({"TICKER": "GO OG"}, "TICKER 'GO OG'"),
    ({"TICKER": 5}, "TICKER 5"), ({"TRAIN": "maybe"}, "TRAIN='maybe'"), ({"TRAIN": 2}, "TRAIN=2"),
])
def test_a_wrong_parameter_is_one_line_naming_it(change, named):
    with pytest.raises(DataError) as error:
        checked(**change)
    message = str(error.value)
    assert message.startswith(named) and "\n" not in message


def test_every_notebook_checks_its_parameters_in_the_setup_cell():
    import nbformat

    from utils.registry import committed_notebooks, notebook_path

    for name in committed_notebooks():
        cells = [cell for cell in nbformat.read(notebook_path(name), as_version=4).cells if cell.cell_type == "code"]
        parameters = next(index for index, cell in enumerate(cells) if "parameters" in cell.metadata.get("tags", []))
        # The cell right after the parameters is the first to use them: it checks all seven before anything else.
        setup = cells[parameters + 1].source
        assert "check_notebook_parameters(\n    TICKER, UNITS, DROPOUT, EPOCHS, WINDOW, SEED, TRAIN)" in setup, name
        assert setup.index("check_notebook_parameters(\n") < setup.index("effective_epochs(EPOCHS)"), name
