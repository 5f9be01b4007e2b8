"""What each kind of results file must hold, checked every time one is read.

Three kinds: a notebook's result (``results/<notebook>.json``), a command-line
run and its seed spread (``results/cli/*.json``), and a sweep's row (one line
of ``results/sweeps/*.csv``). Each schema maps a key to the kind of value it
must hold; :func:`check_record` turns the first key that fails into one
:class:`DataError` line naming the file and the key. A new kind of results
file defines its schema here, beside these.
"""

from __future__ import annotations

import math
import numbers
import re

from .errors import DataError
from .values import MONTH, TARGETS, check_ticker, decimal_number, whole_number

DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _whole(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0


def _number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _nonempty_list(value, item) -> bool:
    return isinstance(value, list) and len(value) > 0 and all(item(part) for part in value)


def _ticker(value) -> bool:
    try:
        return check_ticker(value) == value
    except DataError:
        return False


# Each kind: what the message says the value must be, and the test a value passes.
KINDS = {
    "text": ("text", lambda value: isinstance(value, str) and bool(value.strip())),
    "ticker": ("a ticker in capitals", _ticker),
    "whole": ("a whole number", _whole),
    "number": ("a finite number", _number),
    "flag": ("true or false", lambda value: isinstance(value, bool)),
    "numbers": ("a non-empty list of finite numbers", lambda value: _nonempty_list(value, _number)),
    "dates": ("a non-empty list of YYYY-MM-DD dates",
              lambda value: _nonempty_list(value, lambda day: isinstance(day, str) and DAY.fullmatch(day))),
    "seeds": ("a list of whole numbers", lambda value: _nonempty_list(value, _whole)),
    "runs": ("a list of runs", lambda value: _nonempty_list(value, lambda run: isinstance(run, dict))),
    "model records": ("a record per model name", lambda value: isinstance(value, dict)
                      and all(isinstance(key, str) and isinstance(entry, dict) for key, entry in value.items())),
    # A sweep's CSV holds text; these read it as the sweep wrote it.
    "whole text": ("a whole number", lambda value: whole_number(value) is not None),
    "number text": ("a finite number", lambda value: decimal_number(value) is not None),
    "years text": ("a whole number of years or 'all'",
                   lambda value: value == "all" or whole_number(value) is not None),
    "month text": ("a month like 2019-01", lambda value: isinstance(value, str) and bool(MONTH.fullmatch(value))),
    "day text": ("a date like 2019-01-31", lambda value: isinstance(value, str) and bool(DAY.fullmatch(value))),
    "model text": (f"one of {', '.join(TARGETS)}", lambda value: value in TARGETS),
    # Older sweeps kept no forecasts: an empty cell is allowed, anything else is numbers separated by spaces.
    "forecasts text": ("finite numbers separated by spaces (or nothing)",
                       lambda value: isinstance(value, str) and all(decimal_number(part.removeprefix("-")) is not None
                                                                    for part in value.split())),
}

SETTINGS = {"ticker": "ticker", "units": "whole", "dropout": "number", "epochs": "whole", "window": "whole"}
METRICS = {name: "number" for name in ("rmse", "mae", "mape", "naive_rmse", "naive_mae", "naive_mape", "rmse_ratio",
                                       "free_running_rmse", "fit_seconds")}
# One trained model's run, as the command line prints it with --json (and saves it with --save).
RUN = {**SETTINGS, "seed": "whole", **METRICS, "final_loss": "number", "direction_accuracy": "number",
       "dates": "dates", "predictions": "numbers", "free_running": "numbers"}
# A notebook's result: a run, with the notebook's name.
NOTEBOOK_RESULT = {"notebook": "text", **RUN}
# The command line's runs of one configuration over several seeds (--seeds 1,2,3 --save).
SEED_SPREAD = {**SETTINGS, "seed": "seeds", "dates": "dates", "predictions": "numbers", "seeds": "runs",
               "naive_rmse": "number", "rmse_mean": "number", "rmse_std": "number", "fit_seconds_mean": "number"}
# One row of a sweep's CSV file (every value is text there).
SWEEP_ROW = {
    "ticker": "ticker", "model": "model text",
    "units": "whole text", "dropout": "number text", "years": "years text", "seed": "whole text",
    "test_month": "month text", "epochs": "whole text", "window": "whole text",
    **{name: "number text" for name in METRICS}, "first_train_date": "day text", "first_test_date": "day text",
    "last_test_date": "day text", "test_days": "whole text", "predictions": "forecasts text",
}


# One trained model of a notebook that trains several (the sixth notebook's), and the file that lists them.
SAVED_MODEL = {"epochs": "whole", "fit_seconds": "number", "final_loss": "number", "model_sha256": "text"}
MODEL_SET = {"notebook": "text", "models": "model records"}


def check_record(record, schema: dict[str, str], where: str) -> dict:
    """``record`` when it holds every key of ``schema`` with a value of its kind; else one DataError line.

    ``where`` names the file (and row) for the message, e.g. ``results/Exercise9.01.json``.
    """
    if not isinstance(record, dict):
        raise DataError(f"{where}: holds {type(record).__name__} where a record of keys and values belongs")
    for key, kind in schema.items():
        if key not in record or record[key] is None:
            raise DataError(f"{where}: the key {key!r} is missing")
        what, passes = KINDS[kind]
        if not passes(record[key]):
            raise DataError(f"{where}: {key!r} must be {what}, not {_short(record[key])}")
    return record


def check_days(record: dict, where: str, keys=("predictions", "free_running")) -> None:
    """One value per test day in each of ``keys`` (those the record holds)."""
    days = len(record["dates"])
    for key in keys:
        if key in record and len(record[key]) != days:
            raise DataError(f"{where}: {key!r} holds {len(record[key])} values for {days} test days (one per day)")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."
