"""Figures shipped with an assignment, drawn by code.

The seeds come with no picture of their networks, so they are drawn here: out.1's with
its inputs, weights and biases (never a node's value, which is the answer), the lab's
3-2-1 network with the symbols its derivations use.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

Point = tuple[float, float]


class _Diagram:
    """Circles joined by labelled arrows, on equal axes (matplotlib, Agg)."""

    def __init__(self, size: tuple[float, float], radius: float, fontsize: int) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        self.plt = plt
        self.fig, self.ax = plt.subplots(figsize=size, dpi=100)
        self.radius, self.fontsize = radius, fontsize

    def edge(self, a: Point, b: Point, label: str, at: float = 0.3) -> None:
        """An arrow from circle a to circle b, labelled a fraction `at` of the way along."""
        (ax, ay), (bx, by) = a, b
        length = np.hypot(bx - ax, by - ay)
        ux, uy = (bx - ax) / length, (by - ay) / length
        r = self.radius
        start, end = (ax + r * ux, ay + r * uy), (bx - r * ux, by - r * uy)
        self.ax.annotate("", end, start, arrowprops={"arrowstyle": "-|>", "color": "0.5"})
        self.ax.text(
            start[0] + at * (end[0] - start[0]),
            start[1] + at * (end[1] - start[1]),
            label,
            ha="center",
            va="center",
            fontsize=self.fontsize,
            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none"},
        )

    def node(self, at: Point, label: str, colour: str) -> None:
        self.ax.add_patch(self.plt.Circle(at, self.radius, fc=colour, ec="black", zorder=3))
        self.ax.text(*at, label, ha="center", va="center", fontsize=self.fontsize + 1, zorder=4)

    def text(self, at: Point, label: str, **kwargs: Any) -> None:
        self.ax.text(*at, label, ha="center", fontsize=10, **kwargs)

    def save(self, path: Path, xlim: Point, ylim: Point) -> None:
        self.ax.set_xlim(*xlim)
        self.ax.set_ylim(*ylim)
        self.ax.set_aspect("equal")
        self.ax.axis("off")
        self.fig.savefig(path, bbox_inches="tight", metadata={"Software": None})
        self.plt.close(self.fig)


INPUT, HIDDEN, OUTPUT = "#dbe9f6", "#fde9c9", "#d9f0d3"


def draw_network(path: Path) -> None:
    """The 3-2-2 network of out.1: ReLU hidden nodes A, B; softmax outputs C (YES), D (NO)."""
    from optigrade.bank.forward_pass import NETWORK_INPUTS as net

    x, W1, W2 = net["x"].ravel(), net["W1"], net["W2"]
    inputs = [(0.0, y) for y in (3.0, 1.5, 0.0)]
    hidden = [(3.0, y) for y in (2.4, 0.6)]
    outputs = [(6.0, y) for y in (2.4, 0.6)]
    d = _Diagram((8, 4.6), radius=0.42, fontsize=10)
    for i, a in enumerate(inputs):
        for j, b in enumerate(hidden):
            d.edge(a, b, f"{W1[i, j]:g}")
    for i, a in enumerate(hidden):
        for j, b in enumerate(outputs):
            d.edge(a, b, f"{W2[i, j]:g}")
    for k, (at, value) in enumerate(zip(inputs, x, strict=True)):
        d.node(at, f"$x_{k + 1}$ = {value:g}", INPUT)
    for at, name in zip(hidden, "AB", strict=True):
        d.node(at, f"{name}\nReLU", HIDDEN)
    for at, name, meaning in zip(outputs, "CD", ("YES", "NO"), strict=True):
        d.node(at, f"{name}\n{meaning}", OUTPUT)
    d.text((0.0, -0.8), "inputs")
    d.text((3.0, -0.55), "bias 1 on A and B")
    d.text((6.0, -0.55), "bias 1 on C and D\nsoftmax over (C, D)", va="top")
    d.save(path, xlim=(-0.8, 6.8), ylim=(-1.3, 3.6))


def draw_network_321(path: Path) -> None:
    """The lab's 3-2-1 network with its symbols (no numbers: the weights are unknowns)."""
    inputs = [(0.0, y) for y in (3.0, 1.5, 0.0)]
    hidden = [(3.2, y) for y in (2.4, 0.6)]
    output = (6.2, 1.5)
    d = _Diagram((8.4, 4.4), radius=0.45, fontsize=12)
    for i, a in enumerate(inputs, start=1):
        for j, b in enumerate(hidden, start=1):
            d.edge(a, b, f"$w_{{{i}{j}}}$", at=0.22 if j == 1 else 0.62)
    for j, a in enumerate(hidden, start=1):
        d.edge(a, output, f"$v_{j}$", at=0.45)
    for i, at in enumerate(inputs, start=1):
        d.node(at, f"$x_{i}$", INPUT)
    for j, at in enumerate(hidden, start=1):
        d.node(at, f"$\\sigma(z_{{1{j}}})$", HIDDEN)
    d.node(output, "$e^{z_2}$", OUTPUT)
    d.ax.annotate("", (7.6, 1.5), (output[0] + d.radius, 1.5), arrowprops={"arrowstyle": "-|>"})
    d.text((7.75, 1.5), r"$\hat{y}$", va="center")
    d.text((0.0, -0.85), "inputs")
    d.text((3.2, -0.4), "hidden layer\n(sigmoid, no bias)", va="top")
    d.text((6.2, 0.7), "output\n(exponential,\nno bias)", va="top")
    d.save(path, xlim=(-0.8, 8.4), ylim=(-1.3, 3.6))


#: Files each assignment ships, and the function that draws each one.
FIGURES: dict[str, dict[str, Callable[[Path], None]]] = {
    "forward-pass": {"network.png": draw_network},
    "backpropagation": {"network-321.png": draw_network_321},
}


def draw(course: Path, assignment: str) -> list[Path]:
    """(Re)draw the assignment's figures into exercises/<assignment>/."""
    written = []
    for name, draw_one in FIGURES.get(assignment, {}).items():
        path = course / "exercises" / assignment / name
        draw_one(path)
        written.append(path)
    return written
