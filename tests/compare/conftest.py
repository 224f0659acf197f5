"""Shared fixtures: grading in memory (as `grader.check` does) and through the files of
batch grading (dump in the "student" side, load in the "grader" side), plus small
synthetic questions for what the forward-pass bank does not exercise."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from grader.compare.result import Result
from grader.compare.wire import dump, load
from grader.engine import encode, grade
from grader.kinds import Numeric
from grader.question import Inputs, Prior, Question, Tolerance

Grade = Callable[..., Result]


@pytest.fixture(params=["memory", "files"])
def judge(request: pytest.FixtureRequest, tmp_path: Any) -> Grade:
    """grade(question, answer, hidden=False) -> Result, in memory or via dump/load."""

    def run(question: Question, answer: Any, hidden: bool = False) -> Result:
        wire = encode(question, answer, hidden)
        if request.param == "files":
            dump(wire, tmp_path, question.id)
            wire = load(tmp_path, question.id)
        return grade(question, wire, hidden)

    return run


# --- a rows question: three steps of gradient descent on L(θ) = ½‖θ − c‖² -------------

GD_INPUTS = {"c": np.array([1.0, -2.0]), "theta0": np.array([0.0, 0.0]), "eta": 0.5}


def _gd_step(t: int) -> Callable[[Inputs, Prior], np.ndarray]:
    def compute(inputs: Inputs, prior: Prior) -> np.ndarray:
        theta = inputs["theta0"] if t == 1 else np.asarray(prior[f"theta{t - 1}"], dtype=float)
        return theta - inputs["eta"] * (theta - inputs["c"])

    return compute


GD_STEPS = Question(
    id="syn.gd",
    assignment="synthetic",
    title="Three steps of gradient descent",
    variable="thetas",
    inputs=GD_INPUTS,
    layout="rows",
    parts=tuple(
        Numeric(
            f"theta{t}",
            1,
            _gd_step(t),
            follows=(f"theta{t - 1}",) if t > 1 else (),
            shape_policy="size",
            label=f"theta after step {t}",
            tol=Tolerance(rtol=1e-6, atol=1e-9),
        )
        for t in (1, 2, 3)
    ),
)


@pytest.fixture
def gd_steps() -> Question:
    return GD_STEPS
