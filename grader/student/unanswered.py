"""One friendly line instead of a traceback for a question not answered yet, in Jupyter.

A released answer cell holds nbgrader's stub ``raise NotImplementedError()`` until the
student replaces it, so its answer variable stays undefined and the check and test cells
below it raise NameError: three tracebacks for one unanswered question. `install` (run
by ``import grader`` inside an IPython kernel) has IPython show each of those errors as
one line saying which variable to assign and where. They stay errors: "Run All" stops at
the first one and nbgrader still scores the test cell 0. Any other error keeps its usual
traceback.
"""

from __future__ import annotations

import io
import linecache
import re
import sys
import tokenize
from types import TracebackType
from typing import TYPE_CHECKING, Any

from grader.compare.result import joined

if TYPE_CHECKING:
    from grader.question import Question

STUB = "raise NotImplementedError()"
ANSWER_CELL = "the # YOUR CODE HERE cell above"

#: A managed check or test cell's call: grader.check("fp.1.1", z_1_1) or grader.score(...)
CALL = re.compile(r"""grader\.(check|score)\(\s*["']([^"']+)["']\s*,\s*([A-Za-z_]\w*)\s*[,)]""")


def _questions() -> tuple[Question, ...]:
    """The questions known here (the bank's, or the sealed keys' of the working folder)."""
    from grader.student import known

    return known.questions()


def _variables() -> dict[str, list[str]]:
    """Each answer variable -> the ids of the questions answered in it."""
    found: dict[str, list[str]] = {}
    for question in _questions():
        found.setdefault(question.variable, []).append(question.id)
    return found


def _code_names(source: str) -> list[str]:
    """The names a cell's code uses, not those of its comments and strings (a docstring's
    "dL/dw" is no variable); as far as it tokenizes (a student's code may be unfinished)."""
    names = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.NAME:
                names.append(token.string)
    except (tokenize.TokenError, SyntaxError):
        pass
    return names


def _answered_in(source: str, variables: dict[str, list[str]]) -> tuple[str, list[str]]:
    """The answer variable a cell's code names, and the questions answered in it ("" and
    no question unless exactly one answer variable is named)."""
    named = [n for n in dict.fromkeys(_code_names(source)) if n in variables]
    return (named[0], variables[named[0]]) if len(named) == 1 else ("", [])


def explain(error: BaseException, source: str, function: str | None = None) -> str | None:
    """The line to show for `error` when it means an unanswered question, else None.
    `source` is the cell whose code raised it: at its top level, or inside `function`
    (defined in that cell)."""
    variables = _variables()
    if isinstance(error, NotImplementedError) and STUB in source:
        variable, qids = _answered_in(source, variables)
        if function is not None:
            what = f"write the body of {function}() in place of its `{STUB}`"
            then = "run its cell again, then the check below it"
        else:
            what = f"write your code{f' for {variable}' if variable else ''} in place of `{STUB}`"
            then = "run this cell, then the check below it"
        if len(qids) != 1:  # not one question's answer: say what to do, not which
            return f"Not answered yet: {what}."
        return f"{qids[0]} is not answered yet: {what}, {then}."
    name = getattr(error, "name", None)
    if not isinstance(error, NameError) or function is not None or name not in variables:
        return None
    for call in CALL.finditer(source):
        role, qid, argument = call.groups()
        if argument != name or qid not in variables[name]:
            continue
        if role == "check":
            return (
                f"{qid} is not answered yet: {name} is not defined. Assign it in "
                f"{ANSWER_CELL}, run that cell, then this one."
            )
        return f"{qid} scores 0 for now: {name} is not defined; assign it in {ANSWER_CELL}."
    return (
        f"{name} is not defined yet: it is the answer to {joined(variables[name])}. Assign it "
        "in that question's # YOUR CODE HERE cell and run that cell first."
    )


def _origin(tb: TracebackType | None, namespace: dict[str, Any]) -> tuple[str, str | None] | None:
    """Where the error was raised, when that was a notebook cell's own code: (the cell's
    source, the function of that cell it was raised in, or None at its top level). None
    when it came from elsewhere (a library, the grader): that is no unanswered stub."""
    last = None
    while tb is not None:
        last, tb = tb, tb.tb_next
    if last is None or last.tb_frame.f_globals is not namespace:  # cells run in namespace
        return None
    code = last.tb_frame.f_code
    source = "".join(linecache.getlines(code.co_filename))
    if not source:
        return None
    return source, None if code.co_name == "<module>" else code.co_name


def describe(
    error: BaseException, tb: TracebackType | None, namespace: dict[str, Any]
) -> str | None:
    """The line for `error` (raised with traceback `tb` by a cell run in `namespace`) when
    it means an unanswered question, else None (also when the questions cannot be read:
    never worse than the usual traceback)."""
    try:
        origin = _origin(tb, namespace)
        return None if origin is None else explain(error, *origin)
    except Exception:
        return None


def _show(
    shell: Any,
    etype: type[BaseException],
    value: BaseException,
    tb: TracebackType | None,
    tb_offset: int | None = None,
) -> None:
    """IPython's custom exception handler: the friendly line, or the usual traceback."""
    line = describe(value, tb, shell.user_global_ns)
    if line is not None:
        # IPython's protocol for an exception that renders itself: still an error
        # output (ename, evalue), with this line as its whole traceback
        value._render_traceback_ = lambda: [line]  # type: ignore[attr-defined]
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def install() -> bool:
    """Show unanswered questions as one line in the running IPython kernel, if there is
    one and no other custom exception handler is set; whether it was installed."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or shell.custom_exceptions:
        return False
    shell.set_custom_exc((NameError, NotImplementedError), _show)
    return True
