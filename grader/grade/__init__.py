"""`grader grade`: sandboxed, parallel, resumable batch grading of a whole class.

`grade_assignment` (in `grader.grade.batch`) is the entry point. Around it, one module per
job. The trusted side: `submissions` (finding and reading notebooks), `restore` (the
instructor's test cells back in), `pool` (the local sandbox runners) and `cluster` (Dask
instead), `judge` (grading a run with the key), `results` (result files and the tables
rebuilt from them). The side that holds no key: `runner` (the process that forks each
submission's child), `channel` and `messages` (talking to it), `jail` (its bubblewrap
view, and whether isolation can be had here), `sandbox`, `child` and `isolation` (running
student code in a forked, isolated child), and `node` (a cluster's Dask task). A grading
node installs only that side (node/pyproject.toml), so `grade_assignment` is not there.
"""

from typing import Any

__all__ = ["grade_assignment"]


def __getattr__(name: str) -> Any:
    # nbformat takes a second to import: load the batch only when it is used
    if name == "grade_assignment":
        from grader.grade.batch import grade_assignment

        return grade_assignment
    raise AttributeError(f"module 'grader.grade' has no attribute {name!r}")
