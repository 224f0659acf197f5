"""What the kinds share about sealed keys: a value sealed with its mistakes (instructor's
side), and the mistakes read back and recognised from one digest (student's side).

A part's catalogued mistakes are sealed on the expected value's grids where they have its
shape (`shared`), so one scrypt call on the answer checks it against all of them
(`grader.compare.sealed.digest_on`); a mistake of another shape has a seal of its own.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from grader.compare import sealed
from grader.compare.diagnose import close
from grader.compare.result import Verdict
from grader.kinds.base import Sealing, catalogued
from grader.question import Mistake, Part, Tolerance


def with_mistakes(
    expected: np.ndarray,
    mistakes: list[tuple[Mistake, np.ndarray]],
    tol: Tolerance,
    sealing: Sealing,
    part: Part,
) -> dict[str, Any]:
    """The expected value sealed, and each mistake: on the expected value's grids where it
    has its shape, else on its own; a mistake with another's value (same cells) is left
    out, as the grader names the first. Raises `Indistinct` where the local check would
    name another mistake than the grader: two mistakes in the same cells that the grader
    tells apart (the answer's cells hold no mistake: they lie within its tolerance, where
    the grader does not look for mistakes)."""
    base = sealed.seal(expected, tol, sealing.salt, sealing.label(part))
    found = []
    seen: dict[str, tuple[Mistake, np.ndarray]] = {}
    for m, v in mistakes:
        shared = v.shape == expected.shape
        seal = (
            sealed.seal_on(v, base, tol, sealing.salt, sealing.label(part))
            if shared
            else sealed.seal(v, tol, sealing.salt, sealing.label(part, m.key))
        )
        if shared and seal.digest in seen:
            first, value = seen[seal.digest]
            if not close(v, value, tol).all():  # the grader would name m, the check `first`
                raise Indistinct(
                    f"{sealing.label(part)}: the mistakes {first.key} and {m.key} fall in the "
                    "same sealed cells though the grader tells them apart: change the inputs "
                    "or the tolerance so that they are further apart"
                )
            continue  # the same value: the grader names the first too, so is this one
        seen.setdefault(seal.digest, (m, v))
        found.append({**catalogued(m), "shared": shared, "seal": seal.to_json()})
    return {"seal": base.to_json(), "mistakes": found}


class Indistinct(ValueError):
    """A sealed key would let the local check name another mistake than the grader."""


def _never(*_: Any) -> Any:
    raise RuntimeError("a sealed mistake has no value to compute")


def mistakes_of(
    found: Mapping[str, Any], shared: bool | None = None
) -> list[tuple[Mistake, sealed.Seal]]:
    """The part's sealed mistakes, those sealed on the expected value's grids (`shared`)
    or the others."""
    return [
        (
            Mistake(str(m["key"]), str(m["hint"]), _never, float(m.get("credit", 0.0))),
            sealed.Seal.from_json(m["seal"]),
        )
        for m in found.get("mistakes", ())
        if bool(m.get("shared")) == shared
    ]


def first_mistake(
    mistakes: list[tuple[Mistake, sealed.Seal]], matches: Callable[[Mistake, sealed.Seal], bool]
) -> Verdict | None:
    """The verdict of the first sealed mistake the answer `matches`, or None."""
    for mistake, seal in mistakes:
        if matches(mistake, seal):
            status = "partial" if mistake.credit > 0 else "incorrect"
            return Verdict(status, mistake.credit, mistake.hint, mistake.key)
    return None


def by_digest(
    value: np.ndarray,
    expected: sealed.Seal,
    found: Mapping[str, Any],
    tol: Tolerance,
    salt: bytes,
    what: str,
) -> Verdict | None:
    """Correct, or the mistake sealed on the expected value's grids, from one digest of
    the answer; None if neither."""
    digest = sealed.digest_on(value, expected, tol, salt, what)
    if digest is None:
        return None
    if hmac.compare_digest(digest, expected.digest):
        return Verdict("correct", 1.0, "Correct.")
    return first_mistake(
        mistakes_of(found, shared=True), lambda m, s: hmac.compare_digest(digest, s.digest)
    )
