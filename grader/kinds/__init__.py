"""The part kinds: one file each (its `Part` subclass and its `PartKind`), one registry.

Spec, seal, local check, encoding and the batch's judge all find a part's kind here: by
the part's exact class (`of`) or by the kind's name in a spec or sealed key (`named`).
The course's kinds are built in; another package adds one through an entry point of
group `GROUP` naming its `PartKind` class (loaded wherever that package is installed:
the instructor's machine, a grading node, a student's machine), or a program with
`register`.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from grader.kinds.base import KindUnavailable, PartKind
from grader.kinds.choice import Choice, ChoiceKind
from grader.kinds.expression import Expression, ExpressionKind
from grader.kinds.function import Function, FunctionKind, Probe
from grader.kinds.model import Criterion, Model, ModelKind, PublicData
from grader.kinds.numberset import NumberSet, NumberSetKind
from grader.kinds.numeric import Numeric, NumericKind
from grader.question import Part

__all__ = [
    "GROUP",
    "Choice",
    "Criterion",
    "Expression",
    "Function",
    "KindUnavailable",
    "Model",
    "NumberSet",
    "Numeric",
    "PartKind",
    "Probe",
    "PublicData",
    "named",
    "of",
    "register",
]

GROUP = "grader.kinds"
_BUILT_IN: tuple[PartKind, ...] = (
    NumericKind(),
    NumberSetKind(),
    ChoiceKind(),
    FunctionKind(),
    ExpressionKind(),
    ModelKind(),
)
_registered: dict[type[Part], PartKind] = {}


def register(kind: PartKind) -> PartKind:
    """Add a kind (its part class must be new here); returns it."""
    known = _kinds()
    if kind.part in known or any(k.name == kind.name for k in known.values()):
        raise ValueError(f"a kind is registered for {kind.name} parts already")
    _registered[kind.part] = kind
    return kind


@cache
def _installed() -> dict[type[Part], PartKind]:
    """The built-in kinds and those of the installed packages' entry points."""
    found = {k.part: k for k in _BUILT_IN}
    for point in entry_points(group=GROUP):
        kind = point.load()()
        if not isinstance(kind, PartKind):
            raise TypeError(f"entry point {point.name} of {GROUP} is not a PartKind class")
        found.setdefault(kind.part, kind)
    return found


def _kinds() -> dict[type[Part], PartKind]:
    return {**_installed(), **_registered}


def of(part: Part) -> PartKind:
    """The kind of `part`, by its exact class."""
    kind = _kinds().get(type(part))
    if kind is None:
        raise KindUnavailable(f"no grader is registered for {type(part).__name__} parts")
    return kind


def named(name: str) -> PartKind:
    """The kind a spec or sealed key names."""
    for kind in _kinds().values():
        if kind.name == name:
            return kind
    raise KindUnavailable(f"no grader is registered for {name} parts")
