"""The learner handout's command line: ``python -m utils reset``, the one command a learner's copy needs.

The handout's ``utils/__main__.py`` calls this instead of :mod:`utils.tools.cli`, whose other commands need
tooling the handout leaves out (the command line's model builder holds an activity's answer).
"""

from __future__ import annotations

import sys

from ..errors import DataError
from ..values import EXIT_BAD_INPUT, OneLineParser
from . import reset


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m utils", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    reset.add_reset_arguments(commands.add_parser("reset", help="restore notebooks and their results to the "
                                                                "versions you were given"))
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return reset.run_reset_command(args)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
