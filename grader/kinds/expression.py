"""`Expression` parts: a symbolic expression, judged through `grader.compare.symbolic`.

The student's string or SymPy object becomes a whitelisted tree in their own process
(`symbolic.to_tree`); the trusted side rebuilds it from that tree only
(`symbolic.from_tree`) and tests equivalence (`symbolic.equivalent`). A sealed key seals
the expression's values at fixed sample points (and each mistake's). SymPy is imported
on first use: a check of a numeric question never pays for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any

import numpy as np

from grader.compare import sealed
from grader.compare.nodes import kind, unusable
from grader.compare.result import Verdict
from grader.compare.wire import Encoder, Node
from grader.kinds import seals
from grader.kinds.base import Context, Mistakes, PartKind, SealedPart, Sealing, mistaken
from grader.question import Part


@dataclass(frozen=True)
class Expression(Part):
    """A symbolic expression in the exercise's symbols, checked for equivalence.

    `symbols` maps each allowed symbol name to the interval its random test points are
    drawn from; `functions` names the allowed function heads beyond the elementary ones
    (e.g. "sigma"); `definitions` maps intermediate symbols (e.g. "z2") to expressions
    in the base symbols, substituted before comparing. `compute` returns a SymPy
    expression.
    """

    symbols: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    functions: tuple[str, ...] = ()
    definitions: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = 2.0  # seconds allowed for symbolic simplification


def _symbolic() -> ModuleType:
    from grader.compare import symbolic

    return symbolic


def _at_points(expr: Any, part: Expression) -> np.ndarray:
    values = _symbolic().at_points(expr, part)
    if not np.isfinite(values).all():
        raise ValueError(f"{part.name}: not finite at every sample point")
    return values


class ExpressionKind(PartKind[Expression]):
    part = Expression

    def encode(self, answer: Any, part: Expression, enc: Encoder, hidden: bool) -> Node:
        if answer is None:
            return {"t": "none"}
        symbolic = _symbolic()
        try:
            return {"t": "expr", "tree": symbolic.to_tree(answer, part)}
        except symbolic.SymbolicInputError as e:
            return {"t": "error", "message": str(e)}

    def judge(self, node: Any, ctx: Context) -> Verdict:
        part = ctx.part
        assert isinstance(part, Expression)
        if kind(node) != "expr":
            return unusable(node, "an expression (a SymPy expression or a string)").verdict
        symbolic = _symbolic()
        try:
            student = symbolic.from_tree(node.get("tree"), part)
        except symbolic.SymbolicInputError as e:
            return Verdict("unusable", 0.0, str(e))
        verdict = symbolic.equivalent(student, ctx.expected, part)
        if verdict.equal:
            return Verdict("correct", 1.0, " ".join(s for s in ("Correct.", verdict.note) if s))
        found = mistaken(ctx, lambda v: symbolic.equivalent(student, v, part).equal)
        return found or Verdict("incorrect", 0.0, ("Not equivalent. " + verdict.note).strip())

    def same(self, a: Any, b: Any, part: Expression) -> bool:
        return bool(_symbolic().equivalent(a, b, part).equal)

    def spec(self, part: Expression, hidden: bool) -> dict[str, Any]:
        return {
            "symbols": {k: list(v) for k, v in part.symbols.items()},
            "functions": list(part.functions),
            # their names are symbols an answer may use; what they stand for is the judge's
            "defined": sorted(part.definitions),
            "timeout": part.timeout,
        }

    def from_spec(self, spec: Mapping[str, Any], common: dict[str, Any]) -> Expression:
        return Expression(
            **common,
            symbols={k: (float(a), float(b)) for k, (a, b) in spec["symbols"].items()},
            functions=tuple(spec["functions"]),
            definitions=dict.fromkeys(map(str, spec["defined"])),
            timeout=float(spec["timeout"]),
        )

    def seal(
        self, part: Expression, expected: Any, mistakes: Mistakes, sealing: Sealing
    ) -> dict[str, Any]:
        symbolic = _symbolic()
        at = []
        for m, v in mistakes:
            try:
                at.append((m, _at_points(v, part)))
            except (ValueError, TypeError):
                continue  # a mistake that does not evaluate everywhere: trusted grader only
        exact = _at_points(expected, part)
        found = seals.with_mistakes(exact, at, symbolic.SEALED_TOL, sealing, part)
        trees = {k: symbolic.to_tree(v, part) for k, v in part.definitions.items()}
        return {**found, "definitions": trees}

    def check_sealed(self, node: Any, part: Expression, here: SealedPart) -> Verdict:
        found = here.found
        if kind(node) != "expr":
            return unusable(node, "an expression (a SymPy expression or a string)").verdict
        symbolic = _symbolic()
        try:
            defined = {
                k: symbolic.from_tree(t, part) for k, t in found.get("definitions", {}).items()
            }
            full = replace(part, definitions=defined)
            values = symbolic.at_points(symbolic.from_tree(node.get("tree"), part), full)
        except (symbolic.SymbolicInputError, ValueError, TypeError) as e:
            return Verdict("unusable", 0.0, str(e))
        expected = sealed.Seal.from_json(found["seal"])
        verdict = seals.by_digest(
            values, expected, found, symbolic.SEALED_TOL, here.salt, here.what
        )
        return verdict or Verdict(
            "incorrect", 0.0, "Not equivalent to the expected expression (its values differ)."
        )
