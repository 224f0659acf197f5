"""`grader check NOTEBOOK`'s subprocess: a notebook's code cells run top to bottom.

``python -P -m grader.student.runall CELLS OUT``, started by `grader.student.notebook` in
the notebook's own folder: CELLS is a JSON list of [cell number, source] pairs. Each cell
runs in one IPython shell (as in a Jupyter kernel; an error does not stop the run, as
nbgrader runs a notebook) under the grader's time limit for one cell, and ends as a JSON
line in OUT, written at once (a run stopped at the notebook's time limit keeps its cells
so far): its status, a message when it failed (one line, marked so, for an unanswered
question: `grader.student.unanswered`), and the `Result` a check cell showed. Nothing
here forks or isolates: it is the student's own code on the student's own machine.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from grader.compare.result import Result
from grader.compare.timelimit import CELL_SECONDS, TimeLimitExceeded, time_limit
from grader.student import unanswered
from grader.student.shell import NotebookShell, make_shell

MESSAGE_CHARS = 500  # of an exception's message


def run_cell(shell: NotebookShell, source: str, seconds: float = CELL_SECONDS) -> dict[str, Any]:
    """How one cell ended: {"status": ok | error | timeout, "message", "unanswered" (the
    error means a question not answered yet), "result" (what a check showed)}."""
    shell.exit_requested = False
    value = None
    try:
        with time_limit(seconds):
            ran = shell.run_cell(source, store_history=True)
        error = ran.error_before_exec or ran.error_in_exec
        value = ran.result
    except BaseException as e:  # a limit that fired outside the cell's own code
        error = e
    entry: dict[str, Any] = {"status": "ok"}
    if isinstance(error, TimeLimitExceeded):
        entry = {"status": "timeout", "message": f"stopped after {seconds:g} s (a cell's limit)"}
    elif error is not None:
        line = unanswered.describe(error, error.__traceback__, shell.user_global_ns)
        text = line or f"{type(error).__name__}: {error}"
        entry = {"status": "error", "message": text[:MESSAGE_CHARS], "unanswered": bool(line)}
    if isinstance(value, Result):
        entry["result"] = value.to_dict()
    return entry


def main(argv: list[str]) -> int:
    cells_file, out_file = argv
    cells = json.loads(Path(cells_file).read_text(encoding="utf-8"))
    os.environ.setdefault("MPLBACKEND", "Agg")  # plt.show() must not wait for a window
    sys.path.insert(0, os.getcwd())  # the notebook's folder is importable, as in Jupyter
    shell = make_shell()
    with open(out_file, "w", encoding="utf-8") as out:
        for number, source in cells:
            out.write(json.dumps({"cell": number, **run_cell(shell, source)}) + "\n")
            out.flush()
        out.write(json.dumps({"done": True}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
