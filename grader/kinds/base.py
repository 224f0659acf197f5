"""What every kind of part does, in one class: the `PartKind` plug-in contract.

A part kind is one file of `grader.kinds` holding its `Part` subclass (the data a question
declares) and a `PartKind` (everything done with it, on every side):

- untrusted side: `encode` turns the student's object into a wire node (never raises);
- trusted side: `judge` compares a node with the expected value, names a catalogued
  mistake or says what is wrong without stating the expected value; `same` says whether
  two reference values coincide (a mistake equal to the answer is never diagnosed);
- the spec (what student code may see): `spec` writes the part's own fields as JSON,
  `from_spec` rebuilds the part from them, its computations withheld;
- the sealed key: `seal` (instructor's side) seals the expected value and the mistakes'
  values; `local` adapts the part to a student's machine; `check_sealed` (student's side)
  judges an answer from the seals alone.

`grader.kinds` registers one instance per kind; spec, seal, local check and batch judge
each loop over that registry, so a kind added there (or by an entry point of group
`grader.kinds.GROUP`) is specced, sealed, checked locally and batch-graded.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from grader.compare.result import Status, Verdict
from grader.question import Mistake, Part, Question

if TYPE_CHECKING:
    from grader.compare.wire import Encoder, Node, Wire

P = TypeVar("P", bound=Part)
#: A part's catalogued mistakes with their values (for the expected value at hand).
Mistakes = tuple[tuple[Mistake, Any], ...]
UNCHECKED = "not checked here: the instructor's grader grades it"


class KindUnavailable(Exception):
    """No kind is registered for this part (or spec), or its kind cannot run here."""


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
    mistakes: Callable[[], Mistakes]
    hidden: bool = False  # run hidden probes
    memo: dict[str, Any] = field(default_factory=dict)  # the kind's per-part cache


def checks_passed(count: int) -> str:
    """'the check passed', 'both checks passed', 'all 5 checks passed'."""
    if count == 1:
        return "the one check passed"
    return "both checks passed" if count == 2 else f"all {count} checks passed"


def mistaken(ctx: Context, matches: Callable[[Any], bool], lead: str = "") -> Verdict | None:
    """The verdict of the first catalogued mistake whose value the answer `matches`
    (its hint, after `lead`), or None."""
    for mistake, value in ctx.mistakes():
        if matches(value):
            status: Status = "partial" if mistake.credit > 0 else "incorrect"
            message = f"{lead} {mistake.hint}".strip()
            return Verdict(status, mistake.credit, message, mistake.key)
    return None


@dataclass(frozen=True)
class Sealing:
    """What sealing a question's parts needs besides their values (instructor's side)."""

    question: Question
    salt: bytes

    def label(self, part: Part, what: str = "") -> str:
        """What a seal is of: it enters the hash, so no seal can stand in for another."""
        return f"{self.question.id}/{part.name}{'#' + what if what else ''}"


def catalogued(mistake: Mistake) -> dict[str, Any]:
    """A mistake as a sealed key states it (its value is sealed beside it)."""
    return {"key": mistake.key, "hint": mistake.hint, "credit": mistake.credit}


class Budget:
    """The scrypt calls one local check may still make beyond one per part (telling a
    close value from a wrong one: `grader.compare.sealed.near`), so that a check stays
    within its time (docs/SECURITY.md: about 8 ms a call)."""

    def __init__(self, calls: int) -> None:
        self.left = calls

    def spend(self, calls: int) -> None:
        self.left = max(0, self.left - calls)


#: Extra scrypt calls of one local check.
CHECK_BUDGET = 16


@dataclass(frozen=True)
class SealedPart:
    """What a local judge has of a part besides its answer's node (student's side): the
    question, the whole encoded answer, the part's entry of the sealed key, the release's
    salt, the seals' label and the check's budget of extra scrypt calls."""

    question: Question
    wire: Wire
    found: Mapping[str, Any]
    salt: bytes
    what: str
    budget: Budget = field(default_factory=lambda: Budget(CHECK_BUDGET))


class PartKind(ABC, Generic[P]):
    """Everything one kind of part does (see the module doc). Subclasses set `part`."""

    part: ClassVar[type[Part]]

    @property
    def name(self) -> str:
        """The kind's name in specs and sealed keys: its part class's name."""
        return self.part.__name__

    # --- untrusted side --------------------------------------------------------------

    def encode(self, answer: Any, part: P, enc: Encoder, hidden: bool) -> Node:
        """The wire node of the student's object; must not raise."""
        return enc.value(answer)

    # --- trusted side ------------------------------------------------------------------

    @abstractmethod
    def judge(self, node: Any, ctx: Context) -> Verdict:
        """The verdict on a node (read defensively: it comes from an untrusted process)."""

    def same(self, a: Any, b: Any, part: P) -> bool:
        """Whether two reference-side values coincide (so never diagnose one as the other)."""
        return False

    # --- the spec ----------------------------------------------------------------------

    def spec(self, part: P, hidden: bool) -> dict[str, Any]:
        """The part's own fields as JSON, beyond those every part has; with `hidden`, also
        what the autograder's hidden tests run on (for the batch's sandbox only)."""
        return {}

    def from_spec(self, spec: Mapping[str, Any], common: dict[str, Any]) -> P:
        """The part a spec describes, from its own fields and the `common` ones."""
        return self.part(**common)  # type: ignore[return-value]

    # --- the sealed key ----------------------------------------------------------------

    def seal(self, part: P, expected: Any, mistakes: Mistakes, sealing: Sealing) -> dict[str, Any]:
        """The part's entry of the sealed key (no value in the clear); {} seals nothing."""
        return {}

    def local(self, part: P) -> tuple[P, dict[str, Any]]:
        """The part as a student's machine checks it, and the inputs it needs there."""
        return part, {}

    def check_sealed(self, node: Any, part: P, here: SealedPart) -> Verdict:
        """The verdict from the sealed key alone (never more generous than `judge`)."""
        return Verdict("unconfirmed", 0.0, UNCHECKED)
