"""The `optimisers` assignment: seed figures through the bank, follow-through on the
students' own steps (optimiser state rebuilt from their rows), consistent slips diagnosed
on every row, Keras's Adam as a function answer, and bad input specific to these answers.

Each optimiser is re-implemented here as a plain loop of the slides' formulas, so the
bank (which replays `reference.optimisers`) is checked against an independent reading.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from optigrade import bank
from optigrade.assign.verify import check_bank
from optigrade.bank.optimisers import SHOE, gradient
from reference import data
from reference import keras_optimisers as ko
from tests.bank.support import judged, statuses

ROOT = Path(__file__).resolve().parents[2]
SS, H = data.SHOE_SIZES.ravel(), data.HEIGHTS.ravel()
THETA0 = np.array([1.0, 0.0])


def slides_gradient(theta: np.ndarray) -> np.ndarray:
    """The slides' chain-rule expressions (004), written out term by term."""
    slope, intercept = theta
    d_slope = (
        -1.2 * (1.1 - (0.6 * slope + intercept))
        - 1.6 * (1.2 - (0.8 * slope + intercept))
        - 2.2 * (2.1 - (1.1 * slope + intercept))
    )
    d_intercept = (
        -2 * (1.1 - (0.6 * slope + intercept))
        - 2 * (1.2 - (0.8 * slope + intercept))
        - 2 * (2.1 - (1.1 * slope + intercept))
    )
    return np.array([d_slope, d_intercept])


# --- each optimiser as a loop of the slides' formulas ------------------------------------

#: step(g, state, t) -> (step_t, state): the slides' update, state a dict of arrays.
Update = Callable[[np.ndarray, dict, int], tuple[np.ndarray, dict]]


def _gd(g: np.ndarray, s: dict, t: int) -> tuple[np.ndarray, dict]:
    return 0.1 * g, s


def _momentum(g: np.ndarray, s: dict, t: int, damping: float = 0.1) -> tuple[np.ndarray, dict]:
    v = 0.9 * s.get("v", 0.0) + damping * g
    return 0.1 * v, {"v": v}


def _adagrad(g: np.ndarray, s: dict, t: int) -> tuple[np.ndarray, dict]:
    G = s.get("G", 0.0) + g**2
    return g * 0.1 / np.sqrt(1e-8 + G), {"G": G}


def _rmsprop(g: np.ndarray, s: dict, t: int) -> tuple[np.ndarray, dict]:
    sq = 0.9 * s.get("s", 0.0) + 0.1 * g**2
    return g * 0.001 / np.sqrt(1e-8 + sq), {"s": sq}


def _adam(g: np.ndarray, s: dict, t: int, corrected: bool = True) -> tuple[np.ndarray, dict]:
    m = 0.9 * s.get("m", 0.0) + 0.1 * g
    v = 0.999 * s.get("v", 0.0) + 0.001 * g**2
    m_hat, v_hat = (m / (1 - 0.9**t), v / (1 - 0.999**t)) if corrected else (m, v)
    return 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8), {"m": m, "v": v}


UPDATES: dict[str, Update] = {
    "om.gd": _gd,
    "om.momentum": _momentum,
    "om.adagrad": _adagrad,
    "om.rmsprop": _rmsprop,
    "om.adam": _adam,
}


def rows(
    update: Update,
    slip: Callable[[int, np.ndarray], np.ndarray] = lambda t, theta: theta,
    sign: float = -1.0,
) -> np.ndarray:
    """θ_1..θ_3 of the loop; `slip(t, θ_t)` alters a row after it is computed, and the
    loop carries on from the altered row (as a student would)."""
    theta, state, found = THETA0, {}, []
    for t in (1, 2, 3):
        step, state = update(slides_gradient(theta), state, t)
        theta = slip(t, theta + sign * step)
        found.append(theta)
    return np.array(found)


# --- seed figures -------------------------------------------------------------------------


def test_gradient_at_the_start_is_the_slides_chain_rule() -> None:
    # 004: dSSR/dslope = −1.2(1.1 − (0.6 slope + intercept)) − 1.6(...) − 2.2(...), and
    # dSSR/dintercept = −2(...) − 2(...) − 2(...), at slope = 1, intercept = 0.
    expected = bank.get("om.grad").answer["gradient"]
    np.testing.assert_allclose(expected, slides_gradient(THETA0), rtol=1e-13)
    np.testing.assert_allclose(expected, [-3.44, -3.8], rtol=1e-13)


def test_ewa_weights_of_V100_are_the_seeds() -> None:
    # 004: V100 = 0.1 θ100 + 0.09 θ99 + 0.081 θ98 + 0.729 V97.
    answer = bank.get("om.ewa").answer
    weights = [answer[f"weights/{k}"] for k in ("theta100", "theta99", "theta98", "V97")]
    np.testing.assert_allclose(weights, [0.1, 0.09, 0.081, 0.729], rtol=1e-12)


def test_first_corrected_average_is_the_first_observation() -> None:
    # 004: V1 = 0.1 θ1 and V̂1 = 0.1 θ1 / (1 − β) = θ1.
    q = bank.get("om.ewa")
    theta1 = q.inputs["temperatures"][0]
    assert q.answer["V"][0] == pytest.approx(0.1 * theta1, rel=1e-12)
    assert q.answer["V_hat"][0] == pytest.approx(theta1, rel=1e-12)


@pytest.mark.parametrize("qid", list(UPDATES))
def test_rows_are_the_slides_update_rules(qid: str) -> None:
    q = bank.get(qid)
    expected = np.array([q.answer[f"theta{t}"] for t in (1, 2, 3)])
    np.testing.assert_allclose(expected, rows(UPDATES[qid]), rtol=1e-12)
    assert judged(qid, rows(UPDATES[qid])).score == q.points


# --- follow-through: the state is rebuilt from the student's own rows ---------------------


@pytest.mark.parametrize("qid", list(UPDATES))
def test_right_steps_after_a_wrong_first_row_are_carried(qid: str, tmp_path: Path) -> None:
    answer = rows(UPDATES[qid], slip=lambda t, theta: theta + 0.05 * (t == 1))
    result = judged(qid, answer, tmp=tmp_path)
    assert statuses(result) == ["incorrect", "carried", "carried"], result.text()
    assert result.score == 2 * bank.get(qid).parts[0].points
    assert "Correct given your θ1" in result.parts[1].message


@pytest.mark.parametrize("qid", ["om.momentum", "om.adagrad", "om.rmsprop", "om.adam"])
def test_a_stateless_recomputation_would_not_be_credited(qid: str) -> None:
    """Row 3 restarted from a fresh state at the student's θ2 is wrong: the state must come
    from the gradients at all the student's earlier rows, not only the last one."""
    update, answer = UPDATES[qid], rows(UPDATES[qid], slip=lambda t, th: th + 0.05 * (t == 1))
    fresh_step, _ = update(slides_gradient(answer[1]), {}, 3)
    answer[2] = answer[1] - fresh_step
    assert judged(qid, answer).parts[2].status == "incorrect"


def test_a_wrong_middle_row_keeps_the_last_rows_credit() -> None:
    answer = rows(_adam, slip=lambda t, theta: theta * (1.1 if t == 2 else 1.0))
    result = judged("om.adam", answer)
    assert statuses(result) == ["correct", "incorrect", "carried"]
    assert result.score == 2


# --- a slip repeated on every row is named on every row -----------------------------------


def _damped_off(g: np.ndarray, s: dict, t: int) -> tuple[np.ndarray, dict]:
    return _momentum(g, s, t, damping=1.0)


def _uncorrected(g: np.ndarray, s: dict, t: int) -> tuple[np.ndarray, dict]:
    return _adam(g, s, t, corrected=False)


def _no_power_t(g: np.ndarray, s: dict, t: int) -> tuple[np.ndarray, dict]:
    _, state = _adam(g, s, t)  # the same m and v, corrected as the Adam slide writes it
    m, v = state["m"], state["v"]
    return 0.1 * (m / (1 - 0.9)) / (np.sqrt(v / (1 - 0.999)) + 1e-8), state


def _plain_sum_rmsprop(g: np.ndarray, s: dict, t: int) -> tuple[np.ndarray, dict]:
    G = s.get("G", 0.0) + g**2
    return g * 0.001 / np.sqrt(1e-8 + G), {"G": G}


def _adagrad_no_sqrt(g: np.ndarray, s: dict, t: int) -> tuple[np.ndarray, dict]:
    G = s.get("G", 0.0) + g**2
    return g * 0.1 / (1e-8 + G), {"G": G}


@pytest.mark.parametrize(
    ("qid", "answer", "mistakes"),
    [
        ("om.momentum", rows(_damped_off), ["no-1-minus-beta"] * 3),
        ("om.adam", rows(_uncorrected), ["no-bias-correction"] * 3),
        # at t = 1 the slide's 1 − β1 is 1 − β1^1: right, then wrong
        ("om.adam", rows(_no_power_t), [None, "no-power-t", "no-power-t"]),
        ("om.rmsprop", rows(_plain_sum_rmsprop), ["plain-sum"] * 3),
        ("om.adagrad", rows(_adagrad_no_sqrt), ["no-sqrt"] * 3),
        ("om.gd", rows(_gd, sign=1.0), ["gradient-sign"] * 3),
        ("om.adam", rows(_adam, sign=1.0), ["gradient-sign"] * 3),
        ("om.gd", rows(_gd)[:, ::-1], ["order-swapped"] * 3),
    ],
    ids=["momentum", "adam-bias", "adam-power", "rmsprop", "adagrad", "gd-up", "adam-up", "cols"],
)
def test_a_repeated_slip_is_named_on_each_row(qid: str, answer: Any, mistakes: list) -> None:
    result = judged(qid, answer)
    assert [p.mistake for p in result.parts] == mistakes, result.text()
    for part, mistake in zip(result.parts, mistakes, strict=True):
        if mistake is None:
            assert part.status == "correct"
    if mistakes[-1] == "gradient-sign":  # a trajectory's slip: judged on their own rows
        assert result.parts[2].message.startswith("Given your θ")
    elif mistakes[-1] != "order-swapped":  # the optimiser's own, sealed at every step too
        assert result.parts[2].message == result.parts[1].message


def test_theta0_included_as_first_row() -> None:
    answer = np.vstack([THETA0, rows(_momentum)])  # θ0..θ3: one row too many
    result = judged("om.momentum", answer)
    assert result.notes == ("expected 3 rows (one per part), got 4: later rows ignored",)
    assert [p.mistake for p in result.parts] == ["one-step-behind"] * 3


def test_rows_as_columns_or_lists_are_accepted() -> None:
    right = rows(_rmsprop)
    assert judged("om.rmsprop", [r.reshape(2, 1) for r in right]).score == 2.25
    assert judged("om.rmsprop", right.tolist()).score == 2.25


# --- om.ewa ----------------------------------------------------------------------------------


def test_pandas_ewm_forms_are_named() -> None:
    q = bank.get("om.ewa")
    series = pd.Series(q.inputs["temperatures"])
    adjusted = series.ewm(alpha=0.1, adjust=True).mean().to_numpy()  # the corrected average
    started = series.ewm(alpha=0.1, adjust=False).mean().to_numpy()  # V starts at θ1
    np.testing.assert_allclose(adjusted, q.answer["V_hat"], rtol=1e-12)
    weights = {k.split("/")[1]: v for k, v in q.answer.items() if k.startswith("weights/")}
    result = judged("om.ewa", {"V": adjusted, "V_hat": adjusted, "weights": weights})
    assert result.parts[0].mistake == "bias-corrected"
    result = judged("om.ewa", {"V": started, "V_hat": adjusted, "weights": weights})
    assert result.parts[0].mistake == "started-at-theta1"


def test_corrected_average_follows_the_students_own_V() -> None:
    q = bank.get("om.ewa")
    V = q.answer["V"] * 1.02  # wrong
    V_hat = V / (1 - 0.9 ** np.arange(1, 11))  # the right correction of their V
    weights = {"theta100": 0.1, "theta99": 0.09, "theta98": 0.081, "V97": 0.729}
    result = judged("om.ewa", {"V": V, "V_hat": V_hat, "weights": weights})
    assert statuses(result)[:2] == ["incorrect", "carried"]
    assert result.score == 2


def test_ewa_weight_slips() -> None:
    weights = {"theta100": 1.0, "theta99": 0.9, "theta98": 0.81, "V97": 0.0729}
    result = judged("om.ewa", {"V": None, "V_hat": None, "weights": weights})
    assert [p.mistake for p in result.parts[2:]] == ["no-1-minus-beta"] * 3 + ["V97-as-theta"]
    assert [p.status for p in result.parts[:2]] == ["unanswered", "unanswered"]


def test_ewa_of_the_wrong_length_says_so() -> None:
    q = bank.get("om.ewa")
    result = judged("om.ewa", {"V": q.answer["V"][:9], "V_hat": q.answer["V_hat"]})
    assert result.parts[0].status == "unusable"
    assert "shape" in result.parts[0].message
    assert result.parts[1].status == "correct"
    assert {p.status for p in result.parts[2:]} == {"unanswered"}


# --- om.keras ----------------------------------------------------------------------------------


def keras_step(theta, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras's Adam, written from its documentation (as a student would)."""
    m = m + (g - m) * (1 - beta_1)
    v = v + (g**2 - v) * (1 - beta_2)
    alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return theta - alpha * m / (np.sqrt(v) + epsilon), m, v


def slides_step(theta, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """The slides' Adam: ε added to √v̂."""
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return theta - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v


def in_place_step(theta, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras's update written in place on the caller's arrays, which the question forbids."""
    m *= beta_1
    m += (1 - beta_1) * g
    v *= beta_2
    v += (1 - beta_2) * g**2
    alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    theta -= alpha * m / (np.sqrt(v) + epsilon)
    return theta, m, v


def powerless_step(theta, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras's update with the step size's powers t left out (right at t = 1 only)."""
    return keras_step(theta, g, m, v, 1, learning_rate, beta_1, beta_2, epsilon)


def _keras_answer(step: Callable[..., Any], difference: str = "A") -> dict[str, Any]:
    return {"step": step, "difference": difference}


def test_the_probes_are_keras_adams_own_run() -> None:
    """The public probe on om's data continues a run of reference.keras_optimisers."""
    part = bank.get("om.keras").part("step")
    probe = next(p for p in part.probes if p.name == "om-run")
    run = ko.keras_adam(THETA0, lambda theta: gradient(SHOE, theta), 3, learning_rate=0.1)
    theta, m, v = probe.expected(probe.kwargs)
    np.testing.assert_allclose(theta, run.theta[3], rtol=1e-14)
    np.testing.assert_allclose(m, run.state["momentum"][2], rtol=1e-14)
    np.testing.assert_allclose(v, run.state["velocity"][2], rtol=1e-14)


def test_keras_form_earns_full_marks_with_hidden_probes(tmp_path: Path) -> None:
    result = judged("om.keras", _keras_answer(keras_step), hidden=True, tmp=tmp_path)
    assert result.score == 4, result.text()


def test_the_slides_form_is_named_from_the_public_large_epsilon() -> None:
    for hidden in (False, True):
        step = judged("om.keras", _keras_answer(slides_step), hidden=hidden).parts[0]
        assert (step.status, step.mistake) == ("partial", "keras-same-as-slides")
        assert step.score == pytest.approx(1.0)  # m and v are right: a third of 3 points


def test_in_place_updates_are_named_on_both_sides() -> None:
    step = judged("om.keras", _keras_answer(in_place_step), hidden=True).parts[0]
    assert (step.status, step.mistake, step.score) == ("partial", "modified-in-place", 1.5)
    assert step.message.startswith("Modified theta, m and v in place")


def test_a_step_size_without_the_powers_is_named_after_update_1() -> None:
    step = judged("om.keras", _keras_answer(powerless_step), hidden=True).parts[0]
    assert (step.status, step.mistake) == ("partial", "keras-no-power-t")
    assert "powers β1^t and β2^t" in step.message


def test_returning_theta_only_is_named() -> None:
    step = judged("om.keras", _keras_answer(lambda *a, **k: keras_step(*a, **k)[0])).parts[0]
    assert step.status == "incorrect"
    assert "returned an array, expected a tuple of 3 values (theta, m, v)" in step.message


def test_keras_difference_choice() -> None:
    assert judged("om.keras", _keras_answer(keras_step, "a")).parts[1].status == "correct"
    wrong = judged("om.keras", _keras_answer(keras_step, "C")).parts[1]
    assert (
        wrong.mistake == "keras-epsilon-inside-root" and "outside the square root" in wrong.message
    )
    odd = judged("om.keras", _keras_answer(keras_step, "F")).parts[1]
    assert odd.status == "unusable" and "not one of the options" in odd.message


def test_a_missing_function_is_named() -> None:
    result = judged("om.keras", {"step": None, "difference": "A"})
    assert result.parts[0].status == "unanswered"
    assert "did you define the function?" in result.parts[0].message


# --- bad input -------------------------------------------------------------------------------


def test_a_diverged_row_is_invalid_and_only_it_scores_zero() -> None:
    right = rows(_gd)
    right[1] = [np.nan, np.inf]
    result = judged("om.gd", right)
    assert statuses(result) == ["correct", "unusable", "correct"]
    assert "NaN" in result.parts[1].message


def test_a_flat_list_of_numbers_is_not_rows() -> None:
    result = judged("om.gd", [1.344, 0.38])  # one θ, not three rows
    assert result.notes and "expected 3 rows" in result.notes[0]
    assert {p.status for p in result.parts} <= {"unusable", "unanswered"}


def test_source_notebook_matches_the_bank() -> None:
    assert check_bank(ROOT, "optimisers") == []
