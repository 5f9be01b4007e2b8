"""make mutation: mutmut over the lesson's modules and the sweep's summary, one line per module.

Each module is mutated in a folder of its own under build/mutation/ (mutmut reads its settings from the
folder it runs in and writes its copy of the code to mutants/ there), against the unit test files that
test it, and only those. A mutant counts as killed when a test fails, when the tests time out, or when
docs/testing.md lists it as equivalent (in the table of its "Mutation testing" section) with a reason.
The surviving mutants' diffs go to build/mutation/<module>.survivors.txt.

    python tests/mutation.py [MODULE ...]    # default: every module below
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutation"
TESTING_DOC = ROOT / "docs" / "testing.md"

# Tests that cannot run under mutmut: git sees its copy of the tree as ignored (it lies in build/); a TensorFlow process
# takes a minute to check what the JAX test beside it already checks on this backend; a warning's stacklevel counts the
# frames of mutmut's trampolines too (docs/testing.md lists the mutants only that test kills).
SKIPPED_TESTS = [
    "tests/test_saved_models.py::test_committed_models_are_not_ignored_by_git",
    "tests/test_saved_models.py::test_a_model_saved_on_jax_predicts_the_same_on_tensorflow",
    "tests/test_data.py::test_a_checksum_warning_points_at_the_line_that_loaded_the_prices",
]


# The line of each public check (check_scaling() ..., Step.check()) that passes its caller's frame on (see MODULES).
PUBLIC_CHECKS = [r"^\s+_run_step\(.*, given, inspect\.currentframe\(\)\.f_back\)$"]
CHECKS_WITHOUT_KERAS = ["_run", "_notebook_namespace", "_numbers", "_series", "_same", "_whole", "_fitted_scaler", "_unscaled",
                        "_test_opens", "_scaling", "_windows_array", "_windows", "_january"]


@dataclass(frozen=True)
class Target:
    tests: list[str]  # pytest arguments that select the tests of the module
    functions: list[str] | None = None  # the functions to mutate; None for the whole module
    unmutated_lines: list[str] = field(default_factory=list)  # regular expressions of lines left alone, and why (below)
    # Tests that compute with Keras need "forkserver": a process forked after JAX has computed something waits forever on
    # a lock of one of JAX's threads, so each mutant runs in a process forked from a server that has run no test.
    # "fork" (from the process that ran the tests once) is faster.
    isolation: str = "fork"
    # The Keras backend of the tests: JAX, the workshop's own; Keras's NumPy backend (no threads, so forking is safe and
    # each mutant skips a server's start) where the tests only build and inspect models, never train them.
    keras_backend: str = "jax"


# module -> its parts, each mutmut run of its own; a module's line adds up its parts.
MODULES = {
    # The sweep's month splits (prices_for_month) are tested beside the sweep.
    "utils/data.py": [Target(["tests/test_data.py", "tests/test_sweep.py::test_january_2019_is_the_shipped_split_unchanged",
                              "tests/test_sweep.py::test_a_month_inside_the_training_file_trains_on_the_days_before_it"])],
    "utils/features.py": [Target(["tests/test_features.py"])],
    "utils/evaluation.py": [Target(["tests/test_evaluation.py"])],
    "utils/baselines.py": [Target(["tests/test_baselines.py"])],
    "utils/walk_forward.py": [Target(["tests/test_walk_forward.py", "-k", "not horizon"])],
    "utils/horizons.py": [Target(["tests/test_walk_forward.py", "-k", "horizon"])],
    # The public checks read their caller's variables from the frame above them, and mutmut's trampoline is that frame
    # when the function is mutated: their one line (the call to _run_step) stays as it is, so they keep no trampoline;
    # _run and the checks behind it are mutated. The model's check needs Keras: its tests (named ...model...) run apart,
    # on Keras's NumPy backend (they build and compile models, which the check inspects; none is trained).
    "utils/checks.py": [
        Target(["tests/test_checks.py", "-k", "not model"], functions=CHECKS_WITHOUT_KERAS, unmutated_lines=PUBLIC_CHECKS),
        Target(["tests/test_checks.py", "-k", "model"], functions=["_model", "_name_of", "_is_mean_squared_error"],
               unmutated_lines=PUBLIC_CHECKS, keras_backend="numpy")],
    "utils/results.py": [Target(["tests/test_results.py"])],
    # On Keras's NumPy backend (nothing computes with JAX, so each mutant forks from the process that ran the tests once):
    # its tests save, check and load models and predict with them; none trains.
    "utils/saved_models.py": [Target(["tests/test_saved_models.py"], keras_backend="numpy")],
    "utils/tools/sweep.py": [Target(["tests/test_sweep.py", "-k", "summary"], functions=["setting_labels", "summary_table"])],
}

KILLED = {"killed", "timeout", "caught by type check"}
# A mutant may loop forever, and its timeout is a kill; most of a module's mutants timing out means the tests hang under
# mutmut (a deadlock after a fork, say), and the figure would be a false kill rate.
MOST_TIMEOUTS = 0.5


def module_name(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def shown_module(path: str) -> str:
    """The module, with the functions it is restricted to (the parts of a module split in two cover all of it)."""
    parts = MODULES[path]
    return f"{path} ({', '.join(parts[0].functions)})" if len(parts) == 1 and parts[0].functions else path


def listed_equivalents(doc: Path = TESTING_DOC) -> dict[str, tuple[str, str]]:
    """Mutant name -> (module, reason), from the table rows ``| module | `mutant` | reason |`` of testing.md."""
    found = {}
    for line in doc.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`?([\w/.]+\.py)`?\s*\|\s*`([\w.]+__mutmut_\d+)`\s*\|\s*(.+?)\s*\|\s*$", line)
        if match:
            found[match.group(2)] = (match.group(1), match.group(3))
    return found


def settings_file(path: str, target: Target) -> str:
    lines = ["[mutmut]", "source_paths = utils", f"only_mutate = {path}",
             # The tests read the shipped prices, the committed results and models.
             "also_copy =", "    data", "    results",
             "pytest_add_cli_args_test_selection =", *(f"    {test}" for test in target.tests),
             # Not pyproject's addopts: no notebooks under nbval, no pytest-xdist.
             "pytest_add_cli_args =", "    -o", "    addopts=", "    -p", "    no:cacheprovider", "    -p", "    no:xdist",
             *(line for test in SKIPPED_TESTS for line in ("    --deselect", f"    {test}")),
             f"process_isolation = {target.isolation}",
             # (an empty value would be one empty pattern, which every line matches)
             *(["do_not_mutate_patterns =", *(f"    {pattern}" for pattern in target.unmutated_lines)]
               if target.unmutated_lines else [])]
    return "\n".join(lines) + "\n"


def prepare(path: str, part: int) -> Path:
    folder = WORK / f"{module_name(path)}-{part}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in ("utils", "tests", "data", "results", "pyproject.toml"):
        (folder / name).symlink_to(ROOT / name)
    (folder / "setup.cfg").write_text(settings_file(path, MODULES[path][part]), encoding="utf-8")
    return folder


def run_mutmut(path: str, target: Target, folder: Path) -> tuple[float, float]:
    """Run mutmut on one part; return the seconds it took and the CPU seconds its processes used."""
    names = [f"{module_name(path)}.x_{function}__mutmut_*" for function in target.functions or []]
    # Keras's own LSTM on JAX, with no fast-path self-test: the self-test computes with JAX in the process that
    # collects the tests, and every process forked from one that has computed with JAX hangs (a timeout, not a kill).
    env = {**os.environ, "WORKSHOP_EPOCHS": "1", "KERAS_HOME": str(ROOT / "build" / "keras-home"),
           "PYTHONPATH": "", "PYTHONDONTWRITEBYTECODE": "1", "KERAS_BACKEND": target.keras_backend,
           "WORKSHOP_FAST_LSTM": "0"}
    start, cpu = time.perf_counter(), cpu_seconds_of_children()
    with open(folder / "mutmut.log", "w") as log:
        done = subprocess.run([sys.executable, "-m", "mutmut", "run", *names], cwd=folder, env=env, stdout=log,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if done.returncode:
        sys.exit(f"mutmut failed on {path} (exit status {done.returncode}): see {folder / 'mutmut.log'}")
    return time.perf_counter() - start, cpu_seconds_of_children() - cpu


def cpu_seconds_of_children() -> float:
    # mutmut waits for every process it forks, so their CPU time adds up here; on a shared machine the CPU time says
    # more about how long the run takes on an idle one than the time it took.
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def outcomes(path: str, target: Target, folder: Path) -> dict[str, str]:
    from mutmut.stats import status_by_exit_code

    meta = json.loads((folder / "mutants" / f"{path}.meta").read_text(encoding="utf-8"))
    prefixes = tuple(f"{module_name(path)}.x_{function}__mutmut_" for function in target.functions or []) or (
        f"{module_name(path)}.",)
    return {name: status_by_exit_code[code] for name, code in meta["exit_code_by_key"].items() if name.startswith(prefixes)}


def diffs_of(names: list[str], path: str, folder: Path) -> list[str]:
    from mutmut.configuration import reset_config
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    here = Path.cwd()
    os.chdir(folder)  # mutmut reads its settings and its mutants from the folder it ran in
    try:
        reset_config()
        return [get_diff_for_mutant(name, path=path).strip() for name in names]
    finally:
        os.chdir(here)


def main(argv: list[str]) -> int:
    chosen = argv or list(MODULES)
    unknown = [path for path in chosen if path not in MODULES]
    if unknown:
        sys.exit(f"not a module make mutation covers: {', '.join(unknown)} (choose from {', '.join(MODULES)})")
    equivalent = listed_equivalents()
    failed = False
    for path in chosen:
        status, seconds, cpu, survivors = {}, 0.0, 0.0, []
        for part, target in enumerate(MODULES[path]):
            folder = prepare(path, part)
            took, used = run_mutmut(path, target, folder)
            seconds, cpu = seconds + took, cpu + used
            found = outcomes(path, target, folder)
            status.update(found)
            alive = [name for name, outcome in found.items() if outcome not in KILLED and name not in equivalent]
            survivors += [f"# {name}: {found[name]}\n{diff}\n" for name, diff in zip(alive, diffs_of(alive, path, folder))]
        killed = [name for name, outcome in status.items() if outcome in KILLED or name in equivalent]
        timeouts = sum(outcome == "timeout" for outcome in status.values())
        if timeouts > MOST_TIMEOUTS * max(len(status), 1):
            print(f"{shown_module(path)}: {timeouts} of {len(status)} mutants timed out: the tests hang under mutmut, so "
                  f"there is no kill rate (see {folder / 'mutmut.log'})", flush=True)
            failed = True
            continue
        print(f"{shown_module(path)}: killed {len(killed)} of {len(status)} ({100 * len(killed) / max(len(status), 1):.0f}%)",
              flush=True)
        report = WORK / f"{module_name(path)}.survivors.txt"
        report.write_text("\n".join(survivors), encoding="utf-8")
        print(f"  {seconds:.0f} s, {cpu:.0f} CPU seconds; {len(survivors)} surviving mutant(s) in {report}",
              file=sys.stderr, flush=True)
        for name, outcome in status.items():
            if name in equivalent and outcome in KILLED:
                print(f"  {name} is listed as equivalent in docs/testing.md but a test kills it now", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
