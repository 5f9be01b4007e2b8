"""docs/glossary.md: each term first occurs in the notebook cell the glossary names."""

from __future__ import annotations

import re

import nbformat
import pytest

from utils.files import REPO_ROOT
from utils.registry import BEYOND_NOTEBOOK, NOTEBOOKS, notebook_path

ROW = re.compile(r"^\| (?P<term>[^|]+?) \| \[[^]]+\]\((?P<link>[^)]+)\), cell (?P<cell>[0-9]+) \|", re.MULTILINE)
GLOSSARY = (REPO_ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")


def learner_notebooks():
    """The notebooks in the order a learner opens them: an activity's task stands for the activity."""
    for name in NOTEBOOKS:
        task = notebook_path(name).with_name(f"{name}_task.ipynb")
        yield task if task.exists() else notebook_path(name)
    yield notebook_path(BEYOND_NOTEBOOK)  # beyond the chapter, opened last


def first_cell(term: str) -> tuple[str, int] | None:
    for path in learner_notebooks():
        for number, cell in enumerate(nbformat.read(path, as_version=4).cells, start=1):
            if term.lower() in cell.source.lower():
                return path.relative_to(REPO_ROOT).as_posix(), number
    return None


ROWS = [match.groupdict() for match in ROW.finditer(GLOSSARY)]


def test_the_glossary_has_the_chapters_terms():
    terms = {row["term"] for row in ROWS}
    assert {"LSTM", "forget gate", "return_sequences", "Dropout", "MinMaxScaler", "RMSE", "naive forecast"} <= terms


@pytest.mark.parametrize("row", ROWS, ids=[row["term"] for row in ROWS])
def test_each_term_first_appears_in_the_cell_named(row):
    assert first_cell(row["term"]) == (row["link"].removeprefix("../"), int(row["cell"]))
