"""The command line's parsing, for any string a user might type: the documented value, or exit 2 and one line."""

from __future__ import annotations

import contextlib
import io
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from utils.epochs import effective_epochs
from utils.errors import DataError
from utils.tools.cli import build_parser, main
from utils.values import MAX_EPOCHS, MAX_SEED, MAX_UNITS

# Any text a shell can pass (no NUL, no lone surrogates), with the digits, signs and separators that trip parsers
# up (Unicode digits such as '²' and '١', '_' that int() accepts, empty parts) much more often than chance would.
TRICKY = st.sampled_from(["0", "1", "9", ",", ",,", "_", "-", "+", ".", " ", "e", "²", "١", "\n", "4294967296", "nan"])
ANY_TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
    st.lists(TRICKY, max_size=5).map("".join),
)
WHOLE = re.compile(r"[0-9]+")


def whole(text: str, minimum: int, maximum: int | None = None) -> int | None:
    """The documented rule: ASCII digits (spaces around them allowed), within the bounds."""
    stripped = text.strip()
    if not WHOLE.fullmatch(stripped):
        return None
    value = int(stripped)
    return value if value >= minimum and (maximum is None or value <= maximum) else None


def parse(*args: str):
    """(namespace or None, exit status, stderr) for ``python -m utils ARGS``, in this process."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            return build_parser().parse_args(list(args)), 0, err.getvalue()
        except SystemExit as exit_info:
            return None, exit_info.code, err.getvalue()


def train_with(option: str, text: str):
    return parse("train", "--ticker", "GOOG", "--units", "4", f"--{option}={text}")


def assert_rejected_in_one_line(status, err, option):
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert f"--{option}" in lines[0] or option.split("-")[0] in lines[0]


@pytest.mark.parametrize("option, minimum, maximum", [
    ("units", 1, MAX_UNITS), ("epochs", 1, MAX_EPOCHS), ("window", 1, None), ("seed", 0, MAX_SEED)])
@settings(max_examples=40, deadline=None)
@given(text=ANY_TEXT)
@example(text="1_0")
@example(text="²")
@example(text=str(2**32))
def test_whole_number_options(option, minimum, maximum, text):
    args, status, err = train_with(option, text)
    expected = whole(text, minimum, maximum)
    if expected is None:
        assert_rejected_in_one_line(status, err, option)
    else:
        assert status == 0 and getattr(args, option) == expected


@settings(max_examples=60, deadline=None)
@given(text=ANY_TEXT)
@example(text="1,,2")
@example(text="1_0")
@example(text="1,2,")
@example(text=f"1,{2**32}")
@example(text=" 3 , 4")
def test_seeds(text):
    args, status, err = train_with("seeds", text)
    parts = [whole(part, 0, MAX_SEED) for part in text.split(",")]
    if None in parts or len(set(parts)) != len(parts):
        assert_rejected_in_one_line(status, err, "seeds")
    else:
        assert status == 0 and args.seeds == parts


DECIMAL = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


@settings(max_examples=60, deadline=None)
@given(text=st.one_of(ANY_TEXT, st.floats(0, 1).map(str)))
@example(text="0.1_0")
@example(text="٠.٥")
@example(text="nan")
@example(text="1e-1")
def test_dropout(text):
    args, status, err = train_with("dropout", text)
    stripped = text.strip()
    if DECIMAL.fullmatch(stripped) and 0 <= float(stripped) < 1:
        assert status == 0 and args.dropout == float(stripped)
    else:
        assert_rejected_in_one_line(status, err, "dropout")


@settings(max_examples=60, deadline=None)
@given(text=ANY_TEXT)
@example(text="0,²")
@example(text="0,,1")
@example(text=str(2**70))
def test_cpus(text):
    args, status, err = parse("notebooks", f"--cpus={text}")
    parts = [whole(part, 0) for part in text.split(",")]
    if None in parts:
        assert status == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert "CPU numbers" in err
    else:
        assert status == 0 and args.cpus == set(parts)


@settings(max_examples=60, deadline=None)
@given(text=ANY_TEXT)
@example(text="²")
@example(text="1_0")
@example(text=" 7 ")
def test_workshop_epochs(text):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKSHOP_EPOCHS", text)
        expected = whole(text, 1, MAX_EPOCHS)
        if not text.strip():
            assert effective_epochs(100) == 100  # set but empty: as if not set
        elif expected is None:
            with pytest.raises(DataError) as error:
                effective_epochs(100)
            assert str(error.value).startswith(f"WORKSHOP_EPOCHS={text.strip()!r}") and "\n" not in str(error.value)
        else:
            assert effective_epochs(100) == expected


def test_unusable_workshop_epochs_ends_the_command_in_one_line(monkeypatch, capsys):
    monkeypatch.setenv("WORKSHOP_EPOCHS", "²")
    assert main(["train", "--ticker", "GOOG", "--units", "4"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: WORKSHOP_EPOCHS='²'") and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [["--epochs", "0"], ["--epochs", "21"], ["--epochs", "two"], ["--epochs", "1.5"],
                                  ["--cpus", "a"], ["--cpus", "0,,1"]])
def test_timing_rejects_bad_values_in_one_line(args):
    namespace, status, err = parse("timing", *args)
    assert_rejected_in_one_line(status, err, args[0].lstrip("-"))


def test_timing_defaults_and_values():
    assert (parse("timing")[0].epochs, parse("timing")[0].cpus) == (2, None)
    namespace = parse("timing", "--epochs", " 5 ", "--cpus", "0,1")[0]
    assert (namespace.epochs, namespace.cpus) == (5, {0, 1})


def test_timing_scales_seconds_per_epoch_to_each_notebook():
    from utils.tools.timing import expected_minutes

    minutes = expected_minutes({50: 1.2, 100: 3.0})
    assert minutes == pytest.approx({"Exercise9.01": 2.0, "Exercise9.02": 5.0, "Activity9.01": 2.0,
                                     "Activity9.02": 2.0, "Activity9.03": 5.0})
    assert expected_minutes({50: 1.2, 100: 3.0}, epochs=10)["Exercise9.02"] == pytest.approx(0.5)
