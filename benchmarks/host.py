"""The host line: what machine and thread settings a benchmark's figures were measured on.

Both benchmarks print :func:`host_line` first, so a figure copied from their
output always says which host it holds for: the CPU model, whether it has
AVX2 and AVX-512 (the vector units XLA's and TensorFlow's kernels use), its
L2 and L3 cache sizes (the LSTM loop's saved gate values fit in a large L3
and not in a small one), and the thread settings in force.

It only reads the environment: importing it does not import ``utils`` (whose
import chooses a Keras backend and sets ``XLA_FLAGS``), so the benchmark's
parent process stays as the user started it and each path's worker gets the
settings it would get on its own.
"""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
CACHE_FOLDER = Path("/sys/devices/system/cpu/cpu0/cache")
# Environment variables that set how many threads the numeric libraries use.
THREAD_VARIABLES = ("XLA_FLAGS", "OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def cpu_model(cpuinfo: Path = CPUINFO) -> str:
    """The CPU's model name as the OS reports it."""
    with contextlib.suppress(OSError):
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def vector_extensions(cpuinfo: Path = CPUINFO) -> str:
    """``AVX2 yes, AVX-512 no`` and so on, from the CPU's flags; ``unknown`` where the OS does not list them."""
    flags: set[str] = set()
    with contextlib.suppress(OSError):
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    if not flags:
        return "AVX2/AVX-512 unknown"
    return f"AVX2 {'yes' if 'avx2' in flags else 'no'}, AVX-512 {'yes' if 'avx512f' in flags else 'no'}"


def cache_sizes(cache_folder: Path = CACHE_FOLDER) -> str:
    """CPU 0's L2 and L3 sizes, each with the CPUs that share it (``L2 1M (CPU 0), L3 8M (CPUs 0-1)``)."""
    found = {}
    for index in sorted(cache_folder.glob("index*")):
        with contextlib.suppress(OSError):
            level = (index / "level").read_text().strip()
            if level in ("2", "3") and (index / "type").read_text().strip() != "Instruction":
                shared = (index / "shared_cpu_list").read_text().strip()
                size = readable_size((index / "size").read_text().strip())
                found[level] = f"L{level} {size} (CPU{'s' if ',' in shared or '-' in shared else ''} {shared})"
    return ", ".join(found.get(level, f"L{level} unknown") for level in ("2", "3"))


def readable_size(text: str) -> str:
    """sysfs's ``2048K`` as ``2 MiB``, ``48K`` as ``48 KiB``."""
    if text.endswith("K") and text[:-1].isdigit():
        kib = int(text[:-1])
        return f"{kib // 1024} MiB" if kib % 1024 == 0 else f"{kib} KiB"
    return text.replace("M", " MiB")


def thread_settings(environ=None) -> str:
    """CPUs present and usable by this process, and the thread variables set (unset ones are left out)."""
    environ = os.environ if environ is None else environ
    present = os.cpu_count() or 1
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else present
    set_here = [f"{name}={environ[name]!r}" for name in THREAD_VARIABLES if name in environ]
    unset = "no thread variables set (XLA_FLAGS unset, so the project path uses utils/backend.py's default)"
    variables = ", ".join(set_here) if set_here else unset
    return f"threads: {present} CPUs, {usable} usable by this process; {variables}"


def host_line() -> str:
    """One line: CPU model, vector extensions, L2 and L3 sizes, thread settings."""
    return f"host: {cpu_model()}; {vector_extensions()}; {cache_sizes()}; {thread_settings()}"


if __name__ == "__main__":
    print(host_line())
