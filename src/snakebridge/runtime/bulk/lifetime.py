"""Who removes a shared-memory segment, whatever way its owner ends.

Segment names carry their owner: ``<prefix>-<pid>-<start>-<token>``, the owner's pid and
its process start time (clock ticks since boot, so a reused pid is another owner).

- The owner unlinks its segments on ``release``, when their session ends, and when it
  closes.
- A worker killed with SIGKILL (a crash, a timeout, the BEAM killed with ``kill -9``,
  which takes its workers with it) cannot clean up. Before making its first segment, an
  owner therefore starts a :class:`Reaper`: a small interpreter (``python -I -S``, no
  site, no imports) that holds the read end of a pipe whose write end only the owner
  has. When the owner dies, however it dies, the kernel closes that end; the reaper
  reads EOF, unlinks every segment whose name starts with the owner's stem, and exits.
  It runs in a session of its own, so a signal to the worker's process group does not
  reach it, and it has no parent-death signal (that setting is not inherited).
- :func:`sweep`, run when a worker starts, unlinks the segments of owners that no
  longer run: the backstop for a reaper that was itself killed.

The BEAM (``SnakeBridge.Bulk.Segments``) places its segments in a directory of its own
under ``/dev/shm``, mode 0700, named like a segment (``<stem><8 hex digits>``), and
names each segment in it ``<directory name><24 hex digits>``: no other user can open
one, whatever the file's mode while it is being made. Its reaper removes the directory;
:func:`sweep` removes a dead BEAM's directory with what is left in it.

No numpy here: the worker sweeps at start without importing it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import cache
from pathlib import Path

SHM_DIR = Path("/dev/shm")
PREFIX = "snakebridge"

# ``<prefix>-<pid>-<start>-<128-bit token>``: no dots, no slashes.
SEGMENT_NAME = re.compile(r"[A-Za-z0-9_-]+-[0-9]+-[0-9]+-[0-9a-f]{32}")
# The hex digits a BEAM-placed segment's name adds to its directory's name.
PLACED_TOKEN = 24

# Runs with -I -S: nothing but the interpreter core. argv: directory, stem.
_REAPER = """\
import os, sys
directory, stem = sys.argv[1], sys.argv[2]
try:
    while os.read(0, 65536):
        pass
except OSError:
    pass
for name in os.listdir(directory):
    if name.startswith(stem):
        try:
            os.unlink(os.path.join(directory, name))
        except OSError:
            pass
"""


@cache
def this_host() -> str:
    """Identifies this kernel instance (a reboot or another machine is another host)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:  # pragma: no cover - non-Linux
        boot = "unknown-boot"
    return f"{socket.gethostname()}/{boot}"


def process_start(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks since boot, or None if none runs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after it.
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[19])


def owner_alive(pid: int, start: int) -> bool:
    return process_start(pid) == start


def stem(prefix: str = PREFIX) -> str:
    """The name stem of this process's segments: ``<prefix>-<pid>-<start>-``."""
    pid = os.getpid()
    start = process_start(pid)
    return f"{prefix}-{pid}-{start if start is not None else 0}-"


def parse_owner(name: str, prefix: str | None = None) -> tuple[int, int] | None:
    """``(pid, start)`` from ``<prefix>-<pid>-<start>-<token>``; the prefix may hold dashes."""
    parts = name.rsplit("-", 3)
    if len(parts) != 4 or (prefix is not None and parts[0] != prefix):
        return None
    if not (parts[1].isdigit() and parts[2].isdigit() and parts[3]):
        return None
    return int(parts[1]), int(parts[2])


def placed_path(name: str, directory: Path = SHM_DIR) -> Path:
    """Where a segment the BEAM placed lives: in that BEAM's private directory."""
    return directory / name[:-PLACED_TOKEN] / name


def sweep(prefix: str = PREFIX, directory: Path = SHM_DIR) -> list[str]:
    """Unlink the segments (and BEAM directories) whose owner process no longer runs;
    returns their names."""
    removed: list[str] = []
    try:
        names = os.listdir(directory)
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return removed
    for name in sorted(names):
        owner = parse_owner(name, prefix)
        if owner is None or owner_alive(*owner):
            continue
        path = directory / name
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)  # a dead BEAM's private directory
            else:
                os.unlink(path)
        except (FileNotFoundError, PermissionError):
            continue  # another sweeper was first, or another user's segment
        removed.append(name)
    return removed


def segments(prefix: str = PREFIX, directory: Path = SHM_DIR) -> list[str]:
    """The names of all segments under ``prefix`` (any owner), sorted."""
    try:
        return sorted(n for n in os.listdir(directory) if parse_owner(n, prefix) is not None)
    except FileNotFoundError:
        return []


Guard = Callable[[], AbstractContextManager[None]]


class Reaper:
    """Unlinks ``<directory>/<stem>*`` once this process is gone (see the module doc).

    ``guard`` wraps the process start: the worker passes its audit hook's suspension,
    because starting the reaper is SnakeBridge's own doing, not the current call's.
    """

    def __init__(self, directory: Path, stem: str, guard: Guard | None = None) -> None:
        with guard() if guard is not None else contextlib.nullcontext():
            self._process = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _REAPER, str(directory), stem],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                close_fds=True,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self._process.pid

    def close(self) -> None:
        """This process is done with its segments: the reaper sweeps and exits now."""
        stdin = self._process.stdin
        if stdin is not None and not stdin.closed:
            stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)
