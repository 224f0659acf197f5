"""Grading an answer the two ways the product does: in memory (a notebook's check) and
through the wire files of batch grading (`tmp` given)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.compare.result import Result
from grader.compare.wire import dump, load
from grader.engine import encode, grade
from optigrade import bank


def judged(qid: str, answer: Any, hidden: bool = False, tmp: Path | None = None) -> Result:
    question = bank.get(qid)
    wire = encode(question, answer, hidden)
    if tmp is not None:
        dump(wire, tmp, qid)
        wire = load(tmp, qid)
    return grade(question, wire, hidden)


def statuses(result: Result) -> list[str]:
    return [p.status for p in result.parts]
