"""Every `grader` command's --help, as printed: each argument described, examples at the end
(commands found from the parser itself, so a new one is held to the same)."""

from __future__ import annotations

import argparse
import contextlib
import io

import pytest

from optigrade.cli import build_parser, main


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """(the words that name it, its parser) for every command and step, nested ones too."""
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, (*path, name))
    return found


COMMANDS = _commands(build_parser())


def test_the_commands_are_all_found():
    named = {" ".join(path) for path, _ in COMMANDS}
    expected = {"key", "grade", "demo", "check", "assign", "assign sync", "assign verify"}
    assert expected <= named


def _help(path: tuple[str, ...]) -> str:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), pytest.raises(SystemExit) as done:
        main([*path, "--help"])
    assert done.value.code == 0
    return printed.getvalue()


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=" ".join)
def test_help_describes_each_argument_and_shows_an_example(path: tuple[str, ...]) -> None:
    parser = dict(COMMANDS)[path]
    undescribed = [
        action.dest
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction) and not (action.help or "").strip()
    ]
    assert undescribed == [], path
    printed = _help(path)
    examples = printed.partition("\nexamples:\n")[2].splitlines()
    assert examples, printed
    command = " ".join(("grader", *path))
    assert any(line.strip().startswith(command) for line in examples), printed
    for action in parser._actions:  # each argument's description is in what is printed
        if action.help and not isinstance(action, argparse._HelpAction):
            assert " ".join(action.help.split()[:3]) in " ".join(printed.split()), action.dest


def test_the_student_runtime_s_grader_has_the_instructor_s_check_only():
    from grader.student import cli as student

    (commands,) = [
        a for a in student.build_parser()._actions if isinstance(a, argparse._SubParsersAction)
    ]
    assert set(commands.choices) == {"check"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), pytest.raises(SystemExit):
        student.main(["check", "--help"])
    assert printed.getvalue() == _help(("check",))
