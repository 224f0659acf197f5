"""The plug-in seam: kinds registered by Part type, imported on first use; the Expression
kind through grader.compare.symbolic; a kind whose module is missing."""

from __future__ import annotations

import subprocess
import sys
import types
from dataclasses import dataclass
from typing import Any

import sympy as sp

from grader.compare import kinds
from grader.compare.kinds import Verdict
from grader.question import Expression, Mistake, Part, Question


def test_import_grader_stays_light() -> None:
    code = (
        "import sys, grader, optigrade.bank, grader.compare.wire, grader.compare.scoring;"
        "heavy = {'sympy', 'jax', 'keras', 'torch', 'pandas', 'IPython', 'grader.compare.symbolic'}"
        ";"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@dataclass(frozen=True)
class Word(Part):
    """A synthetic kind: an answer judged by its length."""


def test_a_registered_kind_encodes_and_judges(judge) -> None:
    module = types.ModuleType("syn_word_kind")

    def encode(answer: Any, part: Part, enc: Any, hidden: bool) -> dict[str, Any]:
        return {"t": "word", "length": len(str(answer))}

    def judge_word(node: Any, ctx: kinds.Context) -> Verdict:
        ok = node.get("length") == len(ctx.expected)
        return Verdict("correct" if ok else "incorrect", float(ok), "by length")

    module.encode, module.judge = encode, judge_word
    sys.modules[module.__name__] = module
    kinds.register(Word, module.__name__)
    try:
        q = Question("syn.word", "synthetic", "t", "w", (Word("w", 1, lambda i, p: "four"),))
        assert judge(q, "abcd").score == 1
        assert judge(q, "abc").parts[0].status == "incorrect"
    finally:
        del sys.modules[module.__name__]


@dataclass(frozen=True)
class Unjudged(Part):
    pass


def test_a_kind_without_its_module_is_invalid_with_a_reason(judge) -> None:
    kinds.register(Unjudged, "grader.compare.not_written_yet")
    q = Question("syn.unjudged", "synthetic", "t", "u", (Unjudged("u", 1, lambda i, p: 0),))
    verdict = judge(q, 0).parts[0]
    assert (verdict.status, verdict.score) == ("invalid", 0)
    assert (
        verdict.message
        == "Unjudged answers cannot be checked here (grader.compare.not_written_yet is missing)"
    )


# --- Expression parts, through grader.compare.symbolic -----------------------------------

x, y = sp.symbols("x y")
SQUARED = Mistake("squared", "The derivative of x² is 2x, not x².", lambda i, p: x**2 * y)
DERIVATIVE = Question(
    id="syn.expr",
    assignment="synthetic",
    title="d/dx of x² y",
    variable="dfdx",
    parts=(
        Expression(
            "dfdx",
            1,
            lambda i, p: 2 * x * y,
            mistakes=(SQUARED,),
            symbols={"x": (-2.0, 2.0), "y": (0.5, 3.0)},
        ),
    ),
)


def test_expressions_are_judged_by_equivalence(judge) -> None:
    for right in ("2*x*y", "y*x + x*y", 2 * x * y, "2 x y".replace(" ", "*")):
        verdict = judge(DERIVATIVE, right).parts[0]
        assert verdict.status == "correct", (right, verdict.message)
    wrong = judge(DERIVATIVE, "x*y").parts[0]
    assert wrong.status == "incorrect" and wrong.message.startswith("Not equivalent.")
    mistake = judge(DERIVATIVE, "x^2*y").parts[0]
    assert (mistake.mistake, mistake.message) == ("squared", SQUARED.hint)


def test_bad_expressions_are_refused_in_the_students_process(judge) -> None:
    refused = judge(DERIVATIVE, "__import__('os').system('true')").parts[0]
    assert refused.status == "invalid" and refused.message
    unknown = judge(DERIVATIVE, "2*x*z").parts[0]
    assert unknown.status == "invalid" and "z" in unknown.message
    assert judge(DERIVATIVE, None).parts[0].status == "missing"
    assert judge(DERIVATIVE, [1, 2]).parts[0].status == "invalid"
