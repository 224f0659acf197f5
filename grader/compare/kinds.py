"""The plug-in seam: how each kind of part is encoded (untrusted side) and judged (trusted).

A kind module (registered for a `Part` subclass) exposes:

- ``encode(answer, part, enc, hidden) -> node`` (optional; untrusted side, must not
  raise): turns the student's object into a JSON node, with arrays stored through
  ``enc.value(...)``. Without it the answer is encoded as a plain value.
- ``judge(node, ctx) -> Verdict`` (trusted side): compares the node with
  ``ctx.expected``, tries ``ctx.mistakes()`` (see `mistaken`) and explains what is wrong
  without stating the expected value (the scorer adds it for practice questions). It
  reads the node defensively: the node comes from an untrusted process.
- ``same(a, b, part) -> bool`` (optional): whether two reference-side values coincide,
  so that a mistake giving the right answer is never diagnosed. Without it, none is.

The bank's kinds are listed in `_MODULES` below (`grader.compare.models` is written
separately; until it exists Model parts are graded `invalid` with that reason);
`register` adds another. Modules are imported on first use so `import grader` stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

from grader.compare.result import PartResult, Status
from grader.question import (
    Choice,
    Expression,
    Function,
    Mistake,
    Model,
    NumberSet,
    Numeric,
    Part,
    Question,
)

if TYPE_CHECKING:
    from grader.compare.wire import Wire

_MODULES: dict[type[Part], str] = {
    Numeric: "grader.compare.numeric",
    NumberSet: "grader.compare.numberset",
    Choice: "grader.compare.choice",
    Function: "grader.compare.functions",
    Expression: "grader.compare.expressions",
    Model: "grader.compare.models",
}


class KindUnavailable(Exception):
    """The module judging this kind of part is not installed."""


def register(kind: type[Part], module: str) -> None:
    """Judge parts of type `kind` (and its subclasses) with `module`."""
    _MODULES[kind] = module


def kind_of(part: Part) -> ModuleType:
    for cls in type(part).__mro__:
        if cls in _MODULES:
            name = _MODULES[cls]
            try:
                return import_module(name)
            except ModuleNotFoundError as e:  # the kind's module, or one it needs
                raise KindUnavailable(
                    f"{cls.__name__} answers cannot be checked here ({e.name} is missing)"
                ) from None
    raise KindUnavailable(f"no grader is registered for {type(part).__name__} parts")


@dataclass(frozen=True)
class Verdict:
    """What a judge concludes about one part (the scorer adds name, label and points)."""

    status: Status
    fraction: float  # of the part's points
    message: str
    mistake: str | None = None
    #: The student's value in the reference's form (shape, Python scalar or array), when
    #: usable by later parts' follow-through; None otherwise.
    value: Any = None


def scored(part: Part, verdict: Verdict) -> PartResult:
    """A part's result from its verdict: the fraction of its points, clamped to [0, 1]."""
    fraction = min(max(float(verdict.fraction), 0.0), 1.0)
    return PartResult(
        name=part.name,
        label=part.label,
        points=float(part.points),
        score=float(part.points) * fraction,
        status=verdict.status,
        message=verdict.message,
        mistake=verdict.mistake,
    )


class Unusable(Exception):
    """The answer cannot be compared at all (wrong type, shape, NaN...): a verdict."""

    def __init__(self, message: str, status: Status = "invalid") -> None:
        super().__init__(message)
        self.status: Status = status

    @property
    def verdict(self) -> Verdict:
        return Verdict(self.status, 0.0, str(self))


@dataclass(frozen=True)
class Context:
    """Everything a judge needs on the trusted side."""

    question: Question
    part: Part
    wire: Wire
    expected: Any  # the value to match (reference, or recomputed for follow-through)
    prior: Mapping[str, Any]  # the earlier parts' values `expected` was computed from
    #: The catalogued mistakes and their values, computed on first call: only a wrong
    #: answer needs them, and some (a whole training run) take seconds.
    mistakes: Callable[[], tuple[tuple[Mistake, Any], ...]]
    hidden: bool = False  # run hidden probes
    memo: dict[str, Any] = field(default_factory=dict)  # the kind's per-part cache


def mistaken(ctx: Context, matches: Callable[[Any], bool], lead: str = "") -> Verdict | None:
    """The verdict of the first catalogued mistake whose value the answer `matches`
    (its hint, after `lead`), or None."""
    for mistake, value in ctx.mistakes():
        if matches(value):
            status: Status = "partial" if mistake.credit > 0 else "incorrect"
            message = f"{lead} {mistake.hint}".strip()
            return Verdict(status, mistake.credit, message, mistake.key)
    return None
