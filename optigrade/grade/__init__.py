"""`grader grade`: sandboxed, parallel, resumable batch grading of a whole class.

`grade_assignment` (in `optigrade.grade.batch`) is the entry point, told where the class
is and how to grade it by `options`. Around it, one module per job: `submissions`
(finding and reading notebooks), `restore` (the instructor's test cells back in), `pool`
(the local sandbox runners) and `cluster` (Dask instead), `judge` (grading a run with the
key), `results` (question entries, and the tables rebuilt from the stored results).
Student code runs in `grader_sandbox`, which holds no key. The results are written as
`optigrade.records`; the exports (`optigrade.export`) read them after a batch.
"""

from typing import Any

__all__ = ["grade_assignment"]


def __getattr__(name: str) -> Any:
    # nbformat takes a second to import: load the batch only when it is used
    if name == "grade_assignment":
        from optigrade.grade.batch import grade_assignment

        return grade_assignment
    raise AttributeError(f"module 'optigrade.grade' has no attribute {name!r}")
