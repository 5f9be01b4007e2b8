"""Two memory figures behind the fast path's settings on JAX (docs/speed.md quotes them).

    python benchmarks/jax_memory.py              # both parts, 3 training runs per dispatch mode
    python benchmarks/jax_memory.py --runs 5

1. What one compiled computation keeps in memory: a fresh process compiles 60 tiny functions of different
   shapes (JAX's compile cache off) and keeps them; the growth of its anonymous resident memory, after
   ``malloc_trim``, divided by 60. Keras on JAX compiles each operation it runs outside a compiled step on its
   own (a model's initializers, for one), so this is what each of them costs until ``jax.clear_caches()``;
   the part prints what clearing gives back too.
2. A training kernel's peak with JAX's asynchronous dispatch and with each step run in the calling thread
   (the fast path's setting): the chapter's 4-layer LSTM at 100 units, 3 epochs on 1,198 random windows,
   batch 32, each run in a process of its own; peak resident memory (``VmHWM``) and seconds per epoch after
   the first. The asynchronous runs switch off only that one setting of the fast path.

Linux only (it reads ``/proc/self/status``). Prints the host line first.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from host import host_line

ROOT = Path(__file__).resolve().parent.parent
COMPUTATIONS = 60

EXECUTABLES = f"""
import ctypes, ctypes.util, gc, json
import jax, jax.numpy as jnp
libc = ctypes.CDLL(ctypes.util.find_library("c"))
def anonymous_mb():
    libc.malloc_trim(0)
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("RssAnon:")) / 1024
jnp.ones(3).block_until_ready()  # JAX's CPU client and compiler started
start = anonymous_mb()
kept = [jax.jit(lambda a: jnp.tanh(a * 2.0)).lower(jnp.ones(n + 4)).compile() for n in range({COMPUTATIONS})]
held = anonymous_mb()
del kept
jax.clear_caches()
gc.collect()
print(json.dumps([start, held, anonymous_mb()]))
"""

TRAINING = """
import json, sys, time
import numpy as np
from utils.tools import fast_lstm
if sys.argv[1] == "asynchronous":
    fast_lstm.run_computations_in_calling_thread = lambda: None  # JAX's default dispatch, all else as usual
from utils.backend import describe_training_path
from utils.tools.model import build_stacked_lstm
from utils.training import set_seed
set_seed(1)
model = build_stacked_lstm(window=60, units=100)
rng = np.random.default_rng(1)
x, y = rng.random((1198, 60, 1), dtype="float32"), rng.random(1198, dtype="float32")
model.fit(x, y, epochs=1, batch_size=32, verbose=0)
start = time.perf_counter()
model.fit(x, y, epochs=2, batch_size=32, verbose=0)
seconds = (time.perf_counter() - start) / 2
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")) / 1024
print(json.dumps([peak, seconds, describe_training_path()]))
"""


def child(code: str, *arguments: str) -> list:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", code, *arguments], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"a measuring process failed (exit {done.returncode}): {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="training runs per dispatch mode (default 3)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be 1 or more")
    print(host_line(), flush=True)
    start, held, cleared = child(EXECUTABLES)
    print(f"one compiled computation keeps {(held - start) / COMPUTATIONS:.2f} MB ({COMPUTATIONS} kept: "
          f"+{held - start:.0f} MB anonymous); jax.clear_caches() gives back {held - cleared:.0f} MB", flush=True)
    for mode in ("asynchronous", "calling-thread"):
        runs = [child(TRAINING, mode) for _ in range(args.runs)]
        peaks = ", ".join(f"{peak:.0f}" for peak, _, _ in runs)
        seconds = ", ".join(f"{seconds:.2f}" for _, seconds, _ in runs)
        print(f"100 units, 3 epochs, {mode:14} dispatch: peak {peaks} MB; s/epoch {seconds}", flush=True)
    if "fast CPU LSTM" not in runs[-1][2]:
        print(f"note: {runs[-1][2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
