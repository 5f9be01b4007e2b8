"""Each notebook's saved results (predictions, metrics, settings) and the command line's seed spreads, read back
so that later notebooks can compare without retraining."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import check_can_write, write_json_atomically
from .epochs import FULL_EPOCHS
from .errors import DataError
from .files import REPO_ROOT, shown
from .registry import NOTEBOOKS, committed_settings, model_label
from .schema import NOTEBOOK_RESULT, RUN, SEED_SPREAD, check_days, check_record
from .values import check_flag

RESULTS_DIR = REPO_ROOT / "results"
# Set by the main job (python -m utils notebooks) for its kernels: only then does a notebook's run replace the
# committed results/<notebook>.json and results/models/<notebook>.keras. A maintainer may set it by hand.
MAIN_JOB_VARIABLE = "WORKSHOP_MAIN_JOB"
# A folder of one's own for the runs a learner saves (a shared hub names one per user).
RESULTS_DIR_VARIABLE = "WORKSHOP_RESULTS_DIR"
# The learner's runs, beside results/ when the repository may be written (git-ignored): nothing under results/ changes.
LEARNER_FOLDER = "my-results"


def results_dir(epochs: int, full_epochs: int = FULL_EPOCHS, root: Path | None = None) -> Path:
    """Full runs save to ``root`` (``results/``); shortened runs (CI, quick tries) to ``root/epochs-N/``.

    Keeping them apart means a quick test run never overwrites the full-run results.
    """
    root = RESULTS_DIR if root is None else Path(root)
    return root if epochs == full_epochs else root / f"epochs-{epochs}"


def writes_committed() -> bool:
    """True in the main job's kernels (and wherever a maintainer sets ``WORKSHOP_MAIN_JOB=1`` on purpose)."""
    return check_flag(os.environ.get(MAIN_JOB_VARIABLE, "").strip() or "0", MAIN_JOB_VARIABLE)


def learner_results_root() -> Path:
    """Where a learner's own runs go: ``WORKSHOP_RESULTS_DIR`` when set, else ``my-results/`` beside ``results/``
    (git-ignored) when the repository may be written, else a folder in the user's data folder (a shared, read-only
    install)."""
    named = os.environ.get(RESULTS_DIR_VARIABLE, "").strip()
    if named:
        return Path(named).expanduser()
    inside = RESULTS_DIR.parent / LEARNER_FOLDER
    try:
        return check_can_write(inside / "results.json").parent
    except OSError:
        # The XDG rule that Linux desktops and JupyterHub images follow; elsewhere it is simply a folder in home.
        data_home = os.environ.get("XDG_DATA_HOME", "").strip() or Path.home() / ".local" / "share"
        return Path(data_home) / "lstm-workshop" / "results"


def save_root() -> Path:
    """Where this process saves notebook runs: ``results/`` for the main job, the learner's folder otherwise."""
    return RESULTS_DIR if writes_committed() else learner_results_root()


def read_root(epochs: int) -> Path:
    """Where a notebook's run is read back: the committed full runs from the repository; quick runs from where
    this process saves them (so a learner's quick Exercise 9.02 compares with their quick Exercise 9.01)."""
    return RESULTS_DIR if epochs == FULL_EPOCHS else save_root()


def result_path(name: str, epochs: int, root: Path | None = None) -> Path:
    return results_dir(epochs, root=read_root(epochs) if root is None else root) / f"{name}.json"


def other_settings_path(name: str, epochs: int, payload: dict) -> Path:
    """``.../other-settings/Exercise9.01_GOOG_8u_d0_w60_seed1.json``: a run with settings of the learner's own."""
    settings = "_".join([str(payload.get("ticker")), f"{payload.get('units')}u", f"d{float(payload.get('dropout', 0)):g}",
                         f"w{payload.get('window')}", f"seed{payload.get('seed')}"])
    return results_dir(epochs, root=save_root()) / "other-settings" / f"{name}_{settings}.json"


def read_json(path: Path, fix: str):
    """The JSON in ``path``, or one DataError line naming it and saying ``fix``."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, OSError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise DataError(f"{shown(path)} cannot be read ({reason}): {fix}") from None


def check_notebook_result(payload, name: str, epochs: int, path: Path) -> dict:
    """A notebook's result as its schema and the registry say it must be (settings, epochs, one value per day)."""
    where = shown(path)
    check_record(payload, NOTEBOOK_RESULT, where)
    check_days(payload, where)
    expected = {"notebook": name, "epochs": epochs, **(committed_settings(name) or {})}
    for key, value in expected.items():
        if payload[key] != value:  # the schema has checked the kinds: numbers compare as numbers (50 == 50.0)
            raise DataError(f"{where}: {key!r} is {payload[key]!r}, but {name}'s own run has {value!r}")
    return payload


def load_result(name: str, epochs: int) -> dict:
    """Load a notebook's saved results, checked against their schema, or explain which notebook to run first."""
    path = result_path(name, epochs)
    notebook = f"{name}/{name}.ipynb"
    if not path.is_file():
        raise DataError(
            f"no saved results for {name} at {shown(path)}: run {notebook} first "
            f"with the same number of epochs ({epochs})"
        )
    payload = read_json(path, f"run {notebook} again to rewrite it")
    try:
        return check_notebook_result(payload, name, epochs, path)
    except DataError as exc:
        restore = f", or restore the committed file with 'git checkout -- {shown(path)}'" if epochs == FULL_EPOCHS else ""
        raise DataError(f"{exc}; run {notebook} again to rewrite it{restore}") from None


def cli_result_path(result: dict) -> Path:
    """``results/cli/GOOG_50u_d0_100ep_seed1.json`` and the like, one file per configuration.

    Full runs go to ``results/cli/`` (the seed spreads there are committed); quick
    ones to ``cli/`` in the quick runs' folder, which git ignores.
    """
    seeds = result["seed"] if isinstance(result["seed"], list) else [result["seed"]]
    seed_part = f"seed{seeds[0]}" if len(seeds) == 1 else "seeds" + "-".join(map(str, seeds))
    name = f"{result['ticker']}_{result['units']}u_d{result['dropout']:g}_{result['epochs']}ep_{seed_part}.json"
    root = RESULTS_DIR if result["epochs"] == FULL_EPOCHS else save_root()
    return results_dir(result["epochs"], root=root) / "cli" / name


def save_cli_result(result: dict) -> Path:
    return write_json_atomically(cli_result_path(result), result)


def check_cli_result(payload, path: Path) -> dict:
    """A saved command-line run, or seed spread, as its schema says; its file name must match its settings."""
    where = shown(path)
    if isinstance(payload, dict) and isinstance(payload.get("seed"), list):
        check_record(payload, SEED_SPREAD, where)
        check_days(payload, where)
        for position, run in enumerate(payload["seeds"]):
            check_record(run, RUN, f"{where}, seeds[{position}]")
            check_days(run, f"{where}, seeds[{position}]")
        if [run["seed"] for run in payload["seeds"]] != payload["seed"]:
            raise DataError(f"{where}: 'seeds' holds the runs of seeds {[run['seed'] for run in payload['seeds']]}, "
                            f"'seed' lists {payload['seed']}")
    else:
        check_record(payload, RUN, where)
        check_days(payload, where)
    if cli_result_path(payload).name != Path(path).name:
        raise DataError(f"{where}: its settings ({payload['ticker']}, {payload['units']} units, dropout "
                        f"{payload['dropout']:g}, {payload['epochs']} epochs, seed {payload['seed']}) are not the ones "
                        f"its name says; 'python -m utils train ... --save' names each file by its settings")
    return payload


def load_cli_results() -> list[dict]:
    """Every saved full-run command-line result in ``results/cli/``, each checked; a damaged one is a DataError."""
    fix = "rewrite it with 'python -m utils train ... --save', or restore it with git"
    found = []
    for path in sorted((RESULTS_DIR / "cli").glob("*.json")):
        try:
            found.append(check_cli_result(read_json(path, fix), path))
        except DataError as exc:
            message = str(exc)
            raise DataError(message if message.endswith(fix) else f"{message}; {fix}") from None
    return found


def load_result_for_comparison(name: str, epochs: int, *, ticker: str, window: int, test_dates) -> dict | None:
    """Notebook ``name``'s saved result when it can be compared with this one; else one sentence why not, and None.

    Comparable means the same ticker, the same window length and the same test
    days; ``test_dates`` are this notebook's (dates or ``YYYY-MM-DD`` text).
    """
    try:
        saved = load_result(name, epochs)
    except DataError as exc:
        if result_path(name, epochs).is_file():
            raise  # a damaged file is one DataError line, never a comparison silently left out
        print(f"Not compared with {name}: {exc}.")
        return None
    days = [f"{day:%Y-%m-%d}" for day in pd.to_datetime(pd.Series(list(test_dates)))]
    saved_days = saved["dates"]  # the schema has checked that every key is there and the dates are not empty
    if saved["ticker"] != str(ticker).strip().upper():
        reason = f"its saved forecast is for {saved['ticker']}, this notebook's for {str(ticker).strip().upper()}"
    elif saved["window"] != window:
        reason = f"its model saw {saved['window']}-day windows, this one {window}-day windows"
    elif saved_days != days:
        span = f"{saved_days[0]} to {saved_days[-1]}, {len(saved_days)} days"
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
