"""Assignment `optimisation`: gradient descent for linear and logistic regression.

A parameter vector θ = (w, b) is one flat array (w_1, ..., w_p, b), as the lectures write
it, and so is a gradient ∇L = (∂L/∂w_1, ..., ∂L/∂w_p, ∂L/∂b). Every step is recomputed
from the θ and the gradient before it, so a student's own earlier values carry forward.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from grader.kinds import Function, NumberSet, Numeric, Probe
from grader.question import Compute, Inputs, Part, Prior, Question, Tolerance
from grader.variation import OneOf, Same, Uniform
from optigrade.bank import mistakes as m
from optigrade.bank import trajectory as tr
from reference import data, losses, regression
from reference.activations import sigmoid, sigmoid_prime
from reference.layers import dense

ASSIGNMENT = "optimisation"

Array = np.ndarray
Gradient = tr.Gradient


def _flat(value: Any) -> Array:
    return np.asarray(value, dtype=np.float64).ravel()


def _theta(w: Any, b: float) -> Array:
    """θ = (w_1, ..., w_p, b) (also a gradient: (∂L/∂w..., ∂L/∂b))."""
    return np.append(_flat(w), b)


def _wb(theta: Any) -> tuple[Array, float]:
    """(w as a column (p, 1), b) of θ = (w_1, ..., w_p, b)."""
    theta = _flat(theta)
    return theta[:-1].reshape(-1, 1), float(theta[-1])


# --- gradients of one step ----------------------------------------------------------------


def _mse_gradient(features: str, rows: Callable[[int], Any]) -> Gradient:
    """∇ of the MSE of ŷ = Xw + b on rows(t) of the data (one row: its squared error)."""

    def gradient(inputs: Inputs, t: int, theta: Array) -> Array:
        w, b = _wb(theta)
        X, y = np.asarray(inputs[features]), np.asarray(inputs["y"])
        return _theta(*regression.mse_gradients(X[rows(t)], y[rows(t)], w, b))

    return gradient


def _bce_gradient(inputs: Inputs, t: int, theta: Array) -> Array:
    """∇ of the binary cross-entropy of ŷ = σ(Xw + b) on all rows."""
    w, b = _wb(theta)
    return _theta(*regression.bce_gradients(inputs["X"], inputs["y"], w, b))


def _squared_error_of_sigmoid(inputs: Inputs, t: int, theta: Array) -> Array:
    """∇ of the MSE of ŷ = σ(Xw + b): the gradient a squared-error loss would give."""
    w, b = _wb(theta)
    z = dense(inputs["X"], w, b)
    delta = losses.mse_grad(sigmoid(z), inputs["y"]) * sigmoid_prime(z)
    return _theta(np.asarray(inputs["X"]).T @ delta, float(delta.sum()))


def _linear_prediction(inputs: Inputs, t: int, theta: Array) -> Array:
    """∇ of Σ(z − y)²/(2n) for z = Xw + b: the BCE gradient with σ left out of ŷ."""
    w, b = _wb(theta)
    return _theta(*regression.mse_gradients(inputs["X"], inputs["y"], w, b)) / 2


# --- mistakes -----------------------------------------------------------------------------

#: A slip that computes another gradient at the same θ: (key, that gradient).
Alternative = tuple[str, Gradient]


def _gradient_mistakes(
    gradient: Gradient, t: int, mse: bool, batch: bool, alternatives: tuple[Alternative, ...] = ()
) -> tuple[m.Mistake, ...]:
    """The slips of a gradient at θ_t: the error's sign; for the MSE the factor 2 and b left
    out of ŷ; for a batch the sum for the mean; after a first step, the gradient taken at
    θ_{t−1}, before the update; then the `alternatives`."""

    def at(grad: Gradient, theta_of: Callable[[Inputs, Prior], Array]) -> Compute:
        return lambda inputs, prior: grad(inputs, t, theta_of(inputs, prior))

    def theta_t(inputs: Inputs, prior: Prior) -> Array:
        return tr.theta_at(inputs, prior, t)

    def without_b(inputs: Inputs, prior: Prior) -> Array:
        return np.append(theta_t(inputs, prior)[:-1], 0.0)

    right = at(gradient, theta_t)
    found = [m.slip("gradient-sign", m.negated(right))]
    if mse:
        found += [
            m.slip("factor-2", m.times(right, 0.5)),
            m.slip("no-bias", at(gradient, without_b)),
        ]
    if batch:
        found.append(m.slip("sum-not-mean", m.times(right, lambda i: len(i["y"]))))
    if t > 0:
        before = at(gradient, lambda i, p: tr.theta_at(i, p, t - 1))
        found.append(m.slip("gradient-before-update", before))
    found += [m.slip(key, at(grad, theta_t)) for key, grad in alternatives]
    return tuple(found)


# --- chains of gradient-descent steps -----------------------------------------------------


def _gradient_part(
    name: str, t: int, gradient: Gradient, points: float, mistakes: tuple[m.Mistake, ...]
) -> Numeric:
    """∇L at θ_t, from the student's own θ_t when it was wrong."""

    def compute(inputs: Inputs, prior: Prior) -> Array:
        return gradient(inputs, t, tr.theta_at(inputs, prior, t))

    return Numeric(
        name,
        points,
        compute,
        mistakes=mistakes,
        follows=(f"theta{t}",) if t else (),
        shape_policy="size",
        label=f"{name} (the gradient at θ{t})",
    )


def _descent(grad: Callable[[int], str]) -> tr.Trajectory:
    """θ_t = θ_{t−1} − η ∇L with the gradient the student gave as part `grad(t)`."""

    def step(inputs: Inputs, prior: Prior, t: int) -> Array:
        return tr.theta_at(inputs, prior, t - 1) - inputs["eta"] * _flat(prior[grad(t)])

    return tr.Trajectory(step, label="theta{t}", uses=lambda t: (grad(t),))


#: A start θ0 of one decimal near the origin, as the course's are.
_START = Uniform(-1, 1)


def _lecture_steps(
    qid: str,
    title: str,
    variable: str,
    example: data.Points,
    gradient: Gradient,
    batch: bool,
    eta: float,
) -> Question:
    """Two steps of the lecture's example: grad1 at θ0, θ1, grad2 at θ1, θ2."""
    wrong_eta = 0.1 if eta == 0.01 else 0.01  # the other lecture example's rate
    steps = _descent(lambda t: f"grad{t}")
    slips = (tr.UPHILL, tr.NO_RATE, tr.rate_set("wrong-learning-rate", wrong_eta))
    parts: list[Part] = []
    for t in (1, 2):
        mistakes = _gradient_mistakes(gradient, t - 1, True, batch)
        parts += [
            _gradient_part(f"grad{t}", t - 1, gradient, 0.5, mistakes),
            steps.part(t, 0.5, slips),
        ]
    return m.diagnosable(
        Question(
            id=qid,
            assignment=ASSIGNMENT,
            title=title,
            variable=variable,
            inputs={"x": example.x, "y": example.y, "theta0": np.zeros(2), "eta": eta},
            given=("x", "y", "theta0", "eta"),
            # the lecture's data and rate (its other example's rate is a slip); θ0 varies
            varies={"theta0": _START},
            layout="parts",
            parts=tuple(parts),
        )
    )


LECTURE_SGD = _lecture_steps(
    "opt.lecture.sgd",
    "Two steps of stochastic gradient descent (the lecture's example)",
    "sgd_steps",
    data.LECTURE_SGD,
    _mse_gradient("x", lambda t: [t]),  # step t uses observation t
    batch=False,
    eta=0.01,
)

LECTURE_BGD = _lecture_steps(
    "opt.lecture.bgd",
    "Two steps of batch gradient descent (the lecture's example)",
    "bgd_steps",
    data.LECTURE_BGD,
    _mse_gradient("x", lambda t: slice(None)),
    batch=True,
    eta=0.1,
)


# --- the lab's first mini-batch -----------------------------------------------------------

_LAB_X, _LAB_Y = data.lab_observations()
#: Learning rates that converge on the lab's data (0.01 is a slip: the wrong rate).
_RATE = OneOf((0.05, 0.1, 0.2))

MB_INPUTS: dict[str, Any] = {
    "X": _LAB_X,
    "y": _LAB_Y,
    "w0": np.ones((2, 1)),
    "b0": 0.0,
    "batch_size": 3,
    "eta": 0.1,
}


def _mb_gradients(inputs: Inputs) -> tuple[Array, float]:
    rows = slice(0, inputs["batch_size"])
    return regression.mse_gradients(
        inputs["X"][rows], inputs["y"][rows], inputs["w0"], inputs["b0"]
    )


def _mb_dw(inputs: Inputs, prior: Prior) -> Array:
    return _mb_gradients(inputs)[0]


def _mb_db(inputs: Inputs, prior: Prior) -> float:
    return _mb_gradients(inputs)[1]


def _mb_gradient_mistakes(compute: Compute) -> tuple[m.Mistake, ...]:
    return (
        m.slip("gradient-sign", m.negated(compute)),
        m.slip("factor-2", m.times(compute, 0.5)),
        m.slip("sum-not-mean", m.times(compute, lambda i: i["batch_size"])),
        m.slip("divided-by-all-rows", m.times(compute, lambda i: i["batch_size"] / len(i["y"]))),
        m.slip("whole-data-set", m.with_inputs(compute, batch_size=lambda i: len(i["y"]))),
    )


MB_GRAD = m.diagnosable(
    Question(
        id="opt.mb.grad",
        assignment=ASSIGNMENT,
        title="The MSE's gradient on the first mini-batch",
        variable="mb_grad",
        inputs=MB_INPUTS,
        given=("X", "y", "w0", "b0", "batch_size"),
        # the lab's 12 observations stay (lr_gradient_descent's probes fit them)
        varies={"w0": Uniform(-1, 2), "b0": _START},
        layout="parts",
        parts=(
            Numeric("dw", 0.5, _mb_dw, mistakes=_mb_gradient_mistakes(_mb_dw), label="dw (∂L/∂w)"),
            Numeric("db", 0.5, _mb_db, mistakes=_mb_gradient_mistakes(_mb_db), label="db (∂L/∂b)"),
        ),
    )
)


def _mb_w1(inputs: Inputs, prior: Prior) -> Array:
    """w1 = w0 − η ∂L/∂w (with the student's own ∂L/∂w under follow-through)."""
    return inputs["w0"] - inputs["eta"] * np.asarray(prior["dw"], dtype=np.float64)


def _mb_b1(inputs: Inputs, prior: Prior) -> float:
    """b1 = b0 − η ∂L/∂b."""
    return inputs["b0"] - inputs["eta"] * float(prior["db"])


def _b_with_updated_w(inputs: Inputs, prior: Prior) -> float:
    """b1 from ∂L/∂b evaluated at (w1, b0): w updated before b's gradient was taken."""
    rows = slice(0, inputs["batch_size"])
    _, db = regression.mse_gradients(
        inputs["X"][rows], inputs["y"][rows], _mb_w1(inputs, prior), inputs["b0"]
    )
    return inputs["b0"] - inputs["eta"] * db


def _update_mistakes(compute: Compute) -> tuple[m.Mistake, ...]:
    return (
        m.slip("gradient-sign", m.with_inputs(compute, eta=lambda i: -i["eta"])),
        m.slip("no-learning-rate", m.with_inputs(compute, eta=1.0)),
    )


MB_STEP = m.diagnosable(
    Question(
        id="opt.mb.step",
        assignment=ASSIGNMENT,
        title="One step of mini-batch gradient descent",
        variable="mb_step",
        inputs=MB_INPUTS,
        given=("w0", "b0", "eta"),
        uses=("X", "y", "batch_size"),  # given for opt.mb.grad
        varies={"w0": Same("opt.mb.grad"), "b0": Same("opt.mb.grad"), "eta": _RATE},
        layout="parts",
        # dw and db are graded in opt.mb.grad; here they carry a wrong gradient forward
        parts=(
            Numeric("dw", 0, _mb_dw, label="dw, the ∂L/∂w of opt.mb.grad (graded there)"),
            Numeric("db", 0, _mb_db, label="db, the ∂L/∂b of opt.mb.grad (graded there)"),
            Numeric(
                "w1",
                0.5,
                _mb_w1,
                mistakes=_update_mistakes(_mb_w1),
                follows=("dw",),
                label="w1",
            ),
            Numeric(
                "b1",
                0.5,
                _mb_b1,
                mistakes=(
                    *_update_mistakes(_mb_b1),
                    m.slip("sequential-update", _b_with_updated_w),
                ),
                follows=("db",),
                label="b1",
            ),
        ),
    )
)


# --- the lab's lr_gradient_descent --------------------------------------------------------


def _fitted(kwargs: Any) -> tuple[Array, float]:
    """The reference fit on the probe's arguments (the probes where the shuffle cannot
    matter: one batch of all rows, or identical rows)."""
    return regression.lr_gradient_descent(**kwargs, rng=np.random.default_rng(0))


def _truth(w_true: Array, b_true: float) -> Callable[[Any], tuple[Array, float]]:
    return lambda kwargs: (np.asarray(w_true, dtype=np.float64), float(b_true))


def _fit_args(**changes: Any) -> dict[str, Any]:
    """The lab's call on its 12 observations, with some arguments changed."""
    lab = {
        "X": _LAB_X,
        "y": _LAB_Y,
        "batch_size": 3,
        "eta": 0.1,
        "w": np.ones((2, 1)),
        "b": 0.0,
        "max_iter": 1000,
        "tol": 1e-8,
    }
    return {**lab, **changes}


#: Hidden data: 22 observations of 3 features, y = X w + b exactly, for other w and b.
_HIDDEN_X = np.round(np.random.default_rng(31).uniform(-2.0, 2.0, (22, 3)), 1)
_HIDDEN_W = np.array([[2.0], [-1.0], [0.5]])
_HIDDEN_B = -0.3
_HIDDEN_Y = _HIDDEN_X @ _HIDDEN_W + _HIDDEN_B

_W_PROBE = np.array([[0.5], [-0.5]])  # a start other than the default

#: Six copies of one observation: every shuffle gives the same batches.
_SAME_X = np.tile([[1.0, 2.0]], (6, 1))
_SAME_Y = np.full((6, 1), 4.0)

#: A converged fit ends within 0.01 of the truth: the run stops once two batches' MSEs
#: differ by less than tol = 1e-12, and 2000 shuffles of the reference ended within
#: 5e-4 (lab data) and 5e-5 (hidden data); a coarse mistake misses by far more.
_CONVERGED = Tolerance(rtol=0.0, atol=0.01)

#: What the fit's probes check, each behaviour earning its share of the credit.
CONVERGES, STEPS, DEFAULTS = "it converges", "its exact steps", "its defaults"
BATCHES, STOPS = "its mini-batches", "its stopping rule"

FIT_PROBES: tuple[Probe, ...] = (
    Probe(
        "lab-fit",
        _fit_args(tol=1e-12),
        _truth(data.W_TRUE, data.B_TRUE),
        "on the lab's 12 observations (batch_size=3, eta=0.1, max_iter=1000, tol=1e-12) "
        "it ends within 0.01 of w_true and b_true",
        tol=_CONVERGED,
        behaviour=CONVERGES,
    ),
    Probe(
        "one-batch-step",
        _fit_args(batch_size=12, w=_W_PROBE, b=0.2, max_iter=1),
        _fitted,
        "with batch_size = N = 12 and max_iter=1 it makes exactly one step of batch "
        "gradient descent from the given w and b",
        behaviour=STEPS,
    ),
    Probe(
        "defaults",
        _fit_args(batch_size=12, w=None, b=None, max_iter=1),
        _fitted,
        "with w=None and b=None it starts from w = ones of shape (p, 1) and b = 0",
        behaviour=DEFAULTS,
    ),
    Probe(
        "batch-larger-than-n",
        _fit_args(batch_size=32, w=_W_PROBE, b=0.2, max_iter=1),
        _fitted,
        "a batch_size larger than N (32 for 12 rows) uses all N rows as one batch",
        behaviour=BATCHES,
    ),
    Probe(
        "batch-of-one",
        _fit_args(X=_SAME_X, y=_SAME_Y, batch_size=1, eta=0.05, w=_W_PROBE, max_iter=1),
        _fitted,
        "with batch_size=1 on 6 rows, one iteration makes 6 steps, one per row",
        behaviour=BATCHES,
    ),
    Probe(
        "max-iter",
        _fit_args(batch_size=12, max_iter=5),
        _fitted,
        "with batch_size = N and max_iter=5 it makes exactly 5 steps",
        behaviour=STEPS,
    ),
    Probe(
        "tol-stop",
        _fit_args(batch_size=12, tol=1e-3),
        _fitted,
        "with batch_size = N and tol=1e-3 it stops at the first batch whose MSE is within "
        "tol of the previous batch's, before stepping on it",
        behaviour=STOPS,
    ),
    Probe(
        "hidden-fit",
        _fit_args(X=_HIDDEN_X, y=_HIDDEN_Y, batch_size=4, w=np.zeros((3, 1)), tol=1e-12),
        _truth(_HIDDEN_W, _HIDDEN_B),
        "on other data with 3 features and a batch_size that does not divide N, it ends "
        "close to the true w and b",
        tol=_CONVERGED,
        hidden=True,
        behaviour=CONVERGES,
    ),
    Probe(
        "hidden-batch-steps",
        _fit_args(
            X=_HIDDEN_X,
            y=_HIDDEN_Y,
            batch_size=22,
            eta=0.05,
            w=np.full((3, 1), 0.5),
            b=1.0,
            max_iter=2,
        ),
        _fitted,
        "on other data with 3 features, two exact steps of batch gradient descent",
        hidden=True,
        behaviour=STEPS,
    ),
    Probe(
        "hidden-batches-per-iteration",
        _fit_args(X=_SAME_X, y=_SAME_Y, batch_size=2, eta=0.05, w=_W_PROBE, max_iter=2),
        _fitted,
        "with batch_size=2 on 6 rows, each iteration makes 3 steps",
        hidden=True,
        behaviour=BATCHES,
    ),
)


def _fit_with(rate: Callable[[float, int, int], float]) -> Callable[..., tuple[Array, float]]:
    """The lab's fit stepping by rate(eta, batch size, N) instead of eta: a gradient off
    by a constant factor, or of the other sign."""

    def fit(X: Any, y: Any, batch_size: int = 32, eta: float = 0.1, **rest: Any) -> Any:
        n = len(np.asarray(X))
        wrong = rate(eta, min(n, batch_size), n)
        return _fitted({"X": X, "y": y, "batch_size": batch_size, "eta": wrong, **rest})

    return fit


FIT_SLIPS: tuple[m.Mistake, ...] = (
    m.slip("sum-not-mean", lambda i, p: _fit_with(lambda eta, batch, n: eta * batch)),
    m.slip("divided-by-all-rows", lambda i, p: _fit_with(lambda eta, batch, n: eta * batch / n)),
    m.slip("gradient-sign", lambda i, p: _fit_with(lambda eta, batch, n: -eta)),
)

MB_FIT = Question(
    id="opt.mb.fit",
    assignment=ASSIGNMENT,
    title="Shuffled mini-batch gradient descent: lr_gradient_descent",
    variable="lr_gradient_descent",
    parts=(
        Function(
            "lr_gradient_descent",
            3,
            lambda inputs, prior: regression.lr_gradient_descent,
            mistakes=FIT_SLIPS,
            probes=FIT_PROBES,
            pure=True,  # the lab: "w = w - eta * dw rather than w -= eta * dw"
            returns=("w", "b"),
            label="lr_gradient_descent",
        ),
    ),
)


# --- exercise 1: one epoch of SGD ---------------------------------------------------------


def _sgd_step(inputs: Inputs, prior: Prior, t: int) -> Array:
    """θ_t: one SGD step on observation t from θ_{t−1} (the student's own θ_{t−1})."""
    w, b = _wb(tr.theta_at(inputs, prior, t - 1))
    run = regression.sgd(inputs["X"], inputs["y"], w, b, inputs["eta"], order=[t - 1])
    return run.thetas[1]


SGD_SLIPS: tuple[tr.RowSlip, ...] = (
    tr.UPHILL,
    tr.NO_RATE,
    tr.rate_set("wrong-learning-rate", 0.01),
    tr.HALF,
    tr.sequential(_mse_gradient("X", lambda t: [t])),
    tr.BEHIND,
)

SGD_EPOCH = m.diagnosable(
    Question(
        id="opt.1",
        assignment=ASSIGNMENT,
        title="One epoch of stochastic gradient descent on the lab's data",
        variable="sgd_epoch",
        inputs={"X": _LAB_X, "y": _LAB_Y, "theta0": np.array([1.0, 1.0, 0.0]), "eta": 0.1},
        given=("X", "y", "theta0", "eta"),
        varies={"theta0": Uniform(-1, 2), "eta": _RATE},
        layout="rows",
        parts=tr.Trajectory(_sgd_step, label="(w1, w2, b) after update {t}").rows(
            len(_LAB_Y), 0.25, SGD_SLIPS
        ),
    )
)


# --- exercise 2: logistic regression ------------------------------------------------------

_LOGISTIC_X = np.asarray(data.LOGISTIC_X)
_LOGISTIC_Y = np.asarray(data.LOGISTIC_Y)


def _bce_call(X: Array, y: Array, w: list[float], b: float) -> dict[str, Any]:
    """Arguments of a gradient probe: w and b first (the finite differences vary them)."""
    return {"w": np.reshape(w, (-1, 1)).astype(np.float64), "b": b, "X": X, "y": y}


def _bce_expected(kwargs: Any) -> tuple[Array, float]:
    return regression.bce_gradients(**kwargs)


_OTHER_X = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5], [-1.0, 2.0, 1.0], [0.0, 1.0, 0.0]])
_OTHER_Y = np.array([[1.0], [0.0], [1.0], [0.0]])

OWN_DATA, OTHER_DATA = "on this question's data", "on other data"

BCE_PROBES: tuple[Probe, ...] = (
    Probe(
        "start",
        _bce_call(_LOGISTIC_X, _LOGISTIC_Y, [0.0, 0.0], 0.0),
        _bce_expected,
        "the gradient at w = (0, 0), b = 0 on this question's X and y",
        behaviour=OWN_DATA,
    ),
    Probe(
        "elsewhere",
        _bce_call(_LOGISTIC_X, _LOGISTIC_Y, [0.3, -0.2], 0.1),
        _bce_expected,
        "the gradient at w = (0.3, -0.2), b = 0.1 on this question's X and y",
        behaviour=OWN_DATA,
    ),
    Probe(
        "other-data",
        _bce_call(_OTHER_X, _OTHER_Y, [0.5, -1.0, 0.25], -0.2),
        _bce_expected,
        "the gradient on other data with 4 observations and 3 features",
        hidden=True,
        behaviour=OTHER_DATA,
    ),
    Probe(
        "one-observation",  # where a sum is the mean: with the other data, one behaviour
        _bce_call(_OTHER_X[:1], _OTHER_Y[:1], [1.0, 0.5, -0.5], 0.3),
        _bce_expected,
        "the gradient on a single observation",
        hidden=True,
        behaviour=OTHER_DATA,
    ),
)


_BCE_SLIPS: tuple[Alternative, ...] = (
    ("squared-error-for-bce", _squared_error_of_sigmoid),
    ("no-sigmoid", _linear_prediction),
)


def _as_function(gradient: Gradient, factor: float | Callable[[Array], float] = 1.0) -> Any:
    """A gradient of θ as bce_gradients(X, y, w, b) returns it, (dw (p, 1), db), times
    `factor` (a number, or a function of y)."""

    def function(X: Any, y: Any, w: Any, b: float) -> tuple[Array, float]:
        k = factor(np.asarray(y)) if callable(factor) else factor
        flat = k * gradient({"X": X, "y": y}, 0, _theta(w, b))
        return flat[:-1].reshape(-1, 1), float(flat[-1])

    return function


#: Other gradient functions a student writes, as the bank's mistakes of bce_gradients.
BCE_FUNCTION_SLIPS: tuple[m.Mistake, ...] = (
    m.slip("sum-not-mean", lambda i, p: _as_function(_bce_gradient, len)),
    m.slip("gradient-sign", lambda i, p: _as_function(_bce_gradient, -1.0)),
    *(m.slip(key, lambda i, p, g=g: _as_function(g)) for key, g in _BCE_SLIPS),
)


def _logistic_parts(iterations: int) -> tuple[Part, ...]:
    parts: list[Part] = [
        Function(
            "gradient",
            1.25,
            lambda inputs, prior: regression.bce_gradients,
            mistakes=BCE_FUNCTION_SLIPS,
            probes=BCE_PROBES,
            gradient_of=regression.bce_loss,
            pure=True,
            returns=("dw", "db"),
            label="bce_gradients",
        )
    ]
    steps = _descent(lambda t: f"grad{t - 1}")  # grad_t is taken at θ_t
    for t in range(iterations + 1):
        parts.append(
            _gradient_part(
                f"grad{t}",
                t,
                _bce_gradient,
                0.25,
                _gradient_mistakes(_bce_gradient, t, False, True, _BCE_SLIPS),
            )
        )
        if t < iterations:
            parts.append(steps.part(t + 1, 0.25, (tr.UPHILL, tr.NO_RATE)))
    return tuple(parts)


LOGISTIC = m.diagnosable(
    Question(
        id="opt.2",
        assignment=ASSIGNMENT,
        title="Batch gradient descent for logistic regression",
        variable="logistic",
        inputs={"X": _LOGISTIC_X, "y": _LOGISTIC_Y, "theta0": np.zeros(3), "eta": 0.1},
        given=("X", "y", "theta0", "eta"),
        # X and y stay: bce_gradients' public probes say they use this question's X and y
        varies={"theta0": Uniform(-0.5, 0.5), "eta": _RATE},
        layout="parts",
        parts=_logistic_parts(3),
    )
)


# --- learning rates -----------------------------------------------------------------------


def _loss_curves(inputs: Inputs, prior: Prior) -> Array:
    """Row i: the MSE at θ_0, ..., θ_T of T BGD steps with the i-th learning rate."""
    key = tuple(_flat(inputs[n]).tobytes() for n in ("x", "y", "theta0", "etas"))
    return _curves(*key, int(inputs["iterations"])).copy()


@lru_cache(maxsize=4096)
def _curves(x: bytes, y: bytes, theta0: bytes, etas: bytes, iterations: int) -> Array:
    """`_loss_curves` of the inputs' bytes (cached: 250 steps take 20 ms, the variant QA
    asks for them five times per draw, and θ0 of one decimal has few values)."""
    X, Y = np.frombuffer(x).reshape(-1, 1), np.frombuffer(y).reshape(-1, 1)
    w0, b0 = _wb(np.frombuffer(theta0))
    rows = []
    for eta in np.frombuffer(etas):
        run = regression.batch_gd(X, Y, w0, b0, float(eta), iterations)
        last = regression.mse_loss(X, Y, run.w(run.steps), run.b(run.steps))
        rows.append(np.append(run.losses, last))
    return np.array(rows)


def _diverging(inputs: Inputs, prior: Prior) -> Array:
    """The learning rates whose loss ends above where it started (from the student's own
    curves under follow-through)."""
    curves = np.asarray(prior["losses"], dtype=np.float64)
    return np.asarray(inputs["etas"])[curves[:, -1] > curves[:, 0]]


def _converging(inputs: Inputs, prior: Prior) -> Array:
    return np.setdiff1d(inputs["etas"], _diverging(inputs, prior))


LEARNING_RATES = m.diagnosable(
    Question(
        id="opt.lr",
        assignment=ASSIGNMENT,
        title="Learning rates: loss curves of batch gradient descent",
        variable="learning_rates",
        inputs={
            "x": data.LECTURE_BGD.x,
            "y": data.LECTURE_BGD.y,
            "theta0": np.zeros(2),
            "etas": np.array([0.001, 0.01, 0.1, 0.3, 0.5]),
            "iterations": 50,
        },
        given=("x", "y", "theta0", "etas", "iterations"),
        # the rates stay: the lab chose them so that some diverge
        varies={"theta0": _START},
        layout="parts",
        parts=(
            Numeric(
                "losses",
                1.5,
                _loss_curves,
                mistakes=(
                    # the loss summed, then its gradient summed: steps 3 times as long
                    m.slip("sum-not-mean", m.times(_loss_curves, lambda i: len(i["y"]))),
                    m.slip("factor-2", m.with_inputs(_loss_curves, etas=lambda i: i["etas"] / 2)),
                    m.slip(
                        "sum-not-mean", m.with_inputs(_loss_curves, etas=lambda i: i["etas"] * 3)
                    ),
                    m.slip("gradient-sign", m.with_inputs(_loss_curves, etas=lambda i: -i["etas"])),
                ),
                label="losses (the loss curves)",
            ),
            NumberSet(
                "diverging",
                1,
                _diverging,
                mistakes=(m.slip("converging-listed", _converging),),
                follows=("losses",),
                label="diverging (the learning rates that diverge)",
            ),
        ),
    )
)

QUESTIONS: tuple[Question, ...] = (
    LECTURE_SGD,
    LECTURE_BGD,
    MB_GRAD,
    MB_STEP,
    MB_FIT,
    SGD_EPOCH,
    LOGISTIC,
    LEARNING_RATES,
)
