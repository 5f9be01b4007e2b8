"""The main job: re-execute the notebooks, then refresh the README's table and figure.

A full run (100 epochs) rewrites the committed notebooks in place; a quick run
(``WORKSHOP_EPOCHS`` set to fewer) writes its executed copies under
``results/epochs-N/`` and leaves the notebooks, the table and the figure alone.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from .. import results
from ..atomic import write_atomically
from ..epochs import FULL_EPOCHS, effective_epochs, is_full_run
from ..errors import DataError
from ..files import REPO_ROOT
from ..registry import BEYOND_NOTEBOOK, NOTEBOOKS
from ..registry import notebook_path as registered_notebook_path
from ..values import check_cpu_list
from .report import refresh_results_table_and_figure

# Notebooks that read the results of several lanes: they run after every lane has finished.
AFTER_LANES = (BEYOND_NOTEBOOK,)
# tqdm's "12/100 [" part of a progress bar: epochs done and in all.
PROGRESS_BAR = re.compile(r"\b(\d+)/(\d+) \[")
# Seconds between two progress-bar lines of one lane when lanes run side by side.
LANE_PROGRESS_EVERY = 30


def notebook_path(name: str) -> Path:
    return registered_notebook_path(name, REPO_ROOT)


def executed_notebook_path(name: str, epochs: int) -> Path:
    """Where a run's executed notebook goes: in place for a full run, ``results/epochs-N/`` for a quick one."""
    return notebook_path(name) if is_full_run(epochs) else results.results_dir(epochs, FULL_EPOCHS) / f"{name}.ipynb"


def save_executed(executed: Path, target: Path) -> None:
    """Write the executed notebook to ``target`` atomically, each cell's progress-bar updates merged into one stream.

    The kernel sends every redraw of the bar as its own message; JupyterLab folds
    them on screen, but the saved file (and viewers such as GitHub's) would list
    every redraw. nbval merges streams the same way before comparing.
    """
    import nbformat
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    notebook = nbformat.read(executed, as_version=4)
    CoalesceStreamsPreprocessor().preprocess(notebook, {})
    write_atomically(target, lambda stream: nbformat.write(notebook, stream))


def selected_notebooks(only: list[str] | None = None) -> list[str]:
    """The notebooks to run, in the order the main job runs them."""
    names = [*NOTEBOOKS, *AFTER_LANES]
    if only:
        unknown = [name for name in only if name not in names]
        if unknown:
            raise DataError(f"--only {', '.join(unknown)}: no such notebook (choose from {', '.join(names)})")
        names = [name for name in names if name in only]
    return names


def lanes(names: list[str]) -> list[list[str]]:
    """Group the notebooks by ticker, keeping their order.

    A notebook compares itself only with earlier notebooks of its own ticker,
    so each group must run in order but two groups never wait for each other.
    """
    by_ticker: dict[str, list[str]] = {}
    for name in names:
        by_ticker.setdefault(NOTEBOOKS[name][0], []).append(name)
    return list(by_ticker.values())


def run_notebooks(only: list[str] | None = None, jobs: int = 1, table: bool = True, cpus: set[int] | None = None) -> int:
    """Run the notebooks (``jobs`` tickers side by side), then rebuild the table and figure; stop at the first failure.

    ``cpus``: run this process, and the kernels it starts, on these CPUs only.
    """
    names = selected_notebooks(only)
    epochs = effective_epochs()
    if cpus:
        pin_to(check_cpu_list(",".join(map(str, sorted(cpus))), sorted(os.sched_getaffinity(0))
                              if hasattr(os, "sched_getaffinity") else None, "--cpus"))
    groups = lanes([name for name in names if name in NOTEBOOKS])
    if jobs > 1 and len(groups) > 1:
        run_lanes(groups, jobs)
        later = [name for name in names if name not in NOTEBOOKS]
        if later:
            run_in_this_process(later, epochs)
    else:
        run_in_this_process(names, epochs)
    if not is_full_run(epochs):
        folder = results.results_dir(epochs, FULL_EPOCHS).relative_to(REPO_ROOT)
        quick = f"{epochs} epoch{'s' if epochs != 1 else ''}"
        print(f"quick run ({quick}): the executed notebooks are in {folder}/; the committed notebooks, the "
              f"README table and the figure are left as they are (only a full {FULL_EPOCHS}-epoch run updates them)",
              file=sys.stderr, flush=True)
    elif table:
        refresh_table_and_figure()
    return 0


def run_in_this_process(names: list[str], epochs: int = FULL_EPOCHS) -> None:
    """Run each notebook in order, streaming its output; save each executed notebook atomically."""
    for position, name in enumerate(names, start=1):
        path, target = notebook_path(name), executed_notebook_path(name, epochs)
        print(f"[{position}/{len(names)}] {name}: running {path.relative_to(REPO_ROOT)}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        # papermill saves the notebook after every cell; it does so in a scratch folder, and only a
        # finished run (or one stopped by an error in a cell, to show it) replaces the target.
        with scratch_folder() as scratch, committed_writes():
            executed = scratch / path.name
            execute(name, path, executed, target)
            save_executed(executed, target)
        print(f"[{position}/{len(names)}] {name}: done in {time.perf_counter() - start:.0f} s "
              f"({target.relative_to(REPO_ROOT)})", file=sys.stderr, flush=True)


# The main job's scratch folders, one per process: <temp>/workshop-notebooks-<user>/<pid>.
SCRATCH_ROOT = Path(tempfile.gettempdir()) / f"workshop-notebooks-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists but belongs to someone else, or this system cannot tell: leave its folder alone
    return True


def remove_leftover_scratch(root: Path | None = None) -> list[Path]:
    """Remove the scratch folders of main jobs that are no longer running (killed with kill -9, say); return them."""
    root = SCRATCH_ROOT if root is None else root
    removed = []
    for folder in sorted(root.glob("*")) if root.is_dir() else []:
        if folder.name.isdigit() and int(folder.name) != os.getpid() and not process_alive(int(folder.name)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextmanager
def scratch_folder():
    """An empty folder for papermill's partial notebooks, removed afterwards; a killed job's is removed next time.

    A process killed with SIGKILL runs no clean-up, so each job first removes the
    folders of jobs that are gone, found by the process number in their names.
    """
    remove_leftover_scratch()
    folder = SCRATCH_ROOT / str(os.getpid())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def committed_writes():
    """Tell the kernels started here (they inherit this environment) that they are the main job's: only then does
    save_result write the committed results (see utils.results.writes_committed)."""
    before = os.environ.get(results.MAIN_JOB_VARIABLE)
    os.environ[results.MAIN_JOB_VARIABLE] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(results.MAIN_JOB_VARIABLE, None)
        else:
            os.environ[results.MAIN_JOB_VARIABLE] = before


def execute(name: str, path: Path, executed: Path, target: Path) -> None:
    """Execute ``path`` into ``executed`` with papermill; whatever goes wrong there ends as one DataError line."""
    import papermill
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    try:
        # log_output streams the kernel's output (the per-epoch progress bar) to this terminal.
        papermill.execute_notebook(
            str(path), str(executed), cwd=str(path.parent), log_output=True, progress_bar=False,
            kernel_name="python3", stdout_file=sys.stderr, stderr_file=sys.stderr,
        )
    except PapermillExecutionError as exc:
        save_executed(executed, target)
        raise DataError(
            f"{name}: cell {exc.exec_count} failed with {exc.ename}: {' '.join(str(exc.evalue).split())} "
            f"(the notebook was saved with the error shown in that cell, in {target.relative_to(REPO_ROOT)})"
        ) from None
    except NoSuchKernel:
        raise DataError(f"{name}: no Jupyter kernel named 'python3' in this environment; install one with "
                        "'python -m ipykernel install --user' (or pip install ipykernel)") from None
    except (DeadKernelError, CellTimeoutError, RuntimeError) as exc:
        # RuntimeError: jupyter_client's "Kernel died before replying to kernel_info" and the like.
        reason = " ".join(str(exc).split()) or type(exc).__name__
        what = "timed out" if isinstance(exc, CellTimeoutError) else "the kernel died"
        raise DataError(f"{name}: {what} while running it ({reason[:200]}); the notebook was left as it was") from None


def refresh_table_and_figure() -> None:
    try:
        refresh_results_table_and_figure()
    except DataError as exc:
        # A partial run (--only) may not have every full-run result yet.
        print(f"results table and figure not refreshed: {exc}", file=sys.stderr)


def pin_to(cpus: set[int]) -> None:
    """Run this process (and the kernels it starts, which inherit it) on ``cpus`` only."""
    try:
        os.sched_setaffinity(0, cpus)
    except (AttributeError, OSError, ValueError, OverflowError) as exc:
        raise DataError(f"--cpus {','.join(map(str, sorted(cpus)))}: cannot run on these CPUs here ({exc})") from None


def cpu_shares(jobs: int) -> list[set[int] | None]:
    """The CPUs this process may use, split into ``jobs`` equal shares, one per running lane.

    JAX sizes its thread pool by the CPUs a process may run on, whatever
    ``XLA_FLAGS`` says, and its maintainers name CPU affinity as the way to
    limit it. Unpinned, two lanes on two cores each kept two threads busy and
    trained slower than pinned ones (see docs/speed.md). Where
    the system has no affinity call (macOS) or fewer CPUs than lanes, lanes
    are not pinned.
    """
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    share = len(cpus) // jobs
    if share == 0:
        return [None] * jobs
    return [set(cpus[lane * share:(lane + 1) * share]) for lane in range(jobs)]


def run_lanes(groups: list[list[str]], jobs: int) -> None:
    """Run up to ``jobs`` lanes at once, each in its own process on its own share of the CPUs.

    Two processes that each spread their small matrix products over every
    core wait on each other at every step and run several times slower than
    one alone, so each lane gets its own CPUs (and as many threads).
    """
    shares = queue.Queue()  # a lane takes a share of the CPUs and hands it back when done
    for share in cpu_shares(jobs):
        shares.put(share)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    start = time.perf_counter()
    print(f"running {len(groups)} lanes, {jobs} at a time, {threads} core(s) each: "
          + "; ".join(" -> ".join(group) for group in groups), file=sys.stderr, flush=True)
    failed = []

    def run(group):
        share = shares.get()
        try:
            command = [sys.executable, "-m", "utils", "notebooks", "--no-table"]
            for name in group:
                command += ["--only", name]
            if share:
                command += ["--cpus", ",".join(map(str, sorted(share)))]
            env = {**os.environ, "OMP_NUM_THREADS": str(len(share) if share else threads)}
            label = NOTEBOOKS[group[0]][0]
            try:
                child = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT)
            except OSError as exc:
                print(f"[{label}] error: cannot start the lane's process ({exc.strerror or exc})", file=sys.stderr,
                      flush=True)
                failed.append(" -> ".join(group))
                return
            relay(label, child.stdout)
            if child.wait() != 0:
                failed.append(" -> ".join(group))
        except BaseException as exc:  # anything else in this thread would be lost, and the lane counted as done
            print(f"[{NOTEBOOKS[group[0]][0]}] error: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            failed.append(" -> ".join(group))
        finally:
            shares.put(share)

    workers = [threading.Thread(target=run, args=(group,)) for group in groups]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failed:
        raise DataError(f"the lane {', '.join(failed)} failed (its error is printed above); the other lanes finished")
    print(f"all lanes done in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)


def relay(label: str, stream, clock=time.monotonic, every: float | None = None) -> None:
    """Print a lane's output with its label; of its progress bar, the first line, then one every ``every`` seconds.

    ``every`` defaults to LANE_PROGRESS_EVERY; ``clock`` is read only to compare two of its readings, so the
    first line shows whatever it reads (a monotonic clock counts from the machine's start).
    """
    every = LANE_PROGRESS_EVERY if every is None else every
    last_bar, pending = None, b""
    while chunk := stream.read1(4096) if hasattr(stream, "read1") else stream.read(4096):
        pending += chunk
        *pieces, pending = pending.replace(b"\r", b"\n").split(b"\n")
        for piece in pieces:
            last_bar = relay_line(label, piece, last_bar, clock, every)
    relay_line(label, pending, last_bar, clock, every)  # the last line, when it ends without a newline


def relay_line(label: str, piece: bytes, last_bar: float | None, clock, every: float) -> float | None:
    """Print one line of a lane's output unless it is noise or a bar line too soon after the last; the bar's time."""
    line = piece.decode(errors="replace").strip()
    if not line or "Kernel is running over TCP" in line:
        return last_bar
    bar = PROGRESS_BAR.search(line)
    if bar:
        now = clock()
        finished = bar.group(1) == bar.group(2)
        if last_bar is not None and now - last_bar < every and not finished:
            return last_bar
        last_bar = now
    print(f"[{label}] {line}", file=sys.stderr, flush=True)
    return last_bar
