"""Release checks an instructor runs before handing out an assignment.

1. bank: every question of the bank appears exactly once, in the lab's order, with the
   bank's points, and the managed cells match the bank (`grader assign sync` fixes it);
   every catalogued mistake of a function part fails a public probe, and the public
   probes tell those mistakes apart (so the local check names them as the grader does);
2. execute: the source notebook runs top to bottom and its solutions earn full marks;
3. leaks: `release/` holds no solution, hidden test, output or graded answer value;
4. drift: the committed `release/` and `solutions/` equal a fresh nbgrader generation;
5. variants: `DRAWS` made-up students' numbers are drawn for every varying question, and
   each question's share of rejected draws (`optigrade.variants.problems`) is at most
   `REJECTED` (a wider share says its draws are too wide; none passing, that it cannot vary).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import nbformat

from grader import kinds
from grader.engine import reference
from grader.kinds import Function
from grader.kinds.function import unseparated
from optigrade import bank, variants
from optigrade.assign import leaks, release, secrets
from optigrade.assign.cells import managed_key
from optigrade.assign.sync import AuthoringError, answer_qid, source_notebook, synced

CHECKS = ("bank", "variants", "execute", "leaks", "drift")
DRAWS = 1000  #: made-up students drawn per assignment
#: The largest share of rejected draws: each rejection is a redraw at every regrade, and
#: more says the draws are wider than the numbers the question tells apart.
REJECTED = 0.2
#: Drawn with where the course has no secrets file yet (verify never makes one).
TEST_SECRET = b"optigrade verify: no course secret"


def function_probes(assignment: str) -> list[str]:
    """What keeps a function part's public probes from naming each catalogued mistake."""
    return [
        f"{q.id}/{problem}"
        for q in bank.questions(assignment)
        for part in q.parts
        if isinstance(part, Function)
        for problem in unseparated(part, reference(q).mistakes(part, kinds.of(part)))
    ]


def check_bank(course: Path, assignment: str) -> list[str]:
    problems = function_probes(assignment)
    path = source_notebook(course, assignment)
    if not path.is_file():
        return [*problems, f"{path}: missing"]
    notebook = nbformat.read(path, as_version=4)
    try:
        expected = synced(notebook, assignment)
    except AuthoringError as error:
        return [*problems, str(error)]
    order = [qid for cell in notebook.cells if (qid := answer_qid(cell))]
    if order != [q.id for q in bank.questions(assignment)]:
        problems.append(f"{assignment}: questions are not in the bank's (lab) order: {order}")
    if nbformat.writes(expected) != nbformat.writes(notebook):
        problems.append(
            f"{path}: managed cells or metadata differ from the bank: run `grader assign sync`"
        )
    return problems


def check_variants(
    course: Path,
    assignment: str,
    draws: int = DRAWS,
    told: Callable[[str], None] = lambda line: None,
    progress: Callable[[str], None] = lambda message: None,
) -> list[str]:
    """Each varying question's rejection rate over `draws` made-up students (`told`, a
    line per question); a problem for each above `REJECTED` or with no draw passing."""
    if secrets.path(course).is_file():
        secret = secrets.load(course).course
    else:
        secret = TEST_SECRET
        told(f"no {secrets.FILE} in {course}: drawn with a fixed test secret")

    def drawn(n: int) -> None:
        if n % 10 == 0 or n == draws:
            progress(f"variants {assignment}: {n}/{draws} students drawn")

    try:
        rates = variants.rejections(assignment, secret, draws, drawn)
    except variants.VariantError as error:
        return [str(error)]
    for qid, rate in rates.items():
        told(f"{qid}: {rate:.1%} of draws rejected ({draws} students)")
    return [
        f"{qid}: {rate:.1%} of draws rejected, above {REJECTED:.0%}: draw it from narrower ranges"
        for qid, rate in rates.items()
        if rate > REJECTED
    ]


def _value(cell: nbformat.NotebookNode) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "execute_result":
            return str(output.get("data", {}).get("text/plain", ""))
    return None


def check_execute(course: Path, assignment: str, timeout: int = 600) -> list[str]:
    """Run the source notebook in a Jupyter kernel; every solution must earn its points."""
    from nbclient import NotebookClient

    path = source_notebook(course, assignment)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    problems = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(
                    f"{path.name} cell {index} raised {output.get('ename')}: {output.get('evalue')}"
                )
        key = managed_key(cell)
        if key and key[1] == "test":
            question = bank.get(key[0])
            value = _value(cell)
            if value is None or abs(float(value) - question.points) > 1e-9:
                problems.append(
                    f"{question.id}: the solution scores {value} of {question.points:g}"
                )
    return problems


def run_checks(
    course: Path,
    assignments: list[str],
    checks: tuple[str, ...] = CHECKS,
    progress: Callable[[str], None] = lambda message: None,
    draws: int = DRAWS,
    told: Callable[[str, str], None] = lambda name, line: None,
) -> dict[str, list[str]]:
    """Problems per "<check> <assignment>"; an empty list means the check passed. `told`
    is given what a check reports beside its problems: (its name, a line)."""
    runners: dict[str, Callable[[Path, str], list[str]]] = {
        "bank": check_bank,
        "execute": check_execute,
        "leaks": leaks.scan,
        "drift": release.drift,
    }
    found: dict[str, list[str]] = {}
    for assignment in assignments:
        for check in checks:
            name = f"{check} {assignment}"
            progress(name)
            if check == "variants":
                run = partial(
                    check_variants, draws=draws, told=partial(told, name), progress=progress
                )
                found[name] = run(course, assignment)
            else:
                found[name] = runners[check](course, assignment)
    return found
