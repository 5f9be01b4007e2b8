"""``python -m utils sweep``: the chapter's experiments as many small trainings, one Dask task each.

The sweep is the Cartesian product of tickers, LSTM units, dropout rates,
years of history, seeds and test months. Each training is one task,
:func:`run_training`: it loads its ticker's price files, splits them at its
test month (:func:`utils.data.prices_for_month`), trains the chapter's model
and returns one row. The tasks run on a ``dask.distributed`` cluster: by
default a local one started for the sweep, one single-threaded worker process
per CPU, each pinned to its CPU where the system allows (JAX sizes its thread
pool by the CPUs a process may use); with ``--scheduler`` an existing one. The
workers need the workshop's package (``pip install -e .``, or the repository
on ``PYTHONPATH``) and the same price files (a shared or copied data folder,
named by ``WORKSHOP_DATA_DIR`` on each worker); the sweep checks both before
it trains anything.

Rows are appended to the CSV file as tasks finish, each write atomic, so an
interrupted sweep keeps every finished row and the same command run again
trains only the missing ones. A task whose worker dies is retried once (Dask's
``allowed-failures``, and ``retries`` for an error in the task); one that
fails twice is reported by its settings, and the sweep goes on and exits with
status 1 at the end.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import os
import platform
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..atomic import check_can_write, write_atomically, write_text_atomically
from ..data import data_dir, load_prices, prices_for_month
from ..epochs import FULL_EPOCHS, effective_epochs
from ..errors import DataError
from ..evaluation import VERDICT_COLUMNS, verdict_column, verdict_counts
from ..files import sha256_of
from ..results import results_dir
from ..schema import SWEEP_ROW, check_record
from ..training import set_seed
from ..values import (
    MAX_EPOCHS,
    TARGETS,
    argument,
    check_dropout,
    check_epochs,
    check_month,
    check_seed,
    check_target,
    check_ticker,
    check_units,
    check_whole,
    check_window,
    check_years,
    whole_number,
)
from .pipeline import train_and_score

SETTING_COLUMNS = ("ticker", "model", "units", "dropout", "years", "seed", "test_month", "epochs", "window")
METRIC_COLUMNS = ("rmse", "mae", "mape", "naive_rmse", "naive_mae", "naive_mape", "rmse_ratio", "free_running_rmse",
                  "fit_seconds")
PERIOD_COLUMNS = ("first_train_date", "first_test_date", "last_test_date", "test_days")
VERSION_COLUMNS = ("python_version", "numpy_version", "keras_version", "keras_backend", "backend_version")
# Each test day's forecast, in order, separated by spaces: a significance test needs the days, not only the RMSE.
FORECAST_COLUMNS = ("predictions",)
COLUMNS = SETTING_COLUMNS + METRIC_COLUMNS + PERIOD_COLUMNS + VERSION_COLUMNS + FORECAST_COLUMNS
# Files written before the sweep had a model column and the forecasts: every row in them trained the price model.
UNMODELLED_COLUMNS = tuple(name for name in COLUMNS if name not in ("model", *FORECAST_COLUMNS))
UNMODELLED_VALUES = {"model": "price", "predictions": ""}
# A setting on the picture and in the summary: everything but the seed and the test month, which vary within it.
GROUP_COLUMNS = ("ticker", "model", "units", "dropout", "years", "epochs", "window")
ALL_YEARS = "all"
DEFAULT_TEST_MONTH = "2019-01"
DEFAULT_OUT_NAME = "sweep.csv"
SCHEDULER_TIMEOUT_S = 5
WORKER_WAIT_S = 30
# Dask retries a task once: after an exception in it (retries) and after its worker died (allowed-failures).
TASK_RETRIES = 1


# --- the product of settings and the rows already done -------------------------------------------------------------

def settings_product(tickers, units, dropout, years, seeds, test_months, epochs: int, window: int,
                     models=("price",)) -> list[dict]:
    """One settings dict per training, in a stable order; an empty option makes an empty sweep, which is an error."""
    options = {"tickers": tickers, "models": models, "units": units, "dropout": dropout, "years": years, "seeds": seeds,
               "test-months": test_months}
    for option, values in options.items():
        if not values:
            raise DataError(f"the sweep is empty: --{option} has no values")
    return [
        {"ticker": ticker, "model": model, "units": unit, "dropout": rate, "years": history, "seed": seed,
         "test_month": month, "epochs": epochs, "window": window}
        for ticker, model, unit, rate, history, seed, month in itertools.product(*options.values())
    ]


def setting_key(row: dict) -> tuple[str, ...]:
    """A training's settings as text that reads the same from a settings dict and from a CSV row."""
    years = str(row["years"]).strip()
    return (
        str(row["ticker"]).strip().upper(),
        str(row.get("model", "price")).strip().lower(),
        str(int(row["units"])),
        f"{float(row['dropout']):g}",
        years if years == ALL_YEARS else str(int(float(years))),
        str(int(row["seed"])),
        str(row["test_month"]).strip(),
        str(int(row["epochs"])),
        str(int(row["window"])),
    )


def read_sweep_file(path: Path) -> tuple[str, list[dict]]:
    """The text and rows of an earlier sweep's CSV file (``""`` and none if there is none yet).

    A file written with other columns is refused, so that nothing is appended to it.
    """
    path = Path(path)
    if not path.exists():
        return "", []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"--out {path}: cannot be read ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(reader.fieldnames or ())
    if header == UNMODELLED_COLUMNS:
        rows = [{**row, **UNMODELLED_VALUES} for row in reader]
        check_rows(rows, path)
        # Appending rewrites the file with every column, the old rows unchanged but for the two new values.
        return csv_line(dict(zip(COLUMNS, COLUMNS))) + "".join(map(csv_line, rows)), rows
    if header != COLUMNS:
        missing = [name for name in COLUMNS if name not in header]
        extra = [name for name in header if name not in COLUMNS]
        if len(missing) == len(COLUMNS):
            difference = f"its first line is {text.partition(chr(10))[0][:60]!r}"
        else:
            difference = "; ".join(part for part in (
                f"missing {short_list(missing)}" if missing else "",
                f"unknown {short_list(extra)}" if extra else "",
            ) if part) or "the same columns in another order"
        raise DataError(f"--out {path}: written with other columns than a sweep's ({difference}); nothing is appended "
                        "to it: give another --out, or move that file away")
    rows = list(reader)
    check_rows(rows, path)
    return text, rows


def check_rows(rows: list[dict], path: Path) -> None:
    for line, row in enumerate(rows, start=2):
        if None in row or any(row[name] is None for name in COLUMNS):
            raise DataError(f"--out {path}, row {line}: not {len(COLUMNS)} values; repair or move that file")
        try:
            check_record(row, SWEEP_ROW, f"--out {path}, row {line}")
        except DataError as exc:
            raise DataError(f"{exc}; repair or move that file (nothing was appended to it)") from None


def short_list(names: list[str], most: int = 4) -> str:
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def rows_done(rows: list[dict], path: Path | str = "--out") -> set[tuple[str, ...]]:
    """The settings keys of rows already in the sweep file."""
    done = set()
    for line, row in enumerate(rows, start=2):
        try:
            done.add(setting_key(row))
        except ValueError:
            raise DataError(f"{path}, row {line}: settings {[row[n] for n in SETTING_COLUMNS]} cannot be read") from None
    return done


def csv_line(row: dict) -> str:
    """One CSV line (header order, floats written in full)."""
    buffer = io.StringIO()
    csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore").writerow(row)
    return buffer.getvalue()


def describe(settings: dict) -> str:
    """``GOOG, 50 units, dropout 0.2, all years, seed 3, test month 2018-11, 100 epochs, window 60``
    (``GOOG change model, 50 units, ...`` for the model of daily changes)."""
    years = settings["years"]
    model = "" if settings.get("model", "price") == "price" else f" {settings['model']} model"
    return (f"{settings['ticker']}{model}, {settings['units']} units, dropout {float(settings['dropout']):g}, "
            f"{'all years' if years == ALL_YEARS else f'{years} years'}, seed {settings['seed']}, "
            f"test month {settings['test_month']}, {settings['epochs']} epochs, window {settings['window']}")


# --- checks before any training ------------------------------------------------------------------------------------

def check_settings(product: list[dict]) -> dict[str, str]:
    """Load every ticker and split it at every test month and history length, as the tasks will.

    Raises :class:`DataError` for the first setting that cannot train; returns
    the SHA-256 of every price file the sweep reads, for the workers' check.
    """
    digests = {}
    window = product[0]["window"]
    for ticker in dict.fromkeys(settings["ticker"] for settings in product):
        prices = load_prices(ticker, window=window, verify=False)
        for path in (prices.train_path, prices.test_path):
            digests[path.name] = sha256_of(path)
        for month, years in dict.fromkeys((s["test_month"], s["years"]) for s in product if s["ticker"] == ticker):
            prices_for_month(prices, month, years=None if years == ALL_YEARS else years, window=window)
    return digests


def worker_data_problems(digests: dict[str, str]) -> list[str]:
    """Run on each worker: the price files it is missing, or that differ from the ones the sweep was checked on."""
    folder = data_dir()
    problems = []
    for name, digest in digests.items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{path}: file not found (copy the data folder to the worker, or set WORKSHOP_DATA_DIR "
                            "there to a shared one)")
        elif sha256_of(path) != digest:
            problems.append(f"{path}: differs from the file the sweep was started with (same data on every worker)")
    return problems


def load_training_stack() -> str:
    """Run once on each worker before the sweep: import Keras and its backend, so the first task does not."""
    set_seed(0)  # Keras's seeding imports TensorFlow when it is installed, whatever the backend: a few seconds
    return library_versions()["keras_backend"]


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    import keras

    backend = keras.backend.backend()

    def installed(package: str) -> str:
        try:
            return version(package)
        except PackageNotFoundError:
            return "unknown"

    return {"python_version": platform.python_version(), "numpy_version": installed("numpy"),
            "keras_version": keras.__version__, "keras_backend": backend, "backend_version": installed(backend)}


# --- the task ------------------------------------------------------------------------------------------------------

def run_training(settings: dict) -> dict:
    """One training, as a Dask task: load, split at the test month, train, score; returns the CSV row."""
    prices = load_prices(settings["ticker"], window=settings["window"], verify=False)
    years = None if settings["years"] == ALL_YEARS else int(settings["years"])
    split = prices_for_month(prices, settings["test_month"], years=years, window=settings["window"])
    record = train_and_score(split, settings["units"], settings["dropout"], epochs=settings["epochs"],
                             seed=settings["seed"], window=settings["window"], target=settings["model"])
    return {
        **settings,
        **{name: record[name] for name in METRIC_COLUMNS},
        "first_train_date": f"{split.train['Date'].iloc[0]:%Y-%m-%d}",
        "first_test_date": record["dates"][0],
        "last_test_date": record["dates"][-1],
        "test_days": len(record["dates"]),
        **library_versions(),
        "predictions": " ".join(repr(value) for value in record["predictions"]),
    }


# --- the cluster ---------------------------------------------------------------------------------------------------

def usable_cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))


def cpu_pinning_plugin(cpus: list[int]):
    """A worker plugin that pins local worker ``i`` (LocalCluster names its workers 0, 1, ...) to ``cpus[i]``.

    Every thread of the worker process is pinned, so the thread that later runs
    the tasks, and JAX's thread pool sized from it, see one CPU.
    """
    from distributed import WorkerPlugin

    class PinToOneCPU(WorkerPlugin):
        name = "workshop-pin-to-one-cpu"

        def setup(self, worker):
            if not hasattr(os, "sched_setaffinity") or whole_number(str(worker.name)) is None:
                return
            cpu = {cpus[int(worker.name) % len(cpus)]}
            try:
                threads = os.listdir("/proc/self/task")  # Linux's list of the process's threads
            except OSError:
                return  # a system with affinity but without /proc: the worker runs unpinned, only slower
            for thread in threads:
                os.sched_setaffinity(int(thread), cpu)

    return PinToOneCPU()


# A Dask scheduler greets every new connection with a short handshake message: its length (8 bytes, little-endian),
# then a frame holding msgpack keys such as "compression" and "pickle-protocol".
HANDSHAKE_MOST_BYTES = 1 << 16
HANDSHAKE_WORDS = (b"compression", b"pickle-protocol")


def check_answers_as_dask(scheduler: str, timeout: float = SCHEDULER_TIMEOUT_S) -> None:
    """Refuse, in one line and within ``timeout`` seconds, a ``tcp://`` address where no Dask scheduler greets us.

    Dask's own client waits without end for a server that never speaks (a web
    server) and reads a stranger's first bytes as a message length (exabytes).
    Other protocols (``tls://``, ``inproc://``) are left to Dask.
    """
    import socket

    address = scheduler.strip()
    if "://" in address and not address.startswith("tcp://"):
        return
    host, _, port = address.removeprefix("tcp://").rpartition(":")
    if not host or whole_number(port) is None:
        raise DataError(f"--scheduler {scheduler}: give the scheduler's address as tcp://HOST:PORT")
    deadline = time.monotonic() + timeout
    greeting = b""
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as connection:
            while len(greeting) < 8 or not any(word in greeting for word in HANDSHAKE_WORDS):
                connection.settimeout(max(0.1, deadline - time.monotonic()))
                chunk = connection.recv(4096)
                if not chunk:
                    break
                greeting += chunk
                if len(greeting) >= 8 and int.from_bytes(greeting[:8], "little") > HANDSHAKE_MOST_BYTES:
                    break
    except TimeoutError:
        pass
    except OSError:
        raise DataError(f"--scheduler {scheduler}: no Dask scheduler answered within {SCHEDULER_TIMEOUT_S} s") from None
    if not any(word in greeting for word in HANDSHAKE_WORDS) or int.from_bytes(greeting[:8], "little") > HANDSHAKE_MOST_BYTES:
        raise DataError(f"--scheduler {scheduler}: something answers there, but not as a Dask scheduler (start one "
                        "with 'dask scheduler' and give its tcp:// address)")


@contextmanager
def dask_client(scheduler: str | None, workers: int | None):
    """A client of the existing cluster at ``scheduler``, or of a local cluster started (and closed) here."""
    import logging

    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise DataError("the sweep runs on Dask, which is not installed: pip install -e .[sweep] "
                        "(or pip install -r requirements.txt)") from None

    if scheduler:
        check_answers_as_dask(scheduler)
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError, TypeError):
            raise DataError(f"--scheduler {scheduler}: no Dask scheduler answered within {SCHEDULER_TIMEOUT_S} s") from None
        with client:
            try:
                client.wait_for_workers(1, timeout=WORKER_WAIT_S)
            except (OSError, TimeoutError):
                raise DataError(f"--scheduler {scheduler}: no worker joined the scheduler within {WORKER_WAIT_S} s") from None
            yield client
        return
    cpus = usable_cpus()
    settings = {
        "distributed.scheduler.allowed-failures": TASK_RETRIES,
        # Dask's default also sets MALLOC_TRIM_THRESHOLD_, which would turn off the workshop's allocator
        # setting (utils.backend.reuse_freed_memory) in every worker; keep only its one-thread variables.
        "distributed.nanny.pre-spawn-environ": {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1},
    }
    with dask.config.set(settings):
        cluster = LocalCluster(n_workers=workers or len(cpus), threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, silence_logs=logging.ERROR)
    with cluster, Client(cluster) as client:
        client.register_plugin(cpu_pinning_plugin(cpus))
        yield client


def check_workers(client, digests: dict[str, str]) -> int:
    """Every worker single-threaded, able to run the workshop's code, with the same data; returns how many."""
    workers = client.scheduler_info(n_workers=-1)["workers"]
    for address, info in workers.items():
        if info.get("nthreads", 1) != 1:
            raise DataError(f"worker {address} runs {info['nthreads']} threads: start workers with --nthreads 1 "
                            "(the Keras seed is shared by every thread of a process)")
    try:
        problems = client.run(worker_data_problems, digests)
    except Exception as exc:  # an import or unpickling error raised on a worker, of any type
        raise DataError(f"a worker cannot run the workshop's code ({type(exc).__name__}: {exc}); install the "
                        "workshop's package on every worker (pip install -e .)") from None
    for address, found in sorted(problems.items()):
        if found:
            raise DataError(f"worker {address}: {found[0]}")
    return len(workers)


def warm_up(client) -> None:
    """Import Keras on every worker at once, in the thread that will train, before the clock starts."""
    futures = [client.submit(load_training_stack, workers=[address], allow_other_workers=False, pure=False)
               for address in client.scheduler_info(n_workers=-1)["workers"]]
    client.gather(futures)


@dataclass
class SweepOutcome:
    total: int
    already_done: int
    trained: int
    failed: list
    training_seconds: float

    @property
    def per_minute(self) -> float:
        return 60 * self.trained / self.training_seconds if self.training_seconds else 0.0


def train_missing(client, todo: list[dict], append_row, total: int, stream=None) -> tuple[int, list]:
    """Submit every training, append each row as it comes in; return how many trained and the failures."""
    from distributed import as_completed
    from tqdm.std import tqdm

    futures = {client.submit(run_training, settings, retries=TASK_RETRIES, pure=False): settings for settings in todo}
    trained, failed = 0, []
    with tqdm(total=total, initial=total - len(todo), unit="training", file=stream or sys.stderr, ncols=90,
              mininterval=1, desc="sweep") as bar:
        for future in as_completed(futures):
            settings = futures.pop(future)
            if future.status == "finished":
                append_row(future.result())
                trained += 1
            else:
                try:
                    error = future.exception()
                except Exception as exc:  # a future cancelled with its scheduler has no exception to give
                    error = exc
                failed.append((settings, error))
                bar.write(f"failed twice, left out: {describe(settings)}: {type(error).__name__}: {error}", file=bar.fp)
            future.release()
            bar.update()
    return trained, failed


# --- the sweep -----------------------------------------------------------------------------------------------------

def default_out(epochs: int) -> Path:
    """``results/sweeps/sweep.csv`` for full runs; quick runs go under ``results/epochs-N/``, as everywhere."""
    return results_dir(epochs) / "sweeps" / DEFAULT_OUT_NAME


def check_out(out: Path) -> Path:
    """``--out`` names a CSV file (its figure goes beside it, as .png): anything else would be overwritten."""
    out = Path(out)
    if out.suffix.lower() != ".csv":
        raise DataError(f"--out {out}: must be a .csv file (the figure is written beside it with .png)")
    if out.is_dir():
        raise DataError(f"--out {out}: is a folder; give a .csv file's path")
    return out


@contextmanager
def locked(out: Path):
    """Hold ``out``'s lock file (``out.lock``) while this sweep reads and appends to it; a second sweep on the same
    file refuses at once rather than replace the first one's rows."""
    try:
        from filelock import FileLock, Timeout
    except ImportError:
        raise DataError("the sweep needs the filelock package to share its file safely: pip install -e .[sweep] "
                        "(or pip install -r requirements.txt)") from None
    lock_path = out.with_name(out.name + ".lock")
    check_can_write(lock_path)
    try:
        with FileLock(lock_path, timeout=0):
            yield
    except Timeout:
        raise DataError(f"--out {out}: another sweep is writing to this file (it holds {lock_path.name}); wait for it "
                        "to finish, then run this one again to train what it lacks, or give another --out") from None


def run_sweep(product: list[dict], out: Path, scheduler: str | None = None, workers: int | None = None,
              stream=None) -> SweepOutcome:
    """Train every setting of ``product`` not yet in ``out``, appending each row to ``out`` as it finishes.

    The file is locked from the first read to the last row, so two sweeps on one file never lose each other's rows.
    """
    out = check_out(out)
    read_sweep_file(out)  # a damaged file is refused before even a lock file is made beside it
    with locked(out):  # read again under the lock: another sweep may have appended since
        return _run_sweep(product, out, scheduler, workers, stream or sys.stderr)


def _run_sweep(product: list[dict], out: Path, scheduler: str | None, workers: int | None, stream) -> SweepOutcome:
    text, rows = read_sweep_file(out)
    done = rows_done(rows, out)
    digests = check_settings(product)
    todo = [settings for settings in product if setting_key(settings) not in done]
    check_can_write(out)
    plan = f"{len(product)} trainings in this sweep: {len(product) - len(todo)} already in {out}, {len(todo)} to train"
    if not todo:
        print(plan, file=stream, flush=True)
        return SweepOutcome(len(product), len(product), 0, [], 0.0)
    text = text or csv_line(dict(zip(COLUMNS, COLUMNS)))

    def append_row(row: dict) -> None:
        nonlocal text
        text += csv_line(row)
        write_text_atomically(out, text)

    with dask_client(scheduler, workers) as client:
        count = check_workers(client, digests)
        where = f"the cluster at {scheduler}" if scheduler else "a local Dask cluster"
        print(f"{plan} on {where}, {count} worker(s) of one thread each", file=stream, flush=True)
        warm_up(client)
        start = time.perf_counter()
        trained, failed = train_missing(client, todo, append_row, len(product), stream)
        seconds = time.perf_counter() - start
    return SweepOutcome(len(product), len(product) - len(todo), trained, failed, seconds)


def setting_labels(frame) -> list[str]:
    """``GOOG 50u`` / ``AMZN 50u drop 0.2 3y``, plus epochs and window where the file holds more than one of them."""
    varying = [name for name in ("epochs", "window") if frame[name].nunique() > 1]
    labels = []
    for row in frame.itertuples():
        parts = [row.ticker] + ([] if row.model == "price" else [row.model]) + [f"{row.units}u"]
        if float(row.dropout):
            parts.append(f"drop {float(row.dropout):g}")
        if str(row.years) != ALL_YEARS:
            parts.append(f"{row.years}y")
        parts += [f"{getattr(row, name)}{'ep' if name == 'epochs' else 'w'}" for name in varying]
        labels.append(" ".join(parts))
    return labels


def summary_table(frame):
    """Per setting: runs, mean and sample standard deviation of the RMSE ratio, and how many runs beat the naive
    forecast, did about as well or did worse, by naive_comparison's rule."""
    import pandas as pd

    frame = frame.assign(setting=setting_labels(frame), verdict=[verdict_column(ratio) for ratio in frame["rmse_ratio"]])
    table = frame.groupby("setting", sort=False)["rmse_ratio"].agg(
        runs="size", mean="mean", sd="std", lowest="min", highest="max")
    counts = frame.groupby("setting", sort=False)["verdict"].agg(verdict_counts)
    for column in VERDICT_COLUMNS:
        table[column] = [found[column] for found in counts]
    return pd.DataFrame(table).rename(columns={"mean": "mean ratio", "sd": "sd of ratio"}).round(3)


def read_rows_frame(path: Path):
    import pandas as pd

    read_sweep_file(path)  # every row checked against the schema before any figure or summary is made of it
    frame = pd.read_csv(path, dtype={"years": str, "test_month": str, "ticker": str, "predictions": str})
    frame = frame.assign(**{name: value for name, value in UNMODELLED_VALUES.items() if name not in frame})
    # Settings side by side in a fixed order (the file keeps the order the trainings finished in).
    return frame.sort_values([*GROUP_COLUMNS, "test_month", "seed"], kind="stable", ignore_index=True)


def draw_sweep_figure(frame, png: Path) -> Path:
    """Every run's RMSE ratio, one column per setting, coloured by test month, saved atomically as ``png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plots import plot_rmse_ratios

    epochs, window = frame["epochs"].unique(), frame["window"].unique()
    constant = [f"{epochs[0]} epoch{'s' if epochs[0] != 1 else ''}"] if len(epochs) == 1 else []
    constant += [f"window {window[0]}"] if len(window) == 1 else []
    months = frame["test_month"].nunique()
    figure = plot_rmse_ratios(setting_labels(frame), frame["rmse_ratio"], groups=frame["test_month"],
                              title=f"{png.stem}: {len(frame)} runs over {months} test month(s), {', '.join(constant)}")
    # write_atomically gives a text stream; the PNG bytes go to the binary file beneath it.
    write_atomically(png, lambda stream: figure.savefig(stream.buffer, format="png", dpi=90))
    plt.close(figure)
    return png


# --- the command line ----------------------------------------------------------------------------------------------

def comma_list(parse_one):
    """``8,50,100`` -> ``[8, 50, 100]``, each item parsed by ``parse_one``; repeats dropped, order kept."""
    def parse(text: str) -> list:
        return list(dict.fromkeys(parse_one(part.strip()) for part in text.split(",") if part.strip()))

    return parse


def years_or_all(value, name: str = "years"):
    """``all`` (every year of history before the test month) or a number of years."""
    if isinstance(value, str) and value.strip().lower() == ALL_YEARS:
        return ALL_YEARS
    try:
        return check_years(value, name)
    except DataError as exc:
        raise DataError(f"{exc} (or '{ALL_YEARS}')") from None


def add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tickers", required=True, type=comma_list(argument(check_ticker)), help="e.g. GOOG,AMZN")
    parser.add_argument("--models", type=comma_list(argument(check_target, "model")), default=["price"],
                        help=f"what the LSTM predicts: {' or '.join(TARGETS)} (the day's change in the open), "
                             "e.g. price,change (default price)")
    parser.add_argument("--units", required=True, type=comma_list(argument(check_units)), help="e.g. 50,100")
    parser.add_argument("--dropout", type=comma_list(argument(check_dropout)), default=[0.0], help="e.g. 0,0.2 (default 0)")
    parser.add_argument("--years", type=comma_list(argument(years_or_all)), default=[ALL_YEARS],
                        help="years of history before the test month, e.g. 2,5 (default: all of it)")
    parser.add_argument("--seeds", type=comma_list(argument(check_seed)), default=[1], help="e.g. 1,2,3 (default 1)")
    parser.add_argument("--test-months", type=comma_list(argument(check_month)), default=[DEFAULT_TEST_MONTH],
                        help=f"months to forecast, e.g. 2018-07,2018-08 (default {DEFAULT_TEST_MONTH}, the notebooks')")
    parser.add_argument("--epochs", type=argument(check_epochs),
                        help=f"1 to {MAX_EPOCHS}; default {FULL_EPOCHS}, or WORKSHOP_EPOCHS when set")
    parser.add_argument("--window", type=argument(check_window), default=60, help="days in each input window (default 60)")
    parser.add_argument("--out", type=Path, help=f"the CSV file (default results/sweeps/{DEFAULT_OUT_NAME}; quick runs "
                                                 "under results/epochs-N/); the PNG goes next to it")
    parser.add_argument("--workers", type=argument(check_whole, "workers", 1),
                        help="local worker processes (default: one per CPU)")
    parser.add_argument("--scheduler", help="tcp://HOST:PORT of an existing Dask cluster to run on instead")


def command_sweep(args) -> int:
    if args.scheduler and args.workers:
        raise DataError("--workers sizes the local cluster only; with --scheduler the cluster's own workers train")
    epochs = args.epochs if args.epochs is not None else effective_epochs()
    product = settings_product(args.tickers, args.units, args.dropout, args.years, args.seeds, args.test_months,
                               epochs, args.window, models=args.models)
    out = check_out(args.out or default_out(epochs))
    outcome = run_sweep(product, out, scheduler=args.scheduler, workers=args.workers)
    if outcome.trained:
        print(f"trained {outcome.trained} in {outcome.training_seconds:.0f} s ({outcome.per_minute:.1f} per minute)",
              file=sys.stderr)
    if Path(out).exists():
        frame = read_rows_frame(out)
        if len(frame):
            png = draw_sweep_figure(frame, Path(out).with_suffix(".png"))
            print(f"{out}: {len(frame)} runs; figure {png}")
            print(summary_table(frame).to_string())
    if outcome.failed:
        print(f"error: {len(outcome.failed)} of {outcome.total} trainings failed twice (listed above); "
              "run the same command again to retry them", file=sys.stderr)
        return 1
    return 0

