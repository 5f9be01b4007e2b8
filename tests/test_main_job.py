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


def test_lanes_keep_each_comparison_behind_the_notebooks_it_loads():
    from utils.report import NOTEBOOKS

    groups = main_job.lanes(list(NOTEBOOKS))
    assert groups == [["Exercise9.01", "Exercise9.02"], ["Activity9.01", "Activity9.02", "Activity9.03"]]
    for group in groups:
        for position, name in enumerate(group):
            notebook = nbformat.read(main_job.notebook_path(name), as_version=4)
            loaded = {earlier for cell in notebook.cells for earlier in NOTEBOOKS
                      if cell.cell_type == "code" and "load_result" in cell.source and f"'{earlier}'" in cell.source}
            assert loaded <= set(group[:position]), f"{name} loads {loaded}, which its lane has not run before it"


def lane_output(last_line=b"X_train: (1198, 60, 1)\n"):
    import io

    bars = b"".join(f"\r {n}%|##| {n}/100 [00:0{n % 10}<00:10, 1.0s/epoch]".encode() for n in range(1, 101))
    return io.BytesIO(b"[IPKernelApp] WARNING | Kernel is running over TCP without encryption.\n"
                      b"[1/2] Exercise9.01: running Exercise9.01/Exercise9.01.ipynb\n" + bars + b"\n" + last_line)


def bar_epochs(lines):
    return [int(line.split("/")[0].split()[-1]) for line in lines if "epoch]" in line]


def test_lane_output_is_labelled_and_its_progress_bar_thinned(capsys):
    # A clock that reads 0 whatever the machine's uptime: the first bar line still shows, then only the last.
    main_job.relay("GOOG", lane_output(), clock=lambda: 0.0, every=3600)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "[GOOG] [1/2] Exercise9.01: running Exercise9.01/Exercise9.01.ipynb"
    assert [line for line in lines if "epoch]" in line] == [
        "[GOOG] 1%|##| 1/100 [00:01<00:10, 1.0s/epoch]", "[GOOG] 100%|##| 100/100 [00:00<00:10, 1.0s/epoch]"]
    assert lines[-1] == "[GOOG] X_train: (1198, 60, 1)"
    assert not any("TCP" in line for line in lines)


def test_lane_progress_shows_one_bar_line_per_interval(capsys):
    import itertools

    seconds = itertools.count()  # each bar line arrives one second after the one before
    main_job.relay("AMZN", lane_output(), clock=lambda: float(next(seconds)), every=30)
    assert bar_epochs(capsys.readouterr().err.splitlines()) == [1, 31, 61, 91, 100]


def test_a_lane_final_line_without_newline_is_shown(capsys):
    main_job.relay("GOOG", lane_output(last_line=b"error: the kernel died"), clock=lambda: 0.0)
    assert capsys.readouterr().err.splitlines()[-1] == "[GOOG] error: the kernel died"


def test_a_failed_lane_is_named_after_the_others_finish(monkeypatch):
    import io

    started = []

    class FakeChild:
        def __init__(self, command, **kwargs):
            self.names = [command[i + 1] for i, word in enumerate(command) if word == "--only"]
            cpus = command[command.index("--cpus") + 1]
            started.append((self.names, cpus, kwargs["env"]["OMP_NUM_THREADS"]))
            self.stdout = io.BytesIO(b"error: something broke\n" if "Activity9.02" in self.names else b"")

        def wait(self):
            return 2 if "Activity9.02" in self.names else 0

    monkeypatch.setattr(main_job.subprocess, "Popen", FakeChild)
    monkeypatch.setattr(main_job.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(main_job.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    with pytest.raises(DataError, match=r"the lane Activity9.01 -> Activity9.02 failed"):
        main_job.run_notebooks(["Exercise9.01", "Activity9.01", "Activity9.02"], jobs=2, table=False)
    # Each lane on its own CPU, with one thread.
    assert sorted(names for names, _, _ in started) == [["Activity9.01", "Activity9.02"], ["Exercise9.01"]]
    assert sorted(cpus for _, cpus, _ in started) == ["0", "1"]
    assert {threads for _, _, threads in started} == {"1"}


def test_cpu_shares_split_the_allowed_cpus_or_pin_nothing(monkeypatch):
    monkeypatch.setattr(main_job.os, "sched_getaffinity", lambda pid: {4, 5, 6, 7}, raising=False)
    assert main_job.cpu_shares(2) == [{4, 5}, {6, 7}]
    assert main_job.cpu_shares(3) == [{4}, {5}, {6}]  # the fourth CPU is left to the rest of the machine
    assert main_job.cpu_shares(5) == [None] * 5  # fewer CPUs than lanes: no pinning
    monkeypatch.delattr(main_job.os, "sched_getaffinity", raising=False)
    assert main_job.cpu_shares(2) == [None, None]  # no affinity call on this system


@pytest.mark.skipif(not hasattr(__import__("os"), "sched_setaffinity"), reason="no CPU affinity on this system")
def test_pinning_to_cpus_this_machine_lacks_is_a_clear_error():
    import os

    before = os.sched_getaffinity(0)
    with pytest.raises(DataError, match=r"--cpus 4096: cannot run on these CPUs here"):
        main_job.pin_to({4096})
    with pytest.raises(DataError, match=r"--cpus 1180591620717411303424: cannot run on these CPUs here"):
        main_job.pin_to({2**70})  # too large for the system call's CPU set
    assert os.sched_getaffinity(0) == before
