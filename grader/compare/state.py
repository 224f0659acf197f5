"""Answers spoiled by state a notebook shares between cells: rows that are one array
changed in place, and given data that an earlier cell changed.

Both are seen in the student's process, where the objects are: which rows of an answer
are one array (`grader.compare.layout.aliased`), and the given variables' values at the
test cell, read from the caller's namespace (`recorded`). The grader
(`grader.engine.grade`) and the local check (`grader.student.sealedkey`) diagnose them
alike (`diagnosed`), instead of naming another slip ("one-step-behind") or saying a bare
"incorrect". A function that changes its arguments is diagnosed by its kind
(`grader.kinds.function`); its words are here with the others', in `DETECTED`, which the
course's catalogue of misconceptions lists too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from grader.compare.nodes import numbers
from grader.compare.result import Unusable, Verdict, joined
from grader.compare.wire import Wire
from grader.question import Question


@dataclass(frozen=True)
class Detected:
    """A slip the grader sees in the student's objects, not in a value the bank computes:
    its hint (a format string), its one-line description and the credit it leaves."""

    hint: str
    description: str
    credit: float = 0.0

    def said(self, **params: str) -> str:
        return self.hint.format(**params)


#: The slips of shared state, by key (keys of the catalogue, `optigrade.bank.slips`).
DETECTED: Mapping[str, Detected] = {
    "rows-aliased": Detected(
        "Rows {rows} are one array changed in place, so each shows its last value: copy θ "
        "before appending it, rows.append(theta.copy()) (or update with theta = theta - "
        "..., which makes a new array).",
        "Appends one array that is then updated in place, so every row is the last one.",
    ),
    "given-changed": Detected(
        "{names} {was} changed by an earlier cell, so this answer was computed from other "
        "data than the question gives: something modified {it} in place (theta -= ... where "
        "theta is {first} itself; np.asarray({first}) does not copy). Copy first (theta = "
        "{first}.copy()), then run the notebook again from the top.",
        "Changes given data in place, so later questions compute from other data.",
    ),
    "modified-in-place": Detected(
        "Modified {names} in place: the question asks for new arrays ({first} = {first} + "
        "..., not {first} += ...; or copy first, {first} = {first}.copy()).",
        "Modifies a function's arguments in place where the question asks for new arrays.",
        credit=0.5,  # the values are right; the caller's arrays are not
    ),
}

#: Verdicts a diagnosis of shared state may explain (the others are right, or say why
#: the answer could not be compared at all).
_WRONG = ("incorrect", "partial", "unconfirmed")
_RIGHT = ("correct", "carried")
_SAME = {"rtol": 1e-12, "atol": 0.0}  # a given value as its cell writes it, to the last digit


def recorded(question: Question, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The notebook's data the question computes with, as `namespace` (the test cell's
    globals) holds them now (student's side; never raises)."""
    found = {}
    for name in question.notebook_data:
        try:
            if name in namespace:
                found[name] = namespace[name]
        except Exception:  # a hostile mapping: nothing recorded
            return {}
    return found


def diagnosed(
    question: Question, wire: Wire, verdicts: Mapping[str, Verdict]
) -> dict[str, Verdict]:
    """The verdicts with shared state diagnosed: rows that are one array, then given data
    changed by an earlier cell (trusted side and local check alike)."""
    found = dict(verdicts)
    names = [p.name for p in question.parts]
    for group in _aliased(question, wire, found):
        rows = _rows([names.index(n) + 1 for n in group])
        hint = DETECTED["rows-aliased"].said(rows=rows)
        for name in group:
            if found[name].status in _WRONG:
                found[name] = Verdict("incorrect", 0.0, hint, "rows-aliased")
    changed = changed_data(question, wire)
    if changed:
        hint = _changed(changed)
        for name, verdict in found.items():  # not a step to judge from the student's own
            if verdict.status in ("incorrect", "partial") and verdict.mistake != "rows-aliased":
                found[name] = replace(verdict, message=hint, mistake="given-changed")
    return found


def _changed(names: list[str]) -> str:
    one = len(names) == 1
    return DETECTED["given-changed"].said(
        names=joined(names),
        was="was" if one else "were",
        it="it" if one else "them",
        first=names[0],
    )


def changed_data(question: Question, wire: Wire) -> list[str]:
    """The notebook's data that no longer holds the value the question gives it."""
    given = wire.tree.get("given")
    if not isinstance(given, dict):
        return []
    return [
        name
        for name in question.notebook_data
        if name in given
        and name in question.inputs
        and not _holds(given[name], question.inputs[name], wire)
    ]


def _holds(node: Any, value: Any, wire: Wire) -> bool:
    want = np.asarray(value)
    if want.dtype.kind not in "biuf":
        return True  # not data a cell computes with
    try:
        got = numbers(node, wire).values
    except Unusable:
        return False  # rebound to something else
    want = want.astype(np.float64)
    return got.size == want.size and bool(
        np.allclose(got.ravel(), want.ravel(), equal_nan=True, **_SAME)
    )


def _aliased(question: Question, wire: Wire, verdicts: Mapping[str, Verdict]) -> list[list[str]]:
    """Groups of rows that are one array changed in place, whose last row holds the value
    all of them show: rows the student's process saw as one object (or sharing memory)
    with their last row right or none right, and runs of rows equal to the last digit
    whose last row is right (one array appended, then stacked with np.array). A group
    whose last row is wrong while another is right is rows given twice, not updated in
    place (θ0 as the first row): another slip's; so is a run of two rows whose first is a
    catalogued mistake (one step ahead: θ_{t+1} in row t)."""
    if question.layout != "rows":
        return []
    names = [p.name for p in question.parts]

    def right(name: str) -> bool:
        return verdicts[name].status in _RIGHT

    seen = wire.tree.get("aliased")
    groups = [
        group
        for group in (
            sorted({n for n in g if n in names}, key=names.index)
            for g in (seen if isinstance(seen, list) else [])
            if isinstance(g, list) and all(isinstance(n, str) for n in g)
        )
        if len(group) > 1 and (right(group[-1]) or not any(map(right, group)))
    ]
    run: list[str] = []
    for name in [*names, None]:
        if name is not None and run and _equal(wire, run[-1], name):
            run.append(name)
            continue
        if len(run) > 1 and right(run[-1]) and (len(run) > 2 or not verdicts[run[0]].mistake):
            groups.append(run)
        run = [name] if name is not None else []
    return groups


def _equal(wire: Wire, a: str, b: str) -> bool:
    try:
        x, y = numbers(wire.part(a), wire).values, numbers(wire.part(b), wire).values
    except Unusable:
        return False
    return x.shape == y.shape and bool(np.array_equal(x, y))


def _rows(numbers_: list[int]) -> str:
    """'1 to 3', '2 and 4'."""
    ordered = sorted(numbers_)
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]} to {ordered[-1]}"
    return joined([str(n) for n in ordered])
