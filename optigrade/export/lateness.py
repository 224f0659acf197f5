"""Deadlines on the pages: a student's lateness and penalty on their feedback page
(`paragraph`), the class's on the report (`section`); both say the declared policy, so
no penalty is applied silently. Nothing is shown for a class graded without a due date.
"""

from __future__ import annotations

from datetime import timedelta
from html import escape
from urllib.parse import quote

from optigrade.export import page
from optigrade.export.classbook import GradedClass
from optigrade.records.lateness import Lateness, shown
from optigrade.records.result import StudentResult


def _duration(late: timedelta) -> str:
    """How late, for people: "3 days 4 h 5 min", "45 min", "12 s"."""
    seconds = int(late.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    said = [f"{days}\u00a0day{'s' * (days != 1)}"] if days else []  # no-break spaces:
    said += [f"{hours}\u00a0h"] if hours else []  # a number stays with its unit
    said += [f"{minutes}\u00a0min"] if minutes and not days else []
    return " ".join(said) or f"{seconds}\u00a0s"


def _due(lateness: Lateness) -> str:
    """The student's due date, with their extension if they have one."""
    if not lateness.extension_hours:
        return shown(lateness.due)
    extension = _duration(timedelta(hours=lateness.extension_hours))
    own, due = shown(lateness.own_due), shown(lateness.due)
    return f"{own} (the class's {due}, extended for you by {extension})"


def paragraph(result: StudentResult) -> str:
    """What a student's feedback page says about their deadline ("" without one)."""
    lateness = result.lateness
    if lateness is None:
        return ""
    policy = f"Late policy: {escape(lateness.policy.describe())}."
    if lateness.submitted is None:
        return (
            f'<p class="note">The time of your submission is unknown '
            f"({escape(lateness.note)}): no late penalty was applied. {policy}</p>"
        )
    submitted, due = shown(lateness.submitted), escape(_due(lateness))
    if not lateness.late:
        return f"<p>Submitted {submitted}, on time: due {due}.</p>"
    said = f"submitted {submitted}, {_duration(lateness.late)} after the due date {due}"
    if result.penalty:
        penalty = (
            f"{page.points(result.penalty)} points deducted: your questions earned "
            f"{page.points(result.earned)}, your total is {page.points(result.score)}."
        )
    else:
        penalty = "No points were deducted."
    return f'<p class="note"><strong>Late: {said}.</strong> {policy} {penalty}</p>'


def section(graded: GradedClass) -> str:
    """The report's deadline section: the due date, the policy, and every student late,
    of unknown time or with an extension ("" for a class graded without a due date)."""
    results = [r for _, r in sorted(graded.results.items()) if r.lateness is not None]
    if not results:
        return ""
    first = results[0].lateness
    assert first is not None
    late = [r for r in results if r.lateness and r.lateness.late]
    unknown = [r for r in results if r.lateness and r.lateness.submitted is None]
    penalised = [r for r in late if r.penalty]
    rows = [
        _row(r, graded.pages[r.student])
        for r in results
        if r in late or r in unknown or _extended(r)
    ]
    summary = (
        f"<p>Due {shown(first.due)}. Late policy: {escape(first.policy.describe())}. "
        f"{len(results) - len(late) - len(unknown)} of {len(results)} submissions on time, "
        f"{len(late)} late ({len(penalised)} with a penalty), {len(unknown)} of unknown "
        "time (no penalty). Totals everywhere are after the penalty.</p>"
    )
    if not rows:
        return f"<h2>Deadline</h2>\n{summary}"
    columns = [
        page.column("Student"),
        page.column("Submitted"),
        page.column("Due"),
        page.column("Late by"),
        page.column("Penalty", numeric=True),
        page.column("Total", numeric=True),
    ]
    return "\n".join(["<h2>Deadline</h2>", summary, page.table(columns, rows, "lateness")])


def _extended(result: StudentResult) -> bool:
    return bool(result.lateness and result.lateness.extension_hours)


def _row(result: StudentResult, page_name: str) -> str:
    lateness = result.lateness
    assert lateness is not None
    href = f"feedback/{quote(page_name)}"
    submitted = shown(lateness.submitted) if lateness.submitted else f"unknown: {lateness.note}"
    due = shown(lateness.own_due)
    if lateness.extension_hours:
        due += f" (extended by {_duration(timedelta(hours=lateness.extension_hours))})"
    late = _duration(lateness.late) if lateness.late else "on time"
    if lateness.submitted is None:
        late = "unknown"
    return (
        f'<tr data-student="{escape(result.student)}"><th scope="row" class="id">'
        f'<a href="{escape(href)}">{escape(result.student)}</a></th>'
        f"<td>{escape(submitted)}</td><td>{escape(due)}</td><td>{late}</td>"
        f'<td class="num">{page.points(result.penalty)}</td>'
        f'<td class="num">{page.points(result.score)} of {page.points(result.max)}</td></tr>'
    )
