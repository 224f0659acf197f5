"""The class report's charts, drawn with matplotlib (Agg) as PNG data URIs.

Figures are built without pyplot (no global state, no display needed) and saved without
metadata, so the same numbers give the same bytes.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from grader.vocabulary import TABLE, word

#: Hatches for the outcomes that share a colour (`grader.vocabulary`), so print and
#: colour-blind readers can tell the bars apart: the n-th word of a colour, in the
#: table's order, gets the n-th.
_HATCHES = ("", "//", "xx", "..", "oo", "++", "\\\\", "--")


def _style(said: str) -> tuple[str, str]:
    """An outcome's bar colour (the vocabulary's) and hatch."""
    colour = word(said).colour
    same = [w for w, found in TABLE["question"].items() if found.colour == colour]
    return colour, _HATCHES[same.index(said) % len(_HATCHES)] if said in same else ""


def _png(figure: Figure) -> str:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def histogram(totals: Sequence[float], points: float) -> str:
    """Students per band of 10% of the total points."""
    figure = Figure(figsize=(7, 3.2), layout="constrained")
    axes = figure.add_subplot()
    shares = 100 * np.asarray(totals, dtype=float) / (points or 1.0)
    axes.hist(shares, bins=np.linspace(0, 100, 11), color="#0969da", edgecolor="#1f2328")
    axes.set(xlim=(0, 100), xlabel="total score (% of the points)", ylabel="students")
    axes.set_title("Score distribution")
    axes.yaxis.get_major_locator().set_params(integer=True)
    return _png(figure)


def means(questions: Sequence[str], fractions: Sequence[float]) -> str:
    """Mean score of each question as a fraction of its points, one bar per question."""
    figure = Figure(figsize=(7, 0.9 + 0.32 * len(questions)), layout="constrained")
    axes = figure.add_subplot()
    rows = np.arange(len(questions))
    axes.barh(rows, fractions, color="#0969da", edgecolor="#1f2328")
    axes.set_yticks(rows, labels=questions)
    axes.invert_yaxis()  # first question on top, as in the tables
    axes.set(xlim=(0, 1), xlabel="mean score / points")
    axes.set_title("Mean score per question")
    return _png(figure)


def outcomes(questions: Sequence[str], counts: Mapping[str, Sequence[int]]) -> str:
    """Students per outcome for each question, as stacked bars (outcome -> count per
    question, in question order)."""
    figure = Figure(figsize=(7, 1.4 + 0.32 * len(questions)), layout="constrained")
    axes = figure.add_subplot()
    rows = np.arange(len(questions))
    left = np.zeros(len(questions))
    for said, values in counts.items():
        colour, hatch = _style(said)
        label = f"{word(said).sign} {said}"
        axes.barh(
            rows, values, left=left, label=label, color=colour, hatch=hatch, edgecolor="#ffffff"
        )
        left += np.asarray(values, dtype=float)
    axes.set_yticks(rows, labels=questions)
    axes.invert_yaxis()
    axes.set(xlabel="students")
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.set_title("Outcomes per question")
    if counts:  # an empty class has no outcome to name
        figure.legend(loc="outside lower center", ncols=4, frameon=False)
    return _png(figure)
