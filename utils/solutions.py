"""The solution blocks of the solved activity notebooks, read where they are written.

A solved notebook marks the lines a learner writes between ``### BEGIN SOLUTION``
and ``### END SOLUTION``; the task notebook is generated from it with each block
replaced by a blank (``python -m utils tasks``). A step's ``solution()`` reads
its block from the solved notebook at the moment it is called, so no solution is
written anywhere else; a copy of the workshop without the solved notebooks (the
class handout) answers that the instructor will share them.
"""

from __future__ import annotations

from pathlib import Path

from .errors import DataError
from .files import REPO_ROOT

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BLANK = "# your code here"
# The tag that names a step on the solved notebook's cell holding its blank (and on the task's copy of it).
STEP_TAG = "step-"
NOT_SHIPPED = "The solved notebook is not in this copy of the workshop: your instructor will share the solutions."


def solution_blocks(source: str, where: str) -> tuple[str, list[str]]:
    """``source`` with each marked block replaced by a blank, and the blocks' own lines (markers left out).

    ``where`` names the notebook and cell in the one-line error about unbalanced markers.
    """
    kept, blocks, block, indent = [], [], None, ""
    lines = source.splitlines(keepends=True)
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker == BEGIN:
            if block is not None:
                raise DataError(f"{where}, line {number}: {BEGIN} inside another solution block")
            block, indent = [], line[: len(line) - len(line.lstrip())]
        elif marker == END:
            if block is None:
                raise DataError(f"{where}, line {number}: {END} without a {BEGIN} before it")
            kept.append(indent + BLANK + ("\n" if line.endswith("\n") else ""))
            blocks.append("".join(block))
            block = None
        elif block is not None:
            block.append(line)
        else:
            kept.append(line)
    if block is not None:
        raise DataError(f"{where}: {BEGIN} without an {END} after it")
    return "".join(kept), blocks


def step_solution(notebook: str, step: str, root: Path | None = None) -> str:
    """The solution code of ``step`` in the solved notebook ``notebook``, or NOT_SHIPPED when that file is absent."""
    import nbformat

    path = Path(REPO_ROOT if root is None else root) / notebook / f"{notebook}.ipynb"
    if not path.is_file():
        return NOT_SHIPPED
    cells = [cell for cell in nbformat.read(path, as_version=4).cells
             if cell.cell_type == "code" and STEP_TAG + step in cell.get("metadata", {}).get("tags", [])]
    blocks = [block for cell in cells for block in solution_blocks(cell.source, f"{notebook}, step {step}")[1]]
    if not blocks:
        raise DataError(f"{notebook}.ipynb has no solution for the step {step!r} (no cell tagged {STEP_TAG + step})")
    return "".join(blocks).rstrip("\n")
