"""Ways to build a `Mistake`: a catalogued slip and the wrong computation it makes.

A misconception is never a typed-in wrong number: it is the part's own reference
computation run on altered inputs, or its value transformed the way a student's slip
transforms it (`with_inputs`, `mapped`, `times`, `negated` build those computations).
`slip` pairs one with its entry of the catalogue (`optigrade.bank.slips`), which gives the
key and the hint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from grader.kinds import Numeric
from grader.question import Compute, Inputs, Mistake, Prior, Question
from optigrade.bank.slips import SLIPS


def slip(key: str, compute: Compute, **params: Any) -> Mistake:
    """The catalogued misconception `key`, its value computed by `compute`; `params` fill
    its hint's parameters."""
    if key not in SLIPS:
        raise KeyError(f"{key!r} is not a slip of optigrade.bank.slips")
    return Mistake(key, SLIPS[key].said(**params), compute)


def credited(mistake: Mistake, credit: float) -> Mistake:
    """The mistake earning `credit` of the part's points (what it still gets right)."""
    return replace(mistake, credit=credit)


def with_inputs(compute: Compute, **overrides: Any) -> Compute:
    """The same computation on altered inputs; an override may be a value or a function
    of the original inputs (e.g. ``eta=lambda i: 10 * i["eta"]``)."""

    def wrong(inputs: Inputs, prior: Prior) -> Any:
        altered = {k: v(inputs) if callable(v) else v for k, v in overrides.items()}
        return compute({**inputs, **altered}, prior)

    return wrong


def mapped(compute: Compute, fn: Callable[[Any], Any]) -> Compute:
    """The right value passed through a slip (e.g. transposed, rounded, negated)."""
    return lambda inputs, prior: fn(compute(inputs, prior))


def times(compute: Compute, factor: float | Callable[[Inputs], float]) -> Compute:
    """The right value times a constant factor (sum for mean: ×n; factor 2 dropped: ×½)."""

    def wrong(inputs: Inputs, prior: Prior) -> Any:
        k = factor(inputs) if callable(factor) else factor
        return np.asarray(compute(inputs, prior), dtype=np.float64) * k

    return wrong


def negated(compute: Compute) -> Compute:
    """The right value with its sign flipped."""
    return times(compute, -1.0)


def scaled(
    compute: Compute, key: str, hint: str, factor: float | Callable[[Inputs], float]
) -> Mistake:
    """A mistake outside the catalogue, with its own key and hint, whose value is the right
    one times `factor` (the engine's tests build such questions; the bank uses `slip`)."""
    return Mistake(key, hint, times(compute, factor))


def differing(
    compute: Compute, inputs: Inputs, mistakes: tuple[Mistake, ...], prior: Prior | None = None
) -> tuple[Mistake, ...]:
    """The mistakes whose value differs from the right one on these inputs: a slip that
    happens to give the right answer (a bias left out where b = 0) cannot be diagnosed,
    so a question built generically drops it rather than list it."""
    right = np.asarray(compute(inputs, prior or {}), dtype=np.float64)

    def coincides(mistake: Mistake) -> bool:
        wrong = np.asarray(mistake.compute(inputs, prior or {}), dtype=np.float64)
        return wrong.shape == right.shape and np.allclose(wrong, right)

    return tuple(mistake for mistake in mistakes if not coincides(mistake))


def diagnosable(question: Question) -> Question:
    """The question without the mistakes of its numeric parts that give the right answer
    on its own data (`differing`, with the reference values of the parts before)."""
    answer = question.answer
    parts = tuple(
        replace(p, mistakes=differing(p.compute, question.inputs, p.mistakes, answer))
        if isinstance(p, Numeric)
        else p
        for p in question.parts
    )
    return replace(question, parts=parts)
