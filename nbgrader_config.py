"""nbgrader configuration: the repository root is the course directory.

nbgrader's `source`, `release` and `solution` folders are `exercises/`, `release/` and
`solutions/`; notebooks sit directly in `<folder>/<assignment>/`.
"""

from nbgrader.preprocessors import ClearMarkScheme, ClearOutput, IncludeHeaderFooter, LockCells

from grader_sandbox.isolation import Limits

c = get_config()  # noqa: F821 (injected by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "dl-optimisation"
c.CourseDirectory.source_directory = "exercises"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.solution_directory = "solutions"

# Solutions are generated without executing them, so `solutions/` is byte-stable and a
# drift test can compare it with a fresh generation (instructors run them to see outputs).
c.GenerateSolution.preprocessors = [IncludeHeaderFooter, LockCells, ClearOutput, ClearMarkScheme]

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# nbgrader autograde allows a cell as long as `grader grade` does (nbgrader's own default,
# 30 s, cuts off the Keras training cells on a busy machine).
c.ExecutePreprocessor.timeout = int(Limits.cell_timeout)
