"""Each notebook's saved results (predictions, metrics, settings) and the command line's seed spreads, read back
so that later notebooks can compare without retraining."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import write_json_atomically
from .epochs import FULL_EPOCHS
from .errors import DataError
from .files import REPO_ROOT
from .registry import NOTEBOOKS, model_label

RESULTS_DIR = REPO_ROOT / "results"


def results_dir(epochs: int, full_epochs: int = FULL_EPOCHS) -> Path:
    """Full runs save to ``results/``; shortened runs (CI, quick tries) to ``results/epochs-N/``.

    Keeping them apart means a quick test run never overwrites the committed
    full-run results that the notebooks and the README show.
    """
    return RESULTS_DIR if epochs == full_epochs else RESULTS_DIR / f"epochs-{epochs}"


def result_path(name: str, epochs: int) -> Path:
    return results_dir(epochs) / f"{name}.json"


def other_settings_path(name: str, epochs: int, payload: dict) -> Path:
    """``results/other-settings/Exercise9.01_GOOG_8u_d0_w60_seed1.json``: a run with settings of the learner's own."""
    settings = "_".join([str(payload.get("ticker")), f"{payload.get('units')}u", f"d{float(payload.get('dropout', 0)):g}",
                         f"w{payload.get('window')}", f"seed{payload.get('seed')}"])
    return results_dir(epochs) / "other-settings" / f"{name}_{settings}.json"


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


def seed_spreads() -> dict[tuple, dict]:
    """The command line's multi-seed runs, keyed by (ticker, units, dropout, epochs); the most seeds win a tie."""
    spreads = {}
    for run in sorted((run for run in load_cli_results() if "seeds" in run), key=lambda run: len(run["seeds"])):
        spreads[(run["ticker"], run["units"], float(run["dropout"]), run["epochs"])] = run
    return spreads


def seed_rmses(name: str, epochs: int = FULL_EPOCHS) -> np.ndarray:
    """The one-step January RMSE of each seed the command line trained notebook ``name``'s model with."""
    ticker, units, dropout = NOTEBOOKS[name]
    spread = seed_spreads().get((ticker, units, dropout, epochs))
    if spread is None:
        option = f" --dropout {dropout:g}" if dropout else ""
        raise DataError(f"{name}: no multi-seed run saved at {epochs} epochs; make one with python -m utils train "
                        f"--ticker {ticker} --units {units}{option} --seeds 1,2,3 --save")
    return np.array([run["rmse"] for run in spread["seeds"]], dtype=float)


def seed_spread_table(names: list[str], epochs: int = FULL_EPOCHS) -> pd.DataFrame:
    """January RMSE of each named notebook's model over the seeds the command line trained it with.

    Built from ``results/cli/*.json`` (written by ``python -m utils train ... --seeds 1,2,3 --save``),
    so a notebook shows the committed figures instead of copying them by hand.
    """
    spreads = seed_spreads()
    rows = {}
    for name in names:
        ticker, units, dropout = NOTEBOOKS[name]
        spread = spreads.get((ticker, units, dropout, epochs))
        if spread is None:
            option = f" --dropout {dropout:g}" if dropout else ""
            print(f"{name}: no multi-seed run saved; make one with "
                  f"python -m utils train --ticker {ticker} --units {units}{option} --seeds 1,2,3 --save")
            continue
        runs = spread["seeds"]
        rows[f"{name}: {model_label({'units': units, 'dropout': dropout}, epochs)}"] = {
            "seeds": ", ".join(str(run["seed"]) for run in runs),
            "one-step RMSE ($), mean ± sd": f"{spread['rmse_mean']:.2f} ± {spread['rmse_std']:.2f}",
            "one-step RMSE ($), each seed": ", ".join(f"{run['rmse']:.2f}" for run in runs),
            "free-running RMSE ($), each seed": ", ".join(f"{run['free_running_rmse']:.0f}" for run in runs),
            "naive RMSE ($)": f"{spread['naive_rmse']:.2f}",
            "training per run (s)": f"{spread['fit_seconds_mean']:.0f}",
        }
    return pd.DataFrame.from_dict(rows, orient="index")
