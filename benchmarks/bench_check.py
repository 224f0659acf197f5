"""Latency of grader.check per numeric question of the bank: the goal is a median <= 10 ms.

    python benchmarks/bench_check.py [--repeats 200]

For every question whose parts are all numeric (Numeric, NumberSet) in the assignments
written so far, times ``grader.check(qid, answer)`` (encode, grade, render the text) on
the reference answer and on a wrong one (the first catalogued mistake, else the answer
doubled), after a warm-up call that fills the per-question cache. The answers are built
beforehand: the student's own computation is not timed. Prints median and p95 per
question, the questions skipped and why, and the overall medians.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time
from importlib.util import find_spec
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

import grader
from grader import bank
from grader.bank.model import NumberSet, Numeric, Question
from grader.compare.layout import assemble
from grader.compare.scoring import diagnosable

NUMERIC = (Numeric, NumberSet)


def _wrong(question: Question) -> dict[str, Any]:
    values = dict(question.answer)
    for part in question.parts:
        mistakes = diagnosable(question, part)
        if mistakes:
            values[part.name] = mistakes[0].compute(question.inputs, question.answer)
            return values
    first = question.parts[0].name
    values[first] = 2 * np.asarray(values[first], dtype=float)
    return values


def _times_ms(qid: str, answer: Any, repeats: int) -> list[float]:
    times = []
    with contextlib.redirect_stdout(io.StringIO()) as sink:
        grader.check(qid, answer)  # warm-up: fills the reference cache
        for _ in range(repeats):
            start = time.perf_counter()
            grader.check(qid, answer)
            times.append(1000 * (time.perf_counter() - start))
            sink.seek(0)
            sink.truncate()
    return times


def _p95(times: list[float]) -> float:
    return float(np.percentile(times, 95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()

    questions = [
        q
        for assignment, module in bank.ASSIGNMENTS.items()
        if find_spec(module) is not None
        for q in bank.questions(assignment)
    ]
    numeric = [q for q in questions if all(isinstance(p, NUMERIC) for p in q.parts)]
    skipped = [q for q in questions if q not in numeric]

    table = Table(title=f"grader.check latency, ms ({args.repeats} calls each)")
    for column in ("question", "parts", "right: median", "p95", "wrong: median", "p95"):
        table.add_column(column, justify="left" if column == "question" else "right")
    right_medians, wrong_medians = [], []
    for q in numeric:
        right = _times_ms(q.id, assemble(q, q.answer), args.repeats)
        wrong = _times_ms(q.id, assemble(q, _wrong(q)), args.repeats)
        right_medians.append(statistics.median(right))
        wrong_medians.append(statistics.median(wrong))
        table.add_row(
            q.id,
            str(len(q.parts)),
            f"{right_medians[-1]:.2f}",
            f"{_p95(right):.2f}",
            f"{wrong_medians[-1]:.2f}",
            f"{_p95(wrong):.2f}",
        )
    console = Console()
    console.print(table)
    others = {q.id: {type(p).__name__ for p in q.parts} - {"Numeric", "NumberSet"} for q in skipped}
    listed = ", ".join(f"{qid} ({'/'.join(sorted(k))})" for qid, k in others.items())
    console.print(f"skipped (non-numeric parts): {listed or 'none'}")
    right, wrong = statistics.median(right_medians), statistics.median(wrong_medians)
    console.print(
        f"overall median over {len(numeric)} questions: right answers {right:.2f} ms, "
        f"wrong answers {wrong:.2f} ms (goal <= 10 ms)"
    )


if __name__ == "__main__":
    main()
