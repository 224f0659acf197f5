"""Exports of a graded class, built from `grader grade`'s files alone: feedback pages per
student (`feedback`), the instructor's class report (`report`, charts in `plots`), the
scores in nbgrader's gradebook (`gradebook`); `run.write_all` writes them all."""
