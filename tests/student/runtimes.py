"""Building the repository's runtime wheels and installing them, as the README says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSTALL = 1200  # seconds for an install: numpy, SymPy, Keras, JAX... (from the pip cache)


def pip(python: Path, *args: str, cwd: Path, env: dict[str, str] | None = None) -> None:
    """`python -m pip ARGS` in `cwd`; its output's end shown if it fails."""
    done = subprocess.run(
        [str(python), "-m", "pip", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=INSTALL,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def wheel(project: str, folder: Path) -> Path:
    """The wheel of the repository's `project` folder, built into `folder` as the README
    says (`pip wheel --no-deps ./PROJECT`, by the instructor, from the repository)."""
    pip(Path(sys.executable), "wheel", "--no-deps", f"./{project}", "-w", str(folder), cwd=ROOT)
    (built,) = folder.glob(f"optigrade_{project}-*.whl")
    return built
