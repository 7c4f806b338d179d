"""Atomic writes and the project lock: the two primitives every state file relies on.

``write_atomic`` writes to a temporary file in the target's directory, fsyncs it and
renames it over the target, so a reader (or a run killed half-way) only ever sees
the old bytes or the new bytes, never a torn file. It skips the write entirely when
the bytes are unchanged, which keeps mtimes stable and lets Mix and git see "nothing
changed" when nothing did.

``project_lock`` serialises the commands that write a project's state (generate,
repair, prune, restore, promote, lock --rebuild): two ``mix compile`` runs started at
once in the same project take turns instead of interleaving their writes. It is also a
transaction: while a thread holds it, ``write_atomic`` and ``remove_file`` on paths
inside the project are staged (new bytes fsynced to a temp file beside the target) and
only made current together when the outermost ``project_lock`` exits normally. An
exception discards them; a process killed before the commit leaves the previous state
untouched (its temp files are swept by the next run); a process killed during the
commit leaves a journal (``.snakebridge/.journal``) that the next run takes the lock
rolls forward. So the manifest, the lock and the generated files always describe the
same generation. ``read_bytes`` sees staged content, so code inside the transaction
reads what it wrote. Just before committing, the manifest records the digest of every
generated file the transaction wrote (``manifest.seal``).

Stdlib only: the bootstrap interpreter (``mix snakebridge.setup``) and the worker
import this module.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from snakebridge.project import ProjectError

if TYPE_CHECKING:
    from snakebridge.project import Project


class LockTimeout(ProjectError):
    """Another SnakeBridge run held the project lock for longer than we were willing to wait.

    A ``ProjectError``, so the Mix task prints the message (who holds the lock, what to
    do) without a traceback.
    """


def write_atomic(
    path: Path, data: bytes, *, transactional: bool = True, generated: bool = True
) -> bool:
    """Replace ``path`` with ``data`` atomically; return False (and write nothing) if unchanged.

    Inside a ``project_lock`` of the project holding ``path`` the write is staged and
    becomes visible when the lock's transaction commits (unless ``transactional=False``:
    files with their own lock, like the ledger, are written at once). Such a write, even
    an unchanged one, vouches for the file's bytes: a generated file's digest is sealed
    into the manifest at commit. ``generated=False`` is for copying back bytes this run
    did not produce (restoring a backup), which keep whatever digest they had.
    """
    path = Path(path)
    txn = _transaction_for(path) if transactional else None
    if txn is not None and generated:
        txn.written.add(txn.key(path))
    try:
        current = read_bytes(path) if transactional else path.read_bytes()
        if current == data:
            return False
    except FileNotFoundError:
        pass
    except IsADirectoryError as exc:
        raise OSError(f"cannot write {path}: it is a directory; move it out of the way") from exc
    if txn is not None:
        txn.stage(path, _write_temp(path, data))
        return True
    with _COMMIT_STEP:  # written and renamed, or not begun: never a temp file left behind
        tmp = _write_temp(path, data)
        try:
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        _fsync_dir(path.parent)
    return True


TEMP_SUFFIX = ".sbtmp"


def _write_temp(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # The temp file lives next to the target so the rename never crosses a filesystem.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600; state files should look like any other file the user writes.
        os.chmod(tmp, 0o666 & ~_umask())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return tmp


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path`` as this thread's open transaction (if any) would leave them."""
    path = Path(path)
    txn = _transaction_for(path)
    if txn is not None:
        key = txn.key(path)
        if key in txn.staged:
            staged = txn.staged[key]
            if staged is None:
                raise FileNotFoundError(str(path))
            return staged.read_bytes()
    return path.read_bytes()


def exists(path: Path) -> bool:
    try:
        read_bytes(path)
    except FileNotFoundError:
        return False
    except IsADirectoryError:
        return True
    return True


def remove_file(path: Path) -> bool:
    """Delete ``path`` if it exists (staged inside a transaction); return whether it did."""
    path = Path(path)
    txn = _transaction_for(path)
    if txn is not None:
        txn.written.add(txn.key(path))
        if not exists(path):
            return False
        txn.stage(path, None)
        return True
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    _fsync_dir(path.parent)
    return True


def generated_sources(project: Project) -> list[Path]:
    """Every ``.ex`` file under the project's generated directory, as it is on disk."""
    gen = project.generated_dir
    return sorted(p for p in gen.rglob("*.ex") if p.is_file()) if gen.is_dir() else []


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


# ----------------------------------------------------------------------------- transactions


class _Transaction:
    def __init__(self, root: Path, journal: Path) -> None:
        self.root = root
        self.journal = journal
        self.staged: dict[Path, Path | None] = {}  # target -> temp file, or None to delete
        self.written: set[Path] = set()  # every target written or removed, changed or not

    @staticmethod
    def key(path: Path) -> Path:
        return Path(os.path.abspath(path))

    def covers(self, path: Path) -> bool:
        return self.key(path).is_relative_to(self.root)

    def stage(self, path: Path, tmp: Path | None) -> None:
        key = self.key(path)
        previous = self.staged.get(key)
        if previous is not None:
            with contextlib.suppress(FileNotFoundError):
                previous.unlink()
        self.staged[key] = tmp

    def discard(self) -> None:
        for tmp in self.staged.values():
            if tmp is not None:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
        self.staged.clear()

    def commit(self) -> None:
        if not self.staged:
            return
        entries = [
            [str(t), None if tmp is None else str(tmp)] for t, tmp in sorted(self.staged.items())
        ]
        with _COMMIT_STEP:
            # The journal makes the renames below one step: once it exists, the next run
            # completes them even if this process dies half-way. Before it exists, failing
            # means discarding; after, the staged files belong to the journal.
            try:
                journal_tmp = _write_temp(self.journal, json.dumps(entries).encode())
                os.replace(journal_tmp, self.journal)
            except BaseException:
                self.discard()
                raise
            self.staged.clear()
            _fsync_dir(self.journal.parent)
            _apply_journal(entries)
            self.journal.unlink()
            _fsync_dir(self.journal.parent)


def _apply_journal(entries: list[list[str | None]]) -> None:
    dirs = set()
    for target, tmp in entries:
        assert target is not None
        if tmp is None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target)
        elif os.path.exists(tmp):
            os.replace(tmp, target)
        dirs.add(os.path.dirname(target))
    for d in sorted(dirs):
        _fsync_dir(Path(d))


def recover(state_dir: Path, root: Path, sweep: tuple[Path, ...] = ()) -> bool:
    """Finish a commit a killed run left half-done; sweep its temp files. Call under the lock.

    Returns whether a journal was rolled forward.
    """
    journal = state_dir / ".journal"
    rolled = False
    try:
        entries = json.loads(journal.read_text(encoding="utf-8"))
    except FileNotFoundError:
        entries = None
    except (OSError, ValueError):
        entries = None  # a torn journal cannot exist (it is renamed into place); be safe
        journal.unlink()
    if isinstance(entries, list):
        _apply_journal([[str(t), None if tmp is None else str(tmp)] for t, tmp in entries])
        journal.unlink()
        _fsync_dir(state_dir)
        rolled = True
    # Temp files of a run killed before its commit: never part of the state, remove them.
    # Only our own names, in our own directories (the ledger's writers use other names).
    for directory in (root, state_dir, *sweep):
        if not directory.is_dir():
            continue
        for tmp in directory.glob(f".*{TEMP_SUFFIX}"):
            if not tmp.name.startswith(".ledger.json."):
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
    return rolled


_ACTIVE = threading.local()

# Held while changes become current: a transaction's commit, or a write made outside
# any transaction. A run told to stop takes it first (``commit_step``), so it stops
# either before its changes or after all of them.
_COMMIT_STEP = threading.Lock()


def commit_step() -> threading.Lock:
    """The lock held while this process makes state current; taking it waits out a commit.

    For code that ends the process from another thread (the CLI port, when the BEAM that
    asked has gone): under it, no commit is half-applied, so exiting leaves either the
    previous state plus temp files the next run sweeps, or the complete new state.
    """
    return _COMMIT_STEP


def _transaction_for(path: Path) -> _Transaction | None:
    stack: list[_Transaction] = getattr(_ACTIVE, "stack", [])
    for txn in reversed(stack):
        if txn.covers(path):
            return txn
    return None


@contextlib.contextmanager
def project_lock(project: Project, timeout: float = 60.0) -> Iterator[None]:
    """Exclusive lock on ``<root>/.snakebridge/.lock`` and one transaction over the project.

    Re-entrant in one thread: only the outermost block commits.
    """
    root = Path(os.path.abspath(project.root))
    stack: list[_Transaction] = _ACTIVE.__dict__.setdefault("stack", [])
    if any(t.root == root for t in stack):
        with file_lock(project.state_dir / ".lock", timeout=timeout, what="SnakeBridge"):
            yield
        return
    with file_lock(project.state_dir / ".lock", timeout=timeout, what="SnakeBridge"):
        recover(project.state_dir, root, (Path(os.path.abspath(project.generated_dir)),))
        txn = _Transaction(root, project.state_dir / ".journal")
        stack.append(txn)
        try:
            yield
            _seal(project, txn)
        except BaseException:
            stack.remove(txn)
            txn.discard()
            raise
        stack.remove(txn)
        txn.commit()


def _seal(project: Project, txn: _Transaction) -> None:
    """Let the manifest record the digests of the generated files this transaction wrote."""
    generated = Path(os.path.abspath(project.generated_dir))
    written = sorted(p for p in txn.written if p.parent == generated and p.suffix == ".ex")
    if written:
        # Imported here: the worker and the bootstrap interpreter import this module, and
        # only a transaction that writes generated files needs the manifest.
        from snakebridge.state import manifest

        manifest.seal(project, written)
