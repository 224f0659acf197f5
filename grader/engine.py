"""The comparison engine: one engine under every front end (`grader.check` and
`grader.score` in a notebook, the sealed local check, the batch's judge).

`encode` runs on the student's (untrusted) side and never raises: the answer split into
its parts (`grader.compare.layout`), each part encoded by its kind (`grader.kinds`) into
the wire form (`grader.compare.wire`), with the rows that are one array and the values
of the notebook's data the question computes with (`grader.compare.state`).

`grade` runs on the trusted side, the same code for checks and batches. Per part: judge
the answer against the reference value; if it is wrong and the part follows earlier
parts the student got wrong, judge it again against the value recomputed from the
student's own earlier values (follow-through: "correct given your theta1"); judges try
the catalogued mistakes, then generic diagnoses; then state shared across the notebook
is diagnosed (rows that are one array, given data changed by an earlier cell). Reference
values and mistake values do not depend on the student and are cached per question;
mistake values are only computed when an answer is wrong.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from functools import cache, partial
from typing import Any

from grader import kinds
from grader.compare import layout, state
from grader.compare.diagnose import shown
from grader.compare.result import Result, Verdict, joined, scored
from grader.compare.wire import FORMAT, Encoder, Node, Wire, describe_exception, error
from grader.kinds.base import Context, KindUnavailable, Mistakes, PartKind
from grader.question import Inputs, Mistake, Part, Prior, Question

# --- the student's side -----------------------------------------------------------------


def _encode_part(part: Part, value: Any, enc: Encoder, hidden: bool) -> Node:
    if isinstance(value, layout.Absent):
        return {"t": "absent", "message": value.message, "status": value.status}
    try:
        kind = kinds.of(part)
    except kinds.KindUnavailable as e:
        return error(str(e))
    try:
        node: Node = kind.encode(value, part, enc, hidden)
    except Exception as e:
        return error(f"could not read the answer ({describe_exception(e)})")
    return node


def encode(
    question: Question, answer: Any, hidden: bool = False, given: dict[str, Any] | None = None
) -> Wire:
    """The wire form of a student's answer to `question` (untrusted side; never raises).

    With `hidden`, function parts are also called on their hidden probes. `given`: the
    notebook's data the question computes with, as the test cell sees it
    (`grader.compare.state.recorded`).
    """
    enc = Encoder(question.inputs)
    tree: dict[str, Any] = {"format": FORMAT, "qid": question.id, "hidden": bool(hidden)}
    try:
        values, tree["notes"] = layout.split(question, answer)
        tree["parts"] = {
            p.name: _encode_part(p, values[p.name], enc, hidden) for p in question.parts
        }
        tree["aliased"] = layout.aliased(question, answer)
        tree["given"] = {name: enc.value(v) for name, v in (given or {}).items()}
    except Exception as e:
        tree["default"] = error(f"could not read the answer ({describe_exception(e)})")
    return Wire(tree, enc.arrays)


# --- the trusted side -------------------------------------------------------------------


def _distinct(
    kind: PartKind, part: Part, inputs: Inputs, prior: Prior, expected: Any, strict: bool
) -> Mistakes:
    """The part's mistakes with their values, leaving out those that coincide with
    `expected` (they cannot be told apart from a right answer). With `strict`, a mistake
    that fails to compute raises (a bank bug); otherwise it is skipped (a student's odd
    earlier values can make it fail)."""
    found = []
    for mistake in part.mistakes:
        try:
            value = mistake.compute(inputs, prior)
        except Exception:
            if strict:
                raise
            continue
        if not kind.same(value, expected, part):
            found.append((mistake, value))
    return tuple(found)


class _Reference:
    """What grading one question needs that does not depend on the student."""

    def __init__(self, question: Question) -> None:
        self.question = question
        self.answer = question.answer
        self.memos: dict[str, dict[str, Any]] = {p.name: {} for p in question.parts}
        self._mistakes: dict[str, Mistakes] = {}

    def mistakes(self, part: Part, kind: PartKind) -> Mistakes:
        if part.name not in self._mistakes:
            q = self.question
            self._mistakes[part.name] = _distinct(
                kind, part, q.inputs, self.answer, self.answer[part.name], True
            )
        return self._mistakes[part.name]


#: The references of the questions graded lately, the oldest first: a class graded with
#: each student's own numbers has a question object per student, so the cache is bounded.
_CACHE: OrderedDict[int, tuple[Question, _Reference]] = OrderedDict()
CACHED = 1024


def reference(question: Question) -> _Reference:
    hit = _CACHE.get(id(question))
    if hit is None or hit[0] is not question:
        hit = _CACHE[id(question)] = (question, _Reference(question))
        while len(_CACHE) > CACHED:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(id(question))
    return hit[1]


def diagnosable(question: Question, part: Part) -> tuple[Mistake, ...]:
    """The part's mistakes that differ from the right answer (the others are ignored)."""
    return tuple(m for m, _ in reference(question).mistakes(part, kinds.of(part)))


def _names(question: Question, names: list[str]) -> str:
    return joined([question.part(n).label or n for n in names])


def _judge(ctx: Context, node: Node, kind: PartKind, earlier: dict[str, Verdict]) -> Verdict:
    verdict: Verdict = kind.judge(node, ctx)
    part, question = ctx.part, ctx.question
    if verdict.status == "correct" or not part.follows:
        return verdict
    wrong = [
        n for n in part.follows if earlier[n].status != "correct" and earlier[n].value is not None
    ]
    if not wrong:
        return verdict
    prior = {**ctx.prior, **{n: earlier[n].value for n in wrong}}
    try:
        expected = part.compute(question.inputs, prior)
    except Exception:  # the student's earlier values make the step meaningless
        return verdict

    def mistakes() -> Mistakes:
        return _distinct(kind, part, question.inputs, prior, expected, False)

    carried: Verdict = kind.judge(
        node, replace(ctx, expected=expected, prior=prior, mistakes=cache(mistakes))
    )
    names = _names(question, wrong)
    if carried.status == "correct":
        was = "was" if len(wrong) == 1 else "were"
        message = (
            f"Correct given your {names}, which {was} wrong. Computed correctly from your own "
            "earlier values: the error was carried forward, not repeated."
        )
        return Verdict("carried", 1.0, message, value=carried.value)
    if carried.mistake and not verdict.mistake:
        return replace(carried, message=f"Given your {names}: {carried.message}")
    return verdict


def grade(question: Question, wire: Wire, hidden: bool = False) -> Result:
    """The result of an encoded answer (trusted side). Never raises for a bad answer:
    a part that cannot be judged is `invalid` with the reason."""
    ref = reference(question)
    verdicts: dict[str, Verdict] = {}
    for part in question.parts:
        try:
            kind = kinds.of(part)
            ctx = Context(
                question=question,
                part=part,
                wire=wire,
                expected=ref.answer[part.name],
                prior=ref.answer,
                mistakes=partial(ref.mistakes, part, kind),
                hidden=hidden,
                memo=ref.memos[part.name],
            )
            verdict = _judge(ctx, wire.part(part.name), kind, verdicts)
            if question.practice and verdict.status != "correct" and not callable(ctx.expected):
                said = f"{verdict.message} Expected {shown(ctx.expected)}."  # a worked example
                verdict = replace(verdict, message=said)
        except KindUnavailable as e:
            verdict = Verdict("internal-error", 0.0, str(e))
        except Exception as e:  # a grader bug must not cost the rest of the batch
            verdict = Verdict(
                "internal-error",
                0.0,
                f"the grader failed on this part ({describe_exception(e)}); please report it",
            )
        verdicts[part.name] = verdict
    verdicts = state.diagnosed(question, wire, verdicts)
    parts = tuple(scored(part, verdicts[part.name]) for part in question.parts)
    return Result(question.id, question.title, parts, tuple(wire.notes), question.practice, hidden)
