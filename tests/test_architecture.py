"""The house's shape: two wings without import circles, and imports that change nothing in the process."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "utils"
# The lesson wing reaches into the tooling in one place: load_keras() installs the fast LSTM path.
LESSON_TO_TOOLING = {("utils.backend", "utils.tools.fast_lstm")}
# Imports of the package's own modules inside a function: only of a module that loads a heavy library at its top
# (JAX for the fast path, matplotlib for the figures), so that importing the caller stays light.
HEAVY_MODULES = {"utils.tools.fast_lstm", "utils.tools.jax_lstm", "utils.plots"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[str, bool]]:
    """(module imported from the package, whether the import sits inside a function) for every import in ``path``."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            targets = []
            if isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    up = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join(up + ([base] if base else []))
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in child.names]
            elif isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            found.extend((target, inside) for target in targets if target in modules and target != name)
            visit(child, inside)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def graph() -> dict[str, set[str]]:
    edges = {module_name(path): {target for target, _ in imports(path)} for path in PACKAGE.rglob("*.py")}
    for name in edges:  # a package's __init__ runs before its modules: importing utils.x imports utils
        edges[name] -= {name.rpartition(".")[0]}
    return edges


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def walk(node, trail):
        state[node] = "open"
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                found.append(trail[trail.index(target):] + [target])
            elif target not in state:
                walk(target, trail + [target])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            walk(node, [node])
    return found


def test_no_import_circles():
    assert circles(graph()) == []


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_the_lesson_wing_imports_the_tooling_only_to_load_keras():
    upward = {(source, target) for source, targets in graph().items() if not source.startswith("utils.tools")
              for target in targets if target.startswith("utils.tools") and source != "utils.__main__"}
    assert upward == LESSON_TO_TOOLING


def test_imports_inside_functions_are_only_of_heavy_modules():
    light = sorted({(module_name(path), target) for path in PACKAGE.rglob("*.py")
                    for target, inside in imports(path) if inside and target not in HEAVY_MODULES})
    assert light == [], "import these at the top of the module (no circle forces them into a function)"


IMPORT_EVERYTHING = """
import importlib, json, os, pkgutil, sys
# The libraries' own import-time settings (scikit-learn's KMP_*, JAX's TF_CPP_MIN_LOG_LEVEL) are theirs, not ours.
import jax, matplotlib, numpy, pandas, sklearn, tqdm
before = dict(os.environ)
import utils
for module in pkgutil.walk_packages(utils.__path__, "utils."):
    if module.name != "utils.__main__":
        importlib.import_module(module.name)
changed = sorted(set(os.environ.items()) ^ set(before.items()))
print(json.dumps({"changed": changed, "keras": "keras" in sys.modules, "tensorflow": "tensorflow" in sys.modules}))
"""


def test_importing_every_module_changes_nothing(tmp_path):
    # A bare environment: this test process has imported utils already, and whatever that set would hide a change.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True)
    assert done.stderr == "", "importing wrote to stderr"
    assert json.loads(done.stdout) == {"changed": [], "keras": False, "tensorflow": False}
