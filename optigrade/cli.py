"""The `grader` command: one entry point, subcommands grouped by who uses them."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.student import cli as student_cli
from grader.student.cli import EXIT_USAGE as EXIT_USAGE
from grader.student.cli import Parser as _Parser
from grader.student.cli import command as _command

if TYPE_CHECKING:
    from optigrade.grade.batch import BatchSummary

EXIT_UNISOLATED = 3  # grading refused: student code cannot be isolated here


def _key(args: argparse.Namespace) -> int:
    from optigrade.assign import key

    student = None
    if args.student is not None:
        from optigrade import variants
        from optigrade.assign import secrets

        if not secrets.path(args.course).is_file():
            print(
                f"no {secrets.FILE} in {args.course}: no student has numbers of their own yet "
                "(give the course folder with --course)",
                file=sys.stderr,
            )
            return EXIT_USAGE
        secret = secrets.load(args.course).course
        student = variants.questions(args.assignment, secret, args.student).values()
    if args.format == "json":
        print(key.to_json(args.assignment, student))
    else:
        from rich.console import Console

        title = "" if args.student is None else f", student {args.student}"
        Console().print(key.render_table(args.assignment, student, title))
    return 0


def _trace(args: argparse.Namespace) -> int:
    from optigrade.grade import trace
    from optigrade.grade.numbers import Numbers

    _assignments(argparse.Namespace(assignments=[args.assignment]))
    submitted = args.course / "submitted"
    graded = sorted(p.name for p in submitted.iterdir() if p.is_dir()) if submitted.is_dir() else []
    numbers = Numbers.of(args.assignment, args.course, graded)
    if numbers is None:
        print(
            f"grader: error: {args.assignment} was not released with a roster in "
            f"{args.course}: every student has the lab's numbers, so none can be traced",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        text = trace.text_of(args.file)
    except OSError as error:
        print(f"grader: error: {args.file}: {error.strerror or error}", file=sys.stderr)
        return EXIT_USAGE
    found = trace.trace(numbers, text)
    if not found:
        print(f"No student's numbers for {args.assignment} appear in {args.file}.")
    for traced in found:
        who = traced.student if traced.student is not None else "the lab's numbers"
        print(f"{who}: {traced.numbers} numbers ({'; '.join(traced.found)})")
    return 0


def _assignments(args: argparse.Namespace) -> list[str]:
    from optigrade import bank

    chosen = args.assignments or list(bank.assignments())
    for assignment in chosen:
        bank.questions(assignment)  # an unknown id fails here, with the list of known ones
    return chosen


def _sync(args: argparse.Namespace) -> int:
    from optigrade.assign import coursedata, figures, sync

    for path in coursedata.write():
        print(f"course data rewritten: {path.name}")
    for assignment in _assignments(args):
        drawn = figures.draw(args.course, assignment)
        changed = sync.sync(args.course, assignment)
        state = "updated" if changed else "already in sync"
        print(f"{assignment}: source notebook {state}; {len(drawn)} figure(s) drawn")
    return 0


def _release(args: argparse.Namespace) -> int:
    from optigrade.assign import leaks, release, roster, seal, sync

    try:
        students = roster.read(args.course, args.roster) if args.roster else None
    except roster.RosterError as e:
        print(f"grader assign release: {e}", file=sys.stderr)
        return EXIT_USAGE
    status = 0
    for assignment in _assignments(args):
        sync.sync(args.course, assignment)
        release.generate(args.course, assignment)
        files = seal.write_variants(
            args.course, args.course / "release", assignment, students, args.jobs
        )
        problems = leaks.scan(args.course, assignment)
        for problem in problems:
            print(f"LEAK {problem}", file=sys.stderr)
        status |= bool(problems)
        variants = f", {files} students' own numbers" if files else ""
        print(
            f"{assignment}: release/ and solutions/ generated{variants}"
            + (" WITH LEAKS" if problems else "")
        )
    return status


def _verify(args: argparse.Namespace) -> int:
    from rich.console import Console

    from optigrade.assign import verify

    console = Console(stderr=True)
    checks = tuple(c for c in verify.CHECKS if c not in args.skip)
    notes: dict[str, list[str]] = {}
    with console.status("verifying") as status:
        found = verify.run_checks(
            args.course,
            _assignments(args),
            checks,
            progress=lambda m: status.update(f"checking {m}"),
            draws=args.draws,
            told=lambda name, line: notes.setdefault(name, []).append(line),
        )
    for name, problems in found.items():
        console.print(
            f"[{'green' if not problems else 'red'}]{'ok  ' if not problems else 'FAIL'}[/] {name}"
        )
        for note in notes.get(name, []):
            console.print(f"     {note}", markup=False, style="dim")
        for problem in problems:
            console.print(f"     {problem}", markup=False)
    return 1 if any(found.values()) else 0


def _cluster_address(text: str) -> str:
    from optigrade.grade.cluster import parse

    try:
        return parse(text).text
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _due(text: str) -> Any:
    from optigrade.records.lateness import parse_time

    try:
        return parse_time(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _late_policy(text: str) -> Any:
    from optigrade.records.lateness import LatePolicy

    try:
        return LatePolicy.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


#: `grader grade`'s options of `GradeOptions`, in the order --help lists them, each with
#: the type of its argument (bool: a flag).
_GRADE_OPTIONS: dict[str, Callable[[str], Any] | type[bool]] = {
    "jobs": int,
    "timeout": float,
    "cell_timeout": float,
    "force": bool,
    "gradebook": bool,
    "trust_submissions": bool,
    "cluster": _cluster_address,
    "due": _due,
    "late_policy": _late_policy,
}


def _grade_options(grade: argparse.ArgumentParser) -> None:
    """`grader grade`'s options, with the defaults and help `GradeOptions` declares."""
    from optigrade.grade.options import GradeOptions

    declared = {f.name: f for f in fields(GradeOptions)}
    for name, kind in _GRADE_OPTIONS.items():
        option = declared[name]
        flag = "--" + name.replace("_", "-")
        # argparse formats help with %: a percent sign in it is written %%
        said = option.metadata["help"].format(default=option.default).replace("%", "%%")
        if kind is bool:
            grade.add_argument(flag, action="store_true", help=said)
        else:
            metavar = option.metadata["metavar"]
            grade.add_argument(flag, type=kind, default=option.default, metavar=metavar, help=said)


def _grade(args: argparse.Namespace) -> int:
    from grader_sandbox.jail import IsolationUnavailable
    from optigrade.grade.batch import UNISOLATED, grade_assignment
    from optigrade.grade.cluster import ClusterUnavailable
    from optigrade.grade.deadline import DeadlineError
    from optigrade.grade.options import GradeOptions, GradePaths
    from optigrade.grade.pool import PoolFailed

    course: Path = args.course
    _assignments(argparse.Namespace(assignments=[args.assignment]))
    paths = GradePaths(
        submitted=args.submitted or course / "submitted",
        source=course / "exercises",
        release=course / "release",
        out=args.out or course / "graded" / args.assignment,
        course=course,
    )
    given = {name: getattr(args, name) for name in _GRADE_OPTIONS}
    options = GradeOptions(**given)
    started = time.monotonic()
    try:
        summary = grade_assignment(args.assignment, paths, options)
    except (ClusterUnavailable, DeadlineError) as error:
        print(f"grader: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except IsolationUnavailable as error:
        print(f"grader: refusing to run student code: {error}.", file=sys.stderr)
        print(
            "grader: --trust-submissions grades anyway, without isolation (every output "
            "then says so): only for code you would run yourself.",
            file=sys.stderr,
        )
        return EXIT_UNISOLATED
    except (PoolFailed, FileNotFoundError) as error:
        print(f"grader: error: {error}", file=sys.stderr)
        return 1
    from optigrade.export.run import write_all  # matplotlib loads only now

    summary.warnings += write_all(summary.out, course, options.gradebook)
    seconds = time.monotonic() - started  # the exports' included
    if summary.unisolated:
        print(f"grader: WARNING: {UNISOLATED}: {summary.unisolated}", file=sys.stderr)
    for line in _closing(summary, seconds, course):
        print(line)
    return 0


#: Students the closing summary names before "and n more" (the report lists them all).
SHOWN_ATTENTION = 20


def _closing(summary: BatchSummary, seconds: float, course: Path) -> list[str]:
    """What `grader grade` ends with: the class in counts, from the stored results as the
    report says them (`optigrade.export.tally`), who needs attention, the warnings and
    where the report and the pages are."""
    from optigrade.export import classbook, returned
    from optigrade.export.run import FEEDBACK, REPORT
    from optigrade.export.tally import tally

    lines = [f"{summary.assignment}: graded in {seconds:.1f} s"]
    if summary.skipped:
        lines[0] += f" ({len(summary.skipped)} unchanged since the last run: kept as graded)"
    try:
        graded = classbook.load(summary.out)
    except classbook.ExportError as error:
        lines.append(f"  the class cannot be summed up: {error}")
        graded = None
    if graded is not None:
        counted = tally(graded)
        lines += [f"  {line}" for line in counted.lines()]
        lines += [
            f"    {a.student}: {a.total:g}/{counted.points:g} ({'; '.join(a.reasons)})"
            for a in counted.attention[:SHOWN_ATTENTION]
        ]
        if len(counted.attention) > SHOWN_ATTENTION:
            more = len(counted.attention) - SHOWN_ATTENTION
            lines.append(f"    and {more} more: see the report")
    lines += [f"  warning: {warning}" for warning in summary.warnings]
    lines.append(f"report: {summary.out / REPORT}")
    lines.append(f"feedback pages: {summary.out / FEEDBACK}/")
    if graded is not None:
        lines.append(f"  for an LMS's bulk upload: {returned.zip_path(graded)}")
        if any((course / "feedback").glob(f"*/{summary.assignment}/*.html")):
            lines.append(
                f"  for nbgrader release_feedback {summary.assignment}: {course / 'feedback'}/"
            )
    return lines


def _export(args: argparse.Namespace) -> int:
    from optigrade.export import classbook, lms
    from optigrade.export.lmsbook import LmsError

    _assignments(argparse.Namespace(assignments=[args.assignment]))
    try:
        target = lms.Target(
            output=args.output,
            canvas=args.canvas,
            column=args.column,
            roster=Path(args.moodle) if args.moodle else None,
            identifier=args.identifier,
            out_of=args.out_of,
        )
        graded = args.graded or args.course / "graded" / args.assignment
        done = lms.run(args.assignment, graded, target)
    except (LmsError, classbook.ExportError) as error:
        print(f"grader: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{args.assignment}: {done.written} grade(s) written to {args.output}")
    for notice in done.notices:
        print(f"  {notice}")
    if done.unmatched:
        side = lms.side_file(args.output)
        print(f"{len(done.unmatched)} student(s) not matched, also listed in {side}:")
    for unmatched in done.unmatched:
        print(f"  {unmatched}")
    if done.overwritten:
        side = lms.overwritten_file(args.output)
        print(
            f"{len(done.overwritten)} cell(s) held another grade or N/A and are overwritten, "
            f"also listed in {side}:"
        )
    for overwritten in done.overwritten:
        print(f"  {overwritten}")
    for warning in done.warnings:
        print(f"  warning: {warning}")
    return 0


def _points(text: str) -> float:
    """--out-of as typed: a number written with a dot, whatever the gradebook's locale."""
    try:
        return float(text)
    except ValueError:
        hint = f" (write it with a dot: {text.replace(',', '.')})" if "," in text else ""
        raise argparse.ArgumentTypeError(f"not a number of points: {text!r}{hint}") from None


def _demo(args: argparse.Namespace) -> int:
    from optigrade.demo import classes, demo

    try:
        # the default is the demo's, imported only when it runs
        size = classes.DEFAULT_SIZE if args.size is None else args.size
        return demo.main(args.course, _assignments(args), args.out, args.jobs, size)
    except (demo.NotACourse, classes.ClassTooSmall) as error:
        print(f"grader: error: {error}", file=sys.stderr)
        return 1


_EXPORT_EXAMPLES = """examples:
  grader export forward-pass --canvas "2025-01-10T1000_Grades-DL101.csv" \\
      --column "Forward pass (12345)" --output canvas-import.csv
  grader export forward-pass --moodle --identifier email --output moodle-import.csv
  grader export forward-pass --moodle moodle-grades-export.csv --identifier email \\
      --column "Forward pass" --out-of 100 --output moodle-import.csv

Students of the gradebook without a submission, and submissions without a gradebook
row, are printed and listed beside FILE (canvas-import.csv: canvas-import.unmatched.csv);
cells that held another grade (or N/A) are printed and listed in canvas-import.overwritten.csv.
Canvas: only an assignment column (with points in the Points Possible row) is filled.
Moodle: its grade export is read with any of its separators (Tab, Comma, Colon, Semicolon).
The manual overrides of the graded folder's overrides.csv are applied."""


def _export_parser(commands: argparse._SubParsersAction) -> None:
    from optigrade.export import moodle

    export = commands.add_parser(
        "export",
        help="write the grades into a Canvas or Moodle gradebook file, for import",
        description="Write the totals of `grader grade`'s results into a Canvas gradebook\n"
        "export, or into Moodle's grade import CSV, to import them into the LMS.",
        epilog=_EXPORT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("assignment", help="assignment id, e.g. forward-pass")
    lms = export.add_mutually_exclusive_group(required=True)
    lms.add_argument(
        "--canvas",
        type=Path,
        metavar="GRADEBOOK.csv",
        help="a gradebook CSV exported from Canvas (Grades > Export): a copy is written with "
        "the assignment column --column filled, students matched by SIS Login ID, then SIS "
        "User ID, then ID; every other cell is kept byte for byte",
    )
    lms.add_argument(
        "--moodle",
        nargs="?",
        const="",  # --moodle alone: no export to match against
        metavar="EXPORT.csv",
        help="write Moodle's grade import CSV (identifier, grade, feedback); optionally "
        "give Moodle's grade export (Export > Plain text file, any separator) so that only "
        "its students are written, with their identifier from it",
    )
    export.add_argument(
        "--column",
        metavar="NAME",
        help="Canvas: the assignment column to fill, in full ('Lab 1 (12345)') or without "
        "Canvas's id ('Lab 1'); Moodle: the grade column's name (default: ASSIGNMENT)",
    )
    export.add_argument(
        "--output", type=Path, required=True, metavar="FILE", help="the CSV file to write"
    )
    export.add_argument(
        "--identifier",
        choices=tuple(moodle.IDS),
        default="username",
        help="Moodle: the user field students are identified by on import (default: username)",
    )
    export.add_argument(
        "--out-of",
        type=_points,
        metavar="POINTS",
        help="rescale the totals to be out of POINTS, a positive number written with a dot "
        "(default: the assignment's points)",
    )
    export.add_argument(
        "--graded",
        type=Path,
        metavar="DIR",
        help="the output folder of `grader grade` (default: graded/ASSIGNMENT in the course)",
    )
    _course_option(export)
    export.set_defaults(run=_export)


def _course_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--course",
        type=Path,
        default=Path.cwd(),
        metavar="DIR",
        help="the course folder, where nbgrader_config.py is (default: the current folder)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser, commands = student_cli.top_parser(
        __doc__ or "",
        "examples:\n  grader check forward-pass.ipynb\n  grader grade forward-pass\n"
        "  grader COMMAND --help      (each command's arguments and examples)",
    )

    key = _command(
        commands,
        "key",
        "print the answer key of an assignment (instructors only: it shows every answer)",
        "grader key forward-pass",
        "grader key optimisers --format json > optimisers-key.json",
        "grader key forward-pass --student jane_doe   # her own numbers and answers",
    )
    key.add_argument("assignment", help="assignment id, e.g. forward-pass")
    key.add_argument(
        "--student",
        metavar="ID",
        help="that student's key: the answers for their own numbers, with those numbers "
        "(default: the lab's numbers)",
    )
    _course_option(key)
    key.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="a table for reading (default), or JSON for other tools",
    )
    key.set_defaults(run=_key)

    traced = _command(
        commands,
        "trace",
        "name the students whose own numbers (inputs or answers) a notebook or text uses",
        "grader trace forward-pass posted-online.ipynb",
        "grader trace forward-pass chat-message.txt --course ~/course",
    )
    traced.add_argument("assignment", help="assignment id, e.g. forward-pass")
    traced.add_argument("file", type=Path, help="a notebook or a text file, read, never run")
    _course_option(traced)
    traced.set_defaults(run=_trace)

    grade = _command(
        commands,
        "grade",
        "grade a class's submissions (sandboxed, parallel, resumable)",
        "grader grade forward-pass                      # submitted/<student>/forward-pass/",
        "grader grade forward-pass --submitted lms-downloads.zip --jobs 4",
        "grader grade forward-pass --force --gradebook  # regrade all; fill gradebook.db",
        "grader grade forward-pass --due '2025-03-10 17:00 Europe/Paris' "
        "--late-policy 10%/day,max=50%",
        "grader grade backpropagation --cluster tcp://scheduler:8786",
    )
    grade.add_argument("assignment", help="assignment id, e.g. forward-pass")
    grade.add_argument(
        "--submitted",
        type=Path,
        metavar="PATH",
        help="nbgrader's submitted/ folder (default), or a folder "
        "or .zip of LMS downloads with the student id in each file name",
    )
    grade.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="where grades.csv, results, feedback pages and report.html go "
        "(default: graded/ASSIGNMENT)",
    )
    _grade_options(grade)
    _course_option(grade)
    grade.set_defaults(run=_grade)

    _export_parser(commands)

    demo = _command(
        commands,
        "demo",
        "grade a synthetic class of every assignment end to end (run from the repo)",
        "grader demo --assignments forward-pass --size 8",
        "grader demo --out /tmp/optigrade-demo",
    )
    demo.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="where the classes and their grading go (default: a new temporary folder)",
    )
    _course_option(demo)
    demo.add_argument(
        "--assignments", nargs="+", metavar="ASSIGNMENT", help="assignment ids (default: all)"
    )
    demo.add_argument(
        "--jobs", type=int, metavar="N", help="submissions graded at once (default: the cores)"
    )
    demo.add_argument(
        "--size",
        type=int,
        metavar="N",
        help="students per class (default: the demo's, 26)",
    )
    demo.set_defaults(run=_demo)

    student_cli.add_check(commands)  # the student runtime's own command

    assign = _command(
        commands,
        "assign",
        "authoring and release (instructors): sync, release or verify",
        "grader assign release forward-pass && grader assign verify forward-pass",
    )
    steps = assign.add_subparsers(
        dest="step", required=True, parser_class=_Parser, help="the step (see its --help)"
    )
    for name, run, text, examples in (
        (
            "sync",
            _sync,
            "write the bank's cells, metadata and figures into the source notebooks",
            ("grader assign sync", "grader assign sync forward-pass optimisers"),
        ),
        (
            "release",
            _release,
            "sync, then generate release/ and solutions/ with nbgrader",
            ("grader assign release", "grader assign release forward-pass"),
        ),
        (
            "verify",
            _verify,
            "release checks: bank, variants, execution, leaks, drift",
            (
                "grader assign verify",
                "grader assign verify forward-pass --skip execute --draws 200",
            ),
        ),
    ):
        step = _command(steps, name, text, *examples)
        step.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
        _course_option(step)
        step.set_defaults(run=run)
        if name == "release":
            step.add_argument(
                "--roster",
                metavar="ROSTER",
                help="give each student their own numbers: a CSV with a student_id column, or "
                "'gradebook' for the students of nbgrader's gradebook (default: the lab's "
                "numbers for everyone)",
            )
            step.add_argument(
                "--jobs",
                type=int,
                default=0,
                metavar="N",
                help="processes sealing the students' numbers (default: one per core)",
            )
        if name == "verify":
            step.add_argument(
                "--skip",
                action="append",
                default=[],
                choices=("bank", "variants", "execute", "leaks", "drift"),
                help="leave out one check (repeat the option to leave out several): the bank's "
                "questions, the rejection rates of each student's own numbers, running each "
                "source notebook, the leak scan of release/, or the drift from a fresh "
                "nbgrader generation",
            )
            step.add_argument(
                "--draws",
                type=int,
                default=1000,
                metavar="N",
                help="made-up students whose numbers the variants check draws (default 1000)",
            )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return student_cli.run(build_parser(), argv)


if __name__ == "__main__":
    raise SystemExit(main())
