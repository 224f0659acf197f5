"""Trajectory questions: θ_1, ..., θ_T of an iterative method, declared once for every
assignment that asks for one (gradient descent, the optimisers, backpropagation's line fit).

θ_0 is the input ``theta0`` and θ_t the part ``theta{t}``. A question says how step t is
taken (`Trajectory.step`, from the θs before it: the student's own under follow-through,
so a step right given a wrong predecessor earns its credit) and which slips it diagnoses;
the slips a trajectory's steps share are built here: the learning rate's sign and size
(a factor 2 or a sum lost in the gradient scales every step of a method linear in it),
a row one step behind or ahead, θ's coordinates swapped, a sequential update.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.kinds import Numeric
from grader.question import Compute, Inputs, Mistake, Prior
from optigrade.bank import mistakes as m

Array = np.ndarray
#: θ_t, for step t = 1..T, from the inputs and the parts before it (`prior`).
Step = Callable[[Inputs, Prior, int], Array]
#: ∇L for the step that starts from θ_t: Gradient(inputs, t, θ_t) -> (∂L/∂w..., ∂L/∂b).
Gradient = Callable[[Inputs, int, Array], Array]


def theta_at(inputs: Inputs, prior: Prior, t: int) -> Array:
    """θ_t: the given θ_0, or part ``theta{t}`` (the student's own under follow-through)."""
    theta = inputs["theta0"] if t == 0 else prior[f"theta{t}"]
    return np.asarray(theta, dtype=np.float64).ravel()


def thetas_before(inputs: Inputs, prior: Prior, t: int) -> list[Array]:
    """θ_0, ..., θ_{t−1}."""
    return [theta_at(inputs, prior, k) for k in range(t)]


@dataclass(frozen=True)
class Trajectory:
    """How the steps of one question are taken and shown."""

    step: Step
    label: str  # a step's label, ``{t}`` standing for its number
    rate: str = "eta"  # the learning rate's name among the inputs
    #: Whether step t reads every θ before it (an optimiser's state is rebuilt from
    #: them), not only θ_{t−1}.
    history: bool = False
    #: The other parts step t reads (a gradient the student gave), followed through too.
    uses: Callable[[int], tuple[str, ...]] | None = None

    def compute(self, t: int) -> Compute:
        return lambda inputs, prior: self.step(inputs, prior, t)

    def follows(self, t: int) -> tuple[str, ...]:
        earlier = range(1, t) if self.history else range(max(t - 1, 1), t)
        return (*(f"theta{k}" for k in earlier), *(self.uses(t) if self.uses else ()))

    def part(self, t: int, points: float, slips: tuple[RowSlip, ...]) -> Numeric:
        """θ_t, worth `points`, diagnosing `slips` in that order."""
        return Numeric(
            f"theta{t}",
            points,
            self.compute(t),
            mistakes=tuple(slip(self, t) for slip in slips),
            follows=self.follows(t),
            shape_policy="size",
            label=self.label.format(t=t),
        )

    def rows(self, steps: int, points: float, slips: tuple[RowSlip, ...]) -> tuple[Numeric, ...]:
        """θ_1, ..., θ_steps."""
        return tuple(self.part(t, points, slips) for t in range(1, steps + 1))


#: A slip of step t of a trajectory: (trajectory, t) -> the mistake.
RowSlip = Callable[[Trajectory, int], Mistake]


def changed(key: str, **overrides: Any) -> RowSlip:
    """The step taken with altered inputs (`mistakes.with_inputs`)."""
    return lambda trajectory, t: m.slip(key, m.with_inputs(trajectory.compute(t), **overrides))


def rate_scaled(key: str, factor: float | Callable[[Inputs], float]) -> RowSlip:
    """The step with the learning rate times `factor` (a number or a function of the inputs)."""

    def build(trajectory: Trajectory, t: int) -> Mistake:
        def rate(inputs: Inputs) -> float:
            k = factor(inputs) if callable(factor) else factor
            return k * inputs[trajectory.rate]

        return changed(key, **{trajectory.rate: rate})(trajectory, t)

    return build


def rate_set(key: str, value: float) -> RowSlip:
    """The step with the learning rate `value` instead of the question's."""
    return lambda trajectory, t: changed(key, **{trajectory.rate: value})(trajectory, t)


def alternative(key: str, step: Step) -> RowSlip:
    """Step t taken another way: `step` computes the θ_t it reaches."""
    return lambda trajectory, t: m.slip(key, lambda inputs, prior: step(inputs, prior, t))


def persistent(key: str, step: Step) -> RowSlip:
    """The slip made at every step: θ_t taken `step`'s way from the θs the slip itself
    reached, so it is named at step t however the steps before were judged (a consistent
    slip after a wrong step, and in the local check, which cannot follow through)."""

    def build(trajectory: Trajectory, t: int) -> Mistake:
        def compute(inputs: Inputs, prior: Prior) -> Array:
            own: dict[str, Array] = {}
            for k in range(1, t + 1):
                own[f"theta{k}"] = step(inputs, {**prior, **own}, k)
            return own[f"theta{t}"]

        return m.slip(key, compute)

    return build


def sequential(gradient: Gradient) -> RowSlip:
    """A gradient-descent step that updates w before taking b's derivative at the new w
    (θ = (w..., b), b last)."""

    def step(inputs: Inputs, prior: Prior, t: int, rate: str) -> Array:
        theta, eta = theta_at(inputs, prior, t - 1), inputs[rate]
        w = theta[:-1] - eta * gradient(inputs, t - 1, theta)[:-1]
        b = theta[-1] - eta * gradient(inputs, t - 1, np.append(w, theta[-1]))[-1]
        return np.append(w, b)

    def build(trajectory: Trajectory, t: int) -> Mistake:
        def compute(inputs: Inputs, prior: Prior) -> Array:
            return step(inputs, prior, t, trajectory.rate)

        return m.slip("sequential-update", compute)

    return build


def _behind(trajectory: Trajectory, t: int) -> Mistake:
    return m.slip("one-step-behind", lambda inputs, prior: theta_at(inputs, prior, t - 1))


def _ahead(trajectory: Trajectory, t: int) -> Mistake:
    def compute(inputs: Inputs, prior: Prior) -> Array:
        reached = trajectory.step(inputs, prior, t)
        return trajectory.step(inputs, {**prior, f"theta{t}": reached}, t + 1)

    return m.slip("one-step-ahead", compute)


def _swapped(trajectory: Trajectory, t: int) -> Mistake:
    return m.slip("order-swapped", m.mapped(trajectory.compute(t), lambda theta: theta[::-1]))


#: The step taken up the gradient (a flipped error and a flipped update give this θ).
UPHILL = rate_scaled("gradient-sign", -1.0)
#: A gradient without its factor 2 halves a step linear in it.
HALF = rate_scaled("factor-2", 0.5)
#: The gradient itself taken as the step.
NO_RATE = rate_set("no-learning-rate", 1.0)
#: Row t holding θ_{t−1} (the rows start with θ_0).
BEHIND: RowSlip = _behind
#: Row t holding θ_{t+1}.
AHEAD: RowSlip = _ahead
#: θ's two coordinates in the other order.
SWAPPED: RowSlip = _swapped
