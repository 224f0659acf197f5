"""Judging `Expression` parts through `grader.compare.symbolic`.

The student's string or SymPy object becomes a whitelisted tree in their own process
(`symbolic.to_tree`); the trusted side rebuilds it from that tree only
(`symbolic.from_tree`) and tests equivalence (`symbolic.equivalent`).
"""

from __future__ import annotations

from typing import Any

from grader.compare import symbolic
from grader.compare.kinds import Context, Verdict, mistaken
from grader.compare.nodes import kind, unusable
from grader.compare.wire import Encoder, Node
from grader.question import Expression, Part


def encode(answer: Any, part: Expression, enc: Encoder, hidden: bool) -> Node:
    if answer is None:
        return {"t": "none"}
    try:
        return {"t": "expr", "tree": symbolic.to_tree(answer, part)}
    except symbolic.SymbolicInputError as e:
        return {"t": "error", "message": str(e)}


def judge(node: Any, ctx: Context) -> Verdict:
    part = ctx.part
    assert isinstance(part, Expression)
    if kind(node) != "expr":
        return unusable(node, "an expression (a SymPy expression or a string)").verdict
    try:
        student = symbolic.from_tree(node.get("tree"), part)
    except symbolic.SymbolicInputError as e:
        return Verdict("invalid", 0.0, str(e))
    verdict = symbolic.equivalent(student, ctx.expected, part)
    if verdict.equal:
        return Verdict("correct", 1.0, " ".join(s for s in ("Correct.", verdict.note) if s))
    found = mistaken(ctx, lambda v: symbolic.equivalent(student, v, part).equal)
    return found or Verdict("incorrect", 0.0, ("Not equivalent. " + verdict.note).strip())


def same(a: Any, b: Any, part: Part) -> bool:
    assert isinstance(part, Expression)
    return bool(symbolic.equivalent(a, b, part).equal)
