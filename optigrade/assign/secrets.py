"""The course's secrets, kept with the instructor and never released.

``<course>/.optigrade-secrets.json`` holds, for the term:

- ``salts``: one random salt per assignment, drawn when the assignment is first released
  and kept, so that releasing it again gives the same sealed key (release/ stays what
  nbgrader and this package generate, byte for byte); a new term draws new ones
  (`grader assign release --new-salt`), so last term's digests say nothing of this one's.
  The salt is public once released (every sealed key holds it): it makes each release's
  digests its own, it hides nothing by itself.
- ``course``: a random secret from which each student's own numbers are drawn;
- ``rosters``: the students each assignment was released to with their own numbers
  (absent: released without a roster, the lab's numbers for everyone).

nbgrader releases only `release/<assignment>/`, and the leak scan checks that no secret
reaches it; the grading sandbox sees nothing of the course folder.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

FILE = ".optigrade-secrets.json"
FORMAT = 1
_BYTES = 32


class SecretsError(ValueError):
    """The secrets file is there but cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Secrets:
    course: bytes
    salts: dict[str, bytes] = field(default_factory=dict)
    rosters: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "course": self.course.hex(),
            "salts": {a: s.hex() for a, s in sorted(self.salts.items())},
            "rosters": {a: list(r) for a, r in sorted(self.rosters.items())},
        }

    @classmethod
    def from_json(cls, data: object) -> Secrets:
        try:
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError("not a secrets file this grader reads")
            course = bytes.fromhex(str(data["course"]))
            salts = {str(a): bytes.fromhex(str(s)) for a, s in dict(data["salts"]).items()}
            rosters = {
                str(a): [str(s) for s in list(r)] for a, r in dict(data.get("rosters", {})).items()
            }
        except (KeyError, TypeError, ValueError) as e:
            raise SecretsError(f"{FILE}: {e}") from None
        if len(course) != _BYTES or any(len(s) != _BYTES for s in salts.values()):
            raise SecretsError(f"{FILE}: every secret is {_BYTES} bytes")
        return cls(course, salts, rosters)


def path(course: Path) -> Path:
    return course / FILE


def load(course: Path) -> Secrets:
    """The course's secrets, drawn (and saved) on first use."""
    found = path(course)
    if not found.is_file():
        return save(course, Secrets(secrets.token_bytes(_BYTES)))
    try:
        data = json.loads(found.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise SecretsError(f"{found}: cannot be read ({e}); restore it from a backup") from None
    return Secrets.from_json(data)


def save(course: Path, found: Secrets) -> Secrets:
    """Write the secrets file atomically, readable by its owner only."""
    target = path(course)
    fd, tmp = tempfile.mkstemp(dir=course, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(found.to_json(), indent=1) + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return found


def salt(course: Path, assignment: str, new: bool = False) -> bytes:
    """The salt of `assignment`'s sealed key: the one kept, or (first release, or `new`)
    a fresh random one, kept from now on."""
    found = load(course)
    if assignment in found.salts and not new:
        return found.salts[assignment]
    drawn = secrets.token_bytes(_BYTES)
    save(course, replace(found, salts={**found.salts, assignment: drawn}))
    return drawn
