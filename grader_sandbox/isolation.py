"""Operating-system protections for a student's process (Linux), per forked child.

The worker already lives inside bubblewrap (`grader_sandbox.jail`), which decides what can
be seen at all; these are the steps `grader_sandbox.child` takes in each child before any
student code runs: new network, mount, IPC and UTS namespaces from ``unshare(2)`` (the
PID namespace comes with the fork), a private /proc, the whole view read-only but for a
fresh /tmp, /var/tmp, /dev/shm and the child's own working folders, rlimits, then no
privileges left (an unprivileged uid of its own as root, every capability dropped in a
user namespace) and ``prctl`` flags. Every step reports whether it took effect, so a
result says which protections were active rather than assuming them.
"""

from __future__ import annotations

import ctypes
import functools
import os
import pwd
import re
import resource
import signal
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from grader.compare.timelimit import CELL_SECONDS, NOTEBOOK_SECONDS

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

#: Namespaces a sandbox asks for, by the name results report them under.
NAMESPACES: dict[str, int] = {
    "network": CLONE_NEWNET,
    "pid": CLONE_NEWPID,
    "mount": CLONE_NEWNS,
    "ipc": CLONE_NEWIPC,
    "uts": CLONE_NEWUTS,
}

MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_BIND = 0x1000
MS_REC = 0x4000
MS_REMOUNT = 0x20
MS_RDONLY = 0x1
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_PRIVATE = 1 << 18

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24
PR_SET_SECUREBITS = 28
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
#: SECBIT_NOROOT, NO_SETUID_FIXUP, NO_CAP_AMBIENT_RAISE, each with its lock, and
#: KEEP_CAPS_LOCKED: uid 0 never regains a capability, and the bits cannot be undone.
SECURE_NO_ROOT = 0b11101111
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

#: First uid tried for sandboxes; worker i uses the i-th free uid from here, so no two
#: concurrent sandboxes share a uid (RLIMIT_NPROC counts per uid) and none is a real user.
SANDBOX_UID_BASE = 61000

_libc = ctypes.CDLL(None, use_errno=True)
_libc.unshare.argtypes = [ctypes.c_int]
_libc.setns.argtypes = [ctypes.c_int, ctypes.c_int]
_libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
_libc.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
_libc.capset.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
MNT_DETACH = 2


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Wall-clock limits are enforced with SIGALRM (per cell)
    and by the worker (per submission); the rest are rlimits of the student's process."""

    cell_timeout: float = CELL_SECONDS  # seconds of wall-clock time per cell
    timeout: float = NOTEBOOK_SECONDS  # seconds of wall-clock time per submission
    #: RLIMIT_DATA in MiB: importing keras + jax and fitting a small model needs ~0.5 GiB
    #: (measured: it works at 1024); RLIMIT_DATA rather than RLIMIT_AS because XLA's
    #: threads reserve address space they never use.
    memory_mb: int = 2048
    output_bytes: int = 1_000_000  # printed per cell; the rest is cut off with a note
    file_bytes: int = 256 * 2**20  # largest file the student may write
    open_files: int = 256
    processes: int = 256  # processes and threads of the sandbox uid
    tmp_mb: int = 256  # size of the private /tmp
    work_mb: int = 512  # size of the in-memory folder holding the working directory

    @property
    def cpu_seconds(self) -> int:
        """CPU time is a backstop behind the wall-clock limit: threads may use all cores."""
        return int(self.timeout * (os.cpu_count() or 1)) + 10


def _fail(what: str) -> OSError:
    err = ctypes.get_errno()
    return OSError(err, f"{what}: {os.strerror(err)}")


def _c(text: str | None) -> bytes | None:
    return None if text is None else os.fsencode(text)


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    if _libc.mount(_c(source), _c(target), _c(fstype), flags, _c(data or None)):
        raise _fail(f"mount {target}")


def _prctl(option: int, value: int) -> None:
    if _libc.prctl(option, value, 0, 0, 0):
        raise _fail(f"prctl {option}")


def unshare(names: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """Enter new namespaces (not "pid": see `fork_into_pid_namespace`): (entered,
    {name: why not}). All at once when allowed, else one by one so a refused namespace
    does not cost the others."""
    names = list(names)
    if _libc.unshare(sum(NAMESPACES[n] for n in names)) == 0:
        entered, missing = names, {}
    else:
        entered, missing = [], {}
        for name in names:
            if _libc.unshare(NAMESPACES[name]) == 0:
                entered.append(name)
            else:
                missing[name] = str(_fail("unshare"))
    if "mount" in entered:
        try:  # never let a sandbox's mounts propagate to the host
            _mount(None, "/", None, MS_REC | MS_PRIVATE)
        except OSError as e:
            entered.remove("mount")
            missing["mount"] = str(e)
    return entered, missing


@functools.cache
def _own_pid_namespace() -> int | None:
    try:
        return os.open("/proc/self/ns/pid", os.O_RDONLY)
    except OSError:
        return None


def fork_into_pid_namespace() -> tuple[int, bool]:
    """``os.fork()`` whose child is PID 1 of a new PID namespace where the kernel allows:
    (pid, whether it is). The caller's own namespace is unchanged; only one fork is paid."""
    own = _own_pid_namespace()
    entered = own is not None and _libc.unshare(CLONE_NEWPID) == 0
    pid = -1
    try:
        pid = os.fork()
    finally:
        if entered and pid != 0 and _libc.setns(own, CLONE_NEWPID):  # type: ignore[arg-type]
            raise _fail("setns back to the worker's PID namespace")
    return pid, entered


def mount_proc() -> None:
    """A /proc showing only the new PID namespace: the grading processes are invisible."""
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def private_folder(path: Path, size_mb: int) -> bool:
    """Give this process (and its children) a private, in-memory `path`: nothing written
    there reaches the disk or outlives the process. False where mounts are not allowed."""
    entered, _ = unshare(["mount"])
    if not entered:
        return False
    try:
        _mount("tmpfs", str(path), "tmpfs", MS_NOSUID | MS_NODEV, f"size={size_mb}m,mode=711")
    except OSError:
        return False
    return True


def unmount(path: Path) -> None:
    """Undo `private_folder` (its empty mount point would otherwise stay behind)."""
    if _libc.umount2(os.fsencode(path), MNT_DETACH):
        raise _fail(f"umount {path}")


def private_tmp(path: Path, size_mb: int) -> None:
    """A fresh, size-capped, world-writable tmpfs over a shared temporary directory."""
    _mount("tmpfs", str(path), "tmpfs", MS_NOSUID | MS_NODEV, f"size={size_mb}m,mode=1777")


def readonly_view() -> None:
    """Remount every mount of this (new) mount namespace read-only: nothing student code
    writes can outlive it, except in the folders mounted writable afterwards."""
    for target in _mount_points():
        flags = os.statvfs(target).f_flag
        if flags & os.ST_RDONLY:
            continue
        kept = flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME)
        _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | kept)


def _mount_points() -> list[str]:
    """The mount points of this namespace, parents first (mountinfo's order)."""
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        for line in f:
            target = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), line.split()[4])
            if target not in points and os.path.isdir(target):
                points.append(target)
    return points


def writable(path: Path) -> None:
    """Bind `path` onto itself writable (inside a read-only view)."""
    _mount(str(path), str(path), None, MS_BIND)
    _mount(None, str(path), None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV)


def rebind(paths: Iterable[Path]) -> Callable[[], None]:
    """Keep `paths` reachable across the mounts that follow (an installation under /tmp
    survives the private /tmp): opened now, bound back by the function returned."""
    fds = [(path, os.open(path, os.O_PATH)) for path in paths]

    def restore() -> None:
        try:
            for path, fd in fds:
                path.mkdir(parents=True, exist_ok=True)
                _mount(f"/proc/self/fd/{fd}", str(path), None, MS_BIND | MS_REC)
        finally:
            for _, fd in fds:
                os.close(fd)

    return restore


def set_limits(limits: Limits) -> None:
    """rlimits of the student's process; hard limits, so student code cannot raise them."""
    for which, value in (
        (resource.RLIMIT_DATA, limits.memory_mb * 2**20),
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_NPROC, limits.processes),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(which, (value, value))
    # a write past RLIMIT_FSIZE then fails with EFBIG instead of killing the process
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def sandbox_uid(index: int) -> int | None:
    """The uid of worker `index`'s sandboxes: a uid with no account, None unless root."""
    if os.geteuid() != 0:
        return None
    uid, free = SANDBOX_UID_BASE, -1
    while True:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            free += 1
            if free == index:
                return uid
        uid += 1


def drop_privileges(uid: int) -> None:
    """Become `uid` (group `uid`, no supplementary groups): all capabilities are lost, so
    mounts cannot be undone and files are reached with ordinary permissions only."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def harden() -> list[str]:
    """prctl flags set after the uid change (which clears them): no privilege gain through
    setuid programs, and death with the worker. Returns the protections set."""
    with suppress(OSError):  # not a protection: keeps /proc/self readable by its own uid
        _prctl(PR_SET_DUMPABLE, 1)
    applied = []
    for name, option, value in (
        ("no-new-privs", PR_SET_NO_NEW_PRIVS, 1),
        ("parent-death-signal", PR_SET_PDEATHSIG, signal.SIGKILL),
    ):
        with suppress(OSError):
            _prctl(option, value)
            applied.append(name)
    return applied


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """Receive `sig` when the parent dies (so nothing outlives a killed grading run)."""
    _prctl(PR_SET_PDEATHSIG, sig)


def drop_capabilities() -> None:
    """Give up every capability for good (the user-namespace mode, where no other uid can
    be had): the bounding and ambient sets emptied, uid 0 granting nothing on exec, then
    the effective, permitted and inheritable sets emptied."""
    with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as f:
        last = int(f.read())
    for cap in range(last + 1):
        _prctl(PR_CAPBSET_DROP, cap)
    if _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0):
        raise _fail("prctl PR_CAP_AMBIENT")
    _prctl(PR_SET_SECUREBITS, SECURE_NO_ROOT)
    header = (ctypes.c_uint32 * 2)(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # two {effective, permitted, inheritable}: all zero
    if _libc.capset(header, data):
        raise _fail("capset")
    with open("/proc/self/status", encoding="ascii") as f:
        caps = dict(line.split(":\t") for line in f if line.startswith("Cap"))
    if any(int(v, 16) for v in caps.values()):
        raise OSError(f"capabilities remain after dropping them: {caps}")


def environment(home: str, keras_backend: str) -> dict[str, str]:
    """The student's scrubbed environment: nothing of the grader's leaks through."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "TMPDIR": "/tmp",
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "MPLBACKEND": "Agg",
        "KERAS_BACKEND": keras_backend,
        "JAX_PLATFORMS": "cpu",  # never probe for accelerators (some probes use the network)
        "PYTHONDONTWRITEBYTECODE": "1",
        # as nbgrader's autograde sets it: notebooks written for nbgrader branch on it
        "NBGRADER_EXECUTION": "autograde",
    }
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    return env
