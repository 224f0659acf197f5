"""Checks and scores answers to the course's optimisation exercises.

In a notebook::

    import grader
    grader.check("fp.1.1", z)      # explained feedback while you work
    grader.score("fp.1.1", z)      # a float in [0, points] (nbgrader test cells)
    X, w = grader.given("fp.1.1", "X", "w")  # the question's numbers: your own, if any
    grader.login("YOUR ID")        # once, where JupyterHub does not say who you are

This package is what a student installs, and holds no answer key: the questions'
vocabulary (`grader.question`, `grader.spec`), the part kinds (`grader.kinds`), the
comparison engine (`grader.compare`) and the student runtime (`grader.student`: local
checks from the sealed key, `grader check NOTEBOOK`). The key side is `optigrade`.
"""

from typing import Any

from grader.student import unanswered

__all__ = ["check", "given", "login", "score"]

unanswered.install()  # in a Jupyter kernel: an unanswered question is one line, not a traceback


def __getattr__(name: str) -> Any:
    # `import grader` stays cheap for the bank and the CLI; the engine loads on first use
    if name in __all__:
        from grader.student import api

        return getattr(api, name)
    raise AttributeError(f"module 'grader' has no attribute {name!r}")
