"""Sealed values: the cost of one offline guess beside the cost of a local check.

    python benchmarks/bench_sealed.py [--repeats 20]

Measured side by side in one run, at the production scrypt cost (`sealed.COST`):

- one offline guess against one sealed part: one scrypt call;
- a check as `grader.student.sealedkey` makes it, for shapes (1,), (2, 1), (30,), (10, 3):
  a right value and a wrong value against a part with no catalogued mistake (one
  `matches` call each), and a wrong value against a part with 5 mistakes sealed on the
  expected value's grids (`seal_on`: one `digest_on` call, compared with all 6 digests);

each with its ratio to one guess; every time is a median of `--repeats`, the four runs
of a row taken in turns (the machine is shared). Values and seals are built beforehand.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import statistics
import time
from collections.abc import Callable
from functools import partial

import numpy as np
from rich.console import Console
from rich.table import Table

from grader.compare.sealed import COST, Seal, digest_on, matches, seal, seal_on
from grader.question import Tolerance

SALT = b"benchmark-course-salt"
LABEL = "fp.1.1/z"
TOL = Tolerance()
SHAPES = [(1,), (2, 1), (30,), (10, 3)]
MISTAKES: list[Callable[[np.ndarray], np.ndarray]] = [
    lambda e: 2 * e,
    lambda e: -e,
    lambda e: e + 1,
    lambda e: e / 2,
    lambda e: e**2 + 1,
]


def _interleaved_ms(runs: list[Callable[[], object]], repeats: int) -> list[float]:
    """The median time of each run, taken in turns so that all see the same machine load
    (the machine is shared)."""
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(repeats):
        for run, sink in zip(runs, times, strict=True):
            start = time.perf_counter()
            run()
            sink.append(1000 * (time.perf_counter() - start))
    return [statistics.median(t) for t in times]


def _guess() -> bytes:
    """What an attacker pays per candidate cell: one scrypt call at the production cost."""
    return hashlib.scrypt(
        b"a candidate's cells" * 4, salt=SALT + b"fp.1.1/z", n=COST.n, r=COST.r, p=COST.p, dklen=16
    )


def _check(value: np.ndarray, base: Seal, mistakes: list[Seal]) -> int | None:
    """The index of the seal `value` matches (0: the expected value's, i: mistake i's),
    from one digest on the expected value's grids, as a check makes it."""
    if not mistakes:
        return 0 if matches(value, base, TOL, SALT, LABEL) else None
    digest = digest_on(value, base, TOL, SALT, LABEL)
    for i, s in enumerate([base, *mistakes]):
        if digest is not None and hmac.compare_digest(digest, s.digest):
            return i
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    table = Table(title=f"ms, median of {args.repeats}; x = multiple of one guess")
    columns = ("shape", "one guess", "right", "x", "wrong, 0 mistakes", "x")
    for column in (*columns, "wrong, 5 mistakes", "x"):
        table.add_column(column, justify="left" if column == "shape" else "right")
    guesses = []
    for shape in SHAPES:
        e = rng.normal(0, 3, shape)
        wrong = e + 1e-3 * (1 + np.abs(e))
        base = seal(e, TOL, SALT, LABEL)
        mistakes = [seal_on(m(e), base, TOL, SALT, LABEL) for m in MISTAKES]
        assert _check(e, base, []) == 0 and _check(wrong, base, mistakes) is None
        assert _check(MISTAKES[2](e), base, mistakes) == 3
        runs = [_guess, partial(_check, e, base, []), partial(_check, wrong, base, [])]
        guess, *times = _interleaved_ms(
            [*runs, partial(_check, wrong, base, mistakes)], args.repeats
        )
        guesses.append(guess)
        cells = [f"{f:.2f}" for t in times for f in (t, t / guess)]
        table.add_row(str(shape), f"{guess:.2f}", *cells)
    console = Console()
    console.print(
        f"one offline guess = one scrypt call (n={COST.n}, r={COST.r}, p={COST.p}, "
        f"{COST.memory // 2**20} MiB): {statistics.median(guesses):.2f} ms (median of the rows)"
    )
    console.print(table)


if __name__ == "__main__":
    main()
