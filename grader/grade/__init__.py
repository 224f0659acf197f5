"""`grader grade`: sandboxed, parallel, resumable batch grading of a whole class.

`grade_assignment` (in `grader.grade.batch`) is the entry point. Around it, one module per
job: `submissions` (finding and reading notebooks), `restore` (the instructor's test
cells back in), `pool` and `worker` (long-lived grading processes), `jail` (the
bubblewrap view each worker lives in, and whether isolation can be had here), `sandbox`,
`child` and `isolation` (running student code in a forked, isolated child), `results`
(result files and the tables rebuilt from them).
"""

from typing import Any

__all__ = ["grade_assignment"]


def __getattr__(name: str) -> Any:
    # nbformat takes a second to import: load the batch only when it is used
    if name == "grade_assignment":
        from grader.grade.batch import grade_assignment

        return grade_assignment
    raise AttributeError(f"module 'grader.grade' has no attribute {name!r}")
