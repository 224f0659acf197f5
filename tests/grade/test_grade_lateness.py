"""Deadlines and late penalties: times as nbgrader writes them, the declared policy, the
extensions beside overrides.csv, the due date from nbgrader's gradebook; then a class
graded against a deadline, where the penalty shows in every output (grades.csv,
results.jsonl, scores.csv, the feedback page, the report, the LMS export) and a new
extension needs no notebook to run again."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from types import SimpleNamespace

import pytest

from optigrade import bank, cli
from optigrade.export import lms
from optigrade.export.run import write_all
from optigrade.grade import deadline
from optigrade.grade.batch import grade_assignment
from optigrade.grade.options import GradeOptions, GradePaths
from optigrade.grade.submissions import Submission
from optigrade.records.lateness import Lateness, LatePolicy, parse_time

ROOT = Path(__file__).resolve().parents[2]
A = "forward-pass"
SOLVED = ROOT / "solutions" / A / f"{A}.ipynb"
FULL = sum(q.points for q in bank.questions(A) if not q.practice)  # 18
DUE = datetime(2025, 3, 10, 17, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "time"),
    [
        (
            "2015-02-02 14:58:23.948203 America/Los_Angeles",
            datetime(2015, 2, 2, 22, 58, 23, 948203),
        ),
        ("2019-05-30 11:44:01.911849 UTC", datetime(2019, 5, 30, 11, 44, 1, 911849)),
        ("2025-03-10 17:00 Europe/Paris", datetime(2025, 3, 10, 16)),
        ("2025-03-10T17:00+01:00", datetime(2025, 3, 10, 16)),
        ("2025-03-10T17:00Z", datetime(2025, 3, 10, 17)),
        ("  2025-03-10 17:00  ", datetime(2025, 3, 10, 17)),  # no zone: UTC, as nbgrader
    ],
)
def test_times_as_nbgrader_and_iso_write_them(text, time):
    assert parse_time(text) == time.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "no time was given"),
        ("yesterday", "'yesterday' is not a date and time"),
        ("2025-03-10 17:00 Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("2025-03-10T17:00+01:00 UTC", "gives two time zones"),
    ],
)
def test_a_time_that_is_none_says_why(text, why):
    with pytest.raises(ValueError, match=why):
        parse_time(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("none", "no late penalty (how late a submission was is shown only)"),
        ("zero", "no points for a late submission"),
        (
            "10%/day,max=50%",
            "10% of the points for each day late (any part of a day counts as a whole one), "
            "at most 50%",
        ),
        (
            "2.5%/hour",
            "2.5% of the points for each hour late (any part of an hour counts as a whole one)",
        ),
        (
            "zero-after=2025-03-12T17:00:00+00:00",
            "no points for a submission after 2025-03-12 17:00 UTC (later by the student's "
            "extension, if any); late before that: no penalty",
        ),
    ],
)
def test_a_policy_reads_back_and_says_itself(text, words):
    policy = LatePolicy.parse(text)
    assert LatePolicy.parse(policy.text) == policy and policy.text == text
    assert policy.describe() == words


@pytest.mark.parametrize(
    "text", ["5 points a day", "0%/day", "10%/week", "10%/day,max=0%", "zero-after=soon"]
)
def test_an_undeclarable_policy_is_refused(text):
    with pytest.raises(ValueError):
        LatePolicy.parse(text)


def late(policy: str, hours: float, extension: float = 0.0) -> Lateness:
    return Lateness(LatePolicy.parse(policy), DUE, extension, DUE + timedelta(hours=hours))


@pytest.mark.parametrize(
    ("lateness", "penalty"),
    [
        (late("10%/day,max=30%", -1), 0.0),  # on time
        (late("10%/day,max=30%", 0), 0.0),  # at the due date: on time
        (late("10%/day,max=30%", 0.01), 1.8),  # any part of a day counts
        (late("10%/day,max=30%", 25), 3.6),  # two days started
        (late("10%/day,max=30%", 24 * 9), 5.4),  # beyond the cap
        (late("10%/day,max=30%", 30, extension=48), 0.0),  # within an extension
        (late("10%/day,max=30%", 50, extension=48), 1.8),  # 2 h past an extension
        (late("none", 100), 0.0),
        (late("zero", 0.5), 18.0),
        (late("zero-after=2025-03-11T17:00Z", 20), 0.0),  # late, before the cutoff
        (late("zero-after=2025-03-11T17:00Z", 30), 18.0),
        (late("zero-after=2025-03-11T17:00Z", 30, extension=24), 0.0),  # the cutoff moves too
        (Lateness(LatePolicy.parse("zero"), DUE, note="no timestamp.txt"), 0.0),  # unknown
    ],
)
def test_the_penalty_follows_the_policy(lateness, penalty):
    assert lateness.penalty(18.0, 18.0) == penalty
    assert lateness.penalty(1.0, 18.0) == min(1.0, penalty)  # never more than was earned


def test_extensions_are_read_beside_overrides_and_bad_rows_are_warnings(tmp_path):
    (tmp_path / deadline.FILE).write_text(
        "Student,Extension,Comment\n"
        "ann,48h,medical\n"  # row 2
        "ben,2d,\n"  # 3
        "cat,2025-03-11 17:00 UTC,\n"  # 4: her own due date
        "zed,1d,\n"  # 5: no such student
        "dan,soon,\n"  # 6: neither
        "eve,2025-03-09 17:00,\n"  # 7: before the due date
        "ann,72h,second thoughts\n",  # 8: replaces row 2
        encoding="utf-8",
    )
    found, warnings = deadline.read_extensions(
        tmp_path / deadline.FILE, DUE, {"ann", "ben", "cat", "dan", "eve"}
    )
    assert found == {"ann": 72.0, "ben": 48.0, "cat": 24.0}
    assert warnings == [
        "extensions.csv row 5 (zed, 1d): no student 'zed': row ignored",
        "extensions.csv row 6 (dan, soon): not a duration (48h, 2d) nor a due date: 'soon' is "
        "not a date and time (e.g. 2025-03-10 17:00): row ignored",
        "extensions.csv row 7 (eve, 2025-03-09 17:00): 2025-03-09 17:00 UTC is before the "
        "class's due date 2025-03-10 17:00 UTC: row ignored",
        "extensions.csv row 8 gives ann a second extension: this row counts",
    ]


def test_a_deadline_that_cannot_apply_is_said(tmp_path):
    policy = LatePolicy.parse("zero-after=2025-03-09T17:00Z")
    with pytest.raises(deadline.DeadlineError, match="before the due date"):
        deadline.resolve(A, DUE, policy, None, tmp_path, [])
    (tmp_path / deadline.FILE).write_text("student,extension\nann,1d\n")
    none = deadline.resolve(A, None, LatePolicy.parse("zero"), None, tmp_path, ["ann"])
    assert none.due is None and none.lateness(Submission("ann", "x", b"{}")) is None
    assert none.warnings == (
        "the late policy 'zero' not applied: no due date (give --due, or set it in nbgrader's "
        "gradebook)",
        f"{tmp_path / deadline.FILE} not applied: no due date (give --due, or set it in "
        "nbgrader's gradebook)",
    )


def test_the_due_date_comes_from_nbgrader_s_gradebook(tmp_path):
    from nbgrader.api import Gradebook

    assert deadline.gradebook_due(tmp_path, A) is None  # no gradebook: none is created
    assert not (tmp_path / "gradebook.db").exists()
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        gb.add_assignment(A, duedate=datetime(2025, 3, 10, 17))  # nbgrader keeps UTC
        gb.add_assignment("optimisers")
    assert deadline.gradebook_due(tmp_path, A) == DUE
    assert deadline.gradebook_due(tmp_path, "optimisers") is None
    assert deadline.gradebook_due(tmp_path, "backpropagation") is None


def test_the_command_reads_the_due_date_and_the_policy():
    args = cli.build_parser().parse_args(
        ["grade", A, "--due", "2025-03-10 18:00 Europe/Paris", "--late-policy", "10%/day"]
    )
    assert args.due == DUE and args.late_policy == LatePolicy("per-day", 0.1)


# --- a class graded against a deadline -----------------------------------------------------

#: Each student's timestamp.txt (None: none), under 10%/day at most 30%, due DUE.
STAMPS = {
    "ontime": "2025-03-10 16:59:59.000000 UTC",
    "late": "2025-03-10 19:30:00.000000 UTC",  # 2 h 30 min: one day started, 10%
    "capped": "2025-03-15 17:00:00.000000 UTC",  # 5 days: 50%, capped at 30%
    "extended": "2025-03-11 20:00:00.000000 UTC",  # 27 h late, but 2 days' extension
    "malformed": "the day after the deadline",
    "unknown": None,
}
POLICY = "10%/day,max=30%"
TOTALS = {"late": 16.2, "capped": 12.6}  # the others: full marks


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("deadline")
    for folder in ("exercises", "release"):
        shutil.copytree(ROOT / folder / A, root / folder / A)
    for student, stamp in STAMPS.items():
        folder = root / "submitted" / student / A
        folder.mkdir(parents=True)
        shutil.copy2(SOLVED, folder / f"{A}.ipynb")
        if stamp is not None:
            (folder / "timestamp.txt").write_text(stamp)
    out = root / "graded"
    out.mkdir()
    (out / deadline.FILE).write_text("student,extension,comment\nextended,2d,travel\n")
    paths = GradePaths(root / "submitted", root / "exercises", root / "release", out)
    options = GradeOptions(jobs=2, progress=False, due=DUE, late_policy=LatePolicy.parse(POLICY))
    summary = grade_assignment(A, paths, options)
    summary.warnings += write_all(out)
    return SimpleNamespace(paths=paths, options=options, out=out, summary=summary)


def rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return {r["student_id"]: r for r in csv.DictReader(f)}


def test_grades_csv_shows_the_lateness_and_the_total_after_the_penalty(dated):
    table = rows(dated.out / "grades.csv")
    for student in STAMPS:
        total = TOTALS.get(student, FULL)
        assert float(table[student]["total"]) == total, student
        assert float(table[student]["penalty"]) == round(FULL - total, 3), student
    assert table["late"]["hours_late"] == "2.50"
    assert table["late"]["submitted"] == "2025-03-10T19:30:00+00:00"
    assert table["extended"]["due"] == "2025-03-12T17:00:00+00:00"  # with the extension
    assert table["malformed"]["submitted"] == table["unknown"]["submitted"] == ""


def test_results_jsonl_has_a_lateness_line_per_student(dated):
    lines = [json.loads(line) for line in (dated.out / "results.jsonl").read_text().splitlines()]
    late = {line["student"]: line for line in lines if "question" not in line}
    assert sorted(late) == sorted(STAMPS)
    assert late["capped"] | {"note": ""} == {
        "student": "capped",
        "policy": POLICY,
        "due": "2025-03-10T17:00:00+00:00",
        "extension_hours": 0.0,
        "submitted": "2025-03-15T17:00:00+00:00",
        "note": "",
        "hours_late": 120.0,
        "penalty": 5.4,
        "total": 12.6,
        "max": FULL,
    }
    assert late["unknown"]["submitted"] is None
    assert late["unknown"]["note"] == "no timestamp.txt beside the notebook"


def test_a_malformed_timestamp_is_a_warning_not_a_crash(dated):
    (warning,) = [w for w in dated.summary.warnings if w.startswith("malformed:")]
    assert "timestamp.txt holds no time: 'the day after the deadline' is not a date" in warning
    assert "malformed" not in dated.summary.failed


def test_the_feedback_page_says_the_lateness_the_policy_and_the_penalty(dated):
    def page(student: str) -> str:
        return (dated.out / "feedback" / f"{student}.html").read_text(encoding="utf-8")

    words = escape(LatePolicy.parse(POLICY).describe())
    said = page("late")
    assert "Total: 16.2 of 18 points (90%)." in said
    assert "Late: submitted 2025-03-10 19:30 UTC, 2\u00a0h 30\u00a0min after the due date" in said
    assert words in said and "1.8 points deducted: your questions earned 18" in said
    assert "Submitted 2025-03-11 20:00 UTC, on time: due 2025-03-12 17:00 UTC" in page("extended")
    assert "extended for you by 2\u00a0days" in page("extended")
    assert "no late penalty was applied" in page("malformed")
    assert "Submitted 2025-03-10 16:59:59 UTC, on time" in page("ontime")


def test_the_report_and_scores_csv_show_every_penalty(dated):
    report = (dated.out / "report.html").read_text(encoding="utf-8")
    assert "<h2>Deadline</h2>" in report
    assert "2 of 6 submissions on time, 2 late (2 with a penalty), 2 of unknown time" in report
    for student in ("late", "capped", "extended", "malformed", "unknown"):
        assert f'<tr data-student="{student}"><th scope="row" class="id">' in report
    scores = rows(dated.out / "scores.csv")
    assert scores["capped"]["total"] == "12.600"
    assert scores["capped"]["warnings"] == "late: 5.4 points deducted"


def test_the_lms_export_writes_the_total_after_the_penalty(dated, tmp_path):
    output = tmp_path / "moodle.csv"
    lms.run(A, dated.out, lms.Target(output))
    table = {r["Username"]: r for r in csv.DictReader(output.open(encoding="utf-8"))}
    assert float(table["capped"][A]) == 12.6
    assert table["capped"][f"{A} (Feedback)"].endswith("late penalty: -5.4.")
    assert float(table["ontime"][A]) == FULL


def test_a_new_extension_applies_without_running_a_notebook_again(dated):
    (dated.out / deadline.FILE).write_text("student,extension\ncapped,5d\nextended,2d\n")
    again = grade_assignment(A, dated.paths, dated.options)
    assert again.graded == [] and sorted(again.skipped) == sorted(STAMPS)
    assert float(rows(dated.out / "grades.csv")["capped"]["total"]) == FULL
