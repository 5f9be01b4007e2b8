"""make test's split over two pytest-xdist processes: the notebooks stay together, each unit test goes alone."""

from __future__ import annotations

import pytest
from conftest import pytest_xdist_make_scheduler

pytest.importorskip("xdist")


class Options:
    """The two settings the scheduler hook and xdist's scheduler read from pytest's configuration."""

    def __init__(self, dist: str):
        self.values = {"dist": dist, "tx": ["2*popen"]}

    def getvalue(self, name: str):
        return self.values[name]


def test_loadgroup_puts_every_notebook_cell_in_one_group_and_each_unit_test_in_its_own():
    scheduler = pytest_xdist_make_scheduler(Options("loadgroup"), log=None)
    nodeids = ["Exercise9.01/Exercise9.01.ipynb::Cell 0", "Activity9.03/Activity9.03.ipynb::Cell 20",
               "tests/test_cli.py::test_seed_spread", "tests/test_cli.py::test_train_json_report_and_save",
               "tests/test_docs.py::test_relative_link_leads_somewhere[README.md->Exercise9.01/Exercise9.01.ipynb]"]
    assert [scheduler._split_scope(nodeid) for nodeid in nodeids] == ["notebooks", "notebooks", *nodeids[2:]]


def test_other_distribution_modes_keep_xdists_own_scheduler():
    assert pytest_xdist_make_scheduler(Options("load"), log=None) is None
