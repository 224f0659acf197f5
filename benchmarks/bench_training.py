"""Time the reference 3-2-1 training against the lab's neuron-by-neuron loop, same run.

    python benchmarks/bench_training.py [--repeats 3] [--iterations 5000]

Both train the lab's network on its 10000 synthetic observations from the same initial
weights with eta = 0.0005. Prints the median wall time of each, their ratio and the
largest difference between their final weights. The goal: reference <= 1.5 s, at least
3x faster than the lab loop, equal results.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lab_loop import lab_train_321

from reference import data, network

ETA = 0.0005


def timed(train: Callable[[], tuple]) -> tuple[float, tuple]:
    start = time.perf_counter()
    result = train()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=5000)
    args = parser.parse_args()

    X, y = data.synthetic_321()
    W1, W2, n = data.W1_INIT, data.W2_INIT, args.iterations
    ref_times, lab_times = [], []
    for _ in range(args.repeats):  # alternate, so a busy moment slows both alike
        seconds, (ref_W1, ref_W2, _) = timed(lambda: network.train_321(X, y, W1, W2, ETA, n))
        ref_times.append(seconds)
        seconds, (lab_W1, lab_W2, _) = timed(lambda: lab_train_321(X, y, W1, W2, ETA, n))
        lab_times.append(seconds)

    ref, lab = statistics.median(ref_times), statistics.median(lab_times)
    ratio = statistics.median(b / a for a, b in zip(ref_times, lab_times, strict=True))
    diff = max(np.abs(ref_W1 - lab_W1).max(), np.abs(ref_W2 - lab_W2).max())
    table = Table(title=f"3-2-1 training, {n} iterations, median of {args.repeats}")
    for column in ("", "median s", "all runs s", "per iteration ms"):
        table.add_column(column)
    for name, median, times in (("reference", ref, ref_times), ("lab loop", lab, lab_times)):
        runs = ", ".join(f"{t:.2f}" for t in times)
        table.add_row(name, f"{median:.2f}", runs, f"{1000 * median / n:.3f}")
    console = Console()
    console.print(table)
    console.print(f"speed-up (lab / reference, median of paired runs): {ratio:.2f}x")
    console.print(f"max |difference| of the final weights: {diff:.2e}")


if __name__ == "__main__":
    main()
