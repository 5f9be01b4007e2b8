"""The five notebooks: their names, settings and files, and how a run's settings compare with theirs."""

from __future__ import annotations

from pathlib import Path

from .errors import DataError
from .files import REPO_ROOT

NOTEBOOKS = {
    # name: (ticker, units, dropout), in the order the main job runs them
    "Exercise9.01": ("GOOG", 50, 0.0),
    "Exercise9.02": ("GOOG", 100, 0.0),
    "Activity9.01": ("AMZN", 50, 0.0),
    "Activity9.02": ("AMZN", 50, 0.2),
    "Activity9.03": ("AMZN", 100, 0.0),
}
# The sixth notebook, beyond the chapter: it compares both tickers' models, so it runs after the five.
BEYOND_NOTEBOOK = "Beyond9"
# Its committed models, results/models/Beyond9-<key>.keras (utils.saved_models.save_named_model).
BEYOND_MODELS = ("GOOG-change", "AMZN-change", "GOOG-direct", "AMZN-direct")
# Every notebook's committed run uses these, besides its own ticker, units and dropout.
COMMITTED_WINDOW, COMMITTED_SEED = 60, 1


def notebook_path(name: str, root: Path = REPO_ROOT) -> Path:
    return Path(root) / name / f"{name}.ipynb"


def committed_notebooks() -> list[str]:
    return list(NOTEBOOKS)


def committed_settings(name: str) -> dict | None:
    """The settings of notebook ``name``'s committed run, or None for a name that is not one of the five."""
    if name not in NOTEBOOKS:
        return None
    ticker, units, dropout = NOTEBOOKS[name]
    return {"ticker": ticker, "units": units, "dropout": dropout, "window": COMMITTED_WINDOW, "seed": COMMITTED_SEED}


def differences(expected: dict, given: dict) -> list[str]:
    """``["UNITS = 8 (the notebook's own: 50)", ...]`` for each setting in ``given`` that differs from ``expected``."""
    found = []
    for key, value in expected.items():
        if key not in given:
            continue  # a record that does not say (an older or hand-made one) is judged on what it says
        mine = given[key]
        if key == "ticker":
            same = str(mine).strip().upper() == value
        else:
            try:
                same = float(mine) == value
            except (TypeError, ValueError):
                same = False
        if not same:
            found.append(f"{key.upper()} = {mine!r} (the notebook's own: {value!r})")
    return found


def notebook_for_settings(ticker: str, units: int, dropout: float, window: int, seed: int) -> str:
    """The notebook whose committed model has these settings, or a DataError listing the ones that exist."""
    given = {"ticker": ticker, "units": units, "dropout": dropout, "window": window, "seed": seed}
    for name in committed_notebooks():
        if not differences(committed_settings(name), given):
            return name
    available = "; ".join(
        f"{name}: {s['ticker']}, {s['units']} units, dropout {s['dropout']:g}, window {s['window']}, seed {s['seed']}"
        for name, s in ((name, committed_settings(name)) for name in committed_notebooks()))
    raise DataError(f"no committed model has these settings (the committed ones are {available}): "
                    "leave out --load to train one")


def model_label(result: dict, epochs: int | None = None) -> str:
    """"50 units" or "50 units, dropout 0.2", from a saved result's settings; with ``epochs``, ", 100 epochs" after it.

    Tables that put a quick run beside full runs label every row with its epochs, so neither passes for the other.
    """
    label = f"{result['units']} units" + (f", dropout {result['dropout']:g}" if result["dropout"] else "")
    return label if epochs is None else f"{label}, {epochs} epoch{'s' * (epochs != 1)}"
