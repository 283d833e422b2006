"""Output files never destroy what is there: atomic replacement of regular files only, symlinks followed, no
temporary file left behind (stale ones from killed runs are removed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from archcompiler.backends import files
from archcompiler.backends.files import output_path, write_atomic
from archcompiler.diagnostics import UsageError

from helpers import stalled_writer


def _listing(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def test_writes_replace_regular_files_whole(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "a.txt"
    write_atomic(out, "one")
    write_atomic(out, b"two")
    assert out.read_text() == "two" and _listing(out.parent) == ["a.txt"]
    write_atomic(out, "three", mode=0o600)
    assert out.stat().st_mode & 0o777 == 0o600


def test_symlinks_are_followed_not_replaced(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text("old")
    (tmp_path / "link.txt").symlink_to("real.txt")
    write_atomic(tmp_path / "link.txt", "new")
    assert (tmp_path / "link.txt").is_symlink() and (tmp_path / "real.txt").read_text() == "new"
    (tmp_path / "dangling.txt").symlink_to("made.txt")
    write_atomic(tmp_path / "dangling.txt", "made")
    assert (tmp_path / "dangling.txt").is_symlink() and (tmp_path / "made.txt").read_text() == "made"


@pytest.mark.parametrize("target", ["/dev/null", "/dev/full", "dir", "fifo"])
def test_special_files_are_refused(tmp_path: Path, target: str) -> None:
    if target == "dir":
        path = tmp_path / "d"
        path.mkdir()
    elif target == "fifo":
        path = tmp_path / "f"
        os.mkfifo(path)
    else:
        path = Path(target)
    before = path.stat()
    with pytest.raises(UsageError, match="only replaces regular files"):
        write_atomic(path, "x")
    after = path.stat()
    assert (before.st_mode, before.st_ino, before.st_rdev) == (after.st_mode, after.st_ino, after.st_rdev)
    link = tmp_path / "to-special"
    link.symlink_to(path)
    with pytest.raises(UsageError):
        output_path(link)


def test_failed_writes_leave_nothing(tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "a.txt"
    out.write_text("kept")

    def boom(fd: int, payload: bytes) -> None:
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(files, "_write_all", boom)
    with pytest.raises(UsageError, match="No space left"):
        write_atomic(out, "new")
    assert out.read_text() == "kept" and _listing(tmp_path) == ["a.txt"]


def test_the_named_fallback_also_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(files, "_write_unnamed", lambda *a: False)
    out = tmp_path / "a.txt"
    write_atomic(out, "x")
    assert out.read_text() == "x" and _listing(tmp_path) == ["a.txt"]
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        write_atomic(out, "y")
    assert out.read_text() == "x" and _listing(tmp_path) == ["a.txt"]


def test_stale_temporaries_of_killed_runs_are_removed(tmp_path: Path) -> None:
    """A run killed with SIGKILL while writing leaves at most a temporary that the next write removes."""
    out = tmp_path / "big.bin"
    script = stalled_writer("os.kill(os.getpid(), signal.SIGKILL)") + textwrap.dedent(f"""
        from pathlib import Path
        files.write_atomic(Path({str(out)!r}), b"x" * 1000)
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert r.returncode == -signal.SIGKILL
    left = [n for n in _listing(tmp_path) if n.endswith(".archc-tmp")]
    assert len(left) == 1 and not out.exists()
    write_atomic(out, b"done")
    assert _listing(tmp_path) == ["big.bin"] and out.read_bytes() == b"done"


def test_unnamed_temporaries_where_the_system_has_them(tmp_path: Path) -> None:
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag:
        pytest.skip("no O_TMPFILE on this system")
    fd = os.open(tmp_path, flag | os.O_WRONLY, 0o600)
    try:
        os.link(f"/proc/self/fd/{fd}", tmp_path / "probe", follow_symlinks=True)
    except OSError as e:
        pytest.skip(f"this system cannot link an unnamed file into place ({e.strerror}); the named path is used")
    finally:
        os.close(fd)
    (tmp_path / "probe").unlink()
    assert files._write_unnamed(tmp_path / "u.txt", b"data", 0o644) is True
    assert (tmp_path / "u.txt").read_bytes() == b"data" and _listing(tmp_path) == ["u.txt"]
