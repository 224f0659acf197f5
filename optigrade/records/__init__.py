"""A graded class's records: what `optigrade.grade` writes and `optigrade.export` reads.

One module per job: `result` (a student's result, its question entries, and the status
words of each level), `summary` (summary.json), `files` (where records are stored and how
they are read back: a malformed file is absent), `overrides` (the instructor's
overrides.csv, applied to records) and `stored` (a class's results as every table and
export reads them, overrides applied). `checks` reads JSON into records. Grading and the
exports both stand on this package and never import each other (pyproject.toml's
import contracts).
"""
