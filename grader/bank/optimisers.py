"""Assignment `optimisers`: the slides' optimisers on the shoe-size line fit, exponentially
weighted averages, and Keras's own Adam update.

The line H_pred = slope SS + intercept is fitted to the slides' three points by minimising
the sum of squared residuals (SSR) from θ_0 = (slope, intercept) = (1, 0). Each optimiser
question asks for θ_1, θ_2, θ_3 as rows; row t is recomputed from the student's own
earlier rows (follow-through), the optimiser's state rebuilt from the gradients at them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from grader.bank import mistakes as m
from grader.bank.model import Choice, Compute, Function, Inputs, Numeric, Prior, Probe, Question
from reference import data
from reference import keras_optimisers as ko
from reference import optimisers as opt
from reference.optimisers import Array, GradientFn, Run
from reference.regression import ssr_gradients

ASSIGNMENT = "optimisers"

#: The slides' example, shared by every optimiser question.
SHOE: dict[str, Any] = {
    "SS": data.SHOE_SIZES,
    "H": data.HEIGHTS,
    "theta0": np.array([1.0, 0.0]),  # (slope, intercept)
}
STEPS = 3


def gradient(inputs: Inputs, theta: ArrayLike) -> Array:
    """∇SSR at θ = (slope, intercept): (∂SSR/∂slope, ∂SSR/∂intercept)."""
    slope, intercept = np.asarray(theta, dtype=np.float64).ravel()
    return np.array(ssr_gradients(inputs["SS"], inputs["H"], slope, intercept))


# --- om.grad -------------------------------------------------------------------------


def _gradient_at_start(inputs: Inputs, prior: Prior) -> Array:
    return gradient(inputs, inputs["theta0"])


GRADIENT = Question(
    id="om.grad",
    assignment=ASSIGNMENT,
    title="The gradient of the SSR at the start",
    variable="grad_start",
    inputs=SHOE,
    given=("SS", "H", "theta0"),
    parts=(
        Numeric(
            "gradient",
            1,
            _gradient_at_start,
            mistakes=(
                m.scaled(
                    _gradient_at_start,
                    "factor-2-dropped",
                    "The derivative of a square u² is 2u u': the factor 2 seems to be missing.",
                    0.5,
                ),
                m.scaled(
                    _gradient_at_start,
                    "mean-not-sum",
                    "The loss is the sum of the squared residuals, not their mean: "
                    "do not divide by the number of observations.",
                    lambda i: 1 / len(i["SS"]),
                ),
                m.negated(
                    _gradient_at_start,
                    "sign",
                    "The residual H − H_pred shrinks as the slope or the intercept grows, so "
                    "each derivative carries a minus sign: the signs look flipped.",
                ),
                m.mapped(
                    _gradient_at_start,
                    "order-swapped",
                    "Give the derivative with respect to the slope first, then the one with "
                    "respect to the intercept.",
                    lambda g: g[::-1],
                ),
            ),
            shape_policy="size",
            label="(∂SSR/∂slope, ∂SSR/∂intercept) at θ0",
        ),
    ),
)


# --- three steps of each optimiser, with follow-through ------------------------------

#: An optimiser of `reference.optimisers` with its hyperparameters read from the inputs:
#: (inputs, θ_0, gradient function, number of steps) -> its Run.
Optimiser = Callable[[Inputs, ArrayLike, GradientFn, int], Run]
#: The step t a slip takes, from the replayed run's gradients and states and from θ_{t−1}
#: (never from the run's own θs, which are not the student's): (inputs, run, θ_{t−1}).
Step = Callable[[Inputs, Run, Array], Array]
#: A slip in the update rule: (key, hint, the step it takes).
Slip = tuple[str, str, Step]
#: A slip in the inputs: (key, hint, {input name: its wrong value from the inputs}).
InputSlip = tuple[str, str, Mapping[str, Callable[[Inputs], float]]]


def _before(inputs: Inputs, prior: Prior, t: int) -> list[Array]:
    """θ_0, ..., θ_{t−1}: the start and the rows before row t (the student's own when
    following through)."""
    rows = [np.asarray(prior[f"theta{k}"], dtype=np.float64).ravel() for k in range(1, t)]
    return [np.asarray(inputs["theta0"], dtype=np.float64), *rows]


def _replayed(optimiser: Optimiser, inputs: Inputs, prior: Prior, t: int) -> Run:
    """The optimiser's first t steps driven by the gradients at θ_0..θ_{t−1} of `prior`,
    whatever θ the run itself reaches: its gradients and its state (v, G, s, or m and v)
    after step t are the ones those rows imply."""
    grads = iter([gradient(inputs, theta) for theta in _before(inputs, prior, t)])
    return optimiser(inputs, inputs["theta0"], lambda theta: next(grads), t)


def _right_step(inputs: Inputs, run: Run, theta: Array) -> Array:
    return run.steps[-1]


def _theta(optimiser: Optimiser, t: int, step: Step = _right_step, sign: float = -1.0) -> Compute:
    """θ_t = θ_{t−1} − step_t (`sign` = +1 climbs instead)."""

    def compute(inputs: Inputs, prior: Prior) -> Array:
        theta = _before(inputs, prior, t)[-1]
        return theta + sign * step(inputs, _replayed(optimiser, inputs, prior, t), theta)

    return compute


def _step_mistakes(
    optimiser: Optimiser, t: int, slips: tuple[Slip, ...], input_slips: tuple[InputSlip, ...]
) -> tuple[m.Mistake, ...]:
    right = _theta(optimiser, t)

    def row_before(inputs: Inputs, prior: Prior) -> Array:
        return _before(inputs, prior, t)[-1]

    return (
        *(m.Mistake(key, hint, _theta(optimiser, t, step)) for key, hint, step in slips),
        *(m.with_inputs(right, key, hint, **wrong) for key, hint, wrong in input_slips),
        m.Mistake(
            "uphill",
            "The step goes up the loss: subtract it, θ_t = θ_{t−1} − step.",
            _theta(optimiser, t, sign=1.0),
        ),
        m.Mistake(
            "row-before",
            "Row t is θ after step t: this row holds the θ before it (was θ0 included as "
            "the first row?).",
            row_before,
        ),
        m.mapped(
            right,
            "columns-swapped",
            "Each row is (slope, intercept): the two look swapped.",
            lambda theta: theta[::-1],
        ),
    )


def _steps(
    qid: str,
    name: str,
    optimiser: Optimiser,
    hyper: dict[str, float],
    points: float,
    slips: tuple[Slip, ...] = (),
    input_slips: tuple[InputSlip, ...] = (),
) -> Question:
    """Rows θ_1..θ_3; a slip that gives the right row on this data (e.g. a bias
    correction without the power t, at t = 1) is left out of that row's mistakes."""
    inputs = {**SHOE, **hyper}
    parts, prior = [], {}
    for t in range(1, STEPS + 1):
        compute = _theta(optimiser, t)
        found = _step_mistakes(optimiser, t, slips, input_slips)
        part = Numeric(
            f"theta{t}",
            points,
            compute,
            mistakes=m.differing(compute, inputs, found, prior),
            follows=tuple(f"theta{k}" for k in range(1, t)),
            shape_policy="size",
            label=f"θ{t} = (slope, intercept) after step {t}",
        )
        parts.append(part)
        prior[part.name] = compute(inputs, prior)
    return Question(
        id=qid,
        assignment=ASSIGNMENT,
        title=f"Three steps of {name}",
        variable=qid.split(".", 1)[1] + "_thetas",
        inputs=inputs,
        given=tuple(hyper),
        layout="rows",
        parts=tuple(parts),
    )


def _swapped_beta(i: Inputs) -> float:
    return 1 - i["beta"]


SWAPPED_BETA = "β weighs the previous average and (1 − β) the new term: the two look swapped."
LR = 0.1  # the learning rate of every optimiser question but RMSProp's


#: A gradient off by a constant factor scales every step of the optimisers linear in g
#: (gradient descent, momentum) like a learning rate off by that factor; Adagrad, RMSProp
#: and Adam divide the factor out.
GRADIENT_SLIPS: tuple[InputSlip, ...] = (
    (
        "half-gradient",
        "The steps are half as long as they should be: is the factor 2 of the derivative of "
        "a square missing from your gradient?",
        {"lr": lambda i: i["lr"] / 2},
    ),
    (
        "mean-gradient",
        "The steps are too short by the number of observations: the loss is the sum of the "
        "squared residuals, not their mean.",
        {"lr": lambda i: i["lr"] / len(i["SS"])},
    ),
)


def _gd(i: Inputs, theta0: ArrayLike, grad: GradientFn, steps: int) -> Run:
    return opt.gradient_descent(theta0, grad, i["lr"], steps)


def _sequential(inputs: Inputs, run: Run, theta: Array) -> Array:
    """The slope updated first, then the intercept's derivative taken at the new slope."""
    lr, g = inputs["lr"], run.grad[-1]
    slope = theta[0] - lr * g[0]
    return lr * np.array([g[0], gradient(inputs, (slope, theta[1]))[1]])


GD = _steps(
    "om.gd",
    "gradient descent",
    _gd,
    {"lr": LR},
    0.5,
    slips=(
        (
            "sequential-update",
            "Both derivatives are taken at θ_{t−1}: compute the whole gradient first, then "
            "update the slope and the intercept together.",
            _sequential,
        ),
    ),
    input_slips=GRADIENT_SLIPS,
)


def _momentum(i: Inputs, theta0: ArrayLike, grad: GradientFn, steps: int) -> Run:
    return opt.momentum(theta0, grad, i["lr"], i["beta"], steps)


MOMENTUM = _steps(
    "om.momentum",
    "gradient descent with momentum",
    _momentum,
    {"lr": LR, "beta": 0.9},
    0.75,
    slips=(
        (
            "no-damping",
            "v_t = β v_{t−1} + (1 − β) g_t: the factor (1 − β) on the gradient seems to be "
            "missing.",
            # v = βv + g is (1 − β)^−1 times the slides' v
            lambda i, run, theta: i["lr"] * run.state["v"][-1] / (1 - i["beta"]),
        ),
        (
            "no-momentum",
            "These are plain gradient-descent steps: move by lr v_t, the running average of "
            "the gradients, not by lr g_t.",
            lambda i, run, theta: i["lr"] * run.grad[-1],
        ),
    ),
    input_slips=(("beta-swapped", SWAPPED_BETA, {"beta": _swapped_beta}), *GRADIENT_SLIPS),
)


def _adagrad(i: Inputs, theta0: ArrayLike, grad: GradientFn, steps: int) -> Run:
    return opt.adagrad(theta0, grad, i["lr"], i["eps"], steps)


ADAGRAD = _steps(
    "om.adagrad",
    "Adagrad",
    _adagrad,
    {"lr": LR, "eps": 1e-8},
    0.75,
    slips=(
        (
            "no-sqrt",
            "The learning rate is divided by the square root of ε + Σ g², not by the sum itself.",
            lambda i, run, theta: run.grad[-1] * i["lr"] / (i["eps"] + run.state["G"][-1]),
        ),
        (
            "no-accumulation",
            "The denominator sums the squares of all the gradients so far, not only the "
            "current one.",
            lambda i, run, theta: run.grad[-1] * i["lr"] / np.sqrt(i["eps"] + run.grad[-1] ** 2),
        ),
    ),
)


def _rmsprop(i: Inputs, theta0: ArrayLike, grad: GradientFn, steps: int) -> Run:
    return opt.rmsprop(theta0, grad, i["lr"], i["beta"], i["eps"], steps)


def _plain_sum(i: Inputs, run: Run, theta: Array) -> Array:
    """Adagrad's step: the root of the plain sum of the squared gradients."""
    return run.grad[-1] * i["lr"] / np.sqrt(i["eps"] + np.sum(run.grad**2, axis=0))


RMSPROP = _steps(
    "om.rmsprop",
    "RMSProp",
    _rmsprop,
    {"lr": 0.001, "beta": 0.9, "eps": 1e-8},
    0.75,
    slips=(
        (
            "plain-sum",
            "RMSProp divides by the root of a running average of the squared gradients, "
            "s_t = β s_{t−1} + (1 − β) g_t², not of their plain sum (that is Adagrad).",
            _plain_sum,
        ),
        (
            "no-damping",
            "s_t = β s_{t−1} + (1 − β) g_t²: the factor (1 − β) on g_t² seems to be missing.",
            # s = βs + g² is (1 − β)^−1 times the slides' s
            lambda i, run, theta: (
                run.grad[-1] * i["lr"] / np.sqrt(i["eps"] + run.state["s"][-1] / (1 - i["beta"]))
            ),
        ),
    ),
    input_slips=(
        ("beta-swapped", SWAPPED_BETA, {"beta": _swapped_beta}),
        (
            "lr-of-the-others",
            f"It looks like the learning rate {LR:g} of the other questions was used: "
            "RMSProp's is the lr given here.",
            {"lr": lambda i: LR},
        ),
    ),
)


def _adam(i: Inputs, theta0: ArrayLike, grad: GradientFn, steps: int) -> Run:
    return opt.adam(theta0, grad, i["lr"], i["beta1"], i["beta2"], i["eps"], steps)


def _adam_corrected_by(divisor: Callable[[float, int], float]) -> Step:
    """Adam's step with m and v divided by `divisor(β, t)` instead of 1 − β^t."""

    def step(i: Inputs, run: Run, theta: Array) -> Array:
        t = len(run.grad)
        m_hat = run.state["m"][-1] / divisor(i["beta1"], t)
        v_hat = run.state["v"][-1] / divisor(i["beta2"], t)
        return i["lr"] * m_hat / (np.sqrt(v_hat) + i["eps"])

    return step


ADAM = _steps(
    "om.adam",
    "Adam",
    _adam,
    {"lr": LR, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8},
    1,
    slips=(
        (
            "no-bias-correction",
            "m_t and v_t start from 0 and are biased towards it: use the bias-corrected "
            "m̂_t = m_t / (1 − β1^t) and v̂_t = v_t / (1 − β2^t).",
            _adam_corrected_by(lambda beta, t: 1.0),
        ),
        (
            "no-power-t",
            "The bias correction divides by 1 − β^t, with the power t (the Adam slide's "
            "1 − β1 is a slip; the bias-correction slide has it right).",
            _adam_corrected_by(lambda beta, t: 1 - beta),
        ),
    ),
)


# --- om.ewa ----------------------------------------------------------------------------

EWA_INPUTS: dict[str, Any] = {
    # ten daily maximum temperatures (°C) of a made-up week and a half in spring
    "temperatures": np.array([14.0, 17.5, 16.0, 19.0, 22.5, 21.0, 18.5, 23.0, 25.5, 24.0]),
    "beta": 0.9,
}
LAGS = 3  # V100 written with θ100, θ99, θ98 and V97


def _times(inputs: Inputs) -> Array:
    return np.arange(1, len(inputs["temperatures"]) + 1)


def _ewa(inputs: Inputs, prior: Prior) -> Array:
    return opt.ewa(inputs["temperatures"], inputs["beta"])


def _corrected(inputs: Inputs, prior: Prior) -> Array:
    return opt.bias_corrected(np.asarray(prior["V"], dtype=np.float64).ravel(), inputs["beta"])


def _weight(k: int) -> Compute:
    def compute(inputs: Inputs, prior: Prior) -> float:
        return float(opt.ewa_weights(inputs["beta"], LAGS)[k])

    return compute


def _weight_part(k: int, name: str, mistakes: tuple[m.Mistake, ...]) -> Numeric:
    return Numeric(
        f"weights/{name}", 0.25, _weight(k), mistakes=mistakes, label=f"weight of {name} in V100"
    )


def _theta_weight_mistakes(k: int) -> tuple[m.Mistake, ...]:
    return (
        m.Mistake(
            "no-1-minus-beta",
            "Each θ enters the average with the factor (1 − β) and then shrinks by β per "
            "step back: the factor (1 − β) seems to be missing.",
            lambda i, p: i["beta"] ** k,
        ),
    )


EWA = Question(
    id="om.ewa",
    assignment=ASSIGNMENT,
    title="Exponentially weighted averages",
    variable="ewa_answers",
    inputs=EWA_INPUTS,
    given=("temperatures", "beta"),
    layout="parts",
    parts=(
        Numeric(
            "V",
            1,
            _ewa,
            mistakes=(
                m.Mistake(
                    "bias-corrected",
                    "This is the bias-corrected average; here V_t itself is asked.",
                    lambda i, p: opt.ewa(i["temperatures"], i["beta"], bias_correction=True),
                ),
                m.with_inputs(_ewa, "beta-swapped", SWAPPED_BETA, beta=_swapped_beta),
                m.Mistake(
                    "started-at-theta1",
                    "The average starts from V_0 = 0, not from the first temperature (as "
                    "pandas' ewm(..., adjust=False) does).",
                    # V_t from V_0 = θ_1 is V_t from 0 plus β^t θ_1
                    lambda i, p: _ewa(i, p) + i["beta"] ** _times(i) * i["temperatures"][0],
                ),
            ),
            shape_policy="size",
            label="V_1, ..., V_10",
        ),
        Numeric(
            "V_hat",
            1,
            _corrected,
            mistakes=(
                m.Mistake(
                    "uncorrected",
                    "This is V_t without the correction: divide it by 1 − β^t.",
                    lambda i, p: np.asarray(p["V"], dtype=np.float64).ravel(),
                ),
                m.Mistake(
                    "no-power-t",
                    "The correction divides by 1 − β^t, with the power t.",
                    lambda i, p: np.asarray(p["V"], dtype=np.float64).ravel() / (1 - i["beta"]),
                ),
            ),
            follows=("V",),
            shape_policy="size",
            label="V̂_1, ..., V̂_10",
        ),
        _weight_part(0, "theta100", _theta_weight_mistakes(0)),
        _weight_part(1, "theta99", _theta_weight_mistakes(1)),
        _weight_part(2, "theta98", _theta_weight_mistakes(2)),
        _weight_part(
            3,
            "V97",
            (
                m.Mistake(
                    "V97-as-theta",
                    "V97 is not a new observation: unrolling V100 three times leaves it with "
                    "β·β·β and no factor (1 − β).",
                    lambda i, p: (1 - i["beta"]) * i["beta"] ** LAGS,
                ),
                m.Mistake(
                    "one-power-off",
                    "V97 is three recursions back from V100: count the factors of β again.",
                    lambda i, p: i["beta"] ** (LAGS + 1),
                ),
            ),
        ),
    ),
)


# --- om.keras --------------------------------------------------------------------------


def keras_adam_step(
    theta: ArrayLike,
    g: ArrayLike,
    m: ArrayLike,
    v: ArrayLike,
    t: int,
    learning_rate: float = 0.001,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-7,
) -> tuple[Array, Array, Array]:
    """Keras's Adam update t from (θ_{t−1}, m_{t−1}, v_{t−1}) and g_t: (θ_t, m_t, v_t)."""
    rule = ko.keras_adam_rule(learning_rate, beta_1, beta_2, epsilon)
    g = np.asarray(g, dtype=np.float64)
    state = {
        "momentum": np.asarray(m, dtype=np.float64),
        "velocity": np.asarray(v, dtype=np.float64),
    }
    step, new = rule(g, state, t)
    return np.asarray(theta, dtype=np.float64) - step, new["momentum"], new["velocity"]


def _expected_step(kwargs: Mapping[str, Any]) -> tuple[Array, Array, Array]:
    return keras_adam_step(**kwargs)


def _keras_run_state(t: int, **hyper: float) -> dict[str, Any]:
    """The arguments of update t of Keras's Adam on om's data from θ_0 (the state after
    t − 1 updates)."""
    run = ko.keras_adam(SHOE["theta0"], lambda theta: gradient(SHOE, theta), t - 1, **hyper)
    return {
        "theta": run.theta[-1],
        "g": gradient(SHOE, run.theta[-1]),
        "m": run.state["momentum"][-1] if t > 1 else np.zeros(2),
        "v": run.state["velocity"][-1] if t > 1 else np.zeros(2),  # not m's array: no aliasing
        "t": t,
        **hyper,
    }


def _arbitrary(seed: int, d: int, t: int, **hyper: float) -> dict[str, Any]:
    """Update t from a random but fixed state of d parameters (v > 0, as a real one is)."""
    rng = np.random.default_rng(seed)
    theta, g, m_ = rng.normal(size=(3, d))
    return {"theta": theta, "g": g, "m": m_, "v": rng.uniform(0.1, 2.0, size=d), "t": t, **hyper}


def _probe(name: str, kwargs: dict[str, Any], describe: str, hidden: bool = False) -> Probe:
    return Probe(name, kwargs, _expected_step, describe, hidden=hidden)


KERAS_PROBES = (
    _probe(
        "defaults",
        {k: v for k, v in _keras_run_state(1).items() if k in ("theta", "g", "m", "v", "t")},
        "update 1 at om's θ0, called without hyperparameters (Keras's defaults)",
    ),
    _probe(
        "om-run",
        _keras_run_state(3, learning_rate=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
        "update 3 of Keras's Adam on om's data with learning_rate=0.1",
    ),
    _probe(
        "large-epsilon",
        _arbitrary(1, 2, 2, learning_rate=0.05, beta_1=0.9, beta_2=0.999, epsilon=0.1),
        "a large epsilon, which shows where ε is added",
        hidden=True,
    ),
    _probe(
        "late-step",
        _arbitrary(2, 3, 40, learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-7),
        "update 40 of three parameters with other betas",
        hidden=True,
    ),
    _probe(
        "scalar",
        {"theta": 0.5, "g": -2.0, "m": 0.3, "v": 1.5, "t": 5, "learning_rate": 0.1},
        "one parameter given as plain floats",
        hidden=True,
    ),
)

KERAS_DIFFERENCES: dict[str, tuple[str, ...]] = {
    "A": ("a)", "(a)"),  # ε on √v_t, bias correction folded into the step size
    "B": ("b)", "(b)"),  # no bias correction at all
    "C": ("c)", "(c)"),  # ε inside the square root
    "D": ("d)", "(d)"),  # the correction without the power t
    "E": ("e)", "(e)"),  # no difference
}


def _other(option: str, hint: str) -> m.Mistake:
    return m.Mistake(f"option-{option}", hint, lambda i, p: option)


KERAS = Question(
    id="om.keras",
    assignment=ASSIGNMENT,
    title="Keras's own Adam update",
    variable="keras_adam",
    layout="parts",
    parts=(
        Function(
            "step",
            3,
            lambda i, p: keras_adam_step,
            probes=KERAS_PROBES,
            call_timeout=5.0,
            label="keras_adam_step",
        ),
        Choice(
            "difference",
            1,
            # reference.keras_optimisers: ε on √v_t and α_t = lr √(1 − β2^t) / (1 − β1^t),
            # i.e. the slides' form with ε / √(1 − β2^t) in place of ε (tested there)
            lambda i, p: "A",
            options=KERAS_DIFFERENCES,
            mistakes=(
                _other("B", "Keras does correct the bias: its step size α_t depends on t."),
                _other(
                    "C",
                    "Keras adds ε outside the square root; compare where ε sits with the "
                    "slides' √v̂_t + ε.",
                ),
                _other("D", "Keras's step size uses the powers β1^t and β2^t."),
                _other(
                    "E",
                    "Run both forms with a large ε (say 0.1) from the same state: they differ.",
                ),
            ),
            label="how Keras's Adam differs from the slides' form",
        ),
    ),
)

QUESTIONS: tuple[Question, ...] = (GRADIENT, GD, MOMENTUM, ADAGRAD, RMSPROP, ADAM, EWA, KERAS)
