"""Save and load each notebook's predictions so later notebooks can compare without retraining."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .data import REPO_ROOT, DataError

RESULTS_DIR = REPO_ROOT / "results"


def results_dir(epochs: int, full_epochs: int = 100) -> Path:
    """Full runs save to ``results/``; shortened runs (CI, quick tries) to ``results/epochs-N/``.

    Keeping them apart means a quick test run never overwrites the committed
    full-run results that the notebooks and the README show.
    """
    return RESULTS_DIR if epochs == full_epochs else RESULTS_DIR / f"epochs-{epochs}"


def write_atomically(path: Path, write, binary: bool = False) -> Path:
    """Call ``write(stream)`` on a temporary file beside ``path``, then rename it into place.

    A run interrupted half-way leaves the old file (or none), never half a file.
    ``binary``: the stream takes bytes (a figure, say) rather than text.
    """
    path = Path(path)
    temporary = _staged(path, write, binary)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def _staged(path: Path, write, binary: bool = False) -> Path:
    """A complete, synced temporary file beside ``path`` holding what ``write(stream)`` wrote."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with (os.fdopen(handle, "wb") if binary else os.fdopen(handle, "w", encoding="utf-8", newline="")) as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; results are ordinary project files
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def write_files_atomically(texts: dict[Path, str]) -> list[Path]:
    """Write several text files as one: afterwards all hold their new text, or all are as they were.

    Each is first written in full beside its target; only then are they renamed
    into place, and if a rename fails (or the run is interrupted) the ones
    already replaced get their old contents back, or are removed if they are new.
    """
    staged: dict[Path, Path] = {}
    replaced: dict[Path, bytes | None] = {}
    try:
        for path, text in texts.items():
            staged[Path(path)] = _staged(Path(path), lambda stream, text=text: stream.write(text))
        for path, temporary in staged.items():
            old = path.read_bytes() if path.is_file() else None
            os.replace(temporary, path)
            replaced[path] = old
    except BaseException:
        for path, old in replaced.items():
            if old is None:
                path.unlink(missing_ok=True)
            else:
                write_atomically(path, lambda stream, old=old: stream.write(old), binary=True)
        for temporary in staged.values():
            temporary.unlink(missing_ok=True)
        raise
    return list(staged)


def write_json_atomically(path: Path, payload: dict) -> Path:
    return write_atomically(path, lambda stream: stream.write(json.dumps(payload, indent=2) + "\n"))


def write_text_atomically(path: Path, text: str) -> Path:
    return write_atomically(path, lambda stream: stream.write(text))


def result_path(name: str, epochs: int) -> Path:
    return results_dir(epochs) / f"{name}.json"


def save_result(name: str, epochs: int, payload: dict) -> Path:
    """Save a notebook's results (predictions, metrics, settings) under its name."""
    return write_json_atomically(result_path(name, epochs), {"notebook": name, "epochs": epochs, **payload})


def load_result(name: str, epochs: int) -> dict:
    """Load a notebook's saved results, or explain which notebook to run first."""
    path = result_path(name, epochs)
    notebook = f"{name}/{name}.ipynb"
    if not path.is_file():
        raise DataError(
            f"no saved results for {name} at {path.relative_to(REPO_ROOT)}: run {notebook} first "
            f"with the same number of epochs ({epochs})"
        )
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(payload, dict) or "predictions" not in payload:
            raise ValueError("it holds no predictions")
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path.relative_to(REPO_ROOT)} cannot be read ({exc}): run {notebook} again to rewrite it") from None
    return payload


def cli_result_path(result: dict) -> Path:
    """``results/cli/GOOG_50u_d0.0_100ep_seed1.json`` and the like, one file per configuration."""
    seeds = result["seed"] if isinstance(result["seed"], list) else [result["seed"]]
    seed_part = f"seed{seeds[0]}" if len(seeds) == 1 else "seeds" + "-".join(map(str, seeds))
    name = f"{result['ticker']}_{result['units']}u_d{result['dropout']:g}_{result['epochs']}ep_{seed_part}.json"
    return RESULTS_DIR / "cli" / name


def save_cli_result(result: dict) -> Path:
    return write_json_atomically(cli_result_path(result), result)


# What the results table reads from a saved CLI result.
CLI_RESULT_KEYS = ("ticker", "units", "dropout", "epochs", "seed")


def load_cli_results() -> list[dict]:
    """Every saved CLI result; unreadable files are skipped with a note on stderr."""
    import sys

    found = []
    for path in sorted((RESULTS_DIR / "cli").glob("*.json")):
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
            missing = [key for key in CLI_RESULT_KEYS if key not in result] if isinstance(result, dict) else ["all"]
            if missing:
                raise ValueError(f"it lacks {', '.join(missing)}")
            found.append(result)
        except (ValueError, UnicodeDecodeError, OSError) as exc:
            print(f"skipping {path.relative_to(REPO_ROOT)}: cannot be read ({exc})", file=sys.stderr)
    return found
