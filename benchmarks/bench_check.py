"""Latency of grader.check per numeric question of the bank, with the key in the clear
(the instructor's install: goal, a median <= 10 ms) and from the sealed key (the
student's: goal, a median <= 50 ms and none over 500 ms), side by side, beside the cost
of one offline guess against one sealed part (goal: >= 5 ms).

    python benchmarks/bench_check.py [--repeats 200] [--sealed-repeats 10]

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
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

import grader
from grader.compare import sealed
from grader.compare.layout import assemble
from grader.engine import diagnosable
from grader.kinds import NumberSet, Numeric
from grader.question import Question, Tolerance
from grader.student import known
from optigrade import bank

ROOT = Path(__file__).resolve().parents[1]

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


def _guess_ms(repeats: int = 30) -> list[float]:
    """One offline guess: one scrypt call at the production cost, as a check makes."""
    found = []
    for i in range(repeats):
        start = time.perf_counter()
        sealed.digest_on(np.array([float(i)]), _ANY_SEAL, Tolerance(), b"salt", "guess")
        found.append(1000 * (time.perf_counter() - start))
    return found


_ANY_SEAL = sealed.Seal("numeric", (1,), b"\x00", "0" * 32)


@contextlib.contextmanager
def _from_sealed_key(question: Question) -> Any:
    """grader.check as in the student runtime: from the release folder's sealed key."""
    here = os.getcwd()
    os.chdir(ROOT / "release" / question.assignment)
    os.environ[known.SEALED] = "1"
    try:
        yield
    finally:
        del os.environ[known.SEALED]
        os.chdir(here)


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
    parser.add_argument("--repeats", type=int, default=200, help="calls in the clear")
    parser.add_argument("--sealed-repeats", type=int, default=10, help="calls from the key")
    args = parser.parse_args()

    questions = list(bank.all_questions())
    numeric = [q for q in questions if all(isinstance(p, NUMERIC) for p in q.parts)]
    skipped = [q for q in questions if q not in numeric]

    table = Table(
        title=f"grader.check latency, ms (median of {args.repeats} calls in the clear, "
        f"{args.sealed_repeats} sealed)"
    )
    columns = ("question", "parts", "clear: right", "wrong", "sealed: right", "wrong", "p95")
    for column in columns:
        table.add_column(column, justify="left" if column == "question" else "right")
    clear, from_key, worst = {"right": [], "wrong": []}, {"right": [], "wrong": []}, []
    for q in numeric:
        answers = {"right": assemble(q, q.answer), "wrong": assemble(q, _wrong(q))}
        row = [q.id, str(len(q.parts))]
        for name, answer in answers.items():
            clear[name].append(statistics.median(_times_ms(q.id, answer, args.repeats)))
            row.append(f"{clear[name][-1]:.2f}")
        for name, answer in answers.items():
            with _from_sealed_key(q):
                times = _times_ms(q.id, answer, args.sealed_repeats)
            from_key[name].append(statistics.median(times))
            worst.append(max(times))
            row.append(f"{from_key[name][-1]:.1f}")
        row.append(f"{_p95(times):.1f}")
        table.add_row(*row)
    console = Console()
    console.print(table)
    others = {q.id: {type(p).__name__ for p in q.parts} - {"Numeric", "NumberSet"} for q in skipped}
    listed = ", ".join(f"{qid} ({'/'.join(sorted(k))})" for qid, k in others.items())
    console.print(f"skipped (non-numeric parts): {listed or 'none'}")
    guess = statistics.median(_guess_ms())
    for label, found, goal in (
        ("in the clear", clear, 10.0),
        ("from the sealed key", from_key, 50.0),
    ):
        right, wrong = statistics.median(found["right"]), statistics.median(found["wrong"])
        verdict = "within" if max(right, wrong) <= goal else "OVER"
        console.print(
            f"{label}: median over {len(numeric)} questions: right answers {right:.2f} ms, "
            f"wrong answers {wrong:.2f} ms ({verdict} the {goal:g} ms goal)"
        )
    console.print(
        f"sealed: slowest single check {max(worst):.1f} ms "
        f"({'within' if max(worst) <= 500 else 'OVER'} the 500 ms goal); one offline guess "
        f"against one sealed part: {guess:.2f} ms ({'at least' if guess >= 5 else 'UNDER'} "
        f"the 5 ms goal); the median right check costs the time of "
        f"{statistics.median(from_key['right']) / guess:.1f} guesses (one per part)"
    )


if __name__ == "__main__":
    main()
