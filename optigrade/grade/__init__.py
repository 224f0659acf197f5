"""`grader grade`: sandboxed, parallel, resumable batch grading of a whole class.

`grade_assignment` (in `optigrade.grade.batch`) is the entry point. Around it, one module
per job: `submissions` (finding and reading notebooks), `restore` (the instructor's test
cells back in), `pool` (the local sandbox runners) and `cluster` (Dask instead), `judge`
(grading a run with the key), `results` (result files and the tables rebuilt from them).
Student code runs in `grader_sandbox`, which holds no key.
"""

from typing import Any

__all__ = ["grade_assignment"]


def __getattr__(name: str) -> Any:
    # nbformat takes a second to import: load the batch only when it is used
    if name == "grade_assignment":
        from optigrade.grade.batch import grade_assignment

        return grade_assignment
    raise AttributeError(f"module 'optigrade.grade' has no attribute {name!r}")
