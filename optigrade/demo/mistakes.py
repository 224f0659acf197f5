"""Wrong answers a synthetic student plants in the solution notebook.

Two sources, both ending as code appended to a question's answer cell:

- the bank's catalogued mistakes: the whole answer assembled from the reference values
  with one part replaced by the value the `Mistake` computes, written as a literal
  (``variable = ...``); the grader must name the mistake;
- `BUGS`: realistic buggy implementations of function answers (a softmax that
  overflows, a gradient summed instead of averaged), which must lose points.

Both are keyed by the misconception they plant (`optigrade.bank.slips`), so one synthetic
student makes one misconception on every question it applies to. Which student plants what
is chosen on the lab's questions (`plants`, `spread`); each plant is then written with the
student's own numbers (`redrawn`). `pasted` writes a copier's answer: another's numbers'.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from grader import engine, kinds
from grader.compare.layout import assemble
from grader.kinds import Function, Model, Numeric
from grader.question import Part, Question
from optigrade import bank
from optigrade.demo.expect import Diagnosis
from optigrade.demo.literals import Own, source


@dataclass(frozen=True)
class Plant:
    """Code for a question's answer cell and the verdict it should earn; `named`: the
    grader must name `key` (a catalogued mistake), else the part need only lose points."""

    key: str
    question: str
    part: str
    code: str
    named: bool = True
    nth: int = 0  # which of the part's mistakes with this key (a slip made at one step or another)

    @property
    def diagnosis(self) -> Diagnosis:
        return Diagnosis(self.question, self.part, self.key if self.named else None)


@dataclass(frozen=True)
class Bug:
    """A buggy implementation of a question's function answer: `code` defines `function`.
    `key` is the catalogued slip it makes, or a name of its own where none describes it (a
    function is judged by its probes: the grader need not name the slip)."""

    question: str
    key: str
    function: str
    code: str


BUGS: tuple[Bug, ...] = (
    Bug(
        "cls.softmax.stable",
        "naive-softmax",
        "softmax_stable",
        """
def softmax_stable(z):
    exps = np.exp(z)  # overflows for scores above ~709
    return exps / np.sum(exps, axis=-1, keepdims=True)
""",
    ),
    Bug(
        "opt.2",
        "sum-not-mean",
        "bce_gradients",
        """
def bce_gradients(X, y, w, b):
    y_hat = 1 / (1 + np.exp(-(X @ w + b)))
    delta = y_hat - y  # summed over the observations, never divided by n
    return X.T @ delta, float(delta.sum())
""",
    ),
    Bug(
        "opt.mb.fit",
        "sum-not-mean",
        "lr_gradient_descent",
        """
def lr_gradient_descent(X, y, batch_size=32, eta=0.1, w=None, b=None, max_iter=100, tol=1e-08):
    N, p = X.shape
    w = np.ones((p, 1)) if w is None else w
    b = 0.0 if b is None else b
    batch_size = min(N, batch_size)
    previous = np.inf
    for _ in range(max_iter):
        order = np.random.permutation(N)
        for start in range(0, N - batch_size + 1, batch_size):
            rows = order[start : start + batch_size]
            residual = X[rows] @ w + b - y[rows]
            error = np.mean(residual**2)
            if abs(error - previous) < tol:
                return w, b
            previous = error
            w = w - eta * 2 * X[rows].T @ residual  # the batch's sum, not its mean
            b = b - eta * 2 * residual.sum()
    return w, b
""",
    ),
    Bug(
        "om.keras",
        "no-bias-correction",
        "keras_adam_step",
        """
def keras_adam_step(theta, g, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999,
                    epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    return theta - learning_rate * m / (np.sqrt(v) + epsilon), m, v
""",
    ),
)


def _reach(question: Question, name: str) -> str:
    """The code reaching part `name` of the notebook's own answer."""
    if question.layout == "single":
        return question.variable
    if question.layout == "rows":
        return f"{question.variable}[{[p.name for p in question.parts].index(name)}]"
    return question.variable + "".join(f"[{key!r}]" for key in name.split("/"))


def _literal(question: Question, answer: Mapping[str, Any], **changed: Any) -> str:
    """``variable = <literal>``: `answer` (the question's, or another's numbers') with the
    `changed` parts replaced; function and model parts stay the notebook's own."""
    values = {
        p.name: Own(_reach(question, p.name)) if isinstance(p, Function | Model) else answer[p.name]
        for p in question.parts
    }
    return f"{question.variable} = {source(assemble(question, {**values, **changed}))}"


def _answer_with(question: Question, name: str, value: Any) -> str:
    """The reference answer with part `name` replaced, as a literal."""
    return _literal(question, question.answer, **{name: value})


def _told_apart(question: Question, part: Part) -> Iterator[tuple[str, Any]]:
    """(key, value) of each catalogued mistake of `part` the grader can tell apart: its
    value differs from the right one (`engine.diagnosable`) and from the part's earlier
    mistakes."""
    same = kinds.of(part).same
    seen: list[Any] = []
    for mistake in engine.diagnosable(question, part):
        value = mistake.compute(question.inputs, question.answer)
        clash = any(same(value, v, part) for v in seen)
        seen.append(value)
        if not clash:
            yield mistake.key, value


def catalogued(question: Question) -> Iterator[Plant]:
    """A plant per catalogued mistake the grader can tell apart (`_told_apart`)."""
    for part in question.parts:
        if not part.mistakes:
            continue
        keys: list[str] = []
        for key, value in _told_apart(question, part):
            keys.append(key)
            try:
                code = _answer_with(question, part.name, value)
            except TypeError:  # a value no student could type
                continue
            yield Plant(key, question.id, part.name, code, nth=keys.count(key) - 1)


def buggy(question: Question) -> Iterator[Plant]:
    """A plant per buggy implementation of the question's function part."""
    for bug in BUGS:
        if bug.question != question.id:
            continue
        part = next(p for p in question.parts if isinstance(p, Function))
        code = bug.code.strip()
        reach = _reach(question, part.name)
        if reach != bug.function:  # the answer holds the function: point it at the bug
            code += f"\n\n{reach} = {bug.function}"
        yield Plant(bug.key, question.id, part.name, code, named=False)


def plants(questions: Sequence[str]) -> list[Plant]:
    """Every plant for these questions (in their order): buggy functions, then mistakes."""
    found = []
    for qid in questions:
        question = bank.get(qid)
        found += [*buggy(question), *catalogued(question)]
    return found


def redrawn(plant: Plant, question: Question, others: Sequence[Question]) -> Plant:
    """`plant` for the student's own `question`: the same mistake computed from their
    numbers (a buggy function holds no numbers). A value that is right for one of the
    `others` (classmates' numbers, the lab's) is taken for theirs ("other numbers"), not
    named: it need only lose points."""
    if not plant.named:
        return plant
    part = question.part(plant.part)
    value = [v for key, v in _told_apart(question, part) if key == plant.key][plant.nth]
    same = kinds.of(part).same
    named = not any(same(value, other.answer[part.name], part) for other in others)
    return replace(plant, code=_answer_with(question, plant.part, value), named=named)


def pasted(question: Question, theirs: Question) -> tuple[str, tuple[str, ...]] | None:
    """`theirs` answer (a classmate's numbers, or the lab's) pasted as a literal into the
    student's `question`, and its numeric parts that are wrong for the student's own
    numbers; None when none is, or it cannot be typed. A part following earlier ones is
    left out: pasted with them, it is right given them (carried forward)."""
    wrong = tuple(
        p.name
        for p in question.parts
        if isinstance(p, Numeric)
        and not p.follows
        and not kinds.of(p).same(theirs.answer[p.name], question.answer[p.name], p)
    )
    if not wrong:
        return None
    try:
        return _literal(question, theirs.answer), wrong
    except TypeError:  # a value no student could type
        return None


def spread(found: Sequence[Plant], count: int, least: int = 3) -> list[tuple[str, list[Plant]]]:
    """`count` mistake students as (key naming the student, plants): each key's plants on
    every question it applies to (one part each), most widespread keys first after the
    buggy functions, topped up with other mistakes on other questions to at least
    `least` plants, so every student shows several."""
    by_key: dict[str, list[Plant]] = {}
    for plant in found:
        by_key.setdefault(plant.key, []).append(plant)
    if not by_key:
        return []
    # stable: among equals, the order the questions come in
    keys = sorted(by_key, key=lambda k: (by_key[k][0].named, -len({p.question for p in by_key[k]})))
    students = []
    for i in range(count):
        key = keys[i % len(keys)]
        chosen, used = [], set()
        for plant in by_key[key]:
            if plant.question not in used:
                chosen.append(plant)
                used.add(plant.question)
        start = (7 * i) % len(found)  # a different top-up for each student
        for plant in [*found[start:], *found[:start]]:
            if len(chosen) >= least:
                break
            if plant.question not in used and plant.key != key:
                chosen.append(plant)
                used.add(plant.question)
        name = key if i < len(keys) else f"{key}-{i // len(keys) + 1}"
        students.append((name, chosen))
    return students
