"""A synthetic class: deterministic nbgrader submissions built from the course's notebooks.

For one assignment, ``make_class`` writes ``<into>/submitted/<student>/<assignment>/
<assignment>.ipynb`` for each student and returns who they are and what a correct grader
concludes about them (`Expected`, checked with `optigrade.demo.expect.unmet`):

- ``correct``: the release notebook with the solution's answers written in (full marks),
  as a student hands it in: every other cell as released (no hidden test);
- ``blank``: the release notebook (0);
- ``partial``: the solution with the second half of its answer cells left as the
  release's stubs;
- ``mistakes``: one student per common mistake (`optigrade.demo.mistakes`), each with
  several mistakes planted in the solution;
- ``hostile``: malformed JSON, an endless loop, ``os._exit`` and a segfault midway, a
  memory hog, a flood of output, an edited test cell, a patched ``grader.score``;
- ``copies``: one student pastes the correct classmate's answers as literals, one the
  lab's numbers' answers: the parts that differ from their own score 0 as "other
  numbers", and the report names whose numbers they fit.

Given a course secret (the demo's fixed `SECRET`), the class is one released with a roster
(`optigrade.demo.demo` keeps it): each student has their own numbers, and every answer
typed as a literal (a planted mistake, a copy) is computed from the student's own
questions. Without one (the benchmarks, the comparison with nbgrader) everyone has the
lab's numbers and nobody copies.

Answers that call Keras train a model (10-30 s each, and importing Keras takes seconds):
only the correct student keeps them; every other student built on the solution skipped
those questions (their stubs stay), the author's optional cells calling Keras and its
import, which is what keeps a demo of the whole course within minutes.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from grader.question import Question
from optigrade import variants
from optigrade.assign.cells import managed_key
from optigrade.demo import mistakes
from optigrade.demo.expect import Copied, Expected

KINDS = ("correct", "blank", "partial", "mistakes", "hostile", "copies")
#: The students both nbgrader and our grader can be compared on (nbgrader has no sandbox,
#: nor each student's own numbers).
NOT_HOSTILE = KINDS[:4]
DEFAULT_SIZE = 26
#: The demo course's secret: fixed, so that the class is the same byte for byte.
SECRET = hashlib.sha256(b"optigrade demo course").digest()
#: An answer that calls Keras (``keras.`` in its solution) trains a model.
_KERAS = re.compile(r"\bkeras\.")
_IMPORT_KERAS = re.compile(r"^import keras\n", re.MULTILINE)


class ClassTooSmall(ValueError):
    """A class needs one student of each kind."""


@dataclass(frozen=True)
class Student:
    """One synthetic submission: who, what was done to it, what the grader must conclude."""

    id: str
    kind: str
    description: str
    expected: Expected
    path: Path


@dataclass(frozen=True)
class Course:
    """The notebooks of one assignment, indexed by question."""

    assignment: str
    solution: NotebookNode
    release: NotebookNode
    questions: tuple[str, ...]  # graded questions (with a test cell), in notebook order
    keras: frozenset[str]  # questions whose solution trains a Keras model

    @classmethod
    def read(cls, course: Path, assignment: str) -> Course:
        def notebook(folder: str) -> NotebookNode:
            path = course / folder / assignment / f"{assignment}.ipynb"
            return nbformat.read(path, as_version=4)

        solution = notebook("solutions")
        tests = list(_tests(solution))  # in notebook order
        answers = _answers(solution)
        keras = {q for q in tests if _KERAS.search(solution.cells[answers[q]].source)}
        return cls(assignment, solution, notebook("release"), tuple(tests), frozenset(keras))


def _answers(notebook: NotebookNode) -> dict[str, int]:
    """question id -> index of its answer cell."""
    found = {}
    for i, cell in enumerate(notebook.cells):
        info = cell.get("metadata", {}).get("grader")
        if isinstance(info, dict) and info.get("role") == "answer":
            found[str(info["question"])] = i
    return found


def _tests(notebook: NotebookNode) -> dict[str, int]:
    """question id -> index of its autograder test cell."""
    return {
        key[0]: i
        for i, c in enumerate(notebook.cells)
        if (key := managed_key(c)) and key[1] == "test"
    }


@dataclass
class _Draft:
    """A submission being written: a notebook (or raw bytes) and its expectation."""

    notebook: NotebookNode
    expected: Expected
    raw: bytes | None = None
    added: int = 0  # cells inserted
    skipped_keras: bool = False

    def answer(self, qid: str, code: str) -> None:
        self.notebook.cells[_answers(self.notebook)[qid]].source = code

    def append(self, qid: str, code: str) -> None:
        cell = self.notebook.cells[_answers(self.notebook)[qid]]
        cell.source = cell.source.rstrip() + "\n\n" + code

    def insert_after_test(self, qid: str, code: str) -> None:
        self.insert(_tests(self.notebook)[qid] + 1, code)

    def insert(self, index: int, code: str) -> None:
        self.added += 1
        cell = nbformat.v4.new_code_cell(code)
        cell["id"] = f"student-{self.added}"  # fixed ids: the same class byte for byte
        self.notebook.cells.insert(index, cell)

    def bytes(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return nbformat.writes(self.notebook).encode("utf-8")


def _zeroed(e: Expected, questions: Collection[str]) -> Expected:
    """`e` where `questions` score 0 (their answers are stubs, or never ran)."""
    full = tuple(q for q in e.full if q not in questions)
    return replace(e, full=full, zero=(*e.zero, *(q for q in questions if q not in e.zero)))


class _Builder:
    """The drafts of one assignment's class."""

    def __init__(self, course: Course, secret: bytes | None) -> None:
        self.course = course
        self.secret = secret
        self.all = course.questions
        self.stubs = {
            q: course.release.cells[i].source for q, i in _answers(course.release).items()
        }
        middle = len(self.all) // 2
        self.first, self.second = self.all[:middle], self.all[middle:]
        self.plants = mistakes.plants(self.all)  # chosen on the lab's numbers
        self._drawn: dict[str | None, dict[str, Question]] = {}
        self.numbers: dict[str, Question] = {}  # the own questions of the student written
        self.others: dict[str, list[Question]] = {}  # each question, everyone else's

    def drawn(self, student: str | None) -> dict[str, Question]:
        """The student's questions (None, or a class without a secret: the lab's)."""
        if student not in self._drawn:
            own = student if self.secret is not None else None
            self._drawn[student] = variants.questions(self.course.assignment, self.secret, own)
        return self._drawn[student]

    def solution(self) -> _Draft:
        """The release notebook with every answer cell as the solution has it: what a
        student who answers everything right hands in (the solution notebook itself still
        holds the hidden tests, which a student never sees)."""
        notebook = copy.deepcopy(self.course.release)
        solved = _answers(self.course.solution)
        for qid, i in _answers(notebook).items():
            notebook.cells[i].source = self.course.solution.cells[solved[qid]].source
        return _Draft(notebook, Expected(full=self.all))

    def base(self) -> _Draft:
        """The solution without Keras: its answers left as stubs, the author's optional
        cells calling it deleted, its import removed (importing it alone takes seconds)."""
        draft = self.solution()
        self.skip(draft, self.course.keras)
        cells = []
        for cell in draft.notebook.cells:
            if cell.cell_type == "code" and not cell.metadata.get("grader"):
                if _KERAS.search(cell.source):
                    continue
                cell.source = _IMPORT_KERAS.sub("", cell.source)
            cells.append(cell)
        draft.notebook.cells = cells
        draft.skipped_keras = bool(self.course.keras)
        return draft

    def skip(self, draft: _Draft, questions: Collection[str]) -> None:
        for qid in questions:
            draft.answer(qid, self.stubs[qid])
        draft.expected = _zeroed(draft.expected, questions)

    def plant(self, draft: _Draft, plant: mistakes.Plant) -> None:
        """Plant a wrong answer; in a skipped Keras answer, the planted literal is the
        whole cell (typed in rather than trained)."""
        plant = mistakes.redrawn(plant, self.numbers[plant.question], self.others[plant.question])
        if plant.question in self.course.keras:
            draft.answer(plant.question, plant.code)
        else:
            draft.append(plant.question, plant.code)
        e = draft.expected
        draft.expected = replace(
            e,
            full=tuple(q for q in e.full if q != plant.question),
            zero=tuple(q for q in e.zero if q != plant.question),
            diagnoses=(*e.diagnoses, plant.diagnosis),
        )


# --- the students -------------------------------------------------------------------------

Make = Callable[[_Builder], tuple[str, _Draft]]


def _correct(b: _Builder) -> tuple[str, _Draft]:
    return "the release notebook with the solution's answers", b.solution()


def _blank(b: _Builder) -> tuple[str, _Draft]:
    unanswered = tuple((q, "unanswered") for q in b.all)  # not "error": nothing was written
    draft = _Draft(copy.deepcopy(b.course.release), Expected(zero=b.all, statuses=unanswered))
    return "the release notebook, handed in untouched", draft


def _partial(b: _Builder) -> tuple[str, _Draft]:
    draft = b.base()
    b.skip(draft, b.second)
    return "answered the first half of the questions", draft


def _malformed(b: _Builder) -> tuple[str, _Draft]:
    whole = nbformat.writes(b.solution().notebook).encode("utf-8")
    expected = Expected(zero=b.all, status="unreadable", reason="not valid JSON")
    draft = _Draft(b.course.solution, expected, raw=whole[: len(whole) // 2])
    return "the solution notebook's file cut off halfway", draft


ENDLESS = """\
step, loss = 0, 1.0
while loss >= 0:  # "until it converges": a test that never fails
    step += 1
    loss = loss / 2"""

MEMORY_HOG = """\
history = []
try:
    while True:  # keeps every intermediate array
        history.append(np.empty(2**24))
finally:
    history.clear()  # the MemoryError stops the cell; later cells get the memory back"""

FLOOD = """\
for epoch in range(20_000):  # about 50 MB of training log
    print(f"epoch {epoch}: loss = {1 / (epoch + 1):.6f} " * 100)"""


def _after_first(label: str, code: str, cell_status: str) -> Make:
    """A student whose extra cell after the first test misbehaves; the rest still runs."""

    def make(b: _Builder) -> tuple[str, _Draft]:
        draft = b.base()
        draft.insert_after_test(b.all[0], code)
        draft.expected = replace(draft.expected, cell_status=cell_status)
        return label, draft

    return make


def _midway(label: str, code: str, status: str, reason: str) -> Make:
    """A student whose process dies after the first half's tests: the rest scores 0."""

    def make(b: _Builder) -> tuple[str, _Draft]:
        draft = b.base()
        draft.insert_after_test(b.first[-1], code)
        expected = _zeroed(draft.expected, b.second)
        draft.expected = replace(expected, status=status, reason=reason)
        return label, draft

    return make


def _edits_test(b: _Builder) -> tuple[str, _Draft]:
    """A wrong answer, and its test cell edited to print a score instead."""
    draft = b.base()
    plant = next(p for p in b.plants if p.question not in b.course.keras)
    b.plant(draft, plant)
    test = draft.notebook.cells[_tests(draft.notebook)[plant.question]]
    test.source = 'print("1 point, all tests passed")'
    draft.expected = replace(draft.expected, note="was edited: the original was restored")
    return f"answered {plant.question} wrongly and replaced its test cell", draft


def _patches_score(b: _Builder) -> tuple[str, _Draft]:
    draft = b.base()
    first_code = next(i for i, c in enumerate(draft.notebook.cells) if c.cell_type == "code")
    draft.insert(first_code + 1, "grader.score = lambda *args, **kwargs: 1.0")
    answered = tuple(q for q in b.all if q not in b.course.keras)
    # the real grader.score is put back before the next test cell: graded as it is, and
    # that test cell's question flagged
    draft.expected = replace(draft.expected, restored=answered[:1])
    return "replaced grader.score with a function returning full marks", draft


HOSTILE: tuple[tuple[str, Make], ...] = (
    ("malformed-json", _malformed),
    ("infinite-loop", _after_first("a loop that never ends", ENDLESS, "timeout")),
    (
        "os-exit-midway",
        _midway(
            "calls os._exit(3) halfway", "import os\n\nos._exit(3)", "exited", "exited with code 3"
        ),
    ),
    (
        "segfault-midway",
        _midway(
            "crashes the interpreter halfway (ctypes)",
            "import ctypes\n\nctypes.string_at(0)",
            "crashed",
            "segmentation fault",
        ),
    ),
    ("memory-hog", _after_first("allocates memory until none is left", MEMORY_HOG, "memory")),
    ("huge-output", _after_first("prints 50 MB, then answers the rest", FLOOD, "ok")),
    ("edits-test-cell", _edits_test),
    ("patches-grader-score", _patches_score),
)
CLASSMATE = "s01-correct"  # whose answers the copier pastes


def _copies(whose: str | None) -> Make:
    """A student who pastes `whose` answers (a classmate's, None: the lab's numbers') as
    literals over their own, on every question but the Keras ones."""

    def make(b: _Builder) -> tuple[str, _Draft]:
        draft = b.base()
        theirs = b.drawn(whose)
        copied = []
        for qid in b.all:
            found = None if qid in b.course.keras else mistakes.pasted(b.numbers[qid], theirs[qid])
            if found is not None:
                draft.append(qid, found[0])
                copied += [Copied(qid, part, whose) for part in found[1]]
        # later answers computed from pasted ones are someone else's too: no full marks
        draft.expected = replace(draft.expected, full=(), copied=tuple(copied))
        return f"pasted {whose or 'the lab'}'s answers as literals", draft

    return make


COPIES: tuple[tuple[str, Make], ...] = (
    ("copies-classmate", _copies(CLASSMATE)),
    ("copies-lab", _copies(None)),
)
FIXED = 3 + len(HOSTILE) + len(COPIES)  # students besides the mistake students


def _mistaken(plants: list[mistakes.Plant]) -> Make:
    def make(b: _Builder) -> tuple[str, _Draft]:
        draft = b.base()
        for plant in plants:
            b.plant(draft, plant)
        said = ", ".join(str(p.diagnosis) for p in plants)
        return f"planted mistakes: {said}", draft

    return make


def _roster(b: _Builder, size: int) -> list[tuple[str, str, Make]]:
    """(name, kind, maker) of every student, in order."""
    if size <= FIXED:
        raise ClassTooSmall(f"a class needs more than {FIXED} students (one of each kind)")
    chosen = mistakes.spread(b.plants, size - FIXED)
    return [
        ("correct", "correct", _correct),
        ("blank", "blank", _blank),
        ("partly-done", "partial", _partial),
        # hostile before mistakes: the endless loop starts early, beside the correct run
        *((name, "hostile", make) for name, make in HOSTILE),
        *((f"mistakes-{key}", "mistakes", _mistaken(plants)) for key, plants in chosen),
        # last: every other student keeps the id it had before there were copiers
        *((name, "copies", make) for name, make in COPIES),
    ]


def make_class(
    course: Path,
    assignment: str,
    into: Path,
    size: int = DEFAULT_SIZE,
    kinds: Collection[str] = KINDS,
    secret: bytes | None = None,
) -> list[Student]:
    """Write a synthetic class of `size` students for `assignment` (from the course's
    solutions/ and release/ notebooks) into ``<into>/submitted`` (see the module doc);
    students of other `kinds` are left out (ids keep their place in the full roster).
    With the course `secret`, each student has their own numbers, to be graded with the
    written students as the roster; without, everyone has the lab's and nobody copies."""
    builder = _Builder(Course.read(course, assignment), secret)
    skipped = ", ".join(sorted(builder.course.keras))
    written = [
        (f"s{n:02d}-{name}", kind, make)
        for n, (name, kind, make) in enumerate(_roster(builder, size), start=1)
        if kind in kinds and (secret is not None or kind != "copies")
    ]
    students = []
    for sid, kind, make in written:
        builder.numbers = builder.drawn(sid)
        # whose answers a wrong value may fit (graded without a roster: nobody's)
        others = [builder.drawn(None), *(builder.drawn(s) for s, _, _ in written if s != sid)]
        builder.others = {q: [o[q] for o in others] if secret else [] for q in builder.all}
        description, draft = make(builder)
        if draft.skipped_keras:
            description += f" (skipped the Keras questions {skipped})"
        path = into / "submitted" / sid / assignment / f"{assignment}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(draft.bytes())
        students.append(Student(sid, kind, description, draft.expected, path))
    return students
