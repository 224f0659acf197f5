"""`grader grade --cluster local:N` against the local pool on the same submissions (goal:
the cluster's throughput within 15% of the local pool's, i.e. Dask's overhead).

    python benchmarks/bench_cluster.py [--forward-pass 200] [--backpropagation 20]

forward-pass: a synthetic class without its hostile students
(`optigrade.demo.classes.make_class`). backpropagation: copies of the solution notebook,
each training the 3-2-1 network from scratch and with Keras. Each set is graded in the
same run by every configuration, in turn: the local pool with 2 jobs and with 1,
`--cluster local:2` and `--cluster local:1`. Each run is `grader grade --force` in a
fresh process, timed wall-clock with its start-up (the LocalCluster's included), as an
instructor runs it. Every configuration must write the same grades.csv.

The first table compares the local pool (2 jobs) with local:2: throughput, time per
submission, and the ratio; also when the first result file was written (the start-up:
imports, the workers and their sandbox runners, one submission) and the time per
submission after it (the rest of the run over n - 1, tables and exports included). The
second table shows scaling with the number of workers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from optigrade.demo.classes import COPIES, HOSTILE, NOT_HOSTILE, make_class

ROOT = Path(__file__).resolve().parents[1]
SETS = {"forward-pass": 200, "backpropagation": 20}
#: label -> the options of `grader grade`
RUNS = {
    "local pool, 2 jobs": ["--jobs", "2"],
    "local pool, 1 job": ["--jobs", "1"],
    "--cluster local:2": ["--cluster", "local:2"],
    "--cluster local:1": ["--cluster", "local:1"],
}
#: the second table's rows, each with its one-worker run
SCALING = {
    "local pool, 1 job": "local pool, 1 job",
    "local pool, 2 jobs": "local pool, 1 job",
    "--cluster local:1": "--cluster local:1",
    "--cluster local:2": "--cluster local:1",
}
GOAL = 0.85  # the cluster's throughput over the pool's, at least


def submit(root: Path, assignment: str, n: int) -> None:
    """n submissions in root/submitted (see the module doc)."""
    if assignment == "forward-pass":
        make_class(ROOT, assignment, root, size=n + len(HOSTILE) + len(COPIES), kinds=NOT_HOSTILE)
        return
    name = f"{assignment}.ipynb"
    for i in range(1, n + 1):
        folder = root / "submitted" / f"s{i:03d}" / assignment
        folder.mkdir(parents=True)
        shutil.copy2(ROOT / "solutions" / assignment / name, folder / name)


def grade(root: Path, assignment: str, options: list[str]) -> tuple[float, float]:
    """Seconds for one `grader grade --force` run, as a user runs it, and seconds until
    its first result file was written (its start-up: imports, workers, first submission)."""
    command = [sys.executable, "-m", "optigrade", "grade", assignment, "--course", str(ROOT)]
    command += ["--submitted", str(root / "submitted"), "--out", str(root / "graded")]
    command += ["--force", *options]
    started, wall = time.perf_counter(), time.time()
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"grader grade {' '.join(options)} failed:\n{done.stderr}")
    written = [p.stat().st_mtime for p in (root / "graded" / "results").glob("*.json")]
    return seconds, min(written) - wall


def bench(assignment: str, n: int) -> bool:
    """Every configuration on one set; print both tables; True when the goal is met."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        submit(root, assignment, n)
        load = os.getloadavg()[0]
        seconds, first, tables = {}, {}, set()
        for label, options in RUNS.items():
            seconds[label], first[label] = grade(root, assignment, options)
            tables.add((root / "graded" / "grades.csv").read_bytes())
    print(f"\n{assignment}: {n} submissions (load average {load:.1f} -> {os.getloadavg()[0]:.1f})")
    pool, dask = seconds["local pool, 2 jobs"], seconds["--cluster local:2"]
    ratio = pool / dask  # throughput ratio: n/dask over n/pool
    print(
        f"  {'':22} {'total':>8} {'per submission':>15} {'submissions/min':>16}"
        f" {'first result':>13} {'then, each':>11}"
    )
    for label in ("local pool, 2 jobs", "--cluster local:2"):
        s, f = seconds[label], first[label]
        rest = (s - f) / max(1, n - 1)  # the rest of the run (tables and exports too)
        print(f"  {label:22} {s:7.1f}s {s / n:14.2f}s {60 * n / s:16.1f} {f:12.1f}s {rest:10.3f}s")
    verdict = "met" if ratio >= GOAL else "NOT met"
    print(f"  cluster/pool throughput: {ratio:.2f} (goal at least {GOAL:g}: {verdict})")
    print(f"  scaling: {'':12} {'total':>8} {'per submission':>15} {'vs 1 worker':>12}")
    for label, one in SCALING.items():
        s = seconds[label]
        print(f"  {label:22} {s:7.1f}s {s / n:14.2f}s {seconds[one] / s:11.2f}x")
    same = len(tables) == 1
    print(f"  grades.csv {'identical' if same else 'DIFFERS'} across the {len(RUNS)} runs")
    return same and ratio >= GOAL


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--forward-pass", type=int, default=SETS["forward-pass"])
    parser.add_argument("--backpropagation", type=int, default=SETS["backpropagation"])
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    sizes = {"forward-pass": args.forward_pass, "backpropagation": args.backpropagation}
    met = [bench(assignment, n) for assignment, n in sizes.items() if n > 0]
    return 0 if all(met) else 1


if __name__ == "__main__":
    raise SystemExit(main())
