"""The benchmarks' host line, read from a made-up /proc/cpuinfo and cache folder."""

from __future__ import annotations

import importlib.util

import pytest

from utils.files import REPO_ROOT

_spec = importlib.util.spec_from_file_location("benchmark_host", REPO_ROOT / "benchmarks" / "host.py")
host = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(host)


def fake_cpuinfo(tmp_path, flags):
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu sse2 {flags}\n\n"
                    f"processor\t: 1\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu sse2 {flags}\n")
    return path


def fake_caches(tmp_path, caches):
    folder = tmp_path / "cache"
    for number, (level, kind, size, shared) in enumerate(caches):
        index = folder / f"index{number}"
        index.mkdir(parents=True)
        for name, value in (("level", level), ("type", kind), ("size", size), ("shared_cpu_list", shared)):
            (index / name).write_text(f"{value}\n")
    return folder


@pytest.mark.parametrize(("flags", "expected"), [
    ("fma avx avx2", "AVX2 yes, AVX-512 no"),
    ("avx avx2 avx512f avx512bw", "AVX2 yes, AVX-512 yes"),
    ("avx", "AVX2 no, AVX-512 no"),
])
def test_vector_extensions_from_the_flags(tmp_path, flags, expected):
    cpuinfo = fake_cpuinfo(tmp_path, flags)
    assert host.vector_extensions(cpuinfo) == expected
    assert host.cpu_model(cpuinfo) == "AMD EPYC 7B13"


def test_vector_extensions_unknown_without_flags(tmp_path):
    assert host.vector_extensions(tmp_path / "missing") == "AVX2/AVX-512 unknown"


def test_cache_sizes_skip_l1_and_instruction_caches(tmp_path):
    folder = fake_caches(tmp_path, [("1", "Data", "32K", "0"), ("1", "Instruction", "32K", "0"),
                                    ("2", "Unified", "1024K", "0"), ("3", "Unified", "8192K", "0-1")])
    assert host.cache_sizes(folder) == "L2 1 MiB (CPU 0), L3 8 MiB (CPUs 0-1)"


def test_cache_sizes_say_what_is_missing(tmp_path):
    folder = fake_caches(tmp_path, [("2", "Unified", "1280K", "0")])
    assert host.cache_sizes(folder) == "L2 1280 KiB (CPU 0), L3 unknown"


def test_thread_settings_name_the_variables_set():
    line = host.thread_settings({"XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false", "OMP_NUM_THREADS": "1"})
    assert "XLA_FLAGS='--xla_cpu_multi_thread_eigen=false'" in line and "OMP_NUM_THREADS='1'" in line
    assert "no thread variables set" in host.thread_settings({})


def test_host_line_is_one_line_with_every_part():
    line = host.host_line()
    assert line.startswith("host: ") and "\n" not in line
    assert all(part in line for part in ("AVX2", "AVX-512", "L2", "L3", "threads:"))
