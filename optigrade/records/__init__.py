"""A graded class's records: what `optigrade.grade` writes and `optigrade.export` reads.

One module per job: `result` (a student's result, its question entries, and the status
words of each level), `repairs` (what restoring a notebook repaired), `lateness` (a
submission against its deadline, and the late policy), `summary` (summary.json), `files`
(where records are stored and how they are read back: a malformed file is absent),
`overrides` (the instructor's overrides.csv, applied to records), `sheet` (reading such
small CSV files) and `stored` (a class's results as every table and export reads them,
overrides applied). `checks` reads JSON into records. Grading and the
exports both stand on this package and never import each other (pyproject.toml's
import contracts).
"""
