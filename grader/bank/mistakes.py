"""Ways to build a `Mistake` from the reference computation it distorts.

A misconception is never a typed-in wrong number: it is the part's own reference
computation run on altered inputs, or its value transformed the way a student's slip
transforms it. Assignment modules combine these with their own domain-specific
alternatives (e.g. "updated parameter used too early").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from grader.bank.model import Compute, Inputs, Mistake, Prior


def with_inputs(compute: Compute, key: str, hint: str, **overrides: Any) -> Mistake:
    """The same computation on altered inputs; an override may be a value or a function
    of the original inputs (e.g. ``eta=lambda i: 10 * i["eta"]``)."""

    def wrong(inputs: Inputs, prior: Prior) -> Any:
        altered = {k: v(inputs) if callable(v) else v for k, v in overrides.items()}
        return compute({**inputs, **altered}, prior)

    return Mistake(key, hint, wrong)


def mapped(compute: Compute, key: str, hint: str, fn: Callable[[Any], Any]) -> Mistake:
    """The right value passed through a slip (e.g. transposed, rounded, negated)."""
    return Mistake(key, hint, lambda inputs, prior: fn(compute(inputs, prior)))


def scaled(
    compute: Compute, key: str, hint: str, factor: float | Callable[[Inputs], float]
) -> Mistake:
    """The right value times a constant factor (sum for mean: ×n; factor 2 dropped: ×½)."""

    def wrong(inputs: Inputs, prior: Prior) -> Any:
        k = factor(inputs) if callable(factor) else factor
        return np.asarray(compute(inputs, prior), dtype=np.float64) * k

    return Mistake(key, hint, wrong)


def negated(compute: Compute, key: str, hint: str) -> Mistake:
    """The right value with its sign flipped."""
    return scaled(compute, key, hint, -1.0)


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
