"""The Python end of the Mix → CLI port: one ``{command, payload}`` in, frames out.

The Mix side opens ``python -m snakebridge port`` with ``{:packet, 4}`` framing and
sends exactly one ETF term. We answer with any number of ``{:log, level, message}``
and ``{:out, text}`` frames, then exactly one ``{:result, exit_code, data}``.

fd 1 is the channel, and anything else that writes to it (a ``print`` in an imported
user library, a C extension writing to stdout, a child process that inherited fd 1)
would corrupt the framing. So the very first thing ``serve`` does is duplicate fd 1 to
a private descriptor and point fd 1 at a pipe; a reader thread turns whatever arrives
on that pipe into ``{:log, "info", line}`` frames. Only ``atoms that already exist on
the Elixir side`` (``log``, ``out``, ``result``) are sent; everything else is strings,
because the Mix side decodes with ``[:safe]``.

The run belongs to the BEAM that asked for it. When nobody reads the channel any more
(the port was closed, or ``mix`` was killed with ``kill -9``), the CLI stops at once,
with every process it started, and commits nothing, unless it is already inside the
commit step; then it finishes that first. The Erlang runtime starts us in a session of
our own, so nothing else would ever stop us.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import struct
import sys
import threading
import traceback
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, BinaryIO

from snakebridge import etf
from snakebridge.state import files

_LOG = etf.Atom("log")
_OUT = etf.Atom("out")
_RESULT = etf.Atom("result")
_LEVELS = frozenset({"debug", "info", "warning", "error"})
_HEADER = struct.Struct(">I")

# Exit code for a request the CLI could not run at all (bad frame, crash, bad project).
EXIT_FAILURE = 2


class FrameError(ValueError):
    """The request frame on stdin is missing, truncated or not ``{command, payload}``."""


def _plain(value: Any) -> Any:
    """ETF ``default`` hook: paths become strings, sets sorted lists, the rest ``repr``."""
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if isinstance(value, Mapping):
        return dict(value)
    return repr(value)


class Channel:
    """The framed writer on the private copy of fd 1. Thread-safe: one frame at a time."""

    def __init__(self, fd: int) -> None:
        self._file = os.fdopen(fd, "wb", buffering=0)
        self._lock = threading.Lock()

    def send(self, term: Any) -> None:
        body = etf.encode(term, _plain)
        with self._lock:
            self._file.write(_HEADER.pack(len(body)) + body)

    def close(self) -> None:
        self._file.close()


class PortOutput:
    """The ``cli.Output`` a command reports through while running under the port."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel

    def out(self, text: str) -> None:
        self._channel.send((_OUT, str(text)))

    def log(self, level: str, message: str) -> None:
        self._channel.send((_LOG, level if level in _LEVELS else "info", str(message)))


def read_request(stream: BinaryIO) -> tuple[str, dict[str, Any]]:
    """Read the single ``{command, payload}`` frame from ``stream``."""
    header = _read_exactly(stream, 4)
    (size,) = _HEADER.unpack(header)
    body = _read_exactly(stream, size)
    try:
        term = etf.decode(body)
    except etf.DecodeError as exc:
        raise FrameError(f"request frame is not a valid ETF term: {exc}") from None
    if (
        not isinstance(term, tuple)
        or len(term) != 2
        or not isinstance(term[0], str)
        or not isinstance(term[1], dict)
    ):
        raise FrameError(f"request must be {{command, payload_map}}, got {term!r:.200}")
    command, payload = term
    return str(command), {str(k): v for k, v in payload.items()}


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            got = size - remaining
            raise FrameError(f"stdin closed after {got} of {size} bytes of the request frame")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


class _StrayOutput:
    """fd 1 redirected into a pipe; each line read becomes an info log frame."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel
        read_fd, write_fd = os.pipe()
        os.dup2(write_fd, 1)
        os.close(write_fd)
        self._reader = os.fdopen(read_fd, "rb")
        self._thread = threading.Thread(target=self._pump, name="snakebridge-stdout", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        for raw in self._reader:
            text = raw.decode("utf-8", "replace").rstrip("\r\n")
            if text:
                self._channel.send((_LOG, "info", text))

    def drain(self) -> None:
        """Flush Python's buffer, close our end of fd 1, and forward what is left."""
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)  # the pipe's last writer in this process goes away here
        os.close(devnull)
        # A child that inherited fd 1 and still runs would keep the pipe open: don't wait on it.
        self._thread.join(timeout=2.0)


class _Abandonment:
    """Ends the process when the channel's reader goes away before the result is sent."""

    def __init__(self, fd: int) -> None:
        self._fd = fd  # a copy of the channel's descriptor, never closed while we run
        self.answered = threading.Event()
        thread = threading.Thread(target=self._watch, name="snakebridge-port-watch", daemon=True)
        thread.start()

    def _watch(self) -> None:
        poller = select.poll()
        poller.register(self._fd, 0)  # no events asked: only POLLERR/POLLHUP wake us
        while True:
            events = [ev for _, ev in poller.poll()]
            if any(ev & select.POLLNVAL for ev in events):
                return
            if any(ev & (select.POLLERR | select.POLLHUP) for ev in events):
                break
        if self.answered.is_set():
            return
        with files.commit_step():  # never released: the process ends in here
            _stop_descendants()
            os._exit(EXIT_FAILURE)


def _stop_descendants() -> None:
    """Kill every process this one started (introspection, uv, ...), and theirs.

    Each is stopped before its own children are listed, so none can start another
    behind our back.
    """
    found: list[int] = []
    pending = [os.getpid()]
    while pending:
        for child in _children(pending.pop()):
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGSTOP)
                found.append(child)
                pending.append(child)
    for pid in found:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as fh:
                out += [int(c) for c in fh.read().split()]
    return out


def serve(stdin: BinaryIO | None = None) -> int:
    """Run one request from stdin; answer on the original fd 1. Returns the exit code."""
    channel = Channel(os.dup(1))  # before anything else: nothing may write on the channel
    abandonment = _Abandonment(os.dup(1))
    stray = _StrayOutput(channel)
    sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    exit_code = EXIT_FAILURE
    data: dict[str, Any]
    try:
        command, payload = read_request(stdin or sys.stdin.buffer)
        from snakebridge import cli
        from snakebridge.project import ProjectError

        try:
            reply = cli.run(command, payload, PortOutput(channel))
            exit_code, data = int(reply.exit_code), dict(reply.data)
        except ProjectError as exc:
            data = {"error": str(exc)}
    except FrameError as exc:
        data = {"error": str(exc)}
    except BaseException as exc:  # the reply must arrive whatever the command did
        if isinstance(exc, KeyboardInterrupt):
            raise
        data = {
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }
    stray.drain()
    try:
        channel.send((_RESULT, exit_code, data))
    except etf.EncodeError as exc:
        exit_code = EXIT_FAILURE
        channel.send((_RESULT, exit_code, {"error": f"result is not encodable: {exc}"}))
    abandonment.answered.set()
    channel.close()
    return exit_code
