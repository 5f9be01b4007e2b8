"""The learners' copy of the workshop: ``python -m utils handout OUT_DIR [--solutions] [--force]``.

What a learner needs to run every notebook: the exercises, the activities' task notebooks, the price data, the
trained models and saved results (``TRAIN = False`` and the comparisons read them), the lesson wing of ``utils``
and the files that install it. Left out: the activities' solution notebooks (``--solutions`` adds them, for
after the class) and the tooling, whose model builder holds an activity's answer. Of ``utils/tools`` the copy
keeps only what the lesson imports (the fast LSTM path) and the ``reset`` command; its ``python -m utils``
offers that one command. ``.pristine/`` holds the notebooks and results as handed out, for ``reset``.

All or nothing: everything is checked first, the copy is written into a temporary folder beside ``OUT_DIR``,
then renamed into place.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..atomic import replace_folder_atomically
from ..epochs import FULL_EPOCHS
from ..errors import DataError
from ..files import REPO_ROOT
from ..registry import BEYOND_MODELS, BEYOND_NOTEBOOK, NOTEBOOKS, notebook_path
from ..walk_forward import WALK_FORWARD_FILE
from . import tasks
from .reset import PRISTINE_FOLDER

# What of the tooling the handout keeps: the fast path load_keras() imports, and the learner's command line.
LESSON_TOOLS = ("__init__.py", "fast_lstm.py", "jax_lstm.py", "reset.py", "learner_cli.py")
MARKER = ".workshop-handout"  # a folder holding it is a handout that --force may replace
ROOT_FILES = ("requirements.txt", "pyproject.toml", ".gitignore")
LEARNER_DOCS = ("docs/glossary.md", "docs/cheatsheet.md")
MAIN_IMPORT = "from .tools.cli import main"


def add_handout_arguments(parser) -> None:
    parser.add_argument("out_dir", metavar="OUT_DIR", type=Path, help="the folder to create (must be empty or absent)")
    parser.add_argument("--solutions", action="store_true", help="add the activities' solution notebooks")
    parser.add_argument("--force", action="store_true", help="replace OUT_DIR when it holds an earlier handout")


def handout_files(root: Path = REPO_ROOT, solutions: bool = False) -> list[Path]:
    """The files copied as they are, relative to ``root``."""
    root = Path(root)
    notebooks = []
    for name in NOTEBOOKS:
        solution = notebook_path(name, root).relative_to(root)
        task = tasks.task_path(name, root).relative_to(root)
        if (root / task).is_file():
            notebooks += [task, solution] if solutions else [task]
        else:
            notebooks.append(solution)  # an exercise: whole, the activities repeat its steps by design
    results = [Path("results") / f"{name}.json" for name in NOTEBOOKS]
    results += [Path("results") / "models" / f"{name}.keras" for name in NOTEBOOKS]
    results += sorted(path.relative_to(root) for path in (root / "results" / "cli").glob(f"*_{FULL_EPOCHS}ep_seeds*.json"))
    beyond = notebook_path(BEYOND_NOTEBOOK, root).relative_to(root)
    if (root / beyond).is_file():  # the sixth notebook: its models and the walk-forward sweep it reads
        notebooks.append(beyond)
        results += [Path("results") / f"{BEYOND_NOTEBOOK}.json", WALK_FORWARD_FILE]
        results += [Path("results") / "models" / f"{BEYOND_NOTEBOOK}-{key}.keras" for key in BEYOND_MODELS]
    data = sorted(path.relative_to(root) for path in (root / "data").iterdir() if not path.name.startswith("."))
    lesson = sorted(path.relative_to(root) for path in (root / "utils").glob("*.py") if path.name != "__main__.py")
    lesson += [Path("utils") / "tools" / name for name in LESSON_TOOLS]
    return notebooks + results + data + lesson + [Path(name) for name in ROOT_FILES + LEARNER_DOCS]


def restorable(relative: Path) -> bool:
    """Files ``reset`` can put back from ``.pristine/``: the notebooks and their results."""
    return relative.suffix in (".ipynb", ".keras") or relative.parts[0] == "results"


def check_sources(root: Path, files: list[Path]) -> None:
    missing = [str(path) for path in files if not (root / path).is_file()]
    if missing:
        raise DataError(f"handout: missing in {root}: {', '.join(missing)}")
    stale = tasks.stale_tasks(root=root)
    if stale:
        raise DataError(f"handout: {stale[0]}")
    for path in files:
        if path.suffix == ".ipynb":
            import nbformat

            cells = nbformat.read(root / path, as_version=4).cells
            for number, cell in enumerate(cells, start=1):
                if cell.cell_type == "code" and "utils.tools" in cell.source:
                    raise DataError(f"handout: {path}, cell {number} imports utils.tools, which the handout leaves out")
    if MAIN_IMPORT not in (root / "utils" / "__main__.py").read_text(encoding="utf-8"):
        raise DataError(f"handout: utils/__main__.py no longer says {MAIN_IMPORT!r}; update utils/tools/handout.py")


def check_out_dir(out_dir: Path, root: Path, force: bool) -> Path:
    out_dir = Path(out_dir).expanduser().resolve()
    if out_dir == root or root.is_relative_to(out_dir):
        raise DataError(f"handout: {out_dir} holds the workshop itself; choose another folder")
    if out_dir.exists() and not out_dir.is_dir():
        raise DataError(f"handout: {out_dir} is a file, not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not force:
            raise DataError(f"handout: {out_dir} is not empty; give --force to replace an earlier handout there")
        if not (out_dir / MARKER).is_file():
            raise DataError(f"handout: {out_dir} is not empty and holds no earlier handout ({MARKER}); "
                            "refusing to replace it, even with --force")
    return out_dir


def write_handout(out_dir: Path, root: Path = REPO_ROOT, solutions: bool = False, force: bool = False) -> list[Path]:
    """Check everything, then write the handout into ``out_dir`` in one step; return the files it holds."""
    root = Path(root).resolve()
    files = handout_files(root, solutions)
    check_sources(root, files)
    out_dir = check_out_dir(out_dir, root, force)
    main_text = (root / "utils" / "__main__.py").read_text(encoding="utf-8")

    def write_to(folder: Path) -> None:
        for relative in files:
            for target in [folder / relative] + ([folder / PRISTINE_FOLDER / relative] if restorable(relative) else []):
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(root / relative, target)
        (folder / "utils" / "__main__.py").write_text(
            main_text.replace(MAIN_IMPORT, "from .tools.learner_cli import main"), encoding="utf-8")
        (folder / "README.md").write_text(readme(files, solutions), encoding="utf-8")
        (folder / MARKER).write_text("written by python -m utils handout\n", encoding="utf-8")

    replace_folder_atomically(out_dir, write_to)
    return [out_dir / relative for relative in files]


def readme(files: list[Path], solutions: bool) -> str:
    notebooks = "\n".join(f"- `{path.as_posix()}`" for path in files if path.suffix == ".ipynb")
    solution_note = ("The activities' solution notebooks (`Activity9.0N/Activity9.0N.ipynb`) are included."
                     if solutions else
                     "The activities' solutions are not included: a task step's `solution()` says that the instructor "
                     "will share them. The hints are there.")
    return f"""# LSTM forecasts of GOOG and AMZN: the learners' copy

This folder holds what you need for the workshop:

{notebooks}
- `data/`: the daily prices (GOOG and AMZN, 2014 to January 2019) and their description
- `results/`: the saved results and trained models (`results/models/*.keras`) of the full 100-epoch runs,
  which `TRAIN = False` loads and the later notebooks compare with
- `utils/`: the helpers the notebooks import; `docs/`: a glossary and a cheat sheet

{solution_note}

The trained models are ordinary Keras files: anyone who opens one (`keras.saving.load_model(...).summary()`)
sees its layers, including where an activity's model puts its dropout.

## Install and open

Python 3.11, 3.12 or 3.13; in this folder (Windows: `py -3.11` and `.venv\\Scripts\\` instead):

```bash
python3.11 -m venv .venv
.venv/bin/python -m pip install -r requirements.txt   # the tested versions, and this folder's utils package
.venv/bin/jupyter lab Exercise9.01/Exercise9.01.ipynb
```

Each notebook's first code cell holds its parameters: `TRAIN = False` loads the trained model instead of
training it (seconds instead of minutes), and `WORKSHOP_EPOCHS=2` in the environment trains 2 epochs only.

## Start again

```bash
.venv/bin/python -m utils reset Activity9.01_task   # one notebook and its results, as handed out
.venv/bin/python -m utils reset --all               # everything
```

`reset` lists what it will replace and asks before it replaces a notebook you changed (`--yes` skips the
question; "no" keeps your notebook and restores the rest); the copies it restores from are in
`{PRISTINE_FOLDER}/`. Your own results (in `my-results/`) are left alone.
"""


def run_handout_command(args, root: Path = REPO_ROOT) -> int:
    files = write_handout(args.out_dir, root, solutions=args.solutions, force=args.force)
    notebooks = sum(path.suffix == ".ipynb" for path in files)
    print(f"wrote {args.out_dir}: {len(files)} files, {notebooks} notebooks"
          f"{' with the solutions' if args.solutions else ', no activity solutions'}")
    return 0
