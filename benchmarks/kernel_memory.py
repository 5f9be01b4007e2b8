"""Peak memory of one learner's kernel: a notebook run with papermill, as a shared JupyterHub would host it.

    python benchmarks/kernel_memory.py            # both cases below
    make kernel-memory

Each case runs twice: first with an empty JAX compile cache (the kernel compiles the training step, as a
learner's first run does), then with the cache that run filled (every later run). Two cases: Exercise 9.02
(100 units) trained for 3 epochs (``WORKSHOP_EPOCHS=3``), and Exercise 9.01 with ``TRAIN = False`` (the
committed model loaded). Each runs papermill under ``/usr/bin/time -v`` in a temporary folder (the executed copy
is written there, never over the committed notebook) and prints two figures:

* the largest single process's peak resident memory, as ``/usr/bin/time -v`` reports it (the kernel's, in
  practice): what a hub's per-kernel memory limit sees;
* the peak of the whole process tree's summed resident memory (papermill and its kernel), sampled every 0.1 s
  with psutil: what the machine must hold per learner while papermill drives the kernel.

Targets: at most 700 MB with training, 500 MB with ``TRAIN = False``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from host import host_line

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    # name: (notebook, extra papermill arguments, WORKSHOP_EPOCHS or None, target in MB)
    "train-100-units-3-epochs": ("Exercise9.02", [], "3", 700),
    "train-false": ("Exercise9.01", ["-p", "TRAIN", "False"], None, 500),
}
MAX_RSS = re.compile(r"Maximum resident set size \(kbytes\): ([0-9]+)")


def tree_rss(process: psutil.Process) -> int:
    """Summed resident bytes of ``process`` and every descendant still running."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += member.memory_info().rss
    return total


def measure(case: str, folder: Path, cache: Path) -> tuple[float, float, float]:
    """(largest process's peak MB from /usr/bin/time, summed tree peak MB from psutil, seconds) for one case."""
    notebook, arguments, epochs, _ = CASES[case]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "JAX_COMPILATION_CACHE_DIR": str(cache)}
    env.pop("WORKSHOP_EPOCHS", None)
    if epochs:
        env["WORKSHOP_EPOCHS"] = epochs
    report = folder / f"{case}.time"
    command = ["/usr/bin/time", "-v", "-o", str(report), sys.executable, "-m", "papermill", "--no-progress-bar",
               str(ROOT / notebook / f"{notebook}.ipynb"), str(folder / f"{case}.ipynb"), *arguments]
    start, peak = time.perf_counter(), 0
    with open(folder / "log", "w") as log:
        process = psutil.Popen(command, env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=log)
        while process.poll() is None:
            peak = max(peak, tree_rss(process))
            time.sleep(0.1)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        sys.exit(f"{case}: papermill failed (exit {process.returncode}); its log: {folder / 'log'}")
    largest = MAX_RSS.search(report.read_text()).group(1)
    return int(largest) / 1024, peak / 2**20, seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(CASES), action="append", help="run only this case (repeatable)")
    args = parser.parse_args(argv)
    if not shutil.which("/usr/bin/time"):
        sys.exit("/usr/bin/time is not installed (Debian and Ubuntu: apt-get install time)")
    print(host_line(), flush=True)
    failed = False
    with tempfile.TemporaryDirectory(prefix="kernel-memory-") as folder:
        for case in args.case or list(CASES):
            cache = Path(folder) / f"jax-cache-{case}"  # empty for the first run, filled by it for the second
            for cache_state in ("cold", "warm"):
                largest, tree, seconds = measure(case, Path(folder), cache)
                target = CASES[case][3]
                failed |= largest > target
                print(f"{case:26} {cache_state} compile cache: kernel peak {largest:5.0f} MB (target <= {target}), "
                      f"papermill and kernel together {tree:5.0f} MB, {seconds:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
