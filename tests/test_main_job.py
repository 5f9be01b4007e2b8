"""The main job's control flow: unknown names and failing cells end in one clear message."""

from __future__ import annotations

import nbformat
import pytest

import utils.notebooks as main_job
from utils.data import DataError


def test_unknown_notebook_name():
    with pytest.raises(DataError, match=r"--only Exercise9\.99: no such notebook \(choose from Exercise9\.01"):
        main_job.run_notebooks(["Exercise9.99"])


def test_failing_cell_names_the_notebook_and_cell(tmp_path, monkeypatch):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("raise ValueError('no data')")]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "Broken" / "Broken.ipynb"
    path.parent.mkdir()
    nbformat.write(notebook, path)
    monkeypatch.setattr(main_job, "NOTEBOOKS", {"Broken": ("GOOG", 50, 0.0)})
    monkeypatch.setattr(main_job, "notebook_path", lambda name: path)
    monkeypatch.setattr(main_job, "REPO_ROOT", tmp_path)
    with pytest.raises(DataError, match=r"Broken: cell 2 failed with ValueError: no data"):
        main_job.run_notebooks(["Broken"])
    saved = nbformat.read(path, as_version=4)
    errors = [output for cell in saved.cells if cell.cell_type == "code" for output in cell.outputs
              if output["output_type"] == "error"]
    assert [error["evalue"] for error in errors] == ["no data"]  # kept in the notebook for the learner to see
