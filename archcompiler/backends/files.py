"""Writing output files atomically, without ever destroying what is there.

The rules, for every file archc writes (``-o``, ``archc build``'s outputs, ``archc fmt``):

- readers see the old file or the whole new one, never a part: the data goes to a temporary file in the same
  directory, which is then renamed over the target;
- where the system allows it (Linux's ``O_TMPFILE``) the temporary file has no name while it is written, and gets
  one only for the instant of the rename, so no kind of kill (``kill -9`` included) leaves a half-written file;
  elsewhere it is named ``.NAME.PID.archc-tmp`` and removed on any error or signal that Python sees, and stale ones
  left by a killed process are removed by the next write to the same target;
- only regular files are replaced: an output path that is a directory, a device (``/dev/null``), a FIFO or a
  socket is refused (exit 2), so that running archc as root cannot turn ``/dev/null`` into a file;
- a symbolic link is followed: the file it points to is replaced and the link stays a link.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..diagnostics import UsageError

_SUFFIX = ".archc-tmp"


def output_path(path: Path) -> Path:
    """The file that writing to ``path`` replaces: ``path`` itself, or what its symbolic links point to.

    Raises:
        UsageError: when that is not a regular file (or a missing one).
    """
    path = Path(path)
    try:
        target = Path(os.path.realpath(path))
        st = os.stat(target)
    except FileNotFoundError:
        return target
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot write {path}: {getattr(e, 'strerror', None) or e}") from None
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"cannot write {path}: it is {_kind(st.st_mode)}, and archc only replaces regular files "
                         f"(write to a file, or use '-o -' for standard output where the command allows it)")
    return target


def write_atomic(path: Path, data: bytes | str, mode: int | None = None) -> None:
    """Writes ``data`` to ``path`` so that readers see the old file or the whole new one, never a part.

    ``mode`` sets the file's permission bits (default: 0666 less the umask, like any new file).

    Raises:
        UsageError: the target is not a regular file, or cannot be written.
    """
    target = output_path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None
    if mode is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    remove_stale(target)
    try:
        if not _write_unnamed(target, payload, mode):
            _write_named(target, payload, mode)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None


def _write_unnamed(target: Path, payload: bytes, mode: int) -> bool:
    """Writes through an unnamed temporary file (O_TMPFILE); False when the file system cannot make one."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag:
        return False
    try:
        fd = os.open(target.parent, flag | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), mode)
    except OSError as e:
        if e.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
            return False
        raise
    try:
        os.fchmod(fd, mode)
        _write_all(fd, payload)
        os.fsync(fd)
        name = _temp_name(target)
        try:
            os.link(f"/proc/self/fd/{fd}", name, follow_symlinks=True)
        except OSError:  # no /proc, or a system that cannot link it: a named temporary file instead
            return False
    finally:
        os.close(fd)
    try:
        os.replace(name, target)
    except BaseException:
        _discard(name)
        raise
    return True


def _write_named(target: Path, payload: bytes, mode: int) -> None:
    """Writes through a named temporary file, removed on any error (or signal) that reaches Python."""
    tmp = _temp_name(target)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        os.fchmod(fd, mode)
        _write_all(fd, payload)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, target)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        _discard(tmp)
        raise


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _temp_name(target: Path, suffix: str = "") -> str:
    return str(target.parent / f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}{_SUFFIX}{suffix}")


def temp_path(target: Path, suffix: str = "") -> Path:
    """A new empty file beside ``target`` for staging it: ``.NAME.PID.RANDOM.archc-tmp<suffix>`` (a name the next
    run recognises, and removes, when this process was killed before it could). Stale ones are removed first."""
    remove_stale(target)
    fd = -1
    while fd < 0:
        name = _temp_name(target, suffix)
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        except FileExistsError:  # pragma: no cover (a random clash)
            continue
    os.close(fd)
    return Path(name)


def remove_stale(target: Path) -> None:
    """Removes the temporary files and directories that a killed archc left beside ``target`` (their process no
    longer runs): ``.NAME.PID.*`` holding ``.archc-tmp``."""
    prefix = f".{target.name}."
    try:
        names = [n for n in os.listdir(target.parent) if n.startswith(prefix) and _SUFFIX in n]
    except OSError:
        return
    for n in names:
        pid = n[len(prefix):].split(".", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            path = target.parent / n
            if path.is_dir() and not path.is_symlink():
                import shutil
                shutil.rmtree(path, ignore_errors=True)
            else:
                _discard(str(path))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"  # pragma: no cover


def _discard(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass
