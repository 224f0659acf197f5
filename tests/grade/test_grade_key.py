"""Submissions that try to reach the answer key from inside `grader grade`'s sandbox score
0 on the question they target, while the rest of their notebook is graded normally.

The children run in a process that never imported `reference` or the bank's
computations (`grader_sandbox.runner`), in a view where those are not installed; the judge
holding the key is another process, outside its PID namespace."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import reference
from optigrade import bank

TARGET = "fp.1.1"  # each thief answers this question by stealing, the rest honestly
VARIABLE = bank.get(TARGET).variable
CHECKOUT = Path(reference.__file__).resolve().parents[1]


def steal(code: str) -> str:
    """A solution cell that tries `code` (which sets `found`) and answers with it."""
    body = textwrap.indent(textwrap.dedent(code).strip(), "    ")
    return (
        f"found = None\ntry:\n{body}\nexcept BaseException as e:\n"
        f"    print('BLOCKED', type(e).__name__, e)\n{VARIABLE} = found"
    )


THIEVES = {
    "bank": f"""
        from optigrade import bank
        found = bank.get({TARGET!r}).answer['z']
        """,
    "reference": """
        import numpy as np, reference.layers as L
        found = L.dense(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.5], [-1.0]]), 0.0)
        """,
    "key-command": """
        import subprocess, sys, json
        out = subprocess.run([sys.executable, '-m', 'optigrade.cli', 'key', 'forward-pass',
                              '--format', 'json'], capture_output=True, text=True, timeout=60)
        print(out.stderr[-300:])
        found = json.loads(out.stdout)
        """,
    "source": f"""
        text = open({str(CHECKOUT / "grader" / "bank" / "forward_pass.py")!r}).read()
        assert 'Question(' in text, 'an empty file'
        found = text
        """,
    "reference-source": f"""
        found = open({str(CHECKOUT / "reference" / "layers.py")!r}).read()
        """,
    "memory": f"""
        import gc
        for o in gc.get_objects():
            d = getattr(o, '__dict__', None)
            if isinstance(d, dict) and getattr(o, 'id', None) == {TARGET!r}:
                found = o.answer['z']  # a cached reference answer, or compute it
                break
        else:
            raise LookupError('no question object holds an answer')
        """,
    "parent": """
        import os
        pids = [p for p in os.listdir('/proc') if p.isdigit()]
        assert pids == ['1'], pids  # the runner and the judge are out of sight
        found = open(f'/proc/{os.getppid()}/environ').read()
        """,
    "environment": """
        import os
        assert not any('bank' in v or 'reference' in v for v in os.environ.values())
        found = open('/proc/self/environ', 'rb').read()
        assert b'KEY' in found or b'SECRET' in found, 'nothing there'
        """,
}


@pytest.fixture(scope="module")
def graded(module_course, kit):
    c = module_course
    c.submit("honest")
    for name, code in THIEVES.items():
        c.submit(name, {TARGET: steal(code)})
    c.grade(jobs=2, cell_timeout=60, timeout=120)
    return c


@pytest.mark.parametrize("thief", sorted(THIEVES))
def test_a_submission_reaching_for_the_key_scores_zero_there_only(graded, kit, thief):
    scores = graded.scores(thief)
    assert scores[TARGET] == 0.0, graded.result(thief)["questions"][0]
    assert {q: s for q, s in scores.items() if q != TARGET} == {
        q: p for q, p in kit.full.items() if q != TARGET
    }
    output = "\n".join(c.get("output", "") for c in graded.result(thief)["cells"])
    assert "BLOCKED" in output, output


def test_the_honest_student_gets_full_marks(graded, kit):
    assert graded.scores("honest") == kit.full
