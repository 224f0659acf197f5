"""Function answers: called on probes in the student's process, judged per probe."""

from __future__ import annotations

import sys
import warnings
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from grader.kinds import Function, Probe
from grader.question import Mistake, Question, Tolerance

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


# --- catalogued mistakes, credit per behaviour, arguments, tuple items ----------------------


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_question(mistakes: tuple[Mistake, ...] = (), hidden_matrix: bool = True) -> Question:
    def expected(kw: Any) -> np.ndarray:
        return softmax(kw["z"])

    probes = (
        Probe(
            "vector", {"z": np.array([1.0, 2.0, 0.5])}, expected, "a vector", behaviour="vectors"
        ),
        Probe("big", {"z": np.array([1000.0, 1001.0])}, expected, "large scores"),
        Probe(
            "rows", {"z": np.array([[1.0, 2.0], [3.0, 0.0]])}, expected, "rows", behaviour="rows"
        ),
        Probe(
            "one",
            {"z": np.array([4.0])},
            expected,
            "one score",
            hidden=hidden_matrix,
            behaviour="vectors",
        ),
    )
    part = Function("f", 3, lambda i, p: softmax, mistakes=mistakes, probes=probes, pure=True)
    return Question(id="syn.sm", assignment="synthetic", title="t", variable="f", parts=(part,))


WHOLE = Mistake(
    "whole", "Normalise each row.", lambda i, p: lambda z: softmax(z.ravel()).reshape(z.shape), 0.25
)
UNSHIFTED = Mistake(
    "unshifted", "Shift first.", lambda i, p: lambda z: np.exp(z) / np.exp(z).sum(-1, keepdims=True)
)


def test_a_catalogued_mistake_is_named_and_earns_its_credit_not_its_share_of_probes(judge):
    """The whole-matrix softmax agrees with the right one on 3 of 4 probes (every vector):
    named, it earns the catalogued quarter, not 3/4."""

    def whole_matrix(z: np.ndarray) -> np.ndarray:
        e = np.exp(z - z.max())
        return e / e.sum()

    q = _softmax_question((UNSHIFTED, WHOLE))
    verdict = judge(q, whole_matrix, hidden=True).parts[0]
    assert (verdict.status, verdict.mistake, verdict.score) == ("partial", "whole", 0.75)
    assert verdict.message == (
        "3 of 4 checks passed. Normalise each row. This mistake earns 25% of the part for "
        "what it gets right."
    )
    overflowing = judge(q, lambda z: np.exp(z) / np.exp(z).sum(-1, keepdims=True)).parts[0]
    assert (overflowing.status, overflowing.mistake, overflowing.score) == (
        "incorrect",
        "unshifted",
        0,
    )


def test_an_unnamed_wrong_function_earns_credit_per_behaviour(judge):
    """Wrong on the one-score probe only: the behaviour "vectors" (two probes) is lost
    whole, the other two are kept: 2 of 3 behaviours, though 3 of 4 probes pass."""

    def odd(z: np.ndarray) -> np.ndarray:
        return softmax(z) if z.size > 1 else np.zeros_like(z)

    verdict = judge(_softmax_question(), odd, hidden=True).parts[0]
    assert (verdict.status, verdict.mistake, verdict.score) == ("partial", None, 2)
    assert verdict.message.startswith("3 of 4 checks passed. hidden test (one score):")
    assert verdict.message.endswith(
        "Credit is per behaviour checked: 2 of 3 pass all their checks (failing: vectors)."
    )


def test_modifying_the_arguments_is_named_and_never_correct(judge):
    def in_place(z: np.ndarray) -> np.ndarray:
        z -= z.max(axis=-1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=-1, keepdims=True)
        return z

    verdict = judge(_softmax_question(), in_place, hidden=True).parts[0]
    assert (verdict.status, verdict.mistake, verdict.score) == ("partial", "modified-in-place", 1.5)
    assert verdict.message.startswith("Modified z in place: the question asks for new arrays")
    assert judge(TANH, lambda z: np.tanh(z, out=z), hidden=True).parts[0].status == "correct"


def test_a_tuple_result_names_its_items(judge):
    def expected(kw: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return kw["theta"] - 0.1 * kw["g"], 0.9 * kw["m"] + 0.1 * kw["g"], kw["m"] * 0

    kwargs = {"theta": np.array([1.0, 2.0]), "g": np.array([0.5, -1.0]), "m": np.ones(2)}
    probe = Probe("p", kwargs, expected, "one step")
    part = Function("step", 1, lambda i, p: None, probes=(probe,), returns=("theta", "m", "v"))
    q = Question(id="syn.tuple", assignment="synthetic", title="t", variable="s", parts=(part,))

    def wrong_m(theta: Any, g: Any, m: Any) -> tuple[Any, Any, Any]:
        right = expected({"theta": theta, "g": g, "m": m})
        return right[0], right[1] * np.array([1.0, 3.0]), right[2]

    verdict = judge(q, wrong_m).parts[0]
    assert "one step: m: returned a wrong value. 1 of 2 values is wrong: [1] off by" in (
        verdict.message
    )
    short = judge(q, lambda theta, g, m: theta).parts[0]
    assert "expected a tuple of 3 values (theta, m, v)" in short.message


def test_the_release_check_finds_mistakes_the_public_probes_cannot_name():
    from grader.engine import reference
    from grader.kinds import FunctionKind
    from grader.kinds.base import Sealing
    from grader.kinds.function import unseparated
    from grader.kinds.seals import Indistinct

    q = _softmax_question((UNSHIFTED, WHOLE), hidden_matrix=False)
    part = q.parts[0]
    assert unseparated(part, reference(q).mistakes(part, FunctionKind())) == []
    # without the public large scores, the overflow is not seen; a twin is not told apart
    public = tuple(p for p in part.probes if p.name != "big")
    twin = Mistake("twin", "Same.", WHOLE.compute)
    weak = replace(part, probes=public, mistakes=(UNSHIFTED, WHOLE, twin))
    q = replace(q, id="syn.sm.weak", parts=(weak,))
    gaps = unseparated(weak, reference(q).mistakes(weak, FunctionKind()))
    assert gaps == [
        "f: the mistake unshifted passes every public probe: add one it fails",
        "f: the public probes do not tell the mistakes whole and twin apart",
    ]
    with pytest.raises(Indistinct, match=r"syn\.sm\.weak: f: the mistake unshifted"):
        FunctionKind().seal(
            weak, None, reference(q).mistakes(weak, FunctionKind()), Sealing(q, b"s")
        )


def test_a_mistake_sealed_in_the_answer_s_or_another_mistake_s_cells_is_refused():
    """Values more than a tolerance apart may still share a cell of the answer's grids:
    the sealed key is refused where the local check would then not name as the grader."""
    from grader.kinds.function import _distinct_seals
    from grader.kinds.seals import Indistinct

    def entry(*digests: str) -> dict[str, Any]:
        return {name: {"seal": {"digest": d}} for name, d in zip(("a", "b"), digests, strict=True)}

    answer = entry("1" * 32, "2" * 32)
    apart = {"key": "apart", "probes": entry("1" * 32, "3" * 32)}  # differs on probe b
    _distinct_seals("q/f", answer, [apart])
    with pytest.raises(
        Indistinct, match="the mistake same falls in the sealed cells of the answer"
    ):
        _distinct_seals("q/f", answer, [{"key": "same", "probes": entry("1" * 32, "2" * 32)}])
    twin = {"key": "twin", "probes": entry("1" * 32, "3" * 32)}
    with pytest.raises(Indistinct, match="twin falls in the sealed cells of the mistake apart"):
        _distinct_seals("q/f", answer, [apart, twin])
