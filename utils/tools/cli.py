"""The command line, python -m utils: train, data, sweep, notebooks, table, tasks, check-wheels, timing, handout, reset.

Every expected mistake (missing file, bad value, bad parameter) ends as one
line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import warnings

from ..atomic import check_can_write
from ..backend import describe_training_path
from ..data import load_prices
from ..epochs import FULL_EPOCHS, effective_epochs
from ..errors import DataError
from ..evaluation import naive_comparison
from ..files import shown
from ..registry import notebook_for_settings
from ..results import cli_result_path, save_cli_result
from ..values import (
    EXIT_BAD_INPUT,
    MAX_EPOCHS,
    MAX_SEED,
    MAX_UNITS,
    OneLineParser,
    argument,
    check_cpu_list,
    check_dropout,
    check_epochs,
    check_seed,
    check_seed_list,
    check_units,
    check_whole,
    check_window,
)
from . import download, handout, main_job, pipeline, report, reset, sweep, tasks, timing, wheels


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m utils", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    train = commands.add_parser("train", help="train one configuration and report it against the naive baseline")
    train.add_argument("--ticker", required=True, help="reads {TICKER}_train.csv and {TICKER}_test.csv")
    train.add_argument("--units", required=True, type=argument(check_units),
                       help=f"units in each LSTM layer (1 to {MAX_UNITS})")
    train.add_argument("--dropout", type=argument(check_dropout), default=0.0, help="dropout after each LSTM layer (default 0)")
    train.add_argument("--epochs", type=argument(check_epochs),
                       help=f"1 to {MAX_EPOCHS}; default {FULL_EPOCHS}, or WORKSHOP_EPOCHS when set")
    train.add_argument("--window", type=argument(check_window), default=60, help="days in each input window (default 60)")
    seeds = train.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=argument(check_seed), default=1,
                       help=f"random seed, 0 to {MAX_SEED} (default 1)")
    seeds.add_argument("--seeds", type=argument(check_seed_list),
                       help="train once per seed, e.g. 1,2,3,4,5, and report the spread")
    train.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    train.add_argument("--save", action="store_true", help="also save the result under results/cli/ for the results table")
    train.add_argument("--progress", action="store_true", help="show a progress bar on stderr while training")
    train.add_argument("--load", action="store_true",
                       help="evaluate the committed model of the notebook with these settings instead of training")

    data = commands.add_parser("data", help="check the data folder, or download a ticker into it")
    data_commands = data.add_subparsers(dest="data_command", required=True, parser_class=OneLineParser)
    data_commands.add_parser("check", help="verify files, row counts, date ranges and checksums, and the checksums "
                                          "of the trained models in results/models/")
    download = data_commands.add_parser("download", help="fetch {T}_train.csv and {T}_test.csv with yfinance")
    download.add_argument("--ticker", required=True)
    download.add_argument("--start", help="first training day, YYYY-MM-DD (default 2014-01-01)")
    download.add_argument("--end", help="last training day (default 2018-12-31)")
    download.add_argument("--test-start", help="first test day (default 2019-01-01)")
    download.add_argument("--test-end", help="last test day (default 2019-01-31)")
    download.add_argument("--overwrite", action="store_true", help="replace existing files of that ticker")

    sweep.add_sweep_arguments(commands.add_parser("sweep", help="train every combination of settings on a Dask cluster, "
                                                          "one CSV row each, with a summary and a figure"))

    notebooks = commands.add_parser("notebooks", help="re-execute the notebooks in place (the main job)")
    notebooks.add_argument("--only", action="append", help="run just this notebook, e.g. Exercise9.02 (repeatable)")
    notebooks.add_argument("--jobs", type=argument(check_whole, "jobs", 1), default=default_jobs(),
                           help="tickers run side by side, each in its own process (default: 2 on a machine with "
                                "2 or more cores, else 1)")
    notebooks.add_argument("--no-table", dest="table", action="store_false",
                           help="do not rebuild the results table and figure afterwards")
    notebooks.add_argument("--cpus", type=argument(check_cpu_list),
                           help="run on these CPUs only, e.g. 0,1 (the main job gives each lane its own)")

    commands.add_parser("table", help="rebuild results/results.csv, the README's results table and its figure")

    tasks = commands.add_parser("tasks", help="generate each activity's task notebook from its solution")
    tasks.add_argument("--check", action="store_true", help="write nothing; list task notebooks that are out of date "
                                                            "(exit 1 if any)")
    tasks.add_argument("--force", action="store_true", help="overwrite task notebooks a learner has changed")

    wheels.add_arguments(commands.add_parser("check-wheels", help="check that every pin of requirements.txt has a wheel "
                                                                 "for each learner's system and Python (needs PyPI)"))

    timing = commands.add_parser("timing", help="time a few epochs here and print each notebook's expected training minutes")
    timing.add_argument("--epochs", type=argument(check_whole, "epochs", 1, 20), default=2,
                        help="timed epochs per model, after one that compiles (1 to 20, default 2)")
    timing.add_argument("--cpus", type=argument(check_cpu_list), help="measure on these CPUs only, e.g. 0 for one thread")

    handout.add_handout_arguments(commands.add_parser(
        "handout", help="write the learners' copy of the workshop: exercises, task notebooks, data, trained models, "
                        "no activity solutions"))
    reset.add_reset_arguments(commands.add_parser(
        "reset", help="restore notebooks and their results to the committed versions"))
    return parser


def default_jobs() -> int:
    """Two lanes (GOOG and AMZN) at once where there are two cores to share."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    print(f"warning: {message}", file=sys.stderr)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    shown_before = warnings.showwarning
    warnings.showwarning = _one_line_warning  # e.g. a checksum note: one line, no source path
    try:
        if args.command == "sweep":
            return sweep.command_sweep(args)
        if args.command == "train":
            return command_train(args)
        if args.command == "data" and args.data_command == "download":
            return command_download(args)
        if args.command == "data":
            return report.check_data_folder()
        if args.command == "notebooks":
            return main_job.run_notebooks(args.only, jobs=args.jobs, table=args.table, cpus=args.cpus)
        if args.command == "check-wheels":
            return wheels.command_check_wheels(args)
        if args.command == "tasks":
            return tasks.run_tasks_command(check=args.check, force=args.force)
        if args.command == "timing":
            return timing.run_timing_command(args.epochs, args.cpus)
        if args.command == "handout":
            return handout.run_handout_command(args)
        if args.command == "reset":
            return reset.run_reset_command(args)
        if args.command == "table":
            report.refresh_results_table_and_figure()
            return 0
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:  # a results folder the user may not write to, a full disk: utils.atomic names the file
        where = f"{shown(exc.filename)}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc} (nothing was written)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.showwarning = shown_before  # a notebook or test calling main() keeps its own display
    return 1


def command_train(args) -> int:
    # Check the data and settings before the slow import of the deep-learning stack.
    epochs = args.epochs if args.epochs is not None else effective_epochs()
    ticker = load_prices(args.ticker, window=args.window, verify=False).ticker
    if args.load:
        check_load_options(args)
    seeds = args.seeds or [args.seed]
    if args.save:
        # Before minutes of training: the file it will write, named as save_cli_result will name it.
        check_can_write(cli_result_path({"ticker": ticker, "units": args.units,
                                         "dropout": args.dropout, "epochs": epochs, "seed": seeds}))

    runs = [
        pipeline.run_experiment(args.ticker, args.units, args.dropout, epochs=epochs, seed=seed, window=args.window,
                       progress=args.progress, load=args.load)
        for seed in seeds
    ]
    result = runs[0] if args.seeds is None else seed_spread(runs)
    if not args.load:
        # One line, on stderr so that --json stays one object: which LSTM code trained, and why not the fast path.
        print(describe_training_path(), file=sys.stderr)
    if args.save:
        saved = save_cli_result(result)
        print(f"saved {shown(saved)}", file=sys.stderr)
    if args.json:
        print(json.dumps(result))
    else:
        print(format_report(result))
    return 0


def check_load_options(args) -> None:
    """--load evaluates one committed full-run model: options that ask for anything else are mistakes."""
    if args.seeds is not None or args.save or args.epochs not in (None, FULL_EPOCHS):
        raise DataError(f"--load evaluates a committed model ({FULL_EPOCHS} epochs, one seed, already saved): "
                        f"leave out --seeds, --save and --epochs other than {FULL_EPOCHS}")
    notebook_for_settings(args.ticker, args.units, args.dropout, args.window, args.seed)
    args.epochs = FULL_EPOCHS


def command_download(args) -> int:
    paths = download.download_prices(args.ticker, args.start, args.end, args.test_start, args.test_end, overwrite=args.overwrite)
    for path in paths:
        print(f"wrote {path}")
    print(download.SPLIT_NOTE)
    return 0


SPREAD_KEYS = ("rmse", "mae", "mape", "free_running_rmse", "rmse_ratio", "fit_seconds")


def seed_spread(runs: list[dict]) -> dict:
    """Summarise one run per seed: means and standard deviations, every seed kept."""
    first = runs[0]
    spread = {key: first[key] for key in ("ticker", "units", "dropout", "epochs", "window", "dates")}
    spread["seed"] = [run["seed"] for run in runs]
    for key in ("naive_rmse", "naive_mae", "naive_mape"):
        spread[key] = first[key]
    for key in SPREAD_KEYS:
        values = [run[key] for run in runs]
        spread[key] = statistics.fmean(values)
        spread[f"{key}_mean"] = spread[key]
        spread[f"{key}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
    # The per-day mean over seeds; each seed's own forecast is kept under "seeds".
    days = len(first["predictions"])
    spread["predictions"] = [statistics.fmean(run["predictions"][day] for run in runs) for day in range(days)]
    spread["seeds"] = runs
    return spread


def format_report(result: dict) -> str:
    seeds = result["seed"]
    lines = [
        f"{result['ticker']}: {result['units']} units, dropout {result['dropout']:g}, {result['epochs']} epochs, "
        f"window {result['window']}, seed {seeds if isinstance(seeds, int) else ','.join(map(str, seeds))}",
        "model          the committed one, loaded (not trained)" if result.get("loaded")
        else f"training time  {result['fit_seconds']:.1f} s",
        f"{'':16}{'RMSE ($)':>10}{'MAE ($)':>10}{'MAPE (%)':>10}",
        f"{'LSTM one-step':16}{result['rmse']:10.2f}{result['mae']:10.2f}{result['mape']:10.2f}",
        f"{'naive':16}{result['naive_rmse']:10.2f}{result['naive_mae']:10.2f}{result['naive_mape']:10.2f}",
        f"{'LSTM free-run':16}{result['free_running_rmse']:10.2f}",
        f"LSTM RMSE / naive RMSE = {result['rmse_ratio']:.2f}: the model {naive_comparison(result['rmse_ratio'])}",
    ]
    if "seeds" in result:
        lines.append(f"RMSE over {len(result['seeds'])} seeds: {result['rmse_mean']:.2f} ± {result['rmse_std']:.2f}")
        lines += [f"  seed {run['seed']}: RMSE {run['rmse']:.2f}" for run in result["seeds"]]
    return "\n".join(lines)
