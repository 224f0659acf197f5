"""nbgrader's view of a course folder: its `nbgrader_config.py` read as nbgrader reads it
(the gradebook's address, the course id, the folders), for grading (the due date) and
the exports (the gradebook's scores)."""

from __future__ import annotations

from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config, PyFileConfigLoader

CONFIG = "nbgrader_config.py"


def course_directory(course: Path) -> CourseDirectory:
    """nbgrader's view of the course: its `nbgrader_config.py`, root defaulting to `course`."""
    config = Config()
    if (course / CONFIG).is_file():
        config = PyFileConfigLoader(CONFIG, path=str(course)).load_config()
    coursedir = CourseDirectory(config=config)
    if "root" not in config.CourseDirectory:
        coursedir.root = str(course.resolve())
    return coursedir
