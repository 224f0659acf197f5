"""The IPython shell a notebook's cells run in outside Jupyter: `grader check NOTEBOOK`'s
subprocess, and each child of `grader grade`'s sandbox."""

from __future__ import annotations

import io
from contextlib import redirect_stdout

from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config


class NotebookShell(InteractiveShell):
    """IPython's shell without a terminal or kernel: GUI event loops are not needed for
    ``%matplotlib inline``, and ``exit()`` is noted rather than obeyed (as ``sys.exit``
    is in Jupyter), so the autograder cells still run."""

    exit_requested = False

    def enable_gui(self, gui: str | None = None) -> None:
        pass

    def ask_exit(self) -> None:
        self.exit_requested = True


def make_shell() -> NotebookShell:
    """The shell, set up once (the batch grader makes it before any fork, so each child
    gets a pristine copy)."""
    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.xmode = "Plain"
    shell = NotebookShell.instance(config=config)
    with redirect_stdout(io.StringIO()):  # its lazy set-up, paid once
        shell.run_cell("_ = [0.5]\n_", store_history=True)
    shell.reset(new_session=True)
    return shell
