"""What a batch is told: where the class is (`GradePaths`) and how to grade it
(`GradeOptions`). Each option's default and help are declared here once; `grader grade`'s
arguments are made from them (`optigrade.cli`), the limits' defaults are the sandbox's
(`grader_sandbox.isolation.Limits`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from grader_sandbox.isolation import Limits
from optigrade.records.lateness import POLICY_FORMS, LatePolicy

if TYPE_CHECKING:
    from distributed import Client


@dataclass(frozen=True)
class GradePaths:
    """The class's submissions (nbgrader's submitted/ folder, or a folder or .zip of LMS
    downloads), the course's source and release folders, where the grading goes (None:
    graded/ASSIGNMENT) and the nbgrader course whose gradebook gives the due date when
    `GradeOptions.due` does not (None: no gradebook is read)."""

    submitted: Path = Path("submitted")
    source: Path = Path("exercises")
    release: Path = Path("release")
    out: Path | None = None
    course: Path | None = None


@dataclass(frozen=True)
class GradeOptions:
    """How to grade a class. Each field's metadata holds its help, which may name its
    `{default}`, and the metavar of its command-line argument (when it has one)."""

    jobs: int | None = field(
        default=None,
        metadata={"help": "submissions graded at once (default: the cores)", "metavar": "N"},
    )
    timeout: float = field(
        default=Limits.timeout,
        metadata={
            "help": "time for one submission's whole notebook (default {default:g})",
            "metavar": "SECONDS",
        },
    )
    cell_timeout: float = field(
        default=Limits.cell_timeout,
        metadata={"help": "time for one cell (default {default:g})", "metavar": "SECONDS"},
    )
    memory_mb: int = field(
        default=Limits.memory_mb,
        metadata={"help": "memory for one submission, in MiB (default {default})"},
    )
    force: bool = field(default=False, metadata={"help": "regrade students already graded"})
    gradebook: bool = field(
        default=False,
        metadata={
            "help": "also write the scores into nbgrader's gradebook (the db_url of the "
            "course's nbgrader_config.py, by default gradebook.db), as `nbgrader autograde` "
            "would"
        },
    )
    trust_submissions: bool = field(
        default=False,
        metadata={
            "help": "where student code cannot be isolated (no user namespaces: some "
            "containers, macOS, Windows), grade anyway, without isolation; every result, "
            "feedback page and the report then say so. Without it, grading refuses there "
            "(exit code 3)"
        },
    )
    cluster: str | Client | None = field(
        default=None,
        metadata={
            "help": "grade on Dask: a running scheduler (tcp://host:8786), or local:N for N "
            "worker processes here; each node runs the same sandbox, the answer key stays "
            "here (docs/CLUSTER.md). Exit code 2 if the scheduler does not answer",
            "metavar": "ADDRESS",
        },
    )
    keras_backend: str | None = field(
        default=None,
        metadata={"help": "the Keras backend of student code (default: $KERAS_BACKEND, else jax)"},
    )
    due: datetime | None = field(
        default=None,
        metadata={
            "help": "the due date, e.g. '2025-03-10 17:00 Europe/Paris' or "
            "2025-03-10T17:00+01:00 (no zone: UTC, as nbgrader takes it); default: the "
            "assignment's due date in nbgrader's gradebook, if any. Each submission's time "
            "is its timestamp.txt (nbgrader collect, zip_collect) or its LMS download's; "
            "per-student extensions go in extensions.csv beside overrides.csv",
            "metavar": "TIME",
        },
    )
    late_policy: LatePolicy = field(
        default=LatePolicy(),
        metadata={
            "help": f"what a late submission loses: {POLICY_FORMS} (e.g. 10%/day,max=50%; "
            "default none: lateness is shown, nothing deducted)",
            "metavar": "POLICY",
        },
    )
    progress: bool = field(default=True, metadata={"help": "show the progress on stderr"})
    hide: tuple[Path, ...] = field(
        default=(),
        metadata={
            "help": "more folders student code must not see (it sees none but the "
            "installation and the release anyway)"
        },
    )
