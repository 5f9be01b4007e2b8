"""The main job: re-execute the notebooks in place, then refresh the README's table and figure."""

from __future__ import annotations

import sys
import time

from .data import REPO_ROOT, DataError
from .report import NOTEBOOKS, draw_readme_figure, refresh_results_table


def notebook_path(name: str):
    return REPO_ROOT / name / f"{name}.ipynb"


def merge_progress_output(path) -> None:
    """Store each cell's progress-bar updates as one stream holding only the final bar.

    The kernel sends every redraw of the bar as its own message; JupyterLab folds
    them on screen, but the saved file (and viewers such as GitHub's) would list
    every redraw. nbval merges streams the same way before comparing.
    """
    import nbformat
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    notebook = nbformat.read(path, as_version=4)
    CoalesceStreamsPreprocessor().preprocess(notebook, {})
    nbformat.write(notebook, path)


def run_notebooks(only: list[str] | None = None) -> int:
    """Run each notebook in dependency order, streaming its output; stop at the first failure."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    names = list(NOTEBOOKS)
    if only:
        unknown = [name for name in only if name not in NOTEBOOKS]
        if unknown:
            raise DataError(f"--only {', '.join(unknown)}: no such notebook (choose from {', '.join(names)})")
        names = [name for name in names if name in only]
    for position, name in enumerate(names, start=1):
        path = notebook_path(name)
        print(f"[{position}/{len(names)}] {name}: running {path.relative_to(REPO_ROOT)}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            # log_output streams the kernel's output (the per-epoch progress bar) to this terminal.
            papermill.execute_notebook(
                str(path), str(path), cwd=str(path.parent), log_output=True, progress_bar=False,
                kernel_name="python3", stdout_file=sys.stderr, stderr_file=sys.stderr,
            )
        except PapermillExecutionError as exc:
            raise DataError(
                f"{name}: cell {exc.exec_count} failed with {exc.ename}: {exc.evalue} "
                f"(the notebook was saved with the error shown in that cell)"
            ) from None
        merge_progress_output(path)
        print(f"[{position}/{len(names)}] {name}: done in {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    try:
        refresh_results_table()
        draw_readme_figure()
    except DataError as exc:
        # A partial run (--only, or quick epochs) may not have every full-run result yet.
        print(f"results table and figure not refreshed: {exc}", file=sys.stderr)
    return 0
