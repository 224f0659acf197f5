"""What a sandbox runner imports before it forks: IPython, NumPy and SymPy always, and the
heavy modules (matplotlib, pandas) only for an assignment whose notebook uses them, read
from the instructor's source notebook. A submission that imports one anyway still runs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grader_sandbox.runner import heavy_imports

COURSE = Path(__file__).resolve().parents[2]


def _sources(assignment: str) -> list[str]:
    path = COURSE / "exercises" / assignment / f"{assignment}.ipynb"
    return [c.source for c in nbformat.read(path, 4).cells if c.cell_type == "code"]


@pytest.mark.parametrize(
    ("assignment", "heavy"),
    [
        ("forward-pass", []),
        ("optimisation", ["matplotlib.pyplot"]),
        ("backpropagation", ["matplotlib.pyplot", "pandas"]),  # grader.coursedata: DataFrames
    ],
)
def test_the_course_notebooks_preload_what_they_import(assignment, heavy):
    assert heavy_imports(_sources(assignment)) == heavy


def test_imports_are_read_in_every_spelling_and_nothing_else_is():
    assert heavy_imports(["import matplotlib.pyplot as plt"]) == ["matplotlib.pyplot"]
    assert heavy_imports(["from matplotlib import pyplot"]) == ["matplotlib.pyplot"]
    assert heavy_imports(["from grader import coursedata"]) == ["pandas"]
    assert heavy_imports(["%matplotlib inline\n!pip list\nimport pandas as pd"]) == ["pandas"]
    assert heavy_imports(["import matplotlib", "from . import pandas", "import pandasx"]) == []
    assert heavy_imports(["def broken(:", "import jax, keras, torch"]) == []
    assert heavy_imports(["x = '''\nimport pandas\n'''"]) == []  # a string, not an import


def test_a_submission_importing_what_was_not_preloaded_is_graded(course, kit):
    cell = "import pandas as pd, matplotlib.pyplot as plt\nplt.plot(pd.Series([1.0, 2.0]))"
    course.submit("plotter", before={kit.gid("fp.1.1"): cell})
    summary = course.grade(exports=False)
    assert summary.failed == {}
    assert course.scores("plotter") == kit.full
