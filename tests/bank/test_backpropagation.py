"""The `backpropagation` assignment: the seeds' figures through the bank, follow-through
on bp.1, the network's gradients checked independently, and answers in the forms students
give them (SymPy or strings, float32 Keras weights, flat arrays, the wrong object)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import sympy as sp

from optigrade import bank
from optigrade.bank import backpropagation as bp
from optigrade.bank.slips import SLIPS
from reference import data, network
from tests.bank.support import judged, statuses


def test_the_assignment_has_the_specs_questions_in_the_labs_order() -> None:
    ids = [q.id for q in bank.questions("backpropagation")]
    assert ids == [
        "bp.1",
        "bp.sym.linear",
        "bp.sym.deltas",
        "bp.nn.grad",
        "bp.nn.train",
        "bp.keras",
    ]
    assert all(q.points > 0 and not q.practice for q in bp.QUESTIONS)


# --- bp.1 -----------------------------------------------------------------------------


def _step(theta: np.ndarray) -> np.ndarray:
    """One batch step written out for D = {(2, 7), (3, 10), (5, 16)}, independently of
    `reference`: ∂L/∂w = (2/3) Σ (ŷ − y) x, ∂L/∂b = (2/3) Σ (ŷ − y)."""
    w, b = theta
    x, y = np.array([2.0, 3.0, 5.0]), np.array([7.0, 10.0, 16.0])
    r = w * x + b - y
    return np.array([w - 0.02 * 2 / 3 * np.sum(r * x), b - 0.02 * 2 / 3 * np.sum(r)])


def test_first_step_by_hand() -> None:
    # 003: theta(0) = (1, 0), eta = 0.02 on D. Residuals ŷ − y = (−5, −7, −11), so
    # ∂L/∂w = (2/3)(−86) = −172/3 and ∂L/∂b = (2/3)(−23) = −46/3, exactly.
    eta = Fraction(2, 100)
    w1, b1 = 1 + eta * Fraction(172, 3), 0 + eta * Fraction(46, 3)
    np.testing.assert_allclose(bp.LINE_GD.answer["theta1"], [float(w1), float(b1)], rtol=1e-15)


def test_three_steps_head_for_the_true_line() -> None:
    answer = bp.LINE_GD.answer
    thetas = [answer[f"theta{t}"] for t in (1, 2, 3)]
    np.testing.assert_allclose(thetas[1], _step(thetas[0]), rtol=1e-12)
    np.testing.assert_allclose(thetas[2], _step(thetas[1]), rtol=1e-12)
    distance = [np.hypot(w - 3, b - 1) for w, b in [(1.0, 0.0), *thetas]]
    assert distance == sorted(distance, reverse=True)  # y = 3x + 1 comes closer each step


def test_right_steps_after_a_wrong_one_are_carried() -> None:
    theta1 = np.array([2.0, 0.3])  # wrong
    theta2 = _step(theta1)
    result = judged("bp.1", [theta1, theta2, _step(theta2)])
    assert statuses(result) == ["incorrect", "carried", "carried"]
    assert result.score == 2
    assert "Correct given your θ(1) = (w, b), which was wrong" in result.parts[1].message


def test_a_slip_is_named_on_the_students_own_earlier_row() -> None:
    theta1 = np.array([2.0, 0.3])  # wrong
    uphill = theta1 - (_step(theta1) - theta1)  # θ + η∇L: the sign slip, from their θ(1)
    result = judged("bp.1", [theta1, uphill, _step(uphill)])
    assert statuses(result) == ["incorrect", "incorrect", "carried"]
    assert result.parts[1].mistake == "gradient-sign"
    assert result.parts[1].message.startswith("Given your θ(1) = (w, b): ")


def test_rows_starting_at_theta0_lose_only_the_first_row() -> None:
    answer = bp.LINE_GD.answer
    result = judged("bp.1", [bp.LINE["theta0"], answer["theta1"], answer["theta2"]])
    assert result.parts[0].mistake == "one-step-behind"
    assert SLIPS["one-step-behind"].said() in result.parts[0].message
    assert statuses(result)[1:] == ["carried", "carried"]


def test_an_array_of_shape_3x2_and_tuples_are_both_accepted() -> None:
    rows = np.array([bp.LINE_GD.answer[f"theta{t}"] for t in (1, 2, 3)])
    assert judged("bp.1", rows).score == 3
    assert judged("bp.1", [tuple(r) for r in rows]).score == 3


# --- bp.sym.* -------------------------------------------------------------------------


def test_sympy_derivatives_of_the_loss_are_accepted() -> None:
    w, b, x1, x2, x3, y1, y2, y3 = sp.symbols("w b x1 x2 x3 y1 y2 y3")
    L = sum((w * x + b - y) ** 2 for x, y in ((x1, y1), (x2, y2), (x3, y3))) / 3
    result = judged("bp.sym.linear", {"dL_dw": sp.diff(L, w), "dL_db": sp.diff(L, b)})
    assert statuses(result) == ["correct", "correct"]


def test_strings_in_the_predictions_are_accepted() -> None:
    dw = "2/3*((y_hat1 - y1)*x1 + (y_hat2 - y2)*x2 + (y_hat3 - y3)*x3)"
    db = "(2/3)*(y_hat1 + y_hat2 + y_hat3 - y1 - y2 - y3)"
    assert judged("bp.sym.linear", {"dL_dw": dw, "dL_db": db}).score == 1


def test_the_labs_deltas_score_full_marks() -> None:
    # 003: delta2_1 = 2 * (y_hat - y) * np.exp(z2_1_hat) and delta1_j =
    # w2_1_hat[j] * delta2_1 * sigmoid(z1_j_hat) * (1 - sigmoid(z1_j_hat)).
    delta2 = "2 * (y_hat - y) * exp(z2)"
    answer = {
        "delta2": delta2,
        "delta1_1": f"v1 * {delta2} * sigma(z11) * (1 - sigma(z11))",
        "delta1_2": f"v2 * {delta2} * sigma(z12) * (1 - sigma(z12))",
    }
    assert statuses(judged("bp.sym.deltas", answer)) == ["correct"] * 3


def test_deltas_in_the_base_symbols_and_a_sympy_sigma_are_accepted() -> None:
    sigma = sp.Function("sigma")  # what a student defines for σ
    x1, x2, x3, w11, w21, w31, v1, v2, z12, y = sp.symbols("x1 x2 x3 w11 w21 w31 v1 v2 z12 y")
    z11 = x1 * w11 + x2 * w21 + x3 * w31
    y_hat = sp.exp(v1 * sigma(z11) + v2 * sigma(z12))
    delta1_1 = 2 * (y_hat - y) * y_hat * v1 * sp.exp(-z11) / (1 + sp.exp(-z11)) ** 2
    result = judged("bp.sym.deltas", {"delta2": 2 * (y_hat - y) * y_hat, "delta1_1": delta1_1})
    assert statuses(result) == ["correct", "correct", "unanswered"]


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ("2*(y_hat - y)*exp(z2)*v1*sigmoid(z11)", "Unknown name 'sigmoid'"),
        ("2*(y_hat - y)*np.exp(z2)", "Unknown name 'np'"),
        ("2(y_hat - y)*exp(z2)", "Write multiplication explicitly"),
        ("2*(y_hat - y*exp(z2)", "every '(' has its ')'"),
        (sp.Derivative(sp.Symbol("z2") ** 2, sp.Symbol("z2")), "call .doit()"),
        (np.array([1.0, 2.0]), "not ndarray"),
    ],
)
def test_unreadable_deltas_say_why(answer: Any, said: str) -> None:
    part = judged("bp.sym.deltas", {"delta2": "2*(y_hat - y)*exp(z2)", "delta1_1": answer})
    assert part.parts[0].status == "correct"
    assert part.parts[1].status == "unusable"
    assert said in part.parts[1].message


# --- bp.nn.grad -------------------------------------------------------------------------


def test_gradients_match_finite_differences_of_the_loss() -> None:
    X, y, W1, W2 = (bp.NET[k] for k in ("X", "y", "W1_init", "W2_init"))
    theta = np.concatenate([W1.ravel(), W2.ravel()])

    def loss(t: np.ndarray) -> float:
        y_hat = network.forward(X, t[:6].reshape(3, 2), t[6:].reshape(2, 1)).y_hat
        return float(np.mean((y_hat - y) ** 2))

    h = 1e-6
    numeric = np.array(
        [(loss(theta + h * e) - loss(theta - h * e)) / (2 * h) for e in np.eye(len(theta))]
    )
    answer = bp.NN_GRAD.answer
    np.testing.assert_allclose(answer["dW1"], numeric[:6].reshape(3, 2), rtol=1e-6)
    np.testing.assert_allclose(answer["dW2"], numeric[6:].reshape(2, 1), rtol=1e-6)


def test_the_slip_calculator_is_the_backward_pass_without_a_slip() -> None:
    """The mistakes' own backward pass, with the right derivatives, is the reference's."""
    right = bp._slipped_gradients(bp.NET, bp._exp_prime, bp._sigmoid_prime)
    np.testing.assert_allclose(right[0], bp.NN_GRAD.answer["dW1"], rtol=1e-12)
    np.testing.assert_allclose(right[1], bp.NN_GRAD.answer["dW2"], rtol=1e-12)


def test_the_data_are_the_labs_draw() -> None:
    state = np.random.get_state()
    try:
        np.random.seed(0)  # the lab's own recipe, on the global generator
        X = np.random.randn(10000, 3)
    finally:
        np.random.set_state(state)
    np.testing.assert_array_equal(bp.NET["X"], X)


def test_a_flat_dW2_is_refused_with_the_reshape_to_use() -> None:
    answer = dict(bp.NN_GRAD.answer)
    answer["dW2"] = answer["dW2"].ravel()
    part = judged("bp.nn.grad", answer).parts[1]
    assert part.status == "unusable"
    assert "reshape(-1, 1)" in part.message


def test_sum_over_rows_is_named() -> None:
    answer = dict(bp.NN_GRAD.answer)
    answer["dW1"] = answer["dW1"] * len(bp.NET["y"])
    part = judged("bp.nn.grad", answer).parts[0]
    assert part.mistake == "sum-not-mean"


# --- bp.nn.train and bp.keras -------------------------------------------------------------


def test_trained_weights_reproduce_the_seed() -> None:
    # 003: after 5000 iterations with eta = 0.0005 the lab prints W1 columns
    # (0.24985576, 0.5000211, 0.75018656), (0.74987578, 0.49998626, 0.25009692) and
    # W2 = (1.99874327, 3.00125615), to 8 decimals.
    answer = bp.NN_TRAIN.answer
    W1 = [[0.24985576, 0.74987578], [0.5000211, 0.49998626], [0.75018656, 0.25009692]]
    np.testing.assert_array_equal(np.round(answer["W1"], 8), W1)
    np.testing.assert_array_equal(np.round(answer["W2"], 8), [[1.99874327], [3.00125615]])


def test_one_iteration_more_is_indistinguishable_and_accepted() -> None:
    """Why the bank lists no off-by-one-iteration mistake: one more step moves the weights
    by far less than the tolerance."""
    W1, W2 = bp.NN_TRAIN.answer["W1"], bp.NN_TRAIN.answer["W2"]
    g = network.backward(bp.X, bp.Y, W1, W2)
    eta = bp.NN_TRAIN.inputs["eta"]
    result = judged("bp.nn.train", [W1 - eta * g.dW1, W2 - eta * g.dW2])
    assert statuses(result) == ["correct", "correct"]


def test_the_labs_keras_weights_score_full_marks() -> None:
    # 003: model.get_weights() after 5000 epochs of Adam, as the lab prints them (float32).
    printed = [
        np.array(
            [[0.25250572, 0.75124925], [0.49919188, 0.50062895], [0.74790984, 0.2485936]],
            dtype=np.float32,
        ),
        np.array([[2.0164018], [2.983464]], dtype=np.float32),
    ]
    result = judged("bp.keras", printed)
    assert statuses(result) == ["correct", "correct"]
    answer = bp.KERAS.answer  # and the float64 reference rounds to the seed's 4 decimals
    seed_W1 = [[0.2525, 0.7512], [0.4992, 0.5006], [0.7479, 0.2486]]
    np.testing.assert_array_equal(np.round(answer["W1"], 4), seed_W1)
    np.testing.assert_array_equal(np.round(answer["W2"], 4), [[2.0164], [2.9835]])


def test_keras_weights_are_not_the_from_scratch_ones() -> None:
    """The tolerance tells Adam's result from plain gradient descent's."""
    result = judged("bp.keras", [bp.NN_TRAIN.answer["W1"], bp.NN_TRAIN.answer["W2"]])
    assert [p.mistake for p in result.parts] == ["from-scratch-weights"] * 2
    assert result.score == 0


def test_a_model_instead_of_its_weights_is_refused() -> None:
    class Functional:  # stands in for a Keras model: not a sequence of arrays
        pass

    result = judged("bp.keras", Functional())
    assert statuses(result) == ["unusable", "unusable"]
    assert "expected a sequence of 2 rows" in result.parts[0].message
    assert "Functional" in result.parts[0].message


def test_weights_given_as_a_dict_are_read_by_name_or_refused_with_the_forms_to_use() -> None:
    result = judged("bp.nn.train", {"W1": data.W1_INIT, "W2": data.W2_INIT})
    assert [p.mistake for p in result.parts] == ["not-trained", "not-trained"]
    result = judged("bp.nn.train", {"w1": data.W1_INIT, "w2": data.W2_INIT})
    assert statuses(result) == ["unusable", "unusable"]
    assert result.parts[0].message == (
        "expected a sequence of 2 rows (one per part) or a dict with keys 'W1', 'W2'; got a dict"
    )
