"""The workshop on other releases of its libraries, each in a fresh virtual environment under ``build/``.

Three checks, each a make target (``docs/testing.md`` says when to run which):

* ``matrix`` (``make test-matrix``): for each Keras 3 minor release in :data:`KERAS_MATRIX`, with a JAX of its time,
  whether the fast CPU LSTM path switches on (its self-test, :func:`utils.tools.fast_lstm.self_test`), the backend
  tests, and Exercise 9.01 at 2 epochs; one table row per release.
* ``newest`` (``make test-newest``, which then runs the suite): the newest release of every dependency inside
  ``pyproject.toml``'s ranges; fails when the fast path does not run there.
* ``colab`` (``make colab-check``): the README's Colab recipe on Colab's libraries (TensorFlow and an older Keras 3
  preinstalled, no ``KERAS_BACKEND``, then ``pip install -e .``), running Exercise 9.01 at 2 epochs.

Environments are reused while their requirements are unchanged; pip's own cache saves the downloads.
Run with the project's virtual environment from the repository root: ``.venv/bin/python -m utils.tools.release_checks``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
# Keras minor -> what is installed with it: the newest patch release, and a JAX released while it was the newest
# Keras (Keras's CI ran that pair). Keras 3.3 and its JAX were built against NumPy 1.
KERAS_MATRIX = {
    "3.3": ["keras==3.3.3", "jax==0.4.26", "jaxlib==0.4.26", "numpy==1.26.4"],
    "3.8": ["keras==3.8.0", "jax==0.5.0", "jaxlib==0.5.0"],
    "3.10": ["keras==3.10.0", "jax==0.6.1", "jaxlib==0.6.1"],
    "3.11": ["keras==3.11.3", "jax==0.7.1", "jaxlib==0.7.1"],
    "3.13": ["keras==3.13.2", "jax==0.8.2", "jaxlib==0.8.2"],
    "3.15": ["keras==3.15.1", "jax==0.10.2", "jaxlib==0.10.2"],
}
# The test tools each matrix environment gets, at requirements.txt's pins.
MATRIX_TEST_TOOLS = ("pytest", "hypothesis", "nbval", "ipykernel", "nbformat", "nbclient")
# Colab's CPU runtime as a learner meets it: TensorFlow, Keras 3 a few minors behind, JAX, and Jupyter's kernel.
COLAB_PREINSTALLED = ["tensorflow==2.19.0", "keras==3.8.0", "jax==0.5.3", "jaxlib==0.5.3", "numpy==2.0.2",
                      "pandas==2.2.2", "scikit-learn==1.6.1", "matplotlib==3.10.0", "tqdm==4.67.1",
                      "ipykernel==6.17.1", "nbclient==0.10.2", "nbformat==5.10.4"]
NOTEBOOK = "Exercise9.01/Exercise9.01.ipynb"
FAST_PATH_SENTENCE = "fast CPU LSTM loop"
# What a training cell prints after fitting: "2 epochs in 31 s".
TRAINED_LINE = re.compile(r"(\d+) epochs in (\d+) s")


def pinned(names: tuple[str, ...]) -> list[str]:
    """requirements.txt's pins for ``names``."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith("#"):
            name = line.split("==")[0].strip()
            pins[name.lower()] = line.strip()
    return [pins[name] for name in names]


def requirement_names() -> list[str]:
    """Every package requirements.txt names, without its pin (the workshop itself is added with its extras)."""
    return [line.split("==")[0].strip() for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith(("#", "-e"))]


def environment(name: str, steps: list[list[str]], upgrade: bool = False) -> Path:
    """A virtual environment ``build/<name>`` with each step's ``pip install`` done in order; reused when it holds
    the same steps (unless ``upgrade``). Returns its ``bin`` folder."""
    folder = BUILD / name
    marker = folder / ".installed"
    wanted = json.dumps(steps)
    if not upgrade and marker.exists() and marker.read_text(encoding="utf-8") == wanted:
        return folder / "bin"
    if not (folder / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(folder)], check=True)
    for step in steps:
        print(f"[{name}] pip install {' '.join(step)}", flush=True)
        subprocess.run([str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        *step], check=True, cwd=ROOT)
    marker.write_text(wanted, encoding="utf-8")
    return folder / "bin"


def clean_env(**changes: str) -> dict:
    """This process's environment without the variables that would choose for the workshop, plus ``changes``."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("KERAS_BACKEND", "PYTHONPATH", "VIRTUAL_ENV", "XLA_FLAGS", "JAX_PLATFORMS")}
    env.setdefault("KERAS_HOME", str(BUILD / "keras-home"))
    env.update(changes)
    return env


def training_path(python: Path, env: dict) -> str:
    """describe_training_path() in a fresh process of that environment (its first line of stderr if it fails)."""
    code = "from utils.backend import load_keras, describe_training_path; load_keras(); print(describe_training_path())"
    done = subprocess.run([str(python), "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        return "loading Keras failed: " + (done.stderr.strip().splitlines() or ["?"])[-1]
    return done.stdout.strip().splitlines()[-1]


def fast_path_status(sentence: str) -> str:
    """'fast path on', or the one-line reason it is off."""
    if FAST_PATH_SENTENCE in sentence:
        return "fast path on"
    return sentence.split("the fast CPU LSTM path is off, ")[-1].rstrip(".")


def pytest_summary(python: Path, arguments: list[str], env: dict) -> tuple[bool, str]:
    """(passed, pytest's last line) for one pytest run in that environment."""
    done = subprocess.run([str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q", *arguments], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    last = (done.stdout.strip().splitlines() or ["no output"])[-1].strip("= ")
    return done.returncode == 0, last


def matrix(only: list[str] | None) -> int:
    versions = only or list(KERAS_MATRIX)
    unknown = [v for v in versions if v not in KERAS_MATRIX]
    if unknown:
        print(f"--only {','.join(unknown)}: not in the matrix ({', '.join(KERAS_MATRIX)})", file=sys.stderr)
        return 2
    rows, failed = [], False
    for minor in versions:
        pins = KERAS_MATRIX[minor]
        started = time.perf_counter()
        bin_folder = environment(f"matrix/keras-{minor}", [[*pins, *pinned(MATRIX_TEST_TOOLS), "-e", str(ROOT)]])
        python = bin_folder / "python"
        env = clean_env(WORKSHOP_EPOCHS="2")
        status = fast_path_status(training_path(python, env))
        tests_ok, tests = pytest_summary(python, ["tests/test_backend.py", "-o", "addopts="], env)
        notebook_ok, notebook = pytest_summary(python, ["--nbval-lax", NOTEBOOK], env)
        failed |= not (tests_ok and notebook_ok)
        keras, jax = (pin.split("==")[1] for pin in pins[:2])
        rows.append(f"| {keras} | {jax} | {status} | {tests} | {notebook} |")
        print(f"keras {keras}, jax {jax}: {status}; backend tests: {tests}; {NOTEBOOK} at 2 epochs: {notebook} "
              f"({time.perf_counter() - started:.0f} s with the install)", flush=True)
    print("\n| Keras | JAX | fast CPU LSTM path | tests/test_backend.py | Exercise 9.01, 2 epochs |\n|---|---|---|---|---|")
    print("\n".join(rows))
    return 1 if failed else 0


def newest() -> int:
    """Install the newest releases inside pyproject.toml's ranges; fail loudly unless the fast path runs there."""
    bin_folder = environment("newest", [["--upgrade", "--upgrade-strategy", "eager", *requirement_names(),
                                         "-e", f"{ROOT}[tensorflow,sweep]"]], upgrade=True)
    frozen = subprocess.run([str(bin_folder / "python"), "-m", "pip", "freeze"], capture_output=True, text=True).stdout
    wanted = {"keras", "jax", "jaxlib", "tensorflow", "numpy"}
    print("newest:", ", ".join(line for line in frozen.splitlines() if line.split("==")[0].lower() in wanted))
    sentence = training_path(bin_folder / "python", clean_env())
    print(sentence)
    if FAST_PATH_SENTENCE not in sentence:
        print(f"FAILED: the fast CPU LSTM path does not run on the newest releases: {fast_path_status(sentence)}",
              file=sys.stderr)
        return 1
    return 0


def colab() -> int:
    """The README's Colab recipe on Colab-like libraries, then Exercise 9.01 at 2 epochs: which path, how fast; then
    the same with ``WORKSHOP_FAST_LSTM=0``, the speed Colab's own setup gives."""
    bin_folder = environment("colab", [COLAB_PREINSTALLED, ["-e", str(ROOT)]])
    for label, changes in (("as the README's recipe leaves it", {}), ("with WORKSHOP_FAST_LSTM=0", {"WORKSHOP_FAST_LSTM": "0"})):
        home = BUILD / "colab" / "home"  # a learner's fresh home: no keras.json, no cached verdict or compiled code
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        env = clean_env(HOME=str(home), WORKSHOP_EPOCHS="2", **changes)
        env.pop("KERAS_HOME")
        env.pop("XDG_CACHE_HOME", None)
        print(f"{NOTEBOOK}, {label}:")
        started = time.perf_counter()
        done = subprocess.run([str(bin_folder / "python"), "-m", "utils.tools.release_checks", "run-notebook", NOTEBOOK],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        print(done.stdout, end="")
        if done.returncode:
            print(done.stderr[-3000:], file=sys.stderr)
            return 1
        print(f"the whole notebook, setup (and self-test) included: {time.perf_counter() - started:.0f} s", flush=True)
    return 0


def run_notebook(path: str) -> int:
    """Execute a notebook in this environment's kernel, in memory; print its training cell's lines and the speed."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(ROOT / path, as_version=4)
    NotebookClient(notebook, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    from importlib.metadata import version

    print(f"keras {version('keras')}, jax {version('jax')}, tensorflow {version('tensorflow')}")
    for cell in notebook.cells:
        text = "".join(output.get("text", "") for output in cell.get("outputs", []))
        found = TRAINED_LINE.search(text)
        if found:
            print(next(line for line in text.splitlines() if line.startswith("The model trains")))
            epochs, seconds = int(found[1]), int(found[2])
            rates = re.findall(r"([\d.]+)s/epoch", text)
            print(f"{epochs} epochs in {seconds} s: {seconds / epochs:.1f} s per epoch, the first epoch's compile included"
                  + (f" (the progress bar's last rate: {rates[-1]} s/epoch)" if rates else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    matrix_parser = commands.add_parser("matrix", help="the fast path and the backend tests on each Keras minor")
    matrix_parser.add_argument("--only", type=lambda text: text.split(","), help="Keras minors, e.g. 3.3,3.15")
    commands.add_parser("newest", help="the newest releases inside pyproject.toml's ranges, and the fast path there")
    commands.add_parser("colab", help="the README's Colab recipe on Colab-like libraries, Exercise 9.01 at 2 epochs")
    notebook_parser = commands.add_parser("run-notebook", help=argparse.SUPPRESS)
    notebook_parser.add_argument("path")
    args = parser.parse_args(argv)
    if args.command == "matrix":
        return matrix(args.only)
    if args.command == "run-notebook":
        return run_notebook(args.path)
    return newest() if args.command == "newest" else colab()


if __name__ == "__main__":
    sys.exit(main())
