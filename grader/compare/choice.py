"""Judging `Choice` parts: one option, compared case- and space-insensitively, with aliases."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from grader.compare.kinds import Context, Unusable, Verdict, mistaken
from grader.compare.nodes import kind, text, unusable
from grader.question import Choice, Part


def normal(s: str) -> str:
    return " ".join(s.split()).casefold()


def _spellings(part: Choice) -> dict[str, str]:
    """Every accepted spelling (normalised) -> its canonical option."""
    table = {normal(option): option for option in part.options}
    for option, aliases in part.options.items():
        table.update({normal(alias): option for alias in aliases})
    return table


def judge(node: Any, ctx: Context) -> Verdict:
    part = ctx.part
    assert isinstance(part, Choice)
    options = ", ".join(repr(o) for o in part.options)
    if kind(node) != "str":
        return unusable(node, f"one of the options {options}").verdict
    spellings = ctx.memo.setdefault("spellings", _spellings(part))
    given = text(node, "v")
    option = spellings.get(normal(given))
    if option is None:
        return Unusable(f"{given[:40]!r} is not one of the options {options}").verdict
    # how a spelling other than the option's own was read (it says nothing of the answer)
    read = "" if given == option else f" Your {given[:40]!r} was read as the option {option!r}."
    if option == ctx.expected:
        return Verdict("correct", 1.0, "Correct." + read, value=option)
    found = mistaken(ctx, lambda v: v == option)
    if found:
        return replace(found, message=found.message + read, value=option)
    return Verdict("incorrect", 0.0, "Not the right option." + read, value=option)


def same(a: Any, b: Any, part: Part) -> bool:
    return bool(a == b)
