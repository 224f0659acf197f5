"""Figures shipped with an assignment, drawn by code from the bank's inputs.

The seeds come with no picture of out.1's network, so it is drawn here: inputs, weights
and biases only (never a node's value, which is the answer).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np


def draw_network(path: Path) -> None:
    """The 3-2-2 network of out.1: ReLU hidden nodes A, B; softmax outputs C (YES), D (NO)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from grader.bank.forward_pass import NETWORK_INPUTS as net

    x, W1, W2 = net["x"].ravel(), net["W1"], net["W2"]
    inputs = [(0.0, y) for y in (3.0, 1.5, 0.0)]
    hidden = [(3.0, y) for y in (2.4, 0.6)]
    outputs = [(6.0, y) for y in (2.4, 0.6)]
    radius = 0.42
    fig, ax = plt.subplots(figsize=(8, 4.6), dpi=100)

    def edge(a: tuple[float, float], b: tuple[float, float], weight: float) -> None:
        (ax0, ay), (bx, by) = a, b
        length = np.hypot(bx - ax0, by - ay)
        ux, uy = (bx - ax0) / length, (by - ay) / length
        start, end = (ax0 + radius * ux, ay + radius * uy), (bx - radius * ux, by - radius * uy)
        ax.annotate("", end, start, arrowprops={"arrowstyle": "-|>", "color": "0.5"})
        at = 0.3  # weights sit near the sending node, where its edges fan apart
        ax.text(
            start[0] + at * (end[0] - start[0]),
            start[1] + at * (end[1] - start[1]),
            f"{weight:g}",
            ha="center",
            va="center",
            fontsize=10,
            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"},
        )

    for i, a in enumerate(inputs):
        for j, b in enumerate(hidden):
            edge(a, b, W1[i, j])
    for i, a in enumerate(hidden):
        for j, b in enumerate(outputs):
            edge(a, b, W2[i, j])

    def node(at: tuple[float, float], label: str, colour: str) -> None:
        ax.add_patch(plt.Circle(at, radius, fc=colour, ec="black", zorder=3))
        ax.text(*at, label, ha="center", va="center", fontsize=11, zorder=4)

    for k, (at, value) in enumerate(zip(inputs, x, strict=True)):
        node(at, f"$x_{k + 1}$ = {value:g}", "#dbe9f6")
    for at, name in zip(hidden, "AB", strict=True):
        node(at, f"{name}\nReLU", "#fde9c9")
    for at, name, meaning in zip(outputs, "CD", ("YES", "NO"), strict=True):
        node(at, f"{name}\n{meaning}", "#d9f0d3")
    ax.text(3.0, -0.55, "bias 1 on A and B", ha="center", fontsize=10)
    ax.text(
        6.0, -0.55, "bias 1 on C and D\nsoftmax over (C, D)", ha="center", va="top", fontsize=10
    )
    ax.text(0.0, -0.8, "inputs", ha="center", fontsize=10)
    ax.set_xlim(-0.8, 6.8)
    ax.set_ylim(-1.3, 3.6)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.savefig(path, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)


#: Files each assignment ships, and the function that draws each one.
FIGURES: dict[str, dict[str, Callable[[Path], None]]] = {
    "forward-pass": {"network.png": draw_network},
}


def draw(course: Path, assignment: str) -> list[Path]:
    """(Re)draw the assignment's figures into exercises/<assignment>/."""
    written = []
    for name, draw_one in FIGURES.get(assignment, {}).items():
        path = course / "exercises" / assignment / name
        draw_one(path)
        written.append(path)
    return written
