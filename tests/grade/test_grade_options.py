"""`grader grade`'s options are declared once (`GradeOptions`): the command's defaults and
help are the dataclass's, and its limits the sandbox's."""

from __future__ import annotations

import dataclasses

import pytest

from grader_sandbox.isolation import Limits
from optigrade import cli
from optigrade.grade.options import GradeOptions


def test_the_default_limits_are_the_sandbox_s():
    options = GradeOptions()
    limits = Limits()
    assert (options.timeout, options.cell_timeout, options.memory_mb) == (
        limits.timeout,
        limits.cell_timeout,
        limits.memory_mb,
    )


def test_the_command_s_defaults_are_the_options():
    args = cli.build_parser().parse_args(["grade", "forward-pass"])
    defaults = GradeOptions()
    for name in cli._GRADE_OPTIONS:
        assert getattr(args, name) == getattr(defaults, name), name
    assert GradeOptions(**{n: getattr(args, n) for n in cli._GRADE_OPTIONS}) == defaults


def test_the_command_s_help_is_the_options(capsys):
    with pytest.raises(SystemExit):
        cli.main(["grade", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for option in dataclasses.fields(GradeOptions):
        if option.name in cli._GRADE_OPTIONS:
            said = option.metadata["help"].format(default=option.default)
            assert " ".join(said.split()) in shown, option.name
    assert (
        f"(default {Limits.timeout:g})" in shown and f"(default {Limits.cell_timeout:g})" in shown
    )


def test_an_option_given_on_the_command_line_replaces_the_default():
    args = cli.build_parser().parse_args(["grade", "forward-pass", "--timeout", "60", "--force"])
    assert (args.timeout, args.force) == (60.0, True)
