"""How a question's inputs vary from student to student, declared as data in the bank.

A question's `varies` maps some of its inputs to a `Draw`: how that input's numbers are
drawn for one student, from the shape and values of the lab's own numbers. Drawing takes
a *key*: the instructor's side derives it from the course secret, the assignment, the
question, the student id and an attempt number (`optigrade.variants`), so a student's
numbers are the same at every regrade and differ between students. Numbers are drawn
from SHAKE-256 of the key (`uniform`), not from a NumPy generator, whose streams may
change between versions: a regrade next year draws the same numbers.

The kinds of draw:

- `Uniform(low, high, decimals)`: each element uniform in [low, high], rounded as the
  course writes numbers (one decimal by default); `nonzero` redraws exact zeros;
- `Integers(low, high)`: each element a whole number in [low, high];
- `Scaled(spread, decimals)`: each element the lab's times 1 + U(-spread, spread), rounded
  to `decimals` significant digits (a learning rate, a weight near the lab's);
- `OneOf(values)`: one of the listed values (a learning rate from a few that work);
- `Same(question)`: the numbers drawn for the same input of another question of the
  assignment (data two questions share);
- `AnswerOf(question)`: the student's own answer to another question (a later question
  that starts from an earlier one's result: activations of the forward pass's z).

The spec says which inputs vary (`grader.spec`); questions with no `varies` keep the lab's
numbers for everyone (worked examples, Keras models on the course data, derivations).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np


def uniform(key: bytes, count: int) -> np.ndarray:
    """`count` numbers uniform in [0, 1), the same for the same key on every machine."""
    words = np.frombuffer(hashlib.shake_256(key).digest(8 * count), dtype="<u8")
    return (words >> np.uint64(11)).astype(np.float64) / 2.0**53


def _as_lab(value: np.ndarray, lab: Any) -> Any:
    """A drawn array in the lab value's form: a Python number for a number."""
    if np.ndim(lab) == 0 and not isinstance(lab, np.ndarray):
        return value.item()
    return value.reshape(np.shape(lab))


@dataclass(frozen=True)
class Uniform:
    low: float
    high: float
    decimals: int = 1
    nonzero: bool = False

    def __post_init__(self) -> None:
        if not self.low < self.high:
            raise ValueError(f"Uniform({self.low}, {self.high}): low must be below high")

    def draw(self, lab: Any, key: bytes) -> Any:
        size = int(np.size(lab))
        u = uniform(key, 2 * size)
        x = np.round(self.low + (self.high - self.low) * u[:size], self.decimals)
        if self.nonzero:  # a second draw, once, for the zeros rounding made
            again = np.round(self.low + (self.high - self.low) * u[size:], self.decimals)
            x = np.where(x == 0, again, x)
            x = np.where(x == 0, 10.0**-self.decimals, x)
        return _as_lab(x + 0.0, lab)  # + 0.0: no negative zero


@dataclass(frozen=True)
class Integers:
    low: int
    high: int

    def __post_init__(self) -> None:
        if not self.low <= self.high:
            raise ValueError(f"Integers({self.low}, {self.high}): low must not exceed high")

    def draw(self, lab: Any, key: bytes) -> Any:
        u = uniform(key, int(np.size(lab)))
        x = np.floor(self.low + (self.high - self.low + 1) * u).astype(np.float64)
        drawn = _as_lab(np.minimum(x, self.high), lab)
        is_int = isinstance(lab, int | np.integer) and not isinstance(lab, bool)
        return int(drawn) if is_int else drawn


@dataclass(frozen=True)
class Scaled:
    spread: float
    digits: int = 2

    def __post_init__(self) -> None:
        if not 0 < self.spread < 1:
            raise ValueError(f"Scaled({self.spread}): the spread is a fraction below 1")

    def draw(self, lab: Any, key: bytes) -> Any:
        base = np.asarray(lab, dtype=np.float64).ravel()
        u = uniform(key, base.size)
        x = base * (1 + self.spread * (2 * u - 1))
        rounded = [float(f"{v:.{self.digits}g}") if math.isfinite(v) else v for v in x]
        return _as_lab(np.asarray(rounded), lab)


@dataclass(frozen=True)
class OneOf:
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError("OneOf: give at least one value")

    def draw(self, lab: Any, key: bytes) -> Any:
        index = min(int(uniform(key, 1)[0] * len(self.values)), len(self.values) - 1)
        return self.values[index]


@dataclass(frozen=True)
class Same:
    question: str  # the question whose same-named input this one takes


@dataclass(frozen=True)
class AnswerOf:
    question: str  # the question whose answer (its single part) this input is


Draw = Uniform | Integers | Scaled | OneOf | Same | AnswerOf
#: The draws made from a key (the others take another question's numbers).
DRAWN = (Uniform, Integers, Scaled, OneOf)
