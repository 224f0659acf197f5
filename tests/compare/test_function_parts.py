"""Function answers: called on probes in the student's process, judged per probe."""

from __future__ import annotations

import sys
import warnings
from typing import Any

import numpy as np
import pytest

from grader.kinds import Function, Probe
from grader.question import Question, Tolerance

SHARED = np.array([0.5, -1.0, 2.0])  # one array behind two probes: copies keep it intact


def _tanh_probes() -> tuple[Probe, ...]:
    def expected(kw: Any) -> np.ndarray:
        return np.tanh(kw["z"])

    return (
        Probe("small", {"z": SHARED}, expected, "tanh of a small vector"),
        Probe("again", {"z": SHARED}, expected, "the same vector again"),
        Probe(
            "big",
            {"z": np.array([800.0, -900.0])},
            expected,
            "large inputs do not overflow",
            hidden=True,
        ),
        Probe("empty", {"z": np.zeros(0)}, expected, "an empty vector", hidden=True),
    )


TANH = Question(
    id="syn.fn",
    assignment="synthetic",
    title="Write tanh",
    variable="my_tanh",
    parts=(Function("f", 2, lambda i, p: tanh, probes=_tanh_probes(), call_timeout=0.3),),
)


def tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(z)


def overflowing(z: np.ndarray) -> np.ndarray:
    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))


def test_a_right_function_passes_every_probe(judge) -> None:
    verdict = judge(TANH, tanh, hidden=True).parts[0]
    assert (verdict.status, verdict.score) == ("correct", 2)
    assert verdict.message == "Correct: all 4 checks passed."


def test_public_checks_run_only_public_probes(judge) -> None:
    verdict = judge(TANH, overflowing).parts[0]
    assert (verdict.status, verdict.score) == ("correct", 2)
    assert verdict.message == "Correct: all 2 checks passed."


def test_hidden_probes_fail_without_showing_inputs_or_values(judge) -> None:
    verdict = judge(TANH, overflowing, hidden=True).parts[0]
    assert (verdict.status, verdict.score) == ("partial", 1.5)
    assert verdict.message == (
        "3 of 4 checks passed. hidden test (large inputs do not overflow): "
        "element [0] is NaN: check for a division by zero or an overflow."
    )
    wrong = judge(TANH, lambda z: np.tanh(z) + (z.size == 2), hidden=True).parts[0]
    assert "hidden test (large inputs do not overflow): returned a wrong value." in wrong.message
    assert "800" not in wrong.message and "off by" not in wrong.message


def test_public_failures_say_which_elements(judge) -> None:
    verdict = judge(TANH, lambda z: 2 * np.tanh(z)).parts[0]
    assert verdict.status == "incorrect"
    assert verdict.message.startswith(
        "0 of 2 checks passed. tanh of a small vector: returned a wrong value. "
        "3 of 3 values are wrong: [0] off by 100% to 200%"
    )


def test_inputs_are_copied_before_each_call(judge) -> None:
    def clobbering(z: np.ndarray) -> np.ndarray:
        out = np.tanh(z)
        z[:] = 0.0
        return out

    assert judge(TANH, clobbering, hidden=True).parts[0].status == "correct"
    assert SHARED.tolist() == [0.5, -1.0, 2.0]


def raises(z: np.ndarray) -> np.ndarray:
    return z / 0 if z.size else 1 / 0


def loops(z: np.ndarray) -> np.ndarray:
    while True:
        pass


def exits(z: np.ndarray) -> np.ndarray:
    sys.exit(3)


def interrupts(z: np.ndarray) -> np.ndarray:
    raise KeyboardInterrupt(f"stopped at {z}")  # a BaseException quoting its input


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (raises, "hidden test (an empty vector): raised ZeroDivisionError."),
        (lambda z: np.tanh(z) if z.size < 3 else 1 / 0, "vector: raised ZeroDivisionError: div"),
        (loops, "tanh of a small vector: did not return within 0.3 s."),
        (exits, "tanh of a small vector: raised SystemExit: 3."),
        (interrupts, "hidden test (an empty vector): raised KeyboardInterrupt."),
        (
            lambda z: "tanh",
            "tanh of a small vector: got a str ('tanh'): give a number or an array of numbers.",
        ),
        (lambda z: None, "the same vector again: no answer (None): did you assign the variable?."),
    ],
)
def test_errors_and_timeouts_are_named(judge, fn, message) -> None:
    verdict = judge(TANH, fn, hidden=True).parts[0]
    assert verdict.status in ("incorrect", "partial")
    assert message in verdict.message


def test_a_function_that_loops_does_not_stop_the_others(judge) -> None:
    calls = []

    def slow_first(z: np.ndarray) -> np.ndarray:
        calls.append(z.size)
        while len(calls) == 1:
            pass
        return np.tanh(z)

    verdict = judge(TANH, slow_first, hidden=True).parts[0]
    assert verdict.score == 1.5
    assert len(calls) == 4


@pytest.mark.parametrize(
    ("answer", "status", "message"),
    [
        (2.0, "unusable", "got a number: give a function (def my_tanh(...))"),
        (None, "unanswered", "no answer (None): did you define the function?"),
        ("np.tanh", "unusable", "got a str ('np.tanh'): give a function (def my_tanh(...))"),
    ],
)
def test_not_a_function(judge, answer, status, message) -> None:
    verdict = judge(TANH, answer).parts[0]
    assert (verdict.status, verdict.message) == (status, message)


def test_warnings_and_numpy_errors_stay_quiet(judge, capfd) -> None:
    def noisy(z: np.ndarray) -> np.ndarray:
        warnings.warn("careful", stacklevel=1)
        np.log(np.zeros(1))
        return np.tanh(z)

    assert judge(TANH, noisy).parts[0].status == "correct"
    assert capfd.readouterr().err == ""


def test_only_hidden_probes_means_nothing_checked_here(judge) -> None:
    probe = Probe("h", {"z": np.ones(1)}, lambda kw: np.tanh(kw["z"]), "a hidden one", hidden=True)
    q = Question(
        id="syn.hidden",
        assignment="synthetic",
        title="t",
        variable="f",
        parts=(Function("f", 1, lambda i, p: tanh, probes=(probe,)),),
    )
    verdict = judge(q, tanh).parts[0]
    assert (verdict.status, verdict.score) == ("unconfirmed", 0)
    assert judge(q, tanh, hidden=True).parts[0].status == "correct"


# --- gradients, checked against finite differences too ---------------------------------


def mse(w: float, b: float, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((w * x + b - y) ** 2))


def mse_gradient(w: float, b: float, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    r = w * x + b - y
    return float(np.mean(2 * r * x)), float(np.mean(2 * r))


def _gradient_question() -> Question:
    x, y = np.array([1.0, 2.0, 3.0]), np.array([0.99, 3.0, 5.01])
    probes = tuple(
        Probe(
            f"at{w}",
            {"w": w, "b": b, "x": x, "y": y},
            lambda kw: mse_gradient(**kw),
            f"the gradient at w={w}, b={b}",
            tol=Tolerance(rtol=1e-8, atol=1e-10),
        )
        for w, b in ((0.0, 0.0), (1.47, 0.6))
    )
    part = Function("grad", 1, lambda i, p: mse_gradient, probes=probes, gradient_of=mse)
    return Question(
        id="syn.grad", assignment="synthetic", title="t", variable="grad", parts=(part,)
    )


def test_gradients_agree_with_finite_differences(judge) -> None:
    verdict = judge(_gradient_question(), mse_gradient).parts[0]
    assert verdict.status == "correct"
    assert verdict.message.endswith(
        "Your gradients were also compared with central finite differences of the loss: "
        "they agree on 2 of 2 calls."
    )


def test_a_wrong_gradient_disagrees_with_finite_differences(judge) -> None:
    def no_two(w, b, x, y):
        dw, db = mse_gradient(w, b, x, y)
        return [dw / 2, db / 2]

    verdict = judge(_gradient_question(), no_two).parts[0]
    assert verdict.status == "incorrect"
    assert "(central finite differences of the loss disagree with it too)" in verdict.message
    assert verdict.message.endswith("they agree on 0 of 2 calls.")
