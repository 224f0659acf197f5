"""Assignment `backpropagation`: gradient descent for a line, the chain rule written
symbolically, and the lab's 3-2-1 network trained by hand and by Keras.

The network is ŷ = exp(σ(X W1) W2): three inputs, two sigmoid hidden nodes, one
exponential output, no biases, fitted by the MSE to the lab's synthetic data (10000 rows
drawn after `np.random.seed(0)`, y from the true weights).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from grader.bank import mistakes as m
from grader.bank.model import Compute, Expression, Inputs, Numeric, Prior, Question, Tolerance
from reference import data, network, regression
from reference import symbolic as sym
from reference.keras_optimisers import keras_adam
from reference.network import Array, Cache321

ASSIGNMENT = "backpropagation"


# --- bp.1: three steps of batch gradient descent for ŷ = w x + b ---------------------

LINE: dict[str, Any] = {
    "x_D": data.BACKPROP_D.x,
    "y_D": data.BACKPROP_D.y,
    "theta0": np.array([1.0, 0.0]),  # (w, b)
    "eta": 0.02,
}
LINE_STEPS = 3


def _theta_before(inputs: Inputs, prior: Prior, t: int) -> Array:
    """θ(t−1) = (w, b): the start, or row t−1 (the student's own when following through)."""
    theta = inputs["theta0"] if t == 1 else prior[f"theta{t - 1}"]
    return np.asarray(theta, dtype=np.float64).ravel()


def _bgd_step(inputs: Inputs, theta: Array) -> Array:
    """θ ← θ − η ∇L(θ) for the MSE on all of D."""
    w, b = theta
    run = regression.batch_gd(inputs["x_D"], inputs["y_D"], [[w]], b, inputs["eta"], 1)
    return run.thetas[1]


def _line_step(t: int) -> Compute:
    def compute(inputs: Inputs, prior: Prior) -> Array:
        return _bgd_step(inputs, _theta_before(inputs, prior, t))

    return compute


def _line_mistakes(t: int) -> tuple[m.Mistake, ...]:
    step = _line_step(t)
    row = f"row {t} holds θ({t}), after {t} update{'s' if t > 1 else ''}."

    def w_updated_first(inputs: Inputs, prior: Prior) -> Array:
        """b's gradient taken at the new w (sequential code updating w before it)."""
        w, b = _theta_before(inputs, prior, t)
        x, y, eta = inputs["x_D"], inputs["y_D"], inputs["eta"]
        dw, _ = regression.mse_gradients(x, y, [[w]], b)
        w_new = w - eta * float(dw[0, 0])
        _, db = regression.mse_gradients(x, y, [[w_new]], b)
        return np.array([w_new, b - eta * db])

    return (
        m.with_inputs(
            step,
            "sign-flipped",
            "Gradient descent steps against the gradient: θ ← θ − η ∇L, and ∂L/∂w, ∂L/∂b "
            "use the residuals ŷᵢ − yᵢ.",
            eta=lambda i: -i["eta"],
        ),
        m.with_inputs(
            step,
            "factor-2-dropped",
            "The derivative of (ŷᵢ − yᵢ)² is 2(ŷᵢ − yᵢ) times the derivative of ŷᵢ: "
            "the factor 2 seems to be missing.",
            eta=lambda i: i["eta"] / 2,
        ),
        m.with_inputs(
            step,
            "sum-instead-of-mean",
            "The MSE is the mean over the N observations, so its gradient divides by N.",
            eta=lambda i: i["eta"] * len(i["x_D"]),
        ),
        m.with_inputs(
            step,
            "eta-ten-times-larger",
            f"The learning rate looks ten times too large: η = {LINE['eta']:g}.",
            eta=lambda i: i["eta"] * 10,
        ),
        m.Mistake(
            "w-updated-first",
            "Both derivatives are taken at the same θ(t−1): it looks like ∂L/∂b was computed "
            "with the new w. Compute both gradients before updating either parameter.",
            w_updated_first,
        ),
        m.Mistake(
            "one-step-behind",
            f"This is the θ before this update: {row}",
            lambda inputs, prior: _theta_before(inputs, prior, t),
        ),
        m.Mistake(
            "one-step-ahead",
            f"This is one update too many: {row}",
            lambda inputs, prior: _bgd_step(inputs, step(inputs, prior)),
        ),
    )


LINE_GD = Question(
    id="bp.1",
    assignment=ASSIGNMENT,
    title="Three steps of batch gradient descent for a line",
    variable="thetas",
    inputs=LINE,
    given=("x_D", "y_D", "theta0", "eta"),
    layout="rows",
    parts=tuple(
        Numeric(
            f"theta{t}",
            1,
            _line_step(t),
            mistakes=_line_mistakes(t),
            follows=(f"theta{t - 1}",) if t > 1 else (),
            shape_policy="size",
            label=f"θ({t}) = (w, b)",
        )
        for t in range(1, LINE_STEPS + 1)
    ),
)


# --- bp.sym.*: the chain rule, checked symbolically -----------------------------------


def _expression(
    name: str,
    points: float,
    derivation: sym.Derivation,
    intervals: dict[str, tuple[float, float]],
    slips: tuple[Slip, ...],
    functions: tuple[str, ...] = (),
) -> Expression:
    """A part whose answer is `derivation[name]`; each slip maps it to a wrong form."""

    def compute(inputs: Inputs, prior: Prior) -> sp.Expr:
        return derivation[name]

    return Expression(
        name,
        points,
        compute,
        mistakes=tuple(m.mapped(compute, key, hint, slip) for key, hint, slip in slips),
        symbols=intervals,
        functions=functions,
        definitions=derivation.definitions,
        label=name,
    )


#: A slip in a derivation: (key, hint, the expected expression -> the slipped one).
Slip = tuple[str, str, Callable[[sp.Expr], sp.Expr]]
_HALF = sp.Rational(1, 2)

_N = len(data.BACKPROP_D.x)
LINEAR = sym.linear_mse(_N)
_LINEAR_INTERVALS = dict.fromkeys(LINEAR.symbols, (-2.0, 2.0))

_LINEAR_SLIPS: tuple[Slip, ...] = (
    (
        "factor-2-dropped",
        "The derivative of (ŷᵢ − yᵢ)² is 2(ŷᵢ − yᵢ) times the derivative of ŷᵢ: "
        "the factor 2 seems to be missing.",
        lambda e: e * _HALF,
    ),
    (
        "sum-instead-of-mean",
        "L is the mean of the three squared errors: keep its factor 1/3.",
        lambda e: e * _N,
    ),
    (
        "sign-flipped",
        "Differentiate (ŷᵢ − yᵢ)², with ŷᵢ = w xᵢ + b: the sign is flipped.",
        lambda e: -e,
    ),
)

SYM_LINEAR = Question(
    id="bp.sym.linear",
    assignment=ASSIGNMENT,
    title="The MSE's derivatives for a line, symbolically",
    variable="dL",
    layout="parts",
    parts=(
        _expression(
            "dL_dw",
            0.5,
            LINEAR,
            _LINEAR_INTERVALS,
            (
                *_LINEAR_SLIPS,
                (
                    "missing-chain-factor",
                    "By the chain rule ∂ŷᵢ/∂w = xᵢ multiplies each term: it seems to be missing.",
                    lambda e: LINEAR["dL_db"],
                ),
            ),
        ),
        _expression(
            "dL_db",
            0.5,
            LINEAR,
            _LINEAR_INTERVALS,
            (
                *_LINEAR_SLIPS,
                (
                    "extra-chain-factor",
                    "∂ŷᵢ/∂b = 1, so the terms are not multiplied by xᵢ (that is ∂L/∂w).",
                    lambda e: LINEAR["dL_dw"],
                ),
            ),
        ),
    ),
)


NETWORK = sym.network_321()
#: Inputs and weights of either sign; a positive target, as y = e^(z2) always is.
_NETWORK_INTERVALS = {name: (0.5, 3.0) if name == "y" else (-1.0, 1.0) for name in NETWORK.symbols}

_DELTA_SLIPS: tuple[Slip, ...] = (
    (
        "factor-2-dropped",
        "The derivative of (ŷ − y)² is 2(ŷ − y) times the derivative of ŷ: the factor 2 "
        "seems to be missing.",
        lambda e: e * _HALF,
    ),
    (
        "exp-derivative-missing",
        "δ2 = ∂L/∂z2 = ∂L/∂ŷ · ∂ŷ/∂z2, and ∂ŷ/∂z2 = e^(z2): that factor seems to be missing.",
        lambda e: e / sp.exp(sp.Symbol("z2")),
    ),
    (
        "sign-flipped",
        "Differentiate (ŷ − y)² with respect to ŷ: the sign is flipped.",
        lambda e: -e,
    ),
)


def _hidden_slips(j: int) -> tuple[Slip, ...]:
    """Slips in δ1_j = v_j δ2 σ'(z1_j), on top of those inherited from δ2."""
    s = sym.sigma(sp.Symbol(f"z1{j}"))
    v_own, v_other = sp.Symbol(f"v{j}"), sp.Symbol(f"v{3 - j}")
    return (
        *_DELTA_SLIPS,
        (
            "sigmoid-for-sigmoid-prime",
            f"The chain rule needs the derivative σ'(z1{j}) = σ(z1{j})(1 − σ(z1{j})), "
            f"not σ(z1{j}) itself.",
            lambda e: e / (1 - s),
        ),
        (
            "weight-missing",
            f"z2 = v1 σ(z11) + v2 σ(z12), so ∂z2/∂σ(z1{j}) = v{j}: that factor seems missing.",
            lambda e: e / v_own,
        ),
        (
            "other-weight",
            f"Hidden node {j} reaches the output through v{j}, not v{3 - j}.",
            lambda e: e * v_other / v_own,
        ),
    )


SYM_DELTAS = Question(
    id="bp.sym.deltas",
    assignment=ASSIGNMENT,
    title="The deltas of the 3-2-1 network, symbolically",
    variable="deltas",
    layout="parts",
    parts=(
        _expression("delta2", 0.5, NETWORK, _NETWORK_INTERVALS, _DELTA_SLIPS, functions=("sigma",)),
        *(
            _expression(
                f"delta1_{j}",
                0.5,
                NETWORK,
                _NETWORK_INTERVALS,
                _hidden_slips(j),
                functions=("sigma",),
            )
            for j in (1, 2)
        ),
    ),
)


# --- the lab's 3-2-1 network on its synthetic data -----------------------------------

#: The lab's data: one draw, shared by the questions and by the cached runs below.
X, Y = data.synthetic_321()
NET: dict[str, Any] = {"X": X, "y": Y, "W1_init": data.W1_INIT, "W2_init": data.W2_INIT}


def _gradients(inputs: Inputs, prior: Prior) -> dict[str, Array]:
    g = network.backward(inputs["X"], inputs["y"], inputs["W1_init"], inputs["W2_init"])
    return {"dW1": g.dW1, "dW2": g.dW2}


Prime = Callable[[Cache321], Array]


def _slipped_gradients(inputs: Inputs, output_prime: Prime, hidden_prime: Prime) -> list[Array]:
    """[∂L/∂W1, ∂L/∂W2] by the lab's backward pass with one layer's derivative replaced by
    a student's slip: δ2 = 2(ŷ − y) f2', δ1 = δ2 W2ᵀ ⊙ f1', mean over the rows."""
    X, y, W2 = inputs["X"], inputs["y"], inputs["W2_init"]
    c = network.forward(X, inputs["W1_init"], W2)
    delta2 = 2 * (c.y_hat - y) * output_prime(c)
    delta1 = delta2 @ W2.T * hidden_prime(c)
    return [X.T @ delta1 / len(y), c.a1.T @ delta2 / len(y)]


def _exp_prime(c: Cache321) -> Array:
    return c.y_hat  # (e^z2)' = e^z2 = ŷ


def _sigmoid_prime(c: Cache321) -> Array:
    return c.a1 * (1 - c.a1)


def _gradient_part(index: int) -> Numeric:
    name = ("dW1", "dW2")[index]

    def compute(inputs: Inputs, prior: Prior) -> Array:
        return _gradients(inputs, prior)[name]

    def slipped(output_prime: Prime, hidden_prime: Prime) -> Compute:
        return lambda i, p: _slipped_gradients(i, output_prime, hidden_prime)[index]

    mistakes = [
        m.negated(
            compute,
            "sign-flipped",
            "δ2 starts with 2(ŷ − y), the prediction minus the target: the sign is flipped.",
        ),
        m.scaled(
            compute,
            "sum-instead-of-mean",
            "The MSE is the mean over the n rows, so its gradient is Xᵀδ / n, not the sum.",
            lambda i: len(i["y"]),
        ),
        m.scaled(
            compute,
            "factor-2-dropped",
            "δ2 = ∂ℓ/∂z2 for ℓ = (ŷ − y)² starts with 2(ŷ − y): the factor 2 seems missing.",
            0.5,
        ),
        m.Mistake(
            "exp-derivative-missing",
            "δ2 = 2(ŷ − y) · ∂ŷ/∂z2 with ∂ŷ/∂z2 = e^(z2): that factor seems to be missing.",
            slipped(lambda c: np.ones_like(c.y_hat), _sigmoid_prime),
        ),
        m.mapped(
            compute,
            "transposed",
            f"{name} has the shape of its weights ({'3×2' if index == 0 else '2×1'}): "
            "it looks transposed.",
            np.transpose,
        ),
    ]
    if index == 0:  # σ' only enters the hidden layer's gradient
        mistakes.insert(
            4,
            m.Mistake(
                "sigmoid-for-sigmoid-prime",
                "δ1 = δ2 W2ᵀ ⊙ σ'(z1) with σ'(z1) = σ(z1)(1 − σ(z1)), not σ(z1) itself.",
                slipped(_exp_prime, lambda c: c.a1),
            ),
        )
    return Numeric(name, 1, compute, mistakes=tuple(mistakes), label=f"{name} = ∂L/∂W{index + 1}")


NN_GRAD = Question(
    id="bp.nn.grad",
    assignment=ASSIGNMENT,
    title="The MSE's gradient for the 3-2-1 network at its initial weights",
    variable="grads",
    inputs=NET,
    given=("W1_init", "W2_init"),
    layout="parts",
    parts=(_gradient_part(0), _gradient_part(1)),
)


NN_TRAIN_SETTINGS: dict[str, Any] = {"eta": 0.0005, "iterations": 5000}
# The mistakes the spec also names, one iteration too many or too few, are not listed:
# at iteration 5000 a step moves the weights by about 3e-9 of their size, far inside
# the tolerance, so such an answer is right for every purpose and cannot be told apart.


@cache
def _trained(eta: float, iterations: int) -> tuple[Array, Array]:
    """(W1, W2) after `iterations` full-batch steps W ← W − η ∂L/∂W from the initial
    weights on the lab's data, the inputs of the questions below (cached: a run takes
    seconds, and several parts and mistakes share it)."""
    W1, W2, _ = network.train_321(X, Y, data.W1_INIT, data.W2_INIT, eta, iterations)
    return W1, W2


def _train_part(index: int) -> Numeric:
    name = ("W1", "W2")[index]

    def compute(inputs: Inputs, prior: Prior) -> Array:
        return _trained(float(inputs["eta"]), int(inputs["iterations"]))[index]

    return Numeric(
        name,
        1,
        compute,
        mistakes=(
            m.Mistake(
                "not-trained",
                "These are the initial weights: each iteration must update W1 and W2 "
                "(W ← W − η ∂L/∂W) and the next one start from the updated weights.",
                lambda i, p: i[f"{name}_init"],
            ),
            # A factor 2 dropped from δ2 halves every gradient: the run of η/2.
            m.with_inputs(
                compute,
                "factor-2-dropped",
                "δ2 = ∂ℓ/∂z2 for ℓ = (ŷ − y)² starts with 2(ŷ − y): the factor 2 seems "
                "missing (check your gradient against bp.nn.grad).",
                eta=lambda i: i["eta"] / 2,
            ),
            m.with_inputs(
                compute,
                "eta-ten-times-smaller",
                f"The learning rate looks ten times too small: η = {NN_TRAIN_SETTINGS['eta']:g}.",
                eta=lambda i: i["eta"] / 10,
            ),
        ),
        label=f"{name} after {NN_TRAIN_SETTINGS['iterations']} iterations",
    )


NN_TRAIN = Question(
    id="bp.nn.train",
    assignment=ASSIGNMENT,
    title="Training the 3-2-1 network by batch gradient descent",
    variable="trained",
    inputs={**NET, **NN_TRAIN_SETTINGS},
    given=("W1_init", "W2_init", "eta", "iterations"),
    layout="rows",
    parts=(_train_part(0), _train_part(1)),
)


def _flat(W1: Array, W2: Array) -> Array:
    return np.concatenate([np.ravel(W1), np.ravel(W2)])


def _unflat(theta: Array) -> tuple[Array, Array]:
    return theta[:6].reshape(3, 2), theta[6:].reshape(2, 1)


@cache
def _keras_trained(epochs: int) -> tuple[Array, Array]:
    """(W1, W2) after `epochs` full-batch steps of Keras's Adam (its defaults) on the MSE's
    gradients from the initial weights on the lab's data, in float64 (cached: a run takes
    seconds)."""

    def gradient(theta: Array) -> Array:
        g = network.backward(X, Y, *_unflat(theta))
        return _flat(g.dW1, g.dW2)

    run = keras_adam(_flat(data.W1_INIT, data.W2_INIT), gradient, epochs)
    return _unflat(run.theta[-1])


#: The student's Keras run is float32 and the reference float64: they end about 5e-6
#: apart (measured on the JAX and torch backends). 1e-3, the seed's own check, leaves a
#: 200-fold margin for other backends and hardware (GPU matrix products in reduced
#: precision) and still tells the answer from the from-scratch weights (2.6e-3 away).
KERAS_TOL = Tolerance(rtol=0.0, atol=1e-3)


def _keras_part(index: int) -> Numeric:
    name = ("W1", "W2")[index]

    def compute(inputs: Inputs, prior: Prior) -> Array:
        return _keras_trained(int(inputs["epochs"]))[index]

    return Numeric(
        name,
        1,
        compute,
        mistakes=(
            m.Mistake(
                "from-scratch-weights",
                "These are the weights plain batch gradient descent reaches (bp.nn.train); "
                "here Keras trains the network with Adam, which ends elsewhere.",
                lambda i, p: NN_TRAIN.answer[name],
            ),
            m.Mistake(
                "not-trained",
                "These are the initial weights: read them with model.get_weights() after "
                "model.fit(...).",
                lambda i, p: i[f"{name}_init"],
            ),
        ),
        # Keras's default batch_size=32 is a likelier slip, but replaying it takes 313
        # times more steps than the answer: it is left to the generic diagnoses.
        tol=KERAS_TOL,
        label=f"{name} after Keras's training",
    )


KERAS = Question(
    id="bp.keras",
    assignment=ASSIGNMENT,
    title="The 3-2-1 network trained by Keras",
    variable="keras_weights",
    inputs={**NET, "epochs": 5000},
    given=("W1_init", "W2_init", "epochs"),
    layout="rows",
    parts=(_keras_part(0), _keras_part(1)),
)

QUESTIONS: tuple[Question, ...] = (
    LINE_GD,
    SYM_LINEAR,
    SYM_DELTAS,
    NN_GRAD,
    NN_TRAIN,
    KERAS,
)
