"""Put notebooks and their results back as committed: ``python -m utils reset NOTEBOOK... | --all [--yes]``.

The committed version of each file comes from git (``git show HEAD:path``)
where the workshop is a git clone, and otherwise from ``.pristine/``, the copy
a learner handout carries (``python -m utils handout``). A notebook's results
are its saved run (``results/<notebook>.json``) and its trained model
(``results/models/<notebook>.keras``); a task notebook's are its activity's.
The command lists what it will replace, and asks before it replaces a
notebook that differs from the committed one, since that holds the
learner's work (``--yes`` skips the question; "no" keeps those notebooks and
restores the rest). Everything is written at once.

This module ships in the learner handout: it imports nothing of the tooling.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ..atomic import write_files_atomically
from ..errors import DataError
from ..files import REPO_ROOT
from ..registry import BEYOND_MODELS, BEYOND_NOTEBOOK, NOTEBOOKS, notebook_path

PRISTINE_FOLDER = ".pristine"
TASK_SUFFIX = "_task"


def add_reset_arguments(parser) -> None:
    parser.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                        help="e.g. Exercise9.01, Activity9.02_task, or the notebook's path")
    parser.add_argument("--all", action="store_true", help="every notebook of the workshop, and every result")
    parser.add_argument("--yes", action="store_true", help="replace notebooks holding changes without asking")


def notebook_name(text: str) -> str:
    """``Activity9.01/Activity9.01_task.ipynb`` or ``Activity9.01_task`` -> ``Activity9.01_task``."""
    name = Path(text.strip()).name
    return name[: -len(".ipynb")] if name.endswith(".ipynb") else name


def notebook_files(name: str, root: Path) -> list[Path]:
    """The notebook ``name`` (a solution, an exercise or a task) and its results, relative to ``root``."""
    base = name[: -len(TASK_SUFFIX)] if name.endswith(TASK_SUFFIX) else name
    notebook = notebook_path(base, root).relative_to(root)
    if name != base:
        notebook = notebook.with_name(f"{name}.ipynb")
    models = [f"{base}-{key}" for key in BEYOND_MODELS] if base == BEYOND_NOTEBOOK else [base]
    return [notebook, Path("results") / f"{base}.json", *(Path("results") / "models" / f"{model}.keras" for model in models)]


class CommittedFiles:
    """The committed contents of the workshop's files: from git's HEAD, else from ``.pristine/``."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.git_prefix = self._git(["rev-parse", "--show-prefix"])

    def _git(self, arguments: list[str]) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(self.root), *arguments], capture_output=True, check=False)
        except OSError:  # no git on this machine
            return None
        return done.stdout.decode("utf-8").strip() if done.returncode == 0 else None

    def contents(self, relative: Path) -> bytes | None:
        """The committed bytes of ``relative`` (a path under the root), or None when neither source has it."""
        if self.git_prefix is not None:
            try:
                done = subprocess.run(["git", "-C", str(self.root), "show", f"HEAD:{self.git_prefix}{relative.as_posix()}"],
                                      capture_output=True, check=False)
            except OSError:
                done = None
            if done is not None and done.returncode == 0:
                return done.stdout
        pristine = self.root / PRISTINE_FOLDER / relative
        return pristine.read_bytes() if pristine.is_file() else None


def workshop_notebooks(committed: CommittedFiles) -> list[str]:
    """Every notebook with a committed version: the five, and the activities' tasks."""
    names = [name for base in NOTEBOOKS for name in (base, f"{base}{TASK_SUFFIX}")] + [BEYOND_NOTEBOOK]
    return [name for name in names if committed.contents(notebook_files(name, committed.root)[0]) is not None]


def planned_restores(names: list[str], root: Path) -> tuple[dict[Path, bytes], list[Path]]:
    """``({path: committed bytes}, [notebooks among them holding changes])`` for the files that differ; checks names."""
    committed = CommittedFiles(root)
    known = workshop_notebooks(committed)
    unknown = [name for name in names if notebook_name(name) not in known]
    if unknown:
        where = "" if committed.git_prefix is not None or (root / PRISTINE_FOLDER).is_dir() else \
            " (no git clone and no .pristine/ folder here)"
        raise DataError(f"reset: {', '.join(map(repr, unknown))}: not a notebook with a committed version{where}; "
                        f"the notebooks are {', '.join(known) or 'none'}")
    restores, changed_notebooks = {}, []
    for name in dict.fromkeys(map(notebook_name, names)):
        for number, relative in enumerate(notebook_files(name, root)):
            original, path = committed.contents(relative), root / relative
            if original is None or (path.is_file() and path.read_bytes() == original):
                continue
            restores[path] = original
            if number == 0 and path.exists():
                changed_notebooks.append(path)
    return restores, changed_notebooks


def confirmed(question: str) -> bool | None:
    """The learner's yes or no; None when nobody can answer (no input: a script, a closed stdin)."""
    try:
        answer = input(question)
    except EOFError:
        return None
    return answer.strip().lower() in ("y", "yes")


def reset_notebooks(names: list[str], everything: bool, yes: bool, root: Path = REPO_ROOT) -> int:
    root = Path(root)
    if everything == bool(names):
        raise DataError("reset: name the notebooks to restore (e.g. Exercise9.01 Activity9.02_task), or give --all")
    if everything:
        names = workshop_notebooks(CommittedFiles(root))
    restores, changed_notebooks = planned_restores(names, root)
    if not restores:
        print("nothing to restore: these notebooks and their results are as committed")
        return 0
    print("will restore to the committed version:")
    for path in restores:
        state = "changed" if path.exists() else "missing"
        print(f"  {path.relative_to(root)} ({state}{', holds your work' if path in changed_notebooks else ''})")
    if changed_notebooks and not yes:
        answer = confirmed(f"Replace {len(changed_notebooks)} notebook(s) holding your work? [y/N] ")
        if answer is None:
            print("reset: not restored: no answer could be read; run again with --yes to replace them", file=sys.stderr)
            return 1
        if not answer:  # the learner keeps their notebooks; their results still go back
            restores = {path: content for path, content in restores.items() if path not in changed_notebooks}
            print(f"kept {len(changed_notebooks)} notebook(s) as they are")
            if not restores:
                return 1
    write_files_atomically(restores)
    print(f"restored {len(restores)} file(s)")
    return 0


def run_reset_command(args, root: Path = REPO_ROOT) -> int:
    return reset_notebooks(args.notebooks, args.all, args.yes, root)
