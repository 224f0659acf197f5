"""The `optimisation` assignment: the seeds' figures through the bank, follow-through along
each chain of steps, `lr_gradient_descent` and `bce_gradients` graded on right and wrong
implementations, and bad input specific to these answers.

The steps are re-implemented here as plain loops of the lecture's formulas, so the bank
(which replays `reference.regression`) is checked against an independent reading.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from optigrade import bank
from optigrade.assign.verify import check_bank
from optigrade.bank import optimisation as opt
from optigrade.bank.slips import SLIPS
from reference import data, regression
from tests.bank.support import judged, statuses

ROOT = Path(__file__).resolve().parents[2]
X_LAB, Y_LAB = data.lab_observations()


def reference_answer(qid: str) -> dict[str, Any]:
    return dict(bank.get(qid).answer)


def test_the_assignment_has_the_specs_questions_in_the_labs_order() -> None:
    ids = [q.id for q in bank.questions("optimisation")]
    assert ids == [
        "opt.lecture.sgd",
        "opt.lecture.bgd",
        "opt.mb.grad",
        "opt.mb.step",
        "opt.mb.fit",
        "opt.1",
        "opt.2",
        "opt.lr",
    ]
    assert all(q.points > 0 and not q.practice for q in opt.QUESTIONS)


def test_the_committed_notebook_matches_the_bank() -> None:
    assert check_bank(ROOT, "optimisation") == []


# --- the lecture's examples ---------------------------------------------------------------


def line_gradient(theta: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(∂/∂w, ∂/∂b) of the mean of (wx + b − y)² over the given observations."""
    w, b = theta
    r = w * x + b - y
    return np.array([np.mean(2 * r * x), np.mean(2 * r)])


def test_lecture_sgd_reproduces_the_slides() -> None:
    # 000, 001, 002: grad (-50, -10), theta1 = (0.5, 0.1), grad (-223.2, -24.8),
    # theta2 = (2.732, 0.348).
    answer = reference_answer("opt.lecture.sgd")
    np.testing.assert_allclose(answer["grad1"], [-50, -10], rtol=1e-12)
    np.testing.assert_allclose(answer["theta1"], [0.5, 0.1], rtol=1e-12)
    np.testing.assert_allclose(answer["grad2"], [-223.2, -24.8], rtol=1e-12)
    np.testing.assert_allclose(answer["theta2"], [2.732, 0.348], rtol=1e-12)


def test_lecture_bgd_reproduces_the_slides_and_says_why_one_figure_differs() -> None:
    # 000, 001, 002 print grad (-14.69, -6.0), theta1 (1.47, 0.6), grad (1.42, 1.07),
    # theta2 (1.33, 0.49). With y exactly (0.99, 3.00, 5.01) the first ∂L/∂w is
    # (2/3)(-0.99 - 6.00 - 15.03) = -14.68: the slides computed with y carrying more
    # decimals than printed. A y that prints the same (0.988, 3.004, 5.0146; see
    # tests/reference/test_seeds.py) gives the slide's -14.69 through the same bank question.
    answer = reference_answer("opt.lecture.bgd")
    np.testing.assert_allclose(answer["grad1"], [-14.68, -6.0], rtol=1e-12)
    np.testing.assert_array_equal(np.round(answer["theta1"], 2), [1.47, 0.6])
    np.testing.assert_array_equal(np.round(answer["grad2"], 2), [1.42, 1.07])
    np.testing.assert_array_equal(np.round(answer["theta2"], 2), [1.33, 0.49])
    slide_y = np.array([[0.988], [3.004], [5.0146]])
    q = bank.get("opt.lecture.bgd")
    slide = replace(q, inputs={**q.inputs, "y": slide_y}).answer
    assert np.round(slide["grad1"][0], 2) == -14.69
    # printed to 2 decimals, as the slides print it, the two differ by 0.01
    assert np.round(answer["grad1"][0], 2) - np.round(slide["grad1"][0], 2) == pytest.approx(0.01)


@pytest.mark.parametrize("qid", ["opt.lecture.sgd", "opt.lecture.bgd"])
def test_lecture_steps_follow_the_formulas(qid: str) -> None:
    q = bank.get(qid)
    x, y, eta = q.inputs["x"].ravel(), q.inputs["y"].ravel(), q.inputs["eta"]
    rows = ([0], [1]) if qid.endswith("sgd") else (slice(None), slice(None))
    theta, answer = np.zeros(2), q.answer
    for t, r in enumerate(rows, start=1):
        grad = line_gradient(theta, x[r], y[r])
        np.testing.assert_allclose(answer[f"grad{t}"], grad, rtol=1e-12)
        theta = theta - eta * grad
        np.testing.assert_allclose(answer[f"theta{t}"], theta, rtol=1e-12)


def test_a_wrong_first_gradient_carries_through_both_steps() -> None:
    x, y, eta = np.array([5.0, 9.0]), np.array([5.0, 17.0]), 0.01
    grad1 = line_gradient(np.zeros(2), x[:1], y[:1]) / 2  # the factor 2 dropped
    theta1 = -eta * grad1
    grad2 = line_gradient(theta1, x[1:], y[1:])
    theta2 = theta1 - eta * grad2
    answer = {"grad1": grad1, "theta1": theta1, "grad2": grad2, "theta2": theta2}
    result = judged("opt.lecture.sgd", answer)
    assert statuses(result) == ["incorrect", "carried", "carried", "carried"]
    assert result.parts[0].mistake == "factor-2"
    assert result.score == 1.5
    assert "Correct given your grad1 (the gradient at θ0), which was wrong" in (
        result.parts[1].message
    )


def test_a_gradient_taken_before_the_update_is_named() -> None:
    answer = reference_answer("opt.lecture.sgd")
    answer["grad2"] = line_gradient(np.zeros(2), np.array([9.0]), np.array([17.0]))
    part = judged("opt.lecture.sgd", answer).parts[2]
    assert (part.status, part.mistake) == ("incorrect", "gradient-before-update")
    assert SLIPS["gradient-before-update"].said() in part.message


def test_the_sum_instead_of_the_mean_is_named_in_bgd() -> None:
    answer = reference_answer("opt.lecture.bgd")
    answer["grad1"] = 3 * answer["grad1"]
    answer["theta1"] = -0.1 * answer["grad1"]  # a right step from their own gradient
    result = judged("opt.lecture.bgd", answer)
    assert result.parts[0].mistake == "sum-not-mean"
    assert result.parts[1].status == "carried"


@pytest.mark.parametrize(
    "form",
    [
        lambda g: list(g),
        lambda g: tuple(float(v) for v in g),
        lambda g: g.reshape(2, 1),
        lambda g: g.reshape(1, 2),
    ],
    ids=["list", "tuple", "column", "row"],
)
def test_pairs_are_accepted_as_any_sequence_of_two_numbers(form: Callable) -> None:
    answer = {k: form(v) for k, v in reference_answer("opt.lecture.sgd").items()}
    assert judged("opt.lecture.sgd", answer).score == 2


def test_a_pair_holding_an_array_and_a_number_says_what_is_wrong() -> None:
    answer = reference_answer("opt.lecture.sgd")
    answer["grad1"] = [np.array([[-50.0]]), -10.0]  # dw as a 1x1 array next to db
    part = judged("opt.lecture.sgd", answer).parts[0]
    assert part.status == "unusable"
    assert "mixes numbers and lists" in part.message


# --- the first mini-batch -----------------------------------------------------------------


def test_minibatch_gradient_and_step_reproduce_the_lab() -> None:
    # 003: dw = (-6.000, -4.267), db = -3.200; with eta = 0.1, w1 = (1.600, 1.427), b1 = 0.320.
    grad = reference_answer("opt.mb.grad")
    np.testing.assert_array_equal(np.round(grad["dw"], 3), [[-6.0], [-4.267]])
    assert round(grad["db"], 3) == -3.2
    step = reference_answer("opt.mb.step")
    np.testing.assert_array_equal(np.round(step["w1"], 3), [[1.6], [1.427]])
    assert round(step["b1"], 3) == 0.32


def test_the_whole_data_set_instead_of_the_batch_is_named() -> None:
    r = X_LAB @ np.ones((2, 1)) - Y_LAB
    answer = {"dw": 2 / 12 * X_LAB.T @ r, "db": 2 / 12 * float(r.sum())}
    result = judged("opt.mb.grad", answer)
    assert [p.mistake for p in result.parts] == ["whole-data-set", "whole-data-set"]
    assert "first mini-batch" in result.parts[0].message


def test_a_flat_dw_is_refused_with_the_reshape_to_use() -> None:
    answer = reference_answer("opt.mb.grad")
    answer["dw"] = answer["dw"].ravel()
    part = judged("opt.mb.grad", answer).parts[0]
    assert part.status == "unusable"
    assert "reshape(-1, 1)" in part.message


def test_a_step_from_a_wrong_gradient_earns_its_marks() -> None:
    dw, db = -reference_answer("opt.mb.grad")["dw"], 3.2  # y − ŷ instead of ŷ − y
    w1, b1 = np.ones((2, 1)) - 0.1 * dw, -0.1 * db
    result = judged("opt.mb.step", {"dw": dw, "db": db, "w1": w1, "b1": b1})
    assert statuses(result) == ["incorrect", "incorrect", "carried", "carried"]
    assert result.score == 1


def test_b_updated_with_the_new_w_is_named() -> None:
    answer = reference_answer("opt.mb.step")
    r = X_LAB[:3] @ answer["w1"] - Y_LAB[:3]  # at (w1, b0): w was updated first
    answer["b1"] = -0.1 * 2 / 3 * float(r.sum())
    part = judged("opt.mb.step", answer).parts[3]
    assert (part.status, part.mistake) == ("incorrect", "sequential-update")


# --- lr_gradient_descent ------------------------------------------------------------------


def lab_fit(
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int = 32,
    eta: float = 0.1,
    w: np.ndarray | None = None,
    b: float | None = None,
    max_iter: int = 100,
    tol: float = 1e-8,
    slip: str = "",
) -> tuple[np.ndarray, float]:
    """The lab's function as a student writes it (shuffling with NumPy's global state),
    optionally with one slip."""
    n, p = X.shape
    w = (np.zeros((p, 1)) if slip == "zeros-start" else np.ones((p, 1))) if w is None else w
    b = 0 if b is None else b
    if slip != "no-clamp":
        batch_size = min(n, batch_size)
    if slip == "full-batch":
        batch_size = n
    previous = np.inf
    iteration = 0
    while iteration < (100_000 if slip == "ignores-max-iter" else max_iter):
        iteration += 1
        order = np.random.permutation(n)
        for k in range(n // batch_size):
            rows = order[k * batch_size : (k + 1) * batch_size]
            r = X[rows] @ w + b - y[rows]
            error = float(np.mean(r**2))
            if slip != "stops-after-step" and abs(error - previous) < tol:
                return w, b
            w = w - eta * 2 / len(rows) * X[rows].T @ r
            b = b - eta * 2 / len(rows) * float(np.sum(r))
            if slip == "stops-after-step" and abs(error - previous) < tol:
                return w, b
            previous = error
    return w, b


@pytest.fixture
def global_seed() -> Iterator[Callable[[int], None]]:
    """Seed NumPy's global generator for a test and restore it afterwards."""
    state = np.random.get_state()
    yield np.random.seed
    np.random.set_state(state)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_labs_function_earns_full_marks_whatever_the_shuffle(global_seed, seed) -> None:
    global_seed(seed)
    result = judged("opt.mb.fit", lab_fit, hidden=True)
    assert result.parts[0].status == "correct", result.text()
    assert result.score == 3


def test_the_lab_fit_probe_is_the_seeds_call() -> None:
    # 003 fits with lr_gradient_descent(X, y, batch_size=3, max_iter=1000) and prints
    # w ≈ (1.49995, 1.49966), b ≈ 0.10065: within 0.01 of w_true = (1.5, 1.5), b_true = 0.1.
    probe = _probe("lab-fit")
    kw = probe.kwargs
    assert (kw["batch_size"], kw["eta"], kw["b"], kw["max_iter"]) == (3, 0.1, 0.0, 1000)
    np.testing.assert_array_equal(kw["w"], np.ones((2, 1)))
    np.testing.assert_array_equal(kw["X"], X_LAB)
    w, b = probe.expected(probe.kwargs)
    assert np.all(np.abs(np.array([1.4999547, 1.49966414]) - w.ravel()) < probe.tol.atol)
    assert abs(0.10065056647857647 - b) < probe.tol.atol


@pytest.mark.parametrize("name", ["lab-fit", "hidden-fit"])
def test_convergence_probes_leave_a_wide_margin_for_any_shuffle(name: str) -> None:
    """The reference, shuffled 40 ways, ends ten times closer than the probe requires."""
    probe = _probe(name)
    w_true, b_true = probe.expected(probe.kwargs)
    for seed in range(40):
        w, b = regression.lr_gradient_descent(**probe.kwargs, rng=np.random.default_rng(seed))
        assert np.abs(w - w_true).max() < probe.tol.atol / 10
        assert abs(b - b_true) < probe.tol.atol / 10


def _bgd(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, eta: float, steps: int) -> Any:
    for _ in range(steps):
        r = X @ w + b - y
        w, b = w - eta * 2 / len(y) * X.T @ r, b - eta * 2 / len(y) * float(r.sum())
    return w, b


def _probe(name: str) -> Any:
    return next(p for p in opt.FIT_PROBES if p.name == name)


@pytest.mark.parametrize(
    ("name", "steps"),
    [("one-batch-step", 1), ("batch-larger-than-n", 1), ("max-iter", 5), ("tol-stop", 6)],
)
def test_full_batch_probes_expect_plain_batch_steps(name: str, steps: int) -> None:
    probe = _probe(name)
    kw = probe.kwargs
    w0 = np.ones((2, 1)) if kw["w"] is None else kw["w"]
    w, b = probe.expected(kw)
    w_ref, b_ref = _bgd(kw["X"], kw["y"], w0, kw["b"], kw["eta"], steps)
    np.testing.assert_allclose(w, w_ref, rtol=1e-12)
    assert b == pytest.approx(b_ref, rel=1e-12)
    if name == "tol-stop":  # one step more or fewer is wrong at the probe's tolerance
        for other in (5, 7):
            w_other, _ = _bgd(kw["X"], kw["y"], w0, kw["b"], kw["eta"], other)
            assert not np.allclose(w_other, w, rtol=1e-4)


@pytest.mark.parametrize(
    ("name", "steps"), [("batch-of-one", 6), ("hidden-batches-per-iteration", 6)]
)
def test_identical_rows_probes_expect_one_step_per_batch(name: str, steps: int) -> None:
    probe = _probe(name)
    kw = probe.kwargs
    x, y = kw["X"][:1], kw["y"][:1]  # every batch holds copies of this row
    w, b = probe.expected(kw)
    w_ref, b_ref = _bgd(x, y, kw["w"], kw["b"], kw["eta"], steps)
    np.testing.assert_allclose(w, w_ref, rtol=1e-12)
    assert b == pytest.approx(b_ref, rel=1e-12)


@pytest.mark.parametrize(
    ("slip", "failing"),
    [
        ("full-batch", {"batch-of-one", "hidden-batches-per-iteration"}),
        ("no-clamp", {"batch-larger-than-n"}),
        ("stops-after-step", {"tol-stop"}),
        ("zeros-start", {"defaults"}),
    ],
)
def test_a_slip_fails_exactly_the_probes_that_check_it(global_seed, slip, failing) -> None:
    global_seed(4)
    part = judged("opt.mb.fit", partial(lab_fit, slip=slip), hidden=True).parts[0]
    assert part.status == "partial"
    # credit per behaviour checked: a behaviour with a failing probe earns nothing
    behaviours = {p.checks for p in opt.FIT_PROBES}
    wrong = {p.checks for p in opt.FIT_PROBES if p.name in failing}
    assert part.score == pytest.approx(3 * len(behaviours - wrong) / len(behaviours))
    for probe in opt.FIT_PROBES:
        if probe.name in failing:
            assert probe.describe in part.message


def test_ignoring_max_iter_is_caught(global_seed) -> None:
    global_seed(5)
    part = judged("opt.mb.fit", partial(lab_fit, slip="ignores-max-iter")).parts[0]
    # only the lab fit and the tol stop pass: every other public probe sets max_iter; of
    # the 5 behaviours the public probes check, convergence and the stopping rule pass
    assert part.message.startswith("2 of 7 checks passed.")
    assert part.message.endswith(
        "Credit is per behaviour checked: 2 of 5 pass all their checks (failing: its exact "
        "steps, its defaults and its mini-batches)."
    )
    assert part.score == pytest.approx(3 * 2 / 5)


def test_hidden_probes_say_what_they_check_but_not_their_data(global_seed) -> None:
    global_seed(6)

    def no_third_feature(X, y, w=None, **kwargs):  # fits the first two features only
        w2, b = lab_fit(X[:, :2], y, w=None if w is None else w[:2], **kwargs)
        return (np.vstack([w2, [[0.0]]]) if X.shape[1] == 3 else w2), b

    part = judged("opt.mb.fit", no_third_feature, hidden=True).parts[0]
    assert "hidden test (on other data with 3 features" in part.message
    assert "off by" not in part.message.split("hidden test")[1]
    assert "22" not in part.message and "-0.3" not in part.message


def test_public_checks_leave_the_hidden_probes_out(global_seed) -> None:
    global_seed(7)
    part = judged("opt.mb.fit", lab_fit).parts[0]
    public = sum(not p.hidden for p in opt.FIT_PROBES)
    assert part.message == f"Correct: all {public} checks passed."


def test_a_fit_that_raises_or_is_not_a_function_says_so(tmp_path) -> None:
    def broken(X, y, batch_size=32, eta=0.1, w=None, b=None, max_iter=100, tol=1e-8):
        raise ValueError("shapes (3,2) and (1,2) not aligned")

    part = judged("opt.mb.fit", broken, tmp=tmp_path).parts[0]
    assert (part.status, part.score) == ("incorrect", 0)
    assert "raised ValueError" in part.message
    part = judged("opt.mb.fit", (np.ones((2, 1)), 0.1), tmp=tmp_path).parts[0]
    assert part.status == "unusable"
    assert "a function (def lr_gradient_descent(...))" in part.message


# --- exercise 1 ---------------------------------------------------------------------------


def sgd_epoch(theta: np.ndarray, eta: float = 0.1) -> np.ndarray:
    rows = []
    for x_i, y_i in zip(X_LAB, Y_LAB[:, 0], strict=True):
        r = x_i @ theta[:2] + theta[2] - y_i
        theta = theta - eta * 2 * r * np.append(x_i, 1.0)
        rows.append(theta)
    return np.array(rows)


def test_the_epoch_follows_the_formulas_and_scores_full_marks(tmp_path) -> None:
    rows = sgd_epoch(np.array([1.0, 1.0, 0.0]))
    np.testing.assert_allclose(np.array(list(reference_answer("opt.1").values())), rows, rtol=1e-12)
    assert judged("opt.1", rows, tmp=tmp_path).score == 3
    assert judged("opt.1", [tuple(r) for r in rows]).score == 3


def test_a_wrong_row_costs_only_that_row() -> None:
    rows = sgd_epoch(np.array([1.0, 1.0, 0.0]))
    wrong = rows[3] + np.array([0.1, 0.0, 0.0])  # θ4 off; then right steps from it
    result = judged("opt.1", np.vstack([rows[:3], wrong, _continue(wrong, 4)]))
    assert statuses(result) == ["correct"] * 3 + ["incorrect"] + ["carried"] * 8
    assert result.score == 2.75
    assert "Correct given your (w1, w2, b) after update 4, which was wrong" in (
        result.parts[4].message
    )


def _continue(theta: np.ndarray, start: int) -> np.ndarray:
    """SGD steps on observations start+1, ..., 12 from theta."""
    rows = []
    for x_i, y_i in zip(X_LAB[start:], Y_LAB[start:, 0], strict=True):
        r = x_i @ theta[:2] + theta[2] - y_i
        theta = theta - 0.1 * 2 * r * np.append(x_i, 1.0)
        rows.append(theta)
    return np.array(rows)


def test_rows_starting_with_theta0_are_named() -> None:
    rows = sgd_epoch(np.array([1.0, 1.0, 0.0]))
    answer = np.vstack([[1.0, 1.0, 0.0], rows])  # 13 rows, θ0 first
    result = judged("opt.1", answer)
    assert result.notes == ("expected 12 rows (one per part), got 13: later rows ignored",)
    assert {p.mistake for p in result.parts} == {"one-step-behind"}
    assert SLIPS["one-step-behind"].said() in result.parts[0].message


def test_a_consistent_slip_is_named_on_every_row() -> None:
    rows = sgd_epoch(np.array([1.0, 1.0, 0.0]), eta=-0.1)  # θ + η∇L throughout
    result = judged("opt.1", rows)
    assert result.score == 0
    assert {p.mistake for p in result.parts} == {"gradient-sign"}


def test_a_transposed_epoch_is_called_transposed() -> None:
    result = judged("opt.1", sgd_epoch(np.array([1.0, 1.0, 0.0])).T)
    assert result.score == 0
    assert {p.status for p in result.parts} == {"unusable"}
    assert all("transposed" in p.message and ".T" in p.message for p in result.parts)


# --- exercise 2 ---------------------------------------------------------------------------


def bce_gradients(X, y, w, b):
    """∂L/∂z_i = (σ(z_i) − y_i)/n through z = Xw + b."""
    delta = (1 / (1 + np.exp(-(X @ w + b))) - y) / len(y)
    return X.T @ delta, float(delta.sum())


def logistic_answer(gradient: Callable = bce_gradients, theta0: Any = None) -> dict[str, Any]:
    X, y = opt._LOGISTIC_X, opt._LOGISTIC_Y
    theta = np.zeros(3) if theta0 is None else theta0
    answer: dict[str, Any] = {"gradient": gradient}
    for t in range(4):
        grad = np.append(*gradient(X, y, theta[:2].reshape(-1, 1), theta[2]))
        answer[f"grad{t}"] = grad
        if t < 3:
            theta = theta - 0.1 * grad
            answer[f"theta{t + 1}"] = theta
    return answer


def test_a_right_gradient_function_and_iterations_score_full_marks(tmp_path) -> None:
    result = judged("opt.2", logistic_answer(), hidden=True, tmp=tmp_path)
    assert result.score == 3, result.text()
    assert "they agree on 4 of 4 calls" in result.parts[0].message


def test_the_first_gradient_is_the_lectures_by_hand() -> None:
    # At θ0 every ŷ = σ(0) = 1/2, so ŷ − y = (1/2, −1/2, −1/2) and
    # ∇L = (1/3)(Xᵀ(ŷ − y), Σ(ŷ − y)) = (−3.5/3, −4/3, −0.5/3).
    np.testing.assert_allclose(
        reference_answer("opt.2")["grad0"], [-3.5 / 3, -4 / 3, -0.5 / 3], rtol=1e-12
    )


def test_a_wrong_gradient_function_fails_probes_and_finite_differences() -> None:
    def upside_down(X, y, w, b):
        dw, db = bce_gradients(X, y, w, b)
        return -dw, -db

    part = judged("opt.2", logistic_answer(upside_down), hidden=True).parts[0]
    assert (part.status, part.score, part.mistake) == ("incorrect", 0, "gradient-sign")
    assert "they agree on 0 of 4 calls" in part.message


def test_a_gradient_function_returning_one_array_is_told_the_form() -> None:
    answer = logistic_answer()
    answer["gradient"] = lambda X, y, w, b: np.append(*bce_gradients(X, y, w, b))
    part = judged("opt.2", answer).parts[0]
    assert part.status == "incorrect"
    assert "expected a tuple of 2 values" in part.message


def test_wrong_iterations_from_a_wrong_first_gradient_are_carried() -> None:
    def summed(X, y, w, b):  # the sum over observations, not the mean
        dw, db = bce_gradients(X, y, w, b)
        return len(y) * dw, len(y) * db

    answer = logistic_answer(summed)
    answer["gradient"] = bce_gradients
    result = judged("opt.2", answer)
    assert result.parts[1].mistake == "sum-not-mean"
    # later gradients are the sum too: wrong even at the student's own θ, and named so
    assert {p.mistake for p in result.parts[3::2]} == {"sum-not-mean"}
    assert statuses(result)[2::2] == ["carried"] * 3  # each θ follows from their gradient
    assert result.score == 1.25 + 3 * 0.25


def test_the_squared_error_gradient_is_named() -> None:
    answer = logistic_answer()
    X, y = opt._LOGISTIC_X, opt._LOGISTIC_Y
    p = np.full((3, 1), 0.5)  # σ(0)
    delta = 2 * (p - y) / 3 * p * (1 - p)
    answer["grad0"] = np.append(X.T @ delta, delta.sum())
    part = judged("opt.2", answer).parts[1]
    assert part.mistake == "squared-error-for-bce"


# --- learning rates -----------------------------------------------------------------------


def loss_curves(etas: np.ndarray) -> np.ndarray:
    x, y = data.LECTURE_BGD.x.ravel(), data.LECTURE_BGD.y.ravel()
    curves = np.zeros((len(etas), 51))
    for i, eta in enumerate(etas):
        w = b = 0.0
        for t in range(51):
            r = w * x + b - y
            curves[i, t] = np.mean(r**2)
            w, b = w - eta * np.mean(2 * r * x), b - eta * np.mean(2 * r)
    return curves


ETAS = np.array([0.001, 0.01, 0.1, 0.3, 0.5])


def test_the_curves_follow_the_formulas_and_the_large_rates_diverge() -> None:
    answer = reference_answer("opt.lr")
    np.testing.assert_allclose(answer["losses"], loss_curves(ETAS), rtol=1e-10)
    np.testing.assert_array_equal(answer["diverging"], [0.3, 0.5])
    # 2/λ_max of the MSE's Hessian (2/3)[[14, 6], [6, 3]] is the edge of stability
    edge = 2 / np.linalg.eigvalsh(np.array([[14.0, 6.0], [6.0, 3.0]]) * 2 / 3).max()
    assert 0.1 < edge < 0.3


@pytest.mark.parametrize("form", [[0.3, 0.5], {0.5, 0.3}, np.array([0.5, 0.3]), (0.3, 0.5)])
def test_the_diverging_rates_may_come_in_any_collection(form: Any) -> None:
    answer = {"losses": loss_curves(ETAS), "diverging": form}
    assert judged("opt.lr", answer).score == 2.5


def test_diverging_rates_follow_the_students_own_curves() -> None:
    curves = loss_curves(-ETAS)  # θ + η∇L: every run climbs
    result = judged("opt.lr", {"losses": curves, "diverging": list(ETAS)})
    assert result.parts[0].mistake == "gradient-sign"
    assert result.parts[1].status == "carried"


def test_the_converging_rates_are_named_for_what_they_are() -> None:
    result = judged("opt.lr", {"losses": loss_curves(ETAS), "diverging": [0.001, 0.01, 0.1]})
    assert result.parts[1].mistake == "converging-listed"


def test_curves_without_the_final_loss_or_transposed_say_so() -> None:
    part = judged("opt.lr", {"losses": loss_curves(ETAS)[:, :50], "diverging": [0.3, 0.5]})
    assert part.parts[0].status == "unusable"
    assert "250 values instead of 255" in part.parts[0].message
    part = judged("opt.lr", {"losses": loss_curves(ETAS).T, "diverging": [0.3, 0.5]})
    assert "it looks transposed" in part.parts[0].message


def test_an_epoch_as_a_dict_keyed_by_the_part_names_is_accepted() -> None:
    q = bank.get("opt.1")
    keyed = {name: np.asarray(value) for name, value in q.answer.items()}
    assert judged("opt.1", keyed).score == q.points
    keyed["theta1"] = keyed["theta1"] + 0.1
    keyed["extra"] = 0.0
    result = judged("opt.1", keyed)
    assert [p.status for p in result.parts][:2] == ["incorrect", "correct"]
    assert result.notes == ("extra key ignored: 'extra'",)
