"""Deadlines and late penalties, as a student's result records them.

A class is graded under one declared `LatePolicy` (``grader grade --late-policy``):

- ``none``: how late each submission was is shown, nothing is deducted (the default);
- ``P%/hour`` or ``P%/day``, optionally ``,max=C%``: P% of the assignment's points for
  each hour (day) late, any part of one counting as a whole one (as Canvas counts late
  days), at most C% (default 100%);
- ``zero``: no points once late (nbgrader's ``LateSubmissionPlugin.penalty_method = 'zero'``);
- ``zero-after=TIME``: no points for a submission after TIME (plus the student's
  extension); one late before it is shown late, without a penalty.

A student's `Lateness` holds what the penalty follows from: the policy, the class's due
date, the student's extension, when the notebook was submitted (None: unknown, `note`
says why). The penalty, in points, never exceeds what the questions earned, so a total
is never negative (as nbgrader caps its late penalty at the score).

Times are aware datetimes in UTC; `parse_time` reads the forms nbgrader writes
(``2015-02-02 14:58:23.948203 America/Los_Angeles``, ``... UTC``) and ISO 8601 ones; a
time without a zone is UTC, as nbgrader takes it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from optigrade.records import checks

PolicyKind = Literal["none", "per-hour", "per-day", "zero", "zero-after"]
POLICY_KINDS: tuple[str, ...] = get_args(PolicyKind)

#: How the policy is written on the command line (and in a result file).
POLICY_FORMS = "none, P%/hour or P%/day (optionally ,max=C%), zero, or zero-after=TIME"

_RATE = re.compile(
    r"^(?P<rate>\d+(?:\.\d+)?)%/(?P<unit>hour|day)(?:,\s*max=(?P<cap>\d+(?:\.\d+)?)%)?$"
)
_UNIT_HOURS = {"hour": 1, "day": 24}
#: Penalties are computed to the micro-point: no float noise in the tables.
_DIGITS = 6


def parse_time(text: str) -> datetime:
    """A time as nbgrader writes it (``2015-02-02 14:58:23.948203 America/Los_Angeles``,
    ``2019-05-30 11:44:01.911849 UTC``), or in ISO 8601 (``2025-03-10T17:00+01:00``); no
    zone: UTC. Raises ValueError saying what is wrong."""
    said = " ".join(text.split())
    if not said:
        raise ValueError("no time was given (the text is empty)")
    head, _, zone = said.rpartition(" ")
    named = bool(head) and zone[:1].isalpha()  # nbgrader's "<date> <time> <zone name>"
    try:
        found = datetime.fromisoformat(head if named else said)
    except ValueError:
        raise ValueError(f"{said!r} is not a date and time (e.g. 2025-03-10 17:00)") from None
    if named:
        if found.tzinfo is not None:
            raise ValueError(f"{said!r} gives two time zones")
        try:
            found = found.replace(tzinfo=ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {zone!r} in {said!r} (give a zone name such as "
                "Europe/Paris or UTC, or an offset such as +01:00)"
            ) from None
    return (found if found.tzinfo is not None else found.replace(tzinfo=UTC)).astimezone(UTC)


def shown(time: datetime) -> str:
    """A time for people: ``2025-03-10 17:00 UTC`` (seconds when there are some)."""
    utc = time.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S UTC" if utc.second else "%Y-%m-%d %H:%M UTC")


def _percent(share: float) -> str:
    return f"{100 * share:g}%"


@dataclass(frozen=True)
class LatePolicy:
    """One declared late policy (see the module doc). `rate` and `cap` are shares of the
    assignment's points; `cutoff` is zero-after's time."""

    kind: PolicyKind = "none"
    rate: float = 0.0
    cap: float = 1.0
    cutoff: datetime | None = None

    def __post_init__(self) -> None:
        checks.word(self.kind, POLICY_KINDS, "late policy")
        rated = self.kind in ("per-hour", "per-day")
        if rated and not (0 < self.rate <= 1 and 0 < self.cap <= 1):
            raise ValueError("a late penalty and its maximum are between 0% and 100%")
        if (self.kind == "zero-after") != (self.cutoff is not None):
            raise ValueError("zero-after, and only it, needs a time")

    @classmethod
    def parse(cls, text: str) -> LatePolicy:
        """The policy `text` declares (`POLICY_FORMS`); raises ValueError saying why not."""
        said = text.strip()
        if said in ("none", "zero"):
            return cls(cast(PolicyKind, said))
        if said.startswith("zero-after="):
            return cls("zero-after", cutoff=parse_time(said.removeprefix("zero-after=")))
        found = _RATE.match(said)
        if found is None:
            raise ValueError(f"late policy {said!r} is not one of: {POLICY_FORMS}")
        rate, cap = float(found["rate"]) / 100, float(found["cap"] or 100) / 100
        try:
            return cls(cast(PolicyKind, f"per-{found['unit']}"), rate, cap)
        except ValueError as e:
            raise ValueError(f"late policy {said!r}: {e}") from None

    @property
    def text(self) -> str:
        """The policy as `parse` reads it back."""
        if self.kind in ("per-hour", "per-day"):
            cap = f",max={_percent(self.cap)}" if self.cap < 1 else ""
            return f"{_percent(self.rate)}/{self.kind.removeprefix('per-')}{cap}"
        if self.cutoff is not None:
            return f"zero-after={self.cutoff.isoformat()}"
        return self.kind

    def describe(self) -> str:
        """The policy in words, as every page says it."""
        if self.kind == "none":
            return "no late penalty (how late a submission was is shown only)"
        if self.kind == "zero":
            return "no points for a late submission"
        if self.cutoff is not None:
            return (
                f"no points for a submission after {shown(self.cutoff)} (later by the "
                "student's extension, if any); late before that: no penalty"
            )
        unit = self.kind.removeprefix("per-")
        said = f"{_percent(self.rate)} of the points for each {unit} late (any part of "
        said += f"{'an' if unit == 'hour' else 'a'} {unit} counts as a whole one)"
        return said + (f", at most {_percent(self.cap)}" if self.cap < 1 else "")

    def share(self, late: timedelta, submitted: datetime, extension: timedelta) -> float:
        """The share of the points deducted for a submission `late` past the student's due
        date (<= 0: on time), submitted at `submitted`, with that `extension`."""
        if self.cutoff is not None:
            return 1.0 if submitted > self.cutoff + extension else 0.0
        if late <= timedelta(0) or self.kind == "none":
            return 0.0
        if self.kind == "zero":
            return 1.0
        units = math.ceil(late / timedelta(hours=_UNIT_HOURS[self.kind.removeprefix("per-")]))
        return min(self.cap, self.rate * units)


def _time(value: object, what: str) -> datetime:
    try:
        found = datetime.fromisoformat(checks.text(value, what))
    except ValueError as e:
        raise checks.RecordError(f"{what}: {e}") from None
    if found.tzinfo is None:
        raise checks.RecordError(f"{what}: a time without its zone")
    return found


@dataclass(frozen=True)
class Lateness:
    """A submission against its deadline: the `policy`, the class's `due` date, the
    student's extension in hours, when it was `submitted` (None: unknown, `note` says why:
    no penalty then) and a `note` on how the time was read."""

    policy: LatePolicy
    due: datetime
    extension_hours: float = 0.0
    submitted: datetime | None = None
    note: str = ""

    def __post_init__(self) -> None:
        times = [self.due] + ([self.submitted] if self.submitted is not None else [])
        if any(t.tzinfo is None for t in times):
            raise checks.RecordError("lateness: a time without its zone")
        if not (math.isfinite(self.extension_hours) and self.extension_hours >= 0):
            raise checks.RecordError(f"lateness: extension {self.extension_hours} h")

    @property
    def own_due(self) -> datetime:
        """The student's due date: the class's, plus their extension."""
        return self.due + timedelta(hours=self.extension_hours)

    @property
    def late(self) -> timedelta:
        """How late the submission was (zero when on time or when its time is unknown)."""
        if self.submitted is None:
            return timedelta(0)
        return max(self.submitted - self.own_due, timedelta(0))

    @property
    def hours_late(self) -> float:
        return round(self.late / timedelta(hours=1), 4)

    def penalty(self, earned: float, top: float) -> float:
        """The points deducted from `earned` points of `top` (never more than earned)."""
        if self.submitted is None:
            return 0.0
        extension = timedelta(hours=self.extension_hours)
        share = self.policy.share(self.late, self.submitted, extension)
        return min(earned, round(share * top, _DIGITS))

    def to_json(self) -> dict[str, Any]:
        submitted = self.submitted.isoformat() if self.submitted is not None else None
        return {
            "policy": self.policy.text,
            "due": self.due.isoformat(),
            "extension_hours": self.extension_hours,
            "submitted": submitted,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: object) -> Lateness:
        what = "lateness"
        d = checks.keys(data, what, ("policy", "due", "extension_hours", "submitted", "note"))
        try:
            policy = LatePolicy.parse(checks.text(d["policy"], f"{what} policy"))
        except ValueError as e:
            raise checks.RecordError(f"{what}: {e}") from None
        submitted = d["submitted"]
        return cls(
            policy=policy,
            due=_time(d["due"], f"{what} due"),
            extension_hours=checks.number(d["extension_hours"], f"{what} extension_hours"),
            submitted=None if submitted is None else _time(submitted, f"{what} submitted"),
            note=checks.text(d["note"], f"{what} note"),
        )
