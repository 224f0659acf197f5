"""The instructor's side of the course: everything that holds the answer key.

The question bank's computations and catalogue (`optigrade.bank`, over `reference`),
authoring and release (`optigrade.assign`), batch grading (`optigrade.grade`), the
exports of a graded class (`optigrade.export`), the demo (`optigrade.demo`) and the
instructor's `grader` command (`optigrade.cli`). Students install `grader` alone, grading
nodes `grader` and `grader_sandbox`: neither holds anything of this package.
"""
