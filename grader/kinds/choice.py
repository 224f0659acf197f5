"""`Choice` parts: one option, compared case- and space-insensitively, with aliases.

A sealed key seals the canonical option (and each mistake's) exactly; the local check
compares the option the student's spelling stands for by hashing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from grader.compare import sealed
from grader.compare.nodes import kind, text, unusable
from grader.compare.result import Unusable, Verdict
from grader.kinds import seals
from grader.kinds.base import Context, Mistakes, PartKind, SealedPart, Sealing, catalogued, mistaken
from grader.question import Part


@dataclass(frozen=True)
class Choice(Part):
    """One option out of a fixed list; `options` maps each canonical option to the
    other spellings accepted for it (compared case-insensitively, trimmed)."""

    options: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def normal(s: str) -> str:
    return " ".join(s.split()).casefold()


def _spellings(part: Choice) -> dict[str, str]:
    """Every accepted spelling (normalised) -> its canonical option."""
    table = {normal(option): option for option in part.options}
    for option, aliases in part.options.items():
        table.update({normal(alias): option for alias in aliases})
    return table


class _Option:
    """A sealed option, compared by hashing: what `ChoiceKind.judge` compares the answer
    with on a student's machine."""

    def __init__(self, seal: sealed.Seal, salt: bytes, what: str) -> None:
        self.seal, self.salt, self.what = seal, salt, what

    def __eq__(self, option: object) -> bool:
        return sealed.matches_exact(option, self.seal, self.salt, self.what)

    __hash__ = None  # type: ignore[assignment]


def _exact(option: Any, salt: bytes, what: str) -> dict[str, Any]:
    return sealed.seal_exact(str(option), salt, what).to_json()


class ChoiceKind(PartKind[Choice]):
    part = Choice

    def judge(self, node: Any, ctx: Context) -> Verdict:
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

    def same(self, a: Any, b: Any, part: Choice) -> bool:
        return bool(a == b)

    def spec(self, part: Choice, hidden: bool) -> dict[str, Any]:
        return {"options": {k: list(v) for k, v in part.options.items()}}

    def from_spec(self, spec: Mapping[str, Any], common: dict[str, Any]) -> Choice:
        return Choice(**common, options={k: tuple(v) for k, v in spec["options"].items()})

    def seal(
        self, part: Choice, expected: Any, mistakes: Mistakes, sealing: Sealing
    ) -> dict[str, Any]:
        salt = sealing.salt
        return {
            "seal": _exact(expected, salt, sealing.label(part)),
            "mistakes": [
                {**catalogued(m), "seal": _exact(v, salt, sealing.label(part, m.key))}
                for m, v in mistakes
            ],
        }

    def check_sealed(self, node: Any, part: Choice, here: SealedPart) -> Verdict:
        expected = _Option(sealed.Seal.from_json(here.found["seal"]), here.salt, here.what)
        mistakes = tuple(
            (m, _Option(s, here.salt, f"{here.what}#{m.key}"))
            for m, s in seals.mistakes_of(here.found, shared=False)
        )
        ctx = Context(
            question=here.question,
            part=part,
            wire=here.wire,
            expected=expected,
            prior={},
            mistakes=lambda: mistakes,
        )
        return self.judge(node, ctx)
