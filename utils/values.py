"""Every value a person types or sets, parsed and checked in one place.

The command line, the sweep, the notebooks' parameters and the helpers all use
these functions, so the same value gets the same answer everywhere. Each
``check_*`` returns the value in its proper type or raises :class:`DataError`
with one sentence that names the parameter and what is wrong;
:func:`argument` turns a check into an ``argparse`` type.
"""

from __future__ import annotations

import argparse
import math
import numbers
import re

from .errors import DataError

# The largest seed NumPy's generator (which keras.utils.set_random_seed seeds) takes.
MAX_SEED = 2**32 - 1
# Above this a model's weights and optimiser state outgrow an ordinary machine's memory.
MAX_UNITS = 1024
# Ten times the chapter's 100: more is a typing mistake, not a workshop run.
MAX_EPOCHS = 1000
# More years of history than any price file holds.
MAX_YEARS = 100
# A whole number as a user types it: ASCII digits only. int() would also take '1_0', '+1' and
# other scripts' digits such as '١', and str.isdigit() passes '²', which int() then rejects.
WHOLE_NUMBER = re.compile(r"[0-9]+")
# A decimal number as typed: ASCII digits, an optional point and exponent (float() would also take
# '0.1_0', 'nan' and other scripts' digits).
DECIMAL = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
# How people write yes and no in a notebook parameter or an environment variable.
TRUE_WORDS, FALSE_WORDS = ("true", "yes", "on", "1"), ("false", "no", "off", "0")
MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
# The exit status of a command given bad input, after its one line on stderr.
EXIT_BAD_INPUT = 2


def whole_number(value) -> int | None:
    """``value`` as an int when it is one (NumPy's included, not a bool), or text of ASCII digits; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):  # int, and NumPy's integers (registered as Integral)
        return int(value)
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if WHOLE_NUMBER.fullmatch(text) else None


def decimal_number(value) -> float | None:
    """``value`` as a finite float when it is a number (not a bool) or decimal text; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        return float(text) if DECIMAL.fullmatch(text) else None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def check_whole(value, name: str, minimum: int = 0, maximum: int | None = None, what: str | None = None,
                of: str = "") -> int:
    """``value`` as a whole number from ``minimum`` to ``maximum`` (no ceiling when None), or a DataError naming it."""
    number = whole_number(value)
    if number is None or number < minimum or (maximum is not None and number > maximum):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
        raise DataError(f"{name}={value!r}: {what or name} must be a whole number{f' of {of}' if of else ''}, {bounds}")
    return number


def check_units(value, name: str = "units") -> int:
    return check_whole(value, name, 1, MAX_UNITS, "the number of LSTM units")


def check_epochs(value, name: str = "epochs") -> int:
    return check_whole(value, name, 1, MAX_EPOCHS, "the number of epochs")


def check_window(value, name: str = "window") -> int:
    return check_whole(value, name, 1, None, "the window length", of="days")


def check_seed(value, name: str = "seed") -> int:
    return check_whole(value, name, 0, MAX_SEED, "the seed")


def check_years(value, name: str = "years") -> int:
    return check_whole(value, name, 1, MAX_YEARS, "the years of history")


def check_dropout(value, name: str = "dropout") -> float:
    """A dropout rate: a number from 0 up to (not including) 1."""
    number = decimal_number(value)
    if number is None or not 0 <= number < 1:
        raise DataError(f"{name}={value!r}: the dropout rate must be a number from 0 up to (not including) 1")
    return number


# What the LSTM learns to predict: the next open itself (the chapter's model) or its change from the open before.
TARGETS = ("price", "change")


def check_target(value, name: str = "model") -> str:
    """``price`` or ``change`` (any case, spaces around ignored)."""
    text = value.strip().lower() if isinstance(value, str) else None
    if text in TARGETS:
        return text
    raise DataError(f"{name} {value!r}: must be one of {', '.join(TARGETS)}")


def check_ticker(ticker, name: str = "ticker") -> str:
    """A ticker symbol in capitals: letters, digits, '.', '-' or '^'."""
    cleaned = str(ticker).strip().upper() if isinstance(ticker, str) else ""
    if not cleaned or not all(ch.isascii() and (ch.isalnum() or ch in ".-^") for ch in cleaned):
        raise DataError(f"{name} {ticker!r} is not a ticker symbol (letters, digits, '.', '-' or '^')")
    return cleaned


def check_flag(value, name: str) -> bool:
    """True or False, also when written as text ("False", "false", "0", "no"), as a person means it."""
    if isinstance(value, bool):
        return value
    number = whole_number(value) if not isinstance(value, str) else None
    if number in (0, 1):
        return bool(number)
    text = value.strip().lower() if isinstance(value, str) else None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise DataError(f"{name}={value!r}: must be True or False")


def check_month(value, name: str = "test month") -> str:
    """A calendar month written ``YYYY-MM`` (``2018-11``), returned in that form."""
    text = value.strip() if isinstance(value, str) else ""
    if MONTH.fullmatch(text) and 1 <= int(text[5:]) <= 12:
        return text
    raise DataError(f"{name} {value!r} is not a month like 2018-11")


def check_seed_list(text: str, name: str = "seeds") -> list[int]:
    """``1,2,3`` -> [1, 2, 3]: distinct seeds, each from 0 to MAX_SEED."""
    seeds = [whole_number(part) for part in str(text).split(",")]
    if None in seeds or max(seeds) > MAX_SEED or len(set(seeds)) != len(seeds):
        raise DataError(f"{name}={text!r}: seeds must be distinct whole numbers from 0 to {MAX_SEED} separated by "
                        "commas, like 1,2,3")
    return seeds


def check_cpu_list(text: str, available: list[int] | None = None, name: str = "cpus") -> set[int]:
    """``0,1`` -> {0, 1}; with ``available``, every CPU must be one of them."""
    cpus = [whole_number(part) for part in str(text).split(",")]
    if None in cpus:
        raise DataError(f"{name}={text!r}: give CPU numbers separated by commas, e.g. 0,1")
    missing = sorted(set(cpus) - set(available)) if available is not None else []
    if missing:
        raise DataError(f"{name}={text!r}: CPU {', '.join(map(str, missing))} is not one this process may use "
                        f"({', '.join(map(str, available))})")
    return set(cpus)


def argument(check, *args):
    """An ``argparse`` type from a check: its DataError becomes the usage error argparse prints in one line."""

    def parse(text: str):
        try:
            return check(text, *args)
        except DataError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = getattr(check, "__name__", "value")
    return parse


class OneLineParser(argparse.ArgumentParser):
    """An ``argparse`` parser whose usage errors are one line on stderr and exit status 2, without the usage text."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def check_notebook_parameters(TICKER, UNITS, DROPOUT, EPOCHS, WINDOW, SEED, TRAIN) -> tuple:
    """A notebook's parameters cell, checked as the command line checks its options, in the cell's order.

    Returns the values in their proper types (``"False"`` from papermill becomes False), or raises one
    DataError naming the first parameter that is wrong.
    """
    return (check_ticker(TICKER, "TICKER"), check_units(UNITS, "UNITS"), check_dropout(DROPOUT, "DROPOUT"),
            check_epochs(EPOCHS, "EPOCHS"), check_window(WINDOW, "WINDOW"), check_seed(SEED, "SEED"),
            check_flag(TRAIN, "TRAIN"))


# Forecasts a week ahead at most: five trading days.
MAX_HORIZON = 5


def check_beyond_parameters(UNITS, EPOCHS, WINDOW, SEED, HORIZON, TRAIN) -> tuple:
    """The sixth notebook's parameters cell, checked like the others' (:func:`check_notebook_parameters`)."""
    return (check_units(UNITS, "UNITS"), check_epochs(EPOCHS, "EPOCHS"), check_window(WINDOW, "WINDOW"),
            check_seed(SEED, "SEED"), check_whole(HORIZON, "HORIZON", 1, MAX_HORIZON, "the horizon in trading days"),
            check_flag(TRAIN, "TRAIN"))
