"""Save and load each notebook's predictions so later notebooks can compare without retraining."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from .data import REPO_ROOT, DataError
from .epochs import FULL_EPOCHS

RESULTS_DIR = REPO_ROOT / "results"


def results_dir(epochs: int, full_epochs: int = FULL_EPOCHS) -> Path:
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
    return replace_atomically(path, lambda temporary: _write_stream(temporary, write, binary))


def _write_stream(path: Path, write, binary: bool = False) -> None:
    with open(path, "wb") if binary else open(path, "w", encoding="utf-8", newline="") as stream:
        write(stream)


def _staged(path: Path, write_to, suffix: str = ".tmp") -> Path:
    """A complete, synced temporary file beside ``path``, written by ``write_to(temporary_path)``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(handle)
    try:
        write_to(Path(temporary))
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
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
            staged[Path(path)] = _staged(Path(path), lambda temporary, text=text: _write_stream(
                temporary, lambda stream: stream.write(text)))
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


def replace_atomically(path: Path, write_to, suffix: str = ".tmp") -> Path:
    """Call ``write_to(temporary_path)`` for a new file beside ``path``, then rename it into place.

    A run interrupted half-way leaves the old file (or none), never half a file.
    ``suffix`` is the temporary file's ending, for writers that insist on one
    (Keras saves only to names ending in ``.keras``).
    """
    path = Path(path)
    temporary = _staged(path, write_to, suffix)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def result_path(name: str, epochs: int) -> Path:
    return results_dir(epochs) / f"{name}.json"


# Every notebook's committed run uses these, besides its own ticker, units and dropout (utils.report.NOTEBOOKS).
COMMITTED_WINDOW, COMMITTED_SEED = 60, 1


def committed_notebooks() -> list[str]:
    from .report import NOTEBOOKS

    return list(NOTEBOOKS)


def committed_settings(name: str) -> dict | None:
    """The settings of notebook ``name``'s committed run, or None for a name that is not one of the five."""
    from .report import NOTEBOOKS

    if name not in NOTEBOOKS:
        return None
    ticker, units, dropout = NOTEBOOKS[name]
    return {"ticker": ticker, "units": units, "dropout": dropout, "window": COMMITTED_WINDOW, "seed": COMMITTED_SEED}


def other_settings_path(name: str, epochs: int, payload: dict) -> Path:
    """``results/other-settings/Exercise9.01_GOOG_8u_d0_w60_seed1.json``: a run with settings of the learner's own."""
    settings = "_".join([str(payload.get("ticker")), f"{payload.get('units')}u", f"d{float(payload.get('dropout', 0)):g}",
                         f"w{payload.get('window')}", f"seed{payload.get('seed')}"])
    return results_dir(epochs) / "other-settings" / f"{name}_{settings}.json"


def save_result(name: str, epochs: int, payload: dict, model=None) -> Path:
    """Save a notebook's results (predictions, metrics, settings) under its name; return where.

    Only a run with the notebook's own settings goes to ``results/<name>.json``
    (``results/epochs-N/`` for a quick run), where later notebooks, the README
    table and its figure read it; a run with other settings (a learner who
    changed UNITS or TICKER) is saved apart, with one sentence saying where. A
    full run also saves ``model`` to ``results/models/<name>.keras``, with the
    file's SHA-256 in the results. A run whose model was loaded rather than
    trained writes nothing: the committed files already hold it.
    """
    if payload.get("loaded"):
        return result_path(name, epochs)
    committed = committed_settings(name)
    if committed is not None:
        from .saved_models import differences, save_model, shown

        changed = differences(committed, payload)
        if changed:
            path = write_json_atomically(other_settings_path(name, epochs, payload),
                                         {"notebook": name, "epochs": epochs, **payload})
            print(f"Saved to {shown(path)}, not {shown(result_path(name, epochs))}, because your settings differ from "
                  f"the notebook's own ({', '.join(changed)}); later notebooks compare with the notebook's own run.")
            return path
        if model is not None and epochs == FULL_EPOCHS:
            payload = {**payload, "model_sha256": save_model(name, model)}
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


def load_result_for_comparison(name: str, epochs: int, *, ticker: str, window: int, test_dates) -> dict | None:
    """Notebook ``name``'s saved result when it can be compared with this one; else one sentence why not, and None.

    Comparable means the same ticker, the same window length and the same test
    days; ``test_dates`` are this notebook's (dates or ``YYYY-MM-DD`` text).
    """
    try:
        saved = load_result(name, epochs)
    except DataError as exc:
        print(f"Not compared with {name}: {exc}.")
        return None
    days = [f"{day:%Y-%m-%d}" for day in pd.to_datetime(pd.Series(list(test_dates)))]
    saved_days = list(saved.get("dates", []))
    if str(saved.get("ticker")) != str(ticker).strip().upper():
        reason = f"its saved forecast is for {saved.get('ticker')}, this notebook's for {str(ticker).strip().upper()}"
    elif saved.get("window") != window:
        reason = f"its model saw {saved.get('window')}-day windows, this one {window}-day windows"
    elif saved_days != days:
        span = f"{saved_days[0]} to {saved_days[-1]}, {len(saved_days)} days" if saved_days else "no dates"
        reason = f"its forecast covers other test days ({span}) than this notebook's ({days[0]} to {days[-1]}, {len(days)} days)"
    else:
        return saved
    print(f"Not compared with {name}: {reason}.")
    return None
