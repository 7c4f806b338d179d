"""Atomic writes and the project lock: the two primitives every state file relies on.

``write_atomic`` writes to a temporary file in the target's directory, fsyncs it and
renames it over the target, so a reader (or a run killed half-way) only ever sees
the old bytes or the new bytes, never a torn file. It skips the write entirely when
the bytes are unchanged, which keeps mtimes stable and lets Mix and git see "nothing
changed" when nothing did.

``project_lock`` serialises the commands that write a project's state (generate,
repair, prune, restore, promote, lock --rebuild): two ``mix compile`` runs started at
once in the same project take turns instead of interleaving their writes.

Stdlib only: the bootstrap interpreter (``mix snakebridge.setup``) and the worker
import this module.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the bootstrap interpreter never needs the import at run time
    from snakebridge.project import Project


class LockTimeout(RuntimeError):
    """Another SnakeBridge run held the project lock for longer than we were willing to wait."""


def write_atomic(path: Path, data: bytes) -> bool:
    """Replace ``path`` with ``data`` atomically; return False (and write nothing) if unchanged."""
    path = Path(path)
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except IsADirectoryError as exc:
        raise OSError(f"cannot write {path}: it is a directory; move it out of the way") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    # The temp file lives next to the target so the rename never crosses a filesystem.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600; state files should look like any other file the user writes.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)
    return True


def remove_file(path: Path) -> bool:
    """Delete ``path`` if it exists; return whether anything was removed."""
    try:
        Path(path).unlink()
    except FileNotFoundError:
        return False
    _fsync_dir(Path(path).parent)
    return True


def _umask() -> int:
    # os.umask can only be read by setting it; do it under a lock so threads don't race.
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


_UMASK_LOCK = threading.Lock()


def _fsync_dir(directory: Path) -> None:
    # The rename is only durable once the directory entry is on disk.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# Re-entrancy: a command that holds the lock may call another that takes it again
# (repair -> generate). flock locks belong to an open file description, so a second
# open() in the same thread would deadlock against the first; count instead. Other
# threads open their own description and so wait like any other process.
_HELD: dict[tuple[Path, int], int] = {}
_HELD_LOCK = threading.Lock()


@contextlib.contextmanager
def file_lock(lock_path: Path, timeout: float = 60.0, what: str = "SnakeBridge") -> Iterator[None]:
    """Exclusive advisory lock on ``lock_path`` (created if missing), re-entrant per process."""
    lock_path = Path(lock_path).absolute()
    held_key = (lock_path, threading.get_ident())
    with _HELD_LOCK:
        if _HELD.get(held_key, 0) > 0:
            _HELD[held_key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _HELD_LOCK:
                _HELD[held_key] -= 1
        return

    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
            if time.monotonic() >= deadline:
                holder = _read_holder(fd)
                raise LockTimeout(
                    f"{what} could not take the lock {lock_path} within {timeout:g}s: another "
                    f"SnakeBridge run{holder} is still writing this project. Wait for it to "
                    f"finish; if no such run exists, the lock is released automatically when "
                    f"its process exits, so check for a hung `mix` or `python` process."
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
        # Record who holds it, purely to make the timeout message above useful.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        with _HELD_LOCK:
            _HELD[held_key] = 1
        try:
            yield
        finally:
            with _HELD_LOCK:
                _HELD.pop(held_key, None)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode().strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""


@contextlib.contextmanager
def project_lock(project: Project, timeout: float = 60.0) -> Iterator[None]:
    """Exclusive lock on ``<root>/.snakebridge/.lock`` for the duration of a state-changing run."""
    with file_lock(project.state_dir / ".lock", timeout=timeout, what="SnakeBridge"):
        yield
