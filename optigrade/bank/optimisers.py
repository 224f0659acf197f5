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

from grader.kinds import Choice, Function, Numeric, Probe
from grader.question import Compute, Inputs, Prior, Question
from grader.variation import Draw, OneOf, Same, Uniform
from optigrade.bank import mistakes as m
from optigrade.bank import trajectory as tr
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
#: Heights of one decimal, as the slides' (the shoe sizes stay: one fit, other heights),
#: and a start (slope, intercept) near theirs.
SHOE_VARIES: dict[str, Draw] = {"H": Uniform(1.0, 2.2), "theta0": Uniform(-1, 2)}


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
    varies=SHOE_VARIES,
    parts=(
        Numeric(
            "gradient",
            1,
            _gradient_at_start,
            mistakes=(
                m.slip("factor-2", m.times(_gradient_at_start, 0.5)),
                m.slip("mean-not-sum", m.times(_gradient_at_start, lambda i: 1 / len(i["SS"]))),
                m.slip("gradient-sign", m.negated(_gradient_at_start)),
                m.slip("order-swapped", m.mapped(_gradient_at_start, lambda g: g[::-1])),
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
#: The step t an update rule takes, from the replayed run's gradients and states and from
#: θ_{t−1} (never from the run's own θs, which are not the student's): (inputs, run, θ_{t−1}).
Rule = Callable[[Inputs, Run, Array], Array]


def _replayed(optimiser: Optimiser, inputs: Inputs, thetas: list[Array]) -> Run:
    """The optimiser's steps driven by the gradients at `thetas` (θ_0..θ_{t−1}, the student's
    own rows when following through), whatever θ the run itself reaches: its gradients and
    its state (v, G, s, or m and v) after step t are the ones those rows imply."""
    grads = iter([gradient(inputs, theta) for theta in thetas])
    return optimiser(inputs, inputs["theta0"], lambda theta: next(grads), len(thetas))


def _right_rule(inputs: Inputs, run: Run, theta: Array) -> Array:
    return run.steps[-1]


def _stepping(optimiser: Optimiser, rule: Rule = _right_rule) -> tr.Step:
    """θ_t = θ_{t−1} − the step `rule` takes from the optimiser's state after step t."""

    def step(inputs: Inputs, prior: Prior, t: int) -> Array:
        thetas = tr.thetas_before(inputs, prior, t)
        return thetas[-1] - rule(inputs, _replayed(optimiser, inputs, thetas), thetas[-1])

    return step


def _steps(
    qid: str,
    name: str,
    optimiser: Optimiser,
    hyper: dict[str, float],
    draws: dict[str, Draw],
    points: float,
    rules: tuple[tuple[str, Rule], ...] = (),
    slips: tuple[tr.RowSlip, ...] = (),
) -> Question:
    """Rows θ_1..θ_3, diagnosing the optimiser's own slips (`rules`: (key, the update rule
    the slip follows), taken from the θs before, the student's own under follow-through,
    and made at every step from θ_0: `trajectory.persistent`; `slips`: other inputs), then
    those of every trajectory. A slip that gives the right row on this data (e.g. a bias
    correction without the power t, at t = 1) is left out of that row's mistakes. The
    rows are computed from om.grad's given SS, H and θ0; `draws` vary the hyperparameters
    (ε stays the slides')."""
    steps = tr.Trajectory(
        _stepping(optimiser),
        label="θ{t} = (slope, intercept) after step {t}",
        rate="lr",
        history=True,
    )
    own = tuple(
        slip(key, _stepping(optimiser, rule))
        for key, rule in rules
        for slip in (tr.alternative, tr.persistent)
    )
    return m.diagnosable(
        Question(
            id=qid,
            assignment=ASSIGNMENT,
            title=f"Three steps of {name}",
            variable=qid.split(".", 1)[1] + "_thetas",
            inputs={**SHOE, **hyper},
            given=tuple(hyper),
            uses=tuple(SHOE),
            varies={**{name: Same(GRADIENT.id) for name in SHOE_VARIES}, **draws},
            layout="rows",
            parts=steps.rows(STEPS, points, (*own, *slips, tr.UPHILL, tr.BEHIND, tr.SWAPPED)),
        )
    )


def _swapped_beta(i: Inputs) -> float:
    return 1 - i["beta"]


BETA_SWAPPED = tr.changed("beta-swapped", beta=_swapped_beta)
LR = 0.1  # the learning rate of every optimiser question but RMSProp's
#: Rates and decays the course uses, each converging on the line fit.
RATES, BETAS = OneOf((0.05, 0.1, 0.2)), OneOf((0.8, 0.9))


#: A gradient off by a constant factor scales every step of the optimisers linear in g
#: (gradient descent, momentum) like a learning rate off by that factor; Adagrad, RMSProp
#: and Adam divide the factor out.
GRADIENT_SLIPS: tuple[tr.RowSlip, ...] = (
    tr.HALF,
    tr.rate_scaled("mean-not-sum", lambda i: 1 / len(i["SS"])),
)


def _gd(i: Inputs, theta0: ArrayLike, grad: GradientFn, steps: int) -> Run:
    return opt.gradient_descent(theta0, grad, i["lr"], steps)


GD = _steps(
    "om.gd",
    "gradient descent",
    _gd,
    {"lr": LR},
    {"lr": RATES},
    0.5,
    # the slope updated first, then the intercept's derivative taken at the new slope
    slips=(tr.sequential(lambda i, t, theta: gradient(i, theta)), *GRADIENT_SLIPS),
)


def _momentum(i: Inputs, theta0: ArrayLike, grad: GradientFn, steps: int) -> Run:
    return opt.momentum(theta0, grad, i["lr"], i["beta"], steps)


MOMENTUM = _steps(
    "om.momentum",
    "gradient descent with momentum",
    _momentum,
    {"lr": LR, "beta": 0.9},
    {"lr": RATES, "beta": BETAS},
    0.75,
    rules=(
        # v = βv + g is (1 − β)^−1 times the slides' v
        ("no-1-minus-beta", lambda i, run, theta: i["lr"] * run.state["v"][-1] / (1 - i["beta"])),
        ("no-momentum", lambda i, run, theta: i["lr"] * run.grad[-1]),
    ),
    slips=(BETA_SWAPPED, *GRADIENT_SLIPS),
)


def _adagrad(i: Inputs, theta0: ArrayLike, grad: GradientFn, steps: int) -> Run:
    return opt.adagrad(theta0, grad, i["lr"], i["eps"], steps)


ADAGRAD = _steps(
    "om.adagrad",
    "Adagrad",
    _adagrad,
    {"lr": LR, "eps": 1e-8},
    {"lr": RATES},
    0.75,
    rules=(
        (
            "no-sqrt",
            lambda i, run, theta: run.grad[-1] * i["lr"] / (i["eps"] + run.state["G"][-1]),
        ),
        (
            "no-accumulation",
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
    {"lr": OneOf((0.001, 0.002, 0.005)), "beta": OneOf((0.9, 0.95, 0.99))},
    0.75,
    rules=(
        ("plain-sum", _plain_sum),
        (
            "no-1-minus-beta",
            # s = βs + g² is (1 − β)^−1 times the slides' s
            lambda i, run, theta: (
                run.grad[-1] * i["lr"] / np.sqrt(i["eps"] + run.state["s"][-1] / (1 - i["beta"]))
            ),
        ),
    ),
    # the learning rate of the other questions
    slips=(BETA_SWAPPED, tr.rate_set("wrong-learning-rate", LR)),
)


def _adam(i: Inputs, theta0: ArrayLike, grad: GradientFn, steps: int) -> Run:
    return opt.adam(theta0, grad, i["lr"], i["beta1"], i["beta2"], i["eps"], steps)


def _adam_corrected_by(divisor: Callable[[float, int], float]) -> Rule:
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
    # β2 stays: with β2 = 0.99, √(1 − β2) = 1 − β1 for β1 = 0.9, and the corrections
    # with and without the power t would coincide
    {"lr": RATES, "beta1": BETAS},
    1,
    rules=(
        ("no-bias-correction", _adam_corrected_by(lambda beta, t: 1.0)),
        ("no-power-t", _adam_corrected_by(lambda beta, t: 1 - beta)),
        ("power-t-plus-1", _adam_corrected_by(lambda beta, t: 1 - beta ** (t + 1))),
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
    return (m.slip("no-1-minus-beta", lambda i, p: i["beta"] ** k),)


EWA = Question(
    id="om.ewa",
    assignment=ASSIGNMENT,
    title="Exponentially weighted averages",
    variable="ewa_answers",
    inputs=EWA_INPUTS,
    given=("temperatures", "beta"),
    varies={"temperatures": Uniform(10, 30), "beta": OneOf((0.8, 0.9, 0.95))},
    layout="parts",
    parts=(
        Numeric(
            "V",
            1,
            _ewa,
            mistakes=(
                m.slip(
                    "bias-corrected",
                    lambda i, p: opt.ewa(i["temperatures"], i["beta"], bias_correction=True),
                ),
                m.slip("beta-swapped", m.with_inputs(_ewa, beta=_swapped_beta)),
                m.slip(
                    "started-at-theta1",
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
                m.slip(
                    "no-bias-correction", lambda i, p: np.asarray(p["V"], dtype=np.float64).ravel()
                ),
                m.slip(
                    "no-power-t",
                    lambda i, p: np.asarray(p["V"], dtype=np.float64).ravel() / (1 - i["beta"]),
                ),
                m.slip(
                    "power-t-plus-1",
                    lambda i, p: (
                        np.asarray(p["V"], dtype=np.float64).ravel()
                        / (1 - i["beta"] ** (_times(i) + 1))
                    ),
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
                m.slip("V97-as-theta", lambda i, p: (1 - i["beta"]) * i["beta"] ** LAGS),
                m.slip("one-power-off", lambda i, p: i["beta"] ** (LAGS + 1)),
                m.slip("one-power-off", lambda i, p: i["beta"] ** (LAGS - 1)),
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


def _probe(
    name: str, kwargs: dict[str, Any], describe: str, behaviour: str, hidden: bool = False
) -> Probe:
    return Probe(name, kwargs, _expected_step, describe, hidden=hidden, behaviour=behaviour)


DEFAULTS = "an update with Keras's defaults"
GIVEN = "updates with given hyperparameters"

KERAS_PROBES = (
    # public probes start from arbitrary states: om's own (θ0's gradient, the state after
    # two updates) are answers of om.grad and om.adam, so those probes stay hidden
    _probe(
        "defaults",
        _arbitrary(3, 2, 1),
        "update 1 from a fixed state, called without hyperparameters (Keras's defaults)",
        DEFAULTS,
    ),
    # a large ε at a later update tells where ε sits (inside the root, on √v̂ as the
    # slides do, or on √v_t as Keras does) and whether the correction has the power t
    _probe(
        "large-epsilon-late",
        _arbitrary(4, 2, 3, learning_rate=0.05, beta_1=0.9, beta_2=0.999, epsilon=0.1),
        "update 3 from a fixed state with epsilon=0.1, large enough to show where ε is added",
        GIVEN,
    ),
    _probe(
        "om-start",
        {k: v for k, v in _keras_run_state(1).items() if k in ("theta", "g", "m", "v", "t")},
        "update 1 at om's θ0, called without hyperparameters (Keras's defaults)",
        DEFAULTS,
        hidden=True,
    ),
    _probe(
        "om-run",
        _keras_run_state(3, learning_rate=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
        "update 3 of Keras's Adam on om's data with learning_rate=0.1",
        GIVEN,
        hidden=True,
    ),
    _probe(
        "large-epsilon",
        _arbitrary(1, 2, 2, learning_rate=0.05, beta_1=0.9, beta_2=0.999, epsilon=0.1),
        "a large epsilon, which shows where ε is added",
        GIVEN,
        hidden=True,
    ),
    _probe(
        "late-step",
        _arbitrary(2, 3, 40, learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-7),
        "update 40 of three parameters with other betas",
        GIVEN,
        hidden=True,
    ),
    _probe(
        "scalar",
        {"theta": 0.5, "g": -2.0, "m": 0.3, "v": 1.5, "t": 5, "learning_rate": 0.1},
        "one parameter given as plain floats",
        "plain floats",
        hidden=True,
    ),
)

#: How one update moves θ, from Keras's m_t and v_t: (m_t, v_t, t, lr, β1, β2, ε) -> step.
Move = Callable[[Array, Array, int, float, float, float, float], Array]


def _keras_with(move: Move) -> Callable[..., tuple[Array, Array, Array]]:
    """keras_adam_step with θ moved another way: m_t and v_t as Keras computes them."""

    def step(
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
        _, m_t, v_t = keras_adam_step(theta, g, m, v, t, learning_rate, beta_1, beta_2, epsilon)
        moved = move(m_t, v_t, t, learning_rate, beta_1, beta_2, epsilon)
        return np.asarray(theta, dtype=np.float64) - moved, m_t, v_t

    return step


def _alpha(lr: float, beta_1: float, beta_2: float, power: float) -> float:
    """Keras's step size α = lr √(1 − β2^power) / (1 − β1^power)."""
    return lr * np.sqrt(1 - beta_2**power) / (1 - beta_1**power)


def _keras_slip(key: str, move: Move) -> m.Mistake:
    """A Keras step that moves θ another way: its m_t and v_t (two of the three items
    returned) are right, for a third of the part."""
    return m.credited(m.slip(key, lambda i, p: _keras_with(move)), 1 / 3)


KERAS_STEP_SLIPS: tuple[m.Mistake, ...] = (
    _keras_slip(
        "keras-epsilon-inside-root",
        lambda m_, v, t, lr, b1, b2, eps: _alpha(lr, b1, b2, t) * m_ / np.sqrt(v + eps),
    ),
    _keras_slip(
        "keras-same-as-slides",  # lr m̂ / (√v̂ + ε)
        lambda m_, v, t, lr, b1, b2, eps: (
            lr * (m_ / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        ),
    ),
    _keras_slip(
        "keras-no-power-t",
        lambda m_, v, t, lr, b1, b2, eps: _alpha(lr, b1, b2, 1) * m_ / (np.sqrt(v) + eps),
    ),
    _keras_slip(
        "keras-uncorrected",
        lambda m_, v, t, lr, b1, b2, eps: lr * m_ / (np.sqrt(v) + eps),
    ),
    _keras_slip(
        "power-t-plus-1",
        lambda m_, v, t, lr, b1, b2, eps: _alpha(lr, b1, b2, t + 1) * m_ / (np.sqrt(v) + eps),
    ),
)

KERAS_DIFFERENCES: dict[str, tuple[str, ...]] = {
    "A": ("a)", "(a)"),  # ε on √v_t, bias correction folded into the step size
    "B": ("b)", "(b)"),  # no bias correction at all
    "C": ("c)", "(c)"),  # ε inside the square root
    "D": ("d)", "(d)"),  # the correction without the power t
    "E": ("e)", "(e)"),  # no difference
}


def _other(option: str, key: str) -> m.Mistake:
    """The slip `key` of answering `option`."""
    return m.slip(key, lambda i, p: option)


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
            mistakes=KERAS_STEP_SLIPS,
            probes=KERAS_PROBES,
            call_timeout=5.0,
            pure=True,
            returns=("theta", "m", "v"),
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
                _other("B", "keras-uncorrected"),
                _other("C", "keras-epsilon-inside-root"),
                _other("D", "keras-no-power-t"),
                _other("E", "keras-same-as-slides"),
            ),
            label="how Keras's Adam differs from the slides' form",
        ),
    ),
)

QUESTIONS: tuple[Question, ...] = (GRADIENT, GD, MOMENTUM, ADAGRAD, RMSPROP, ADAM, EWA, KERAS)
