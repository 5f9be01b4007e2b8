"""The main job's control flow: unknown names and failing cells end in one clear message."""

from __future__ import annotations

import os

import nbformat
import pytest

import utils.tools.main_job as main_job
from utils.errors import DataError


def test_unknown_notebook_name():
    with pytest.raises(DataError, match=r"--only Exercise9\.99: no such notebook \(choose from Exercise9\.01"):
        main_job.run_notebooks(["Exercise9.99"])


@pytest.fixture
def fake_project(tmp_path, monkeypatch):
    """Tiny notebooks in a temporary project; returns a function that writes one and gives its path."""
    import utils.results as results

    monkeypatch.setattr(main_job, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(main_job, "NOTEBOOKS", {})
    monkeypatch.setattr(main_job, "AFTER_LANES", ())
    monkeypatch.setattr(main_job, "notebook_path", lambda name: tmp_path / name / f"{name}.ipynb")
    monkeypatch.delenv("WORKSHOP_EPOCHS", raising=False)  # make test sets it; each test says what it runs
    refreshed = []
    monkeypatch.setattr(main_job, "refresh_results_table_and_figure", lambda: refreshed.append("table and figure"))
    monkeypatch.setattr(main_job, "SCRATCH_ROOT", tmp_path / "scratch")

    def make(name, *sources, ticker="GOOG"):
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        path = main_job.notebook_path(name)
        path.parent.mkdir()
        nbformat.write(notebook, path)
        main_job.NOTEBOOKS[name] = (ticker, 50, 0.0)
        return path

    make.refreshed = refreshed
    return make


def test_failing_cell_names_the_notebook_and_cell(fake_project):
    path = fake_project("Broken", "x = 1", "raise ValueError('no\\ndata')")
    with pytest.raises(DataError, match=r"Broken: cell 2 failed with ValueError: no data \(the notebook was saved") as raised:
        main_job.run_notebooks(["Broken"])
    assert "\n" not in str(raised.value)
    saved = nbformat.read(path, as_version=4)
    errors = [output for cell in saved.cells if cell.cell_type == "code" for output in cell.outputs
              if output["output_type"] == "error"]
    assert [error["evalue"] for error in errors] == ["no\ndata"]  # kept in the notebook for the learner to see


def test_lanes_keep_each_comparison_behind_the_notebooks_it_loads():
    from utils.registry import NOTEBOOKS

    groups = main_job.lanes(list(NOTEBOOKS))
    assert groups == [["Exercise9.01", "Exercise9.02"], ["Activity9.01", "Activity9.02", "Activity9.03"]]
    for group in groups:
        for position, name in enumerate(group):
            notebook = nbformat.read(main_job.notebook_path(name), as_version=4)
            loaded = {earlier for cell in notebook.cells for earlier in NOTEBOOKS
                      if cell.cell_type == "code" and "load_result" in cell.source and f"'{earlier}'" in cell.source}
            assert loaded <= set(group[:position]), f"{name} loads {loaded}, which its lane has not run before it"


def test_the_sixth_notebook_runs_after_every_lane(fake_project, monkeypatch):
    order = []
    monkeypatch.setattr(main_job, "AFTER_LANES", ("Later",))
    monkeypatch.setattr(main_job, "run_lanes", lambda groups, jobs: order.append(("lanes", groups)))
    monkeypatch.setattr(main_job, "run_in_this_process", lambda names, epochs: order.append(("after", names)))
    fake_project("First"), fake_project("Second", ticker="AMZN")
    assert main_job.selected_notebooks() == ["First", "Second", "Later"]
    main_job.run_notebooks(jobs=2)
    assert order == [("lanes", [["First"], ["Second"]]), ("after", ["Later"])]
    order.clear()
    main_job.run_notebooks(jobs=1)
    assert order == [("after", ["First", "Second", "Later"])]


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


def test_cpus_this_process_may_not_use_are_refused_before_anything_runs(fake_project):
    import os

    allowed = sorted(os.sched_getaffinity(0))
    with pytest.raises(DataError, match=rf"--cpus='{allowed[0]},99999': CPU 99999 is not one this process may use"):
        main_job.run_notebooks([], cpus={allowed[0], 99999})
    assert sorted(os.sched_getaffinity(0)) == allowed


def test_the_scratch_folders_of_a_killed_job_are_removed_by_the_next(tmp_path, monkeypatch):
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process number no running process has (as after kill -9)
    monkeypatch.setattr(main_job, "SCRATCH_ROOT", tmp_path / "scratch")
    leftover = tmp_path / "scratch" / str(gone.pid)
    (leftover / "Exercise9.01.ipynb").parent.mkdir(parents=True)
    (leftover / "Exercise9.01.ipynb").write_text("half a notebook")
    running = tmp_path / "scratch" / str(os.getppid())  # a live process's folder is left alone
    running.mkdir()
    with main_job.scratch_folder() as scratch:
        assert scratch.is_dir() and not leftover.exists() and running.is_dir()
    assert not scratch.exists()


def executed_by_fake_papermill(calls, fail_with=None):
    """Stands for papermill.execute_notebook: each cell's output is two stream pieces, as a progress bar sends."""

    def execute(input_path, output_path, **options):
        calls.append((input_path, output_path))
        notebook = nbformat.read(input_path, as_version=4)
        for count, cell in enumerate(notebook.cells, start=1):
            cell.execution_count = count
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=piece) for piece in ("ran ", "it\n")]
            if fail_with is not None:
                nbformat.write(notebook, output_path)  # papermill saves as it goes
                raise fail_with
        nbformat.write(notebook, output_path)

    return execute


def test_a_full_run_updates_the_notebooks_in_place_then_the_table(fake_project, monkeypatch):
    import papermill

    first, second = fake_project("First", "print('ran it')"), fake_project("Second", "print('ran it')")
    calls = []
    monkeypatch.setattr(papermill, "execute_notebook", executed_by_fake_papermill(calls))
    assert main_job.run_notebooks(["First", "Second"]) == 0
    assert [input_path for input_path, _ in calls] == [str(first), str(second)]
    for path in (first, second):
        cell = nbformat.read(path, as_version=4).cells[0]
        assert cell.execution_count == 1 and [output.text for output in cell.outputs] == ["ran it\n"]  # one stream
    assert fake_project.refreshed == ["table and figure"]


def test_a_quick_run_leaves_the_committed_notebooks_and_table_alone(fake_project, monkeypatch, capsys):
    path = fake_project("Quick", "import os\nprint('quick, main job:', os.environ.get('WORKSHOP_MAIN_JOB'))")
    before = path.read_bytes()
    monkeypatch.setenv("WORKSHOP_EPOCHS", "2")
    monkeypatch.delenv("WORKSHOP_MAIN_JOB", raising=False)
    assert main_job.run_notebooks(["Quick"]) == 0  # a real kernel runs the tiny notebook
    assert path.read_bytes() == before
    executed = nbformat.read(path.parents[1] / "results" / "epochs-2" / "Quick.ipynb", as_version=4)
    # The main job's kernels, and theirs alone, save as the main job (utils.results.writes_committed).
    assert [output.text for output in executed.cells[0].outputs] == ["quick, main job: 1\n"]
    assert "WORKSHOP_MAIN_JOB" not in os.environ
    assert fake_project.refreshed == []
    assert "quick run (2 epochs): the executed notebooks are in results/epochs-2/" in capsys.readouterr().err


def test_an_interrupted_run_leaves_the_notebook_as_it_was(fake_project, monkeypatch):
    import papermill

    path = fake_project("Stopped", "print('ran it')")
    before = path.read_bytes()
    monkeypatch.setattr(papermill, "execute_notebook", executed_by_fake_papermill([], fail_with=KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        main_job.run_notebooks(["Stopped"])
    assert path.read_bytes() == before
    assert [item.name for item in path.parent.iterdir()] == ["Stopped.ipynb"]  # nothing half-written beside it


@pytest.mark.parametrize("problem, message", [
    ("dead", r"Dead: the kernel died while running it \(.*\); the notebook was left as it was"),
    ("no kernel", r"Dead: no Jupyter kernel named 'python3' .*python -m ipykernel install"),
])
def test_a_dead_kernel_or_a_missing_kernelspec_is_one_line(fake_project, monkeypatch, problem, message):
    import papermill
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import DeadKernelError

    path = fake_project("Dead", "print('ran it')")
    before = path.read_bytes()
    error = DeadKernelError("Kernel died") if problem == "dead" else NoSuchKernel("python3")
    monkeypatch.setattr(papermill, "execute_notebook", executed_by_fake_papermill([], fail_with=error))
    with pytest.raises(DataError, match=message) as raised:
        main_job.run_notebooks(["Dead"])
    assert "\n" not in str(raised.value)
    assert path.read_bytes() == before


def test_a_lane_whose_process_cannot_start_fails_the_job(monkeypatch, capsys):
    import io

    class FakeChild:
        def __init__(self, command, **kwargs):
            if "Activity9.01" in command:
                raise OSError(24, "Too many open files")
            self.stdout = io.BytesIO(b"")

        def wait(self):
            return 0

    monkeypatch.setattr(main_job.subprocess, "Popen", FakeChild)
    with pytest.raises(DataError, match=r"the lane Activity9.01 failed"):
        main_job.run_notebooks(["Exercise9.01", "Activity9.01"], jobs=2, table=False)
    err = capsys.readouterr().err
    assert "[AMZN] error: cannot start the lane's process (Too many open files)" in err
    assert "Traceback" not in err and "all lanes done" not in err
