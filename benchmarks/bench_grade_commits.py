"""`grader grade` of this checkout against earlier commits' code on the same submissions
(goal: within 10% of the commit before the key-free sandbox, on the forward-pass set).

    python benchmarks/bench_grade_commits.py [--against 6f0f20e] [-n 30] [--rounds 3]

One course copy with the forward-pass set of `bench_grade_vs_nbgrader` (a synthetic class
without its hostile students). Each earlier commit's `grader` and `reference` are
extracted (`git archive`) and put first on PYTHONPATH, in the same virtual environment.
Rounds alternate the versions (`grader grade forward-pass --force`, wall clock, with its
start-up), so a change of load weighs on all; each student's total must be the same in
every run. Prints each version's times, median, and its ratio to this checkout's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from statistics import median

from bench_grade_vs_nbgrader import course, submit_class

ROOT = Path(__file__).resolve().parents[1]
HERE = "this checkout"


def extract(commit: str, into: Path) -> Path:
    """`grader` and `reference` of `commit`, in a folder of their own."""
    archive = subprocess.run(
        ["git", "archive", commit, "grader", "reference"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    folder = into / commit
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def grade(root: Path, code: Path | None) -> tuple[float, dict[str, float]]:
    """Seconds of one `grader grade --force` run with `code` first on the path, and the
    students' totals."""
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(code), env.get("PYTHONPATH", "")])
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "optigrade", "grade", "forward-pass", "--force"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"grader grade failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    results = root / "graded" / "forward-pass" / "results"
    return seconds, {p.stem: json.loads(p.read_text())["score"] for p in results.glob("*.json")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", nargs="+", default=["6f0f20e"], help="earlier commits")
    parser.add_argument("-n", type=int, default=30, help="submissions (default 30)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each version")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = course(Path(tmp) / "course", "forward-pass")
        submit_class(root, args.n)
        versions: dict[str, Path | None] = {HERE: None}
        versions |= {c: extract(c, Path(tmp)) for c in args.against}
        times: dict[str, list[float]] = {v: [] for v in versions}
        totals = set()
        loads = [os.getloadavg()[0]]
        for _ in range(args.rounds):
            for version, code in versions.items():
                seconds, scores = grade(root, code)
                times[version].append(seconds)
                totals.add(json.dumps(scores, sort_keys=True))
        loads.append(os.getloadavg()[0])
    print(f"{args.n} forward-pass submissions, {args.rounds} rounds", end="")
    print(f", load {loads[0]:.1f} -> {loads[1]:.1f}")
    ours = median(times[HERE])
    for version, runs in times.items():
        shown = ", ".join(f"{t:.1f}" for t in runs)
        print(f"  {version:14} {median(runs):6.1f} s median ({shown}); x{median(runs) / ours:.2f}")
    same = len(totals) == 1
    print("  every run gave the same totals" if same else "  TOTALS DIFFER between runs")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
