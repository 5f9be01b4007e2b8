"""Trainings per minute of one small sweep on a local Dask cluster of 1 worker, then of 2 (or the counts you give).

Run from the repository root, on a quiet machine:

    .venv/bin/python benchmarks/sweep_scaling.py                      # GOOG, 50 units, seeds 1-8, 10 epochs
    .venv/bin/python benchmarks/sweep_scaling.py --epochs 1 --seeds 2  # a smoke run

Each worker count runs the same sweep (``utils.tools.sweep.run_sweep``, as
``python -m utils sweep --workers N`` does) into a fresh temporary CSV file,
on a local cluster started for it: one single-threaded worker process per
count, each pinned to its own CPU. The clock runs from the first task
submitted to the last row written; starting the cluster and importing Keras
on the workers (done before, on every worker at once) are not counted, so the
figure is the cluster's training throughput. The ratio divides each count's
throughput by the first count's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from host import host_line  # noqa: E402  (this folder is on the path when the script runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticker", default="GOOG")
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=8, help="trainings in the sweep: seeds 1..N (default 8)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare (default 1 2)")
    args = parser.parse_args()

    from utils.tools.sweep import run_sweep, settings_product

    product = settings_product([args.ticker], [args.units], [0.0], ["all"], list(range(1, args.seeds + 1)),
                               ["2019-01"], args.epochs, 60)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(host_line())
    print(f"{cpus} CPUs; sweep: {args.ticker}, {args.units} units, {args.epochs} epoch(s), "
          f"{len(product)} trainings (seeds 1-{args.seeds})", flush=True)
    rates = {}
    with tempfile.TemporaryDirectory() as folder:
        for workers in args.workers:
            outcome = run_sweep(product, Path(folder) / f"workers-{workers}.csv", workers=workers)
            if outcome.failed or outcome.trained != len(product):
                print(f"{workers} worker(s): {len(outcome.failed)} training(s) failed; no figure", file=sys.stderr)
                return 1
            rates[workers] = outcome.per_minute
            print(f"RESULT workers={workers} trainings={outcome.trained} seconds={outcome.training_seconds:.1f} "
                  f"per_minute={outcome.per_minute:.2f}", flush=True)
    first = args.workers[0]
    print(f"{'workers':>8}{'trainings/min':>15}{'ratio':>8}")
    for workers, rate in rates.items():
        print(f"{workers:>8}{rate:>15.2f}{rate / rates[first]:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
