"""The student's local check from the sealed key never says "correct" where the trusted
grader does not, and says it wherever an answer is within 0.3 of its tolerance; it names
the same catalogued mistake; a step the grader would judge from the student's own wrong
earlier answers is "unconfirmed" locally, with what the grader will do; Keras models are
checked on other rows (tests/student/test_sealed_models.py).

Every case the demo classes and the solution notebooks plant is here (the reference
answer, each catalogued mistake planted in one part of an otherwise right answer), and a
sweep of every numeric part of the bank at fractions and multiples of its tolerance, as
float32 and rounded to 4-8 significant digits. Sealed keys are made here at a cheap scrypt
cost, so the sweep's thousands of checks take seconds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader import kinds
from grader.compare import sealed as sealing
from grader.compare.layout import assemble
from grader.engine import encode, grade, reference
from grader.kinds import Function, Model, NumberSet, Numeric
from grader.student import api, known, sealedkey
from optigrade import bank
from optigrade.assign.seal import sealed_key

ROOT = Path(__file__).resolve().parents[2]
CHEAP = sealing.Cost(n=2, r=1)
SALT = b"s" * 32


@pytest.fixture(scope="module")
def cheap_keys() -> dict[str, sealedkey.SealedKey]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sealing, "COST", CHEAP)
        return {a: sealedkey.SealedKey.from_json(sealed_key(a, SALT)) for a in bank.assignments()}


@pytest.fixture
def keys(cheap_keys, monkeypatch) -> dict[str, sealedkey.SealedKey]:
    """Each assignment's sealed key, made at a cheap scrypt cost (checked at that cost)."""
    monkeypatch.setattr(sealing, "COST", CHEAP)
    return cheap_keys


def cases(question):
    """(name, answer values, the part it is about or None for all)."""
    yield "right", question.answer, None
    for part in question.parts:
        if isinstance(part, Model):
            continue
        for mistake, value in reference(question).mistakes(part, kinds.of(part)):
            yield f"{part.name}#{mistake.key}", {**question.answer, part.name: value}, part.name
        if isinstance(part, Numeric):
            off = np.asarray(question.answer[part.name], dtype=np.float64) * 1.01 + 0.01
            yield f"{part.name}:off", {**question.answer, part.name: off}, part.name


GRADED = [q for q in bank.all_questions() if not q.practice]


@pytest.mark.parametrize("question", GRADED, ids=lambda q: q.id)
def test_the_local_verdict_of_every_planted_case_is_the_graders(question, keys):
    compared = 0
    for name, values, target in cases(question):
        answer = assemble(question, values)
        trusted = grade(question, encode(question, answer))
        local = sealedkey.check(keys[question.assignment], question.id, answer)
        for ours, theirs in zip(trusted.parts, local.parts, strict=True):
            part = question.part(ours.name)
            if (target is not None and ours.name != target) or isinstance(part, Model):
                continue
            compared += 1
            if ours.status == "carried":  # follow-through is the instructor's grader's
                assert theirs.status == "unconfirmed", (name, part.name)
                assert theirs.message == sealedkey.FOLLOW_THROUGH
                continue
            if ours.status == "correct" and _hidden_probes(part):  # never "Correct" locally
                assert theirs.status == "unconfirmed", (name, part.name)
                assert theirs.message.endswith("; the grader also runs hidden ones.")
                continue
            if (ours.status, theirs.status) == ("incorrect", "unconfirmed"):  # too many cells
                assert "with this many values it cannot tell" in theirs.message, (name, part.name)
                assert np.size(question.answer[part.name]) > 3, (name, part.name)
                continue
            assert (theirs.status, theirs.mistake) == (ours.status, ours.mistake), (name, part.name)
    assert compared or any(isinstance(p, Model) for p in question.parts)


def _hidden_probes(part: Any) -> bool:
    return isinstance(part, Function) and any(p.hidden for p in part.probes)


def _tau(part: Any, e: np.ndarray) -> np.ndarray:
    return part.tol.atol + part.tol.rtol * np.abs(e)


def _perturbed(part: Any, e: np.ndarray) -> Iterator[tuple[str, Any, bool]]:
    """(how, value, must the local check say correct where the grader does)."""
    tau = _tau(part, e)
    for f in (0.3, 1.01, 1.5, 2, 3, 5, 8):
        for sign in (1, -1):
            one = e.copy()
            one.flat[0] = e.flat[0] + sign * f * tau.flat[0]
            yield f"{sign * f:+g} tol, one element", one, f <= 0.3
            yield f"{sign * f:+g} tol, every element", e + sign * f * tau, f <= 0.3
    if np.all(np.abs(e) < 1e30):
        yield "float32", e.astype(np.float32), True
    for digits in range(4, 9):
        yield (
            f"{digits} digits",
            np.array([float(f"{x:.{digits}g}") for x in e.flat]).reshape(e.shape),
            False,
        )


SWEPT = [
    (q, p.name)
    for q in GRADED
    for p in q.parts
    if isinstance(p, Numeric | NumberSet) and not getattr(p, "integer", False)
]


@pytest.mark.parametrize(("question", "name"), SWEPT, ids=[f"{q.id}/{n}" for q, n in SWEPT])
def test_the_local_check_never_says_correct_where_the_grader_does_not(question, name, keys):
    part = question.part(name)
    e = np.asarray(question.answer[name], dtype=np.float64)
    if isinstance(part, NumberSet):
        e = np.sort(e.ravel())
    said = 0
    with np.errstate(all="ignore"):
        for how, value, sure in _perturbed(part, e):
            if not np.isfinite(value).all():
                continue
            answer = assemble(question, {**question.answer, name: value})
            theirs = grade(question, encode(question, answer)).part(name)
            ours = sealedkey.check(keys[question.assignment], question.id, answer).part(name)
            if ours.status == "correct":
                assert theirs.status == "correct", (how, theirs.message)
            if ours.status == "incorrect":  # proven: no value within tolerance is sealed
                assert theirs.status != "correct", (how, ours.message)
            if sure and theirs.status == "correct":
                assert ours.status == "correct", (how, ours.message)
            said += 1
    assert said >= 20


def test_a_float32_answer_is_compared_at_the_part_s_tolerance_on_both_sides(keys):
    """One rule: no widening for float32. A float32 computation's error (4e-6 relative)
    is beyond the default tolerance (1e-6) for the grader and the local check alike,
    and both say why; the exact float32 cast is within it for both."""
    question = bank.get("fp.1.1")
    e = np.asarray(question.answer["z"], dtype=np.float64)
    computed = assemble(question, {"z": (e * (1 + 4e-6)).astype(np.float32)})
    trusted = grade(question, encode(question, computed)).parts[0]
    local = sealedkey.check(keys["forward-pass"], question.id, computed).parts[0]
    assert trusted.status == "incorrect" and local.status != "correct"
    for said in (trusted.message, local.message):
        assert "Your values are float32, which hold about 7 significant digits" in said
    cast = assemble(question, {"z": e.astype(np.float32)})
    assert grade(question, encode(question, cast)).parts[0].status == "correct"
    assert sealedkey.check(keys["forward-pass"], question.id, cast).parts[0].status == "correct"


def test_a_rounded_value_close_to_the_answer_is_unconfirmed_and_says_to_give_full_precision(keys):
    question = bank.get("cls.loss")
    name = next(p.name for p in question.parts if np.ndim(question.answer[p.name]) == 0)
    part = question.part(name)
    e = np.asarray(question.answer[name], dtype=np.float64)
    close = e + 0.8 * _tau(part, e)
    local = sealedkey.check(
        keys["classification"], question.id, assemble(question, {**question.answer, name: close})
    ).part(name)
    assert local.status in ("correct", "unconfirmed")
    if local.status == "unconfirmed":
        assert "did you round? Give full precision" in local.message
    far = np.round(e * 1.2, 3)
    wrong = sealedkey.check(
        keys["classification"], question.id, assemble(question, {**question.answer, name: far})
    ).part(name)
    assert wrong.status == "incorrect"
    assert "look rounded to" in wrong.message


def test_a_step_after_a_wrong_one_is_unconfirmed_locally_and_scores_what_is_confirmed(keys):
    """Follow-through told locally: a later step right from the student's own wrong
    earlier value is what the grader carries; locally it is unconfirmed, and the test
    cell's local score says the grader may add its points, never a flat 0."""
    question = bank.get("om.gd")
    first = question.part(next(p for p in question.parts if p.follows).follows[0])
    values: dict[str, Any] = {}
    for part in question.parts:  # every later step computed from the wrong one
        values[part.name] = part.compute(question.inputs, values)
        if part is first:
            values[part.name] = np.asarray(values[part.name]) + 0.5
    answer = assemble(question, values)
    trusted = grade(question, encode(question, answer))
    local = sealedkey.check(keys["optimisers"], question.id, answer)
    assert {p.status for p in trusted.parts if p.name != first.name} == {"carried"}
    pending = [p for p in local.parts if p.status == "unconfirmed"]
    assert pending and all(p.message == sealedkey.FOLLOW_THROUGH for p in pending)
    assert len({line.message for line in local.shown() if line.status == "unconfirmed"}) == 1
    score = api.LocalScore.of(local)
    assert float(score) == local.score < question.points
    assert "more that the instructor's grader decides" in repr(score)


def test_grader_check_in_the_release_folder_uses_the_sealed_key(monkeypatch, capsys):
    monkeypatch.chdir(ROOT / "release" / "forward-pass")
    monkeypatch.setenv(known.SEALED, "1")
    question = bank.get("fp.1.1")
    right = assemble(question, question.answer)
    assert api.check("fp.1.1", right).score == question.points
    wrong = assemble(question, {"z": np.asarray(question.answer["z"]) * 3.0})
    result = api.check("fp.1.1", wrong)
    assert result.score == 0.0
    text = result.text()
    assert "off by" not in text and "%" not in text  # no magnitude: it needs the value
    assert api.score("fp.1.1", right) == question.points
    typo = api.check("fp.1.11", right).text()  # a mistyped id: the nearest ones
    assert "There is no question 'fp.1.11'. Did you mean 'fp.1.1'" in typo
    monkeypatch.chdir(ROOT)
    assert "no sealed key for fp.1.1 here" in api.check("fp.1.1", right).text()


def test_the_sealed_key_holds_no_answer_in_the_clear():
    for assignment in bank.assignments():
        text = (ROOT / "release" / assignment / f"{assignment}.sealed.json").read_text()
        for q in bank.questions(assignment):
            if q.practice:
                continue
            for part in q.parts:
                value = q.answer[part.name]
                if isinstance(part, Numeric):
                    for x in np.ravel(np.asarray(value, dtype=np.float64)):
                        # near an integer, 4 decimals say nothing ("0.9999" is in
                        # every file that holds a probability): such values are skipped
                        if abs(x - round(x)) > 1e-3 and not _given(q, x):
                            for needle in _written(x):
                                assert needle not in text, (q.id, part.name, x)


def _written(x: float) -> set[str]:
    """How a value shows to 4 decimals: rounded, and cut (as a longer repr starts)."""
    cut = f"{np.trunc(x * 1e4) / 1e4:.4f}"
    return {f"{x:.4f}", cut}


def _given(question, x: float) -> bool:
    """Whether `x` is public anyway: a number of the question's given data (written in
    the notebook), or of a worked example's answer (its check shows it; act.example's
    sigmoid(8) is also act.1's)."""
    given = [np.ravel(np.asarray(question.inputs[k], dtype=float)) for k in question.given]
    for q in bank.questions(question.assignment):
        if q.practice:
            given += [np.ravel(np.asarray(v, dtype=float)) for v in q.answer.values()]
    return any(np.isclose(g, x).any() for g in given if g.size)


# --- function parts and shared state: named by the grader, never "correct" locally -------
# The wrong implementations are written as students write them, in plain NumPy.


def keras_step(theta, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = m + (g - m) * (1 - beta_1)
    v = v + (g**2 - v) * (1 - beta_2)
    alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return theta - alpha * m / (np.sqrt(v) + epsilon), m, v


def epsilon_inside(theta, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    alpha = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return theta - alpha * m / np.sqrt(v + epsilon), m, v


def slides_form(theta, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return theta - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v


def in_place(theta, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m *= beta_1
    m += (1 - beta_1) * g
    v *= beta_2
    v += (1 - beta_2) * g**2
    theta -= learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (np.sqrt(v) + epsilon)
    return theta, m, v


def no_power_t(theta, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    alpha = learning_rate * np.sqrt(1 - beta_2) / (1 - beta_1)
    return theta - alpha * m / (np.sqrt(v) + epsilon), m, v


def no_bias_correction(
    theta, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7
):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    return theta - learning_rate * m / (np.sqrt(v) + epsilon), m, v


def softmax_down_columns(z):
    e = np.exp(z - np.max(z, axis=0))
    return e / np.sum(e, axis=0)


def softmax_unshifted(z):
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def summed_gradients(X, y, w, b):
    error = _sigmoid(X @ w + b) - y
    return X.T @ error, float(np.sum(error))


def flipped_gradients(X, y, w, b):
    error = (y - _sigmoid(X @ w + b)) / len(y)
    return X.T @ error, float(np.sum(error))


def adam_rows(in_place_rows: bool = False, power: Any = lambda t: t) -> Any:
    """om.adam's three rows as adam_run computes them (optionally updating θ in place and
    appending it, or with another power in the bias correction)."""
    from optigrade.bank.optimisers import gradient

    inputs = bank.get("om.adam").inputs
    theta, m, v, rows = inputs["theta0"].copy(), np.zeros(2), np.zeros(2), []
    for t in range(1, 4):
        g = gradient(inputs, theta)
        m = inputs["beta1"] * m + (1 - inputs["beta1"]) * g
        v = inputs["beta2"] * v + (1 - inputs["beta2"]) * g**2
        m_hat = m / (1 - inputs["beta1"] ** power(t))
        v_hat = v / (1 - inputs["beta2"] ** power(t))
        step = inputs["lr"] * m_hat / (np.sqrt(v_hat) + inputs["eps"])
        if in_place_rows:
            theta -= step
        else:
            theta = theta - step
        rows.append(theta)
    return np.array(rows)


def _keras(step):
    return {"step": step, "difference": "A"}


def _logistic(gradient):
    return {**bank.get("opt.2").answer, "gradient": gradient}


WRONG = [
    ("om.keras", _keras(epsilon_inside), "step", "keras-epsilon-inside-root"),
    ("om.keras", _keras(slides_form), "step", "keras-same-as-slides"),
    ("om.keras", _keras(in_place), "step", "modified-in-place"),
    ("om.keras", _keras(no_power_t), "step", "keras-no-power-t"),
    ("om.keras", _keras(no_bias_correction), "step", "keras-uncorrected"),
    ("cls.softmax.stable", softmax_down_columns, "softmax_stable", "softmax-wrong-axis"),
    ("cls.softmax.stable", softmax_unshifted, "softmax_stable", "softmax-unshifted"),
    ("opt.2", _logistic(summed_gradients), "gradient", "sum-not-mean"),
    ("opt.2", _logistic(flipped_gradients), "gradient", "gradient-sign"),
    ("om.adam", adam_rows(in_place_rows=True), "theta1", "rows-aliased"),
    # named at step 3 as at step 2, locally too: the slip made at every step is sealed
    ("om.adam", adam_rows(power=lambda t: 1), "theta3", "no-power-t"),
    ("om.adam", adam_rows(power=lambda t: t + 1), "theta3", "power-t-plus-1"),
]


@pytest.mark.parametrize(
    ("qid", "answer", "name", "key"), WRONG, ids=[f"{q}:{k}" for q, _, _, k in WRONG]
)
def test_a_wrong_implementation_is_named_by_the_grader_and_locally(qid, answer, name, key, keys):
    question = bank.get(qid)
    trusted = grade(question, encode(question, answer, hidden=True), hidden=True).part(name)
    assert (trusted.mistake, trusted.status != "correct") == (key, True), trusted.message
    local = sealedkey.check(keys[question.assignment], qid, answer).part(name)
    assert local.status != "correct", local.message
    assert local.mistake == key, local.message


def test_a_right_function_is_unconfirmed_locally_and_scores_what_the_grader_decides(keys):
    question = bank.get("om.keras")
    local = sealedkey.check(keys["optimisers"], question.id, _keras(keras_step))
    step = local.part("step")
    assert (step.status, step.message) == (
        "unconfirmed",
        "Passes all 2 public checks; the grader also runs hidden ones.",
    )
    score = api.LocalScore.of(local)
    assert (float(score), score.pending) == (1.0, 3.0)  # the choice, and the step pending


def test_the_given_theta0_changed_by_an_earlier_cell_is_named_where_it_is_used(keys):
    """gd_run updated theta0 itself (np.asarray does not copy); om.momentum's test cell,
    run in that namespace, records it: the grader and the local check both say so."""
    from optigrade.bank.optimisers import gradient

    question = bank.get("om.momentum")
    namespace = {k: np.array(question.inputs[k], copy=True) for k in question.notebook_data}
    theta = np.asarray(namespace["theta0"], dtype=float)
    for _ in range(3):
        theta -= question.inputs["lr"] * gradient(question.inputs, theta)  # om.gd's cell
    theta, velocity, rows = namespace["theta0"], np.zeros(2), []
    for _ in range(3):  # om.momentum's cell, right, from the changed theta0
        velocity = 0.9 * velocity + 0.1 * gradient(question.inputs, theta)
        theta = theta - 0.1 * velocity
        rows.append(theta)
    namespace |= {"check": api.check, "answer": np.array(rows)}
    exec("result = check('om.momentum', answer)", namespace)  # a notebook cell
    trusted = namespace["result"].parts[0]
    local = sealedkey.check(keys["optimisers"], question.id, np.array(rows), namespace).parts[0]
    for said in (trusted, local):
        assert (said.status, said.mistake) == ("incorrect", "given-changed")
        assert said.message.startswith("theta0 was changed by an earlier cell")


def test_a_test_cell_records_the_given_data_for_the_grader(monkeypatch, tmp_path):
    question = bank.get("om.gd")
    monkeypatch.setattr(api, "_recording", tmp_path)
    namespace = {"score": api.score, "answer": question.answer, "theta0": np.array([9.0, 9.0])}
    exec("points = score('om.gd', answer)", namespace)
    from grader.compare.wire import load

    wire = load(tmp_path, "om.gd")
    assert sorted(wire.tree["given"]) == ["theta0"]  # SS, H and lr are not in the namespace
    result = grade(question, wire)
    assert result.score == question.points  # right rows: the changed θ0 costs nothing here
