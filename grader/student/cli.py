"""The student's `grader` command: ``grader check NOTEBOOK``, and nothing else.

The student runtime installs this as its `grader` script; the instructor's `grader`
(`optigrade.cli`) adds its own commands to the same parser pieces, so its ``check`` is this
one and the two cannot drift.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from grader.compare.timelimit import NOTEBOOK_SECONDS
from grader.installed import UnknownQuestion

EXIT_USAGE = 2
DESCRIPTION = "Check notebooks of the course's optimisation exercises."


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def command(
    commands: argparse._SubParsersAction, name: str, help: str, *examples: str
) -> argparse.ArgumentParser:
    """A subcommand whose --help says what it does and ends with examples."""
    return commands.add_parser(
        name,
        help=help,
        description=help[:1].upper() + help[1:] + ".",
        epilog="examples:\n" + "\n".join(f"  {example}" for example in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _check(args: argparse.Namespace) -> int:
    from grader.student import notebook

    return notebook.main(args.notebook, args.timeout)


def add_check(commands: argparse._SubParsersAction) -> None:
    """The ``check`` command."""
    check = command(
        commands,
        "check",
        "run your notebook top to bottom and see each question's check and points",
        "grader check forward-pass.ipynb",
        "grader check ~/labs/optimisers.ipynb --timeout 300",
    )
    check.add_argument(
        "notebook",
        type=Path,
        help="your notebook (.ipynb); it runs in its own folder, where its data files and "
        "its assignment's sealed key are",
    )
    check.add_argument(
        "--timeout",
        type=float,
        default=NOTEBOOK_SECONDS,
        metavar="SECONDS",
        help=f"time for the whole notebook (default {NOTEBOOK_SECONDS:g})",
    )
    check.set_defaults(run=_check)


def top_parser(description: str, epilog: str) -> tuple[Parser, argparse._SubParsersAction]:
    """The `grader` parser and its subcommands."""
    parser = Parser(
        prog="grader",
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=Parser, help="the command (see its --help)"
    )
    return parser, commands


def build_parser() -> Parser:
    parser, commands = top_parser(
        DESCRIPTION,
        "examples:\n  grader check forward-pass.ipynb\n"
        "  grader check --help      (its arguments and examples)",
    )
    add_check(commands)
    return parser


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    """Parse `argv` and run the command it names: its exit code."""
    # nbformat imports jsonschema, whose optional IRI format checker compiles a grammar for
    # ~3 s at import; notebooks never use that format, so the command does without it.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    args = parser.parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.run
    try:
        return command(args)
    except UnknownQuestion as error:
        print(f"grader: error: {error}", file=sys.stderr)
        return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    return run(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
