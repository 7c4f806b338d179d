"""Worker entry point: ``python -m snakebridge.runtime.worker``.

Lifecycle: move the protocol off fds 0/1 (before anything else can print), capture
user output, read one ``{:init, config}`` frame, answer ``{:ready, info}``, then
serve request frames until the port closes: compact calls ``{request_id, descriptor_id,
args, kwargs, session, numeric}`` (the descriptor registered by a ``{0, descriptor_id,
descriptor}`` term opening the frame of its first call), or ``{request_id, request}``
maps. The pool may write the next requests before a reply (pipelining); they run one at
a time, in order. While a request runs, it may call Elixir functions (``callbacks``):
the bridge then reads the frames, deferring the pipelined ones and serving nested
requests until the callback's reply arrives. The worker exits when
stdin reaches EOF (the pool closed the port or the BEAM exited); if it is busy when the
BEAM goes, even in C code holding the GIL, the kernel kills it (``lifeline``), so no
Python process outlives its BEAM.
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import fcntl
import os
import struct
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

import snakebridge
from snakebridge import etf
from snakebridge.etf import Atom
from snakebridge.runtime import callbacks, lifeline
from snakebridge.runtime.allowlist import Allowlist, NotAllowed
from snakebridge.runtime.audit import Audit
from snakebridge.runtime.dispatch import BadRequest, Descriptor, Dispatcher
from snakebridge.runtime.errors import exception_map, refusal_error, runtime_error
from snakebridge.runtime.frames import FRAME_ROOM, PROTOCOL, FrameIO
from snakebridge.runtime.output import OutputCapture
from snakebridge.runtime.store import RefError, RefStore
from snakebridge.runtime.values import Codec, EncodeRefused, RequestState

OK = Atom("ok")
ERROR = Atom("error")
LOG = Atom("log")
READY = Atom("ready")
_REFS_TERM = etf.encode(Atom("refs"))[1:]
# A reply is `{id, {:ok | :error, value}}`: everything but the id and the value is
# constant, so it is written as bytes instead of being encoded per call. The reply is
# encoded after the frame's length header (``_reply_head``), so it leaves in one write.
_OK_HEAD = b"h\x02" + etf.encode(OK)[1:]
_ERROR_HEAD = b"h\x02" + etf.encode(ERROR)[1:]
_I32 = struct.Struct(">i").pack
_FRAMED_REPLY = FRAME_ROOM + b"\x83h\x02"
_FRAMED_INT = _FRAMED_REPLY + b"b"  # INTEGER_EXT's tag
# ``_FRAMED_INT`` and the id in one pack (one bytes made, not two and a join).
_PACK_FRAMED_INT = struct.Struct(f">{len(_FRAMED_INT)}si").pack
# Where the reply tuple's arity byte sits in a framed reply (header, version, tag).
_REPLY_ARITY = len(_FRAMED_REPLY) - 1
# A registration `{0, descriptor_id, descriptor}` may precede a compact call in its frame.
_REGISTRATION = b"\x83h\x03a\x00"
_read_plain = etf.make_reader()
# The protocol pipes' capacity: a bulk frame crosses in far fewer wake-ups than with
# the kernel's default of 64 KiB (1 MiB is the unprivileged maximum by default).
PIPE_BYTES = 1 << 20
# The reply mark of a call whose Elixir functions Python kept (it implies refs).
_KEPT_TERM = etf.encode(Atom("callbacks"))[1:]

LEDGER_FLUSH_SECONDS = 2.0
_RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))


def _watch_parent() -> None:
    parent = os.getppid()

    def loop() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=loop, name="snakebridge-parent-watch", daemon=True).start()


def _reply_head(request_id: int, tag: bytes) -> bytes:
    # The id as term_to_binary writes it (the pool matches replies by these bytes).
    # The pool's ids pass 255 after its first calls: INTEGER_EXT is the common case.
    if 255 < request_id < 2147483648:
        return _PACK_FRAMED_INT(_FRAMED_INT, request_id) + tag
    if request_id >= 0:
        id_bytes = bytes((97, request_id)) if request_id < 256 else etf.encode(request_id)[1:]
    elif request_id >= -2147483648:
        id_bytes = b"b" + _I32(request_id)
    else:
        id_bytes = etf.encode(request_id)[1:]
    return _FRAMED_REPLY + id_bytes + tag


# glibc's mallopt parameters, and what the worker sets them to (``_keep_freed_memory``).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_BYTES = 32 << 20
TRIM_BYTES = 64 << 20


def _keep_freed_memory() -> None:
    """Keep the memory of freed frames for the next ones (glibc).

    A bulk call allocates its frame, a copy of its binary and its reply, and frees them
    before the next call. With glibc's defaults the heap then shrinks back below them
    (it trims what is free above 2x its adaptive mmap threshold), so every call faults
    fresh zeroed pages in again: at 1 MB, page faults took half the worker's CPU. Freed
    heap now stays mapped up to 64 MiB, and blocks up to 32 MiB (the bound glibc's own
    adaptive threshold stops at) come from the heap. The cost: a worker's RSS keeps up
    to 64 MiB it freed. A ``MALLOC_*_`` variable of the user's wins; other C libraries
    have no mallopt and keep their own policy.
    """
    if any(key.startswith("MALLOC_") and key.endswith("_") for key in os.environ):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    mallopt(_M_MMAP_THRESHOLD, MMAP_BYTES)
    mallopt(_M_TRIM_THRESHOLD, TRIM_BYTES)


def _widen_pipe(fd: int) -> None:
    # Not a pipe (a test harness's socket), or a lower system maximum: the default stays.
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _user_traceback_skip(exc: BaseException) -> int:
    """How many leading traceback frames are the worker's own (hidden from users)."""
    skip = 0
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_RUNTIME_DIR):
        skip += 1
        tb = tb.tb_next
    return skip


class Worker:
    def __init__(self, config: dict[Any, Any], frames: FrameIO, capture: OutputCapture) -> None:
        self.worker_id = str(config.get("worker_id", "worker"))
        libraries = config.get("libraries") or {}
        self.allowlist = Allowlist({str(k): v for k, v in libraries.items()})
        self.store = RefStore()
        max_inflated = config.get("max_inflated")
        node = config.get("node")
        self.codec = Codec(
            self.store,
            self.allowlist,
            self.worker_id,
            str(config.get("pool", "default")),
            max_inflated=max_inflated if type(max_inflated) is int else etf.MAX_INFLATED,
            node=node if isinstance(node, Atom) else None,
        )
        ledger_path = config.get("ledger_path")
        self.ledger_path = Path(str(ledger_path)) if ledger_path else None
        self.frames = frames
        self.capture = capture
        self._last_flush = time.monotonic()
        # Dynamic calls this worker has written to the ledger at least once.
        self._recorded: set[tuple[str, str, str, int]] = set()
        # Call descriptors the pool registered with this worker: id -> descriptor.
        self.descriptors: dict[int, Descriptor] = {}
        self.bridge = callbacks.Bridge(
            frames,
            self.codec,
            self.store,
            config.get("callbacks") or {},
            serve_nested=self.handle_nested,
            closed=self.flush_ledger,
        )
        self._stack = self.bridge.stack
        self._lock = self.bridge.lock
        self.codec.bridge = self.bridge
        self.audit = Audit(
            self.allowlist,
            warn=lambda text: frames.write(etf.encode((LOG, "warning", text))),
        )
        self.allowlist.first_import = self.audit.suspended
        self.dispatcher = Dispatcher(
            self.allowlist, self.store, self.codec, self.bridge, self.audit
        )
        callbacks.install(self.bridge)

    def preload(self) -> None:
        """Import every declared library now (a warm spare: the call it takes over must
        not pay for the imports). One that fails is logged; its calls report why."""
        for name, library in self.allowlist.policies.items():
            try:
                self.allowlist.import_module(name, library.python_module)
            except Exception as exc:  # a broken library must not keep the spare from starting
                self.frames.write(
                    etf.encode((LOG, "warning", f"could not import library {name!r}: {exc}"))
                )

    def info(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "protocol": PROTOCOL,
            "snakebridge": snakebridge.__version__,
            "python": sys.version.split()[0],
            "numpy": self.codec.numpy_version,
            "worker_id": self.worker_id,
        }

    def serve(self, life: lifeline.Lifeline) -> None:
        # Only a worker with a ledger to flush is armed per request (``Lifeline``); the
        # others skip the two calls.
        graceful = self.ledger_path is not None
        if graceful:
            life.graceful()
        read = self.frames.read
        handle = self.handle
        try:
            while True:
                frame = read()
                if frame is None:
                    return
                if graceful:
                    life.busy()
                handle(frame)
                # Freed now, while the caller reads the reply, not when the next request
                # rebinds the name: a large frame's munmap (tens of ms at 100 MB) would
                # otherwise land on the next call.
                del frame
                # Disarmed before the periodic ledger flush too: the VM may exit during it.
                if graceful:
                    life.idle()
                # A call first seen is written at once: a record must not depend on the
                # worker outliving the VM (mix run ends it, a crash or a kill too).
                ledger = self.dispatcher.ledger
                if ledger and (
                    not self._recorded.issuperset(ledger)
                    or time.monotonic() - self._last_flush > LEDGER_FLUSH_SECONDS
                ):
                    self.flush_ledger()
        finally:
            self.flush_ledger()

    def handle(self, frame: bytes) -> None:
        """Run one request and write its reply (the serve loop's request: none runs)."""
        codec = self.codec
        stack = self._stack
        try:
            if frame.startswith(_REGISTRATION):
                frame = self._register(frame)
            request_id, request = codec.decode_request(frame)
        except (etf.DecodeError, ValueError, TypeError, EncodeRefused) as exc:
            self.frames.write_parts(self._undecodable(frame, exc))
            return
        if type(request_id) is not int:
            # The pool numbers its requests; anything else (an atom too long to send
            # back, a port) is not a request of its own, and must not be echoed.
            message = f"a request id is an integer, not {type(request_id).__name__}"
            self.frames.write_parts(
                codec.encode_plain((None, (ERROR, runtime_error("bad_request", message))))
            )
            return
        descriptor: Descriptor | None
        if type(request) is tuple:
            # A compact call: (descriptor id, args, kwargs, session, numeric).
            descriptor = self.descriptors.get(request[0])
            if descriptor is None:
                message = (
                    f"descriptor {request[0]!r} was never registered with this worker; "
                    "the call is resent in full"
                )
                self.frames.write_parts(
                    codec.encode_plain(
                        (request_id, (ERROR, runtime_error("unknown_descriptor", message)))
                    )
                )
                return
            _, args, kwargs, session, numeric = request
            session = session or ""
        elif isinstance(request, dict):
            descriptor = self.dispatcher.describe(request)
            args = request.get("args") or []
            kwargs = request.get("kwargs") or {}
            session = request.get("session") or ""
            numeric = request.get("numeric")
        else:
            self.frames.write_parts(self._undecodable(frame, TypeError("not a request map")))
            return
        scope = codec.state.scope
        if scope is not None:
            scope.request_id = request_id
            scope.session = session
        stack.append((request_id, session))
        dispatcher = self.dispatcher
        dispatcher.served = None
        value: Any = None
        tag = _ERROR_HEAD
        failure: BaseException | None = None
        try:
            value = self._execute(descriptor, args, kwargs, numeric, session)
            tag = _OK_HEAD
        except NotAllowed as exc:
            value = refusal_error(exc)
        except RefError as exc:
            value = runtime_error(exc.kind, str(exc))
        except (BadRequest, EncodeRefused) as exc:
            kind = "encode_error" if isinstance(exc, EncodeRefused) else "bad_request"
            value = runtime_error(kind, str(exc))
        except BaseException as exc:  # user code may raise SystemExit, KeyboardInterrupt...
            failure = exc
        # The reply is built under the call's own policy: an exception's __str__ or a
        # result's __repr__ is its library's code, and may do only what that library may.
        # Dispatcher.run left the call's policy in force (see there).
        call = dispatcher.served
        audit = self.audit
        if call is not None:
            # The call's own refusal is answered or logged already; what follows is new.
            call.refusal = None
            # Nothing may hold the request's arguments either (its Elixir functions).
            call.arguments = None
        try:
            if failure is not None:
                value = exception_map(failure, skip_frames=_user_traceback_skip(failure))
                failure = None
            # Nothing may hold the request's Elixir functions but what Python kept (see
            # Bridge.finish).
            del request, args, kwargs
            self.capture.drain()
            # The lock: a callback from another thread never interleaves with this reply.
            # acquire/release, not ``with``: the same span at half the cost.
            lock = self._lock
            lock.acquire()
            try:
                stack.pop()
                framed = True
                try:
                    parts = codec.encode(value, _reply_head(request_id, tag))
                except BaseException as exc:
                    refusal = None if call is None else call.refusal
                    parts = codec.encode_plain((request_id, (ERROR, _unsendable(exc, refusal))))
                    framed = False
                else:
                    if call is not None and call.refusal is not None:
                        audit.caught(call.refusal)
                del value
                kept = scope is not None and self.bridge.finish(scope)
                if kept or codec.state.created:
                    # Rewrite {id, result} as {id, result, :refs} in place (arity byte,
                    # one more element): the pool learns this session holds refs here,
                    # so it sends release_session when the session ends, and only then.
                    # :callbacks also tells the caller to keep the request's functions
                    # for the session.
                    first = parts[0]
                    arity = _REPLY_ARITY if framed else 2
                    if isinstance(first, (bytearray, memoryview)) and first[arity] == 2:
                        first[arity] = 3
                        parts.append(_KEPT_TERM if kept else _REFS_TERM)
                if framed:
                    self.frames.write_framed(parts)
                else:
                    self.frames.write_parts(parts)
            finally:
                lock.release()
        finally:
            if call is not None:
                audit.end(dispatcher.served_outer)

    def _register(self, frame: bytes) -> bytes:
        """Store the registration that opens ``frame``; the compact call after it."""
        (_, descriptor_id, descriptor), pos = _read_plain(frame, 1)
        if type(descriptor_id) is not int or not isinstance(descriptor, dict):
            raise etf.DecodeError("a registration is {0, descriptor_id, descriptor_map}")
        self.descriptors[descriptor_id] = self.dispatcher.describe(descriptor)
        return frame.after(pos) if type(frame) is etf.Spliced else frame[pos:]

    def handle_nested(self, frame: bytes) -> None:
        """A request that arrived while another waits on a callback: it gets request
        state of its own, and the waiting one's is restored after."""
        codec = self.codec
        outer = codec.state
        codec.state = RequestState()
        try:
            self.handle(frame)
        finally:
            codec.state = outer

    def _execute(
        self, descriptor: Descriptor, args: Any, kwargs: Any, numeric: Any, session: str
    ) -> Any:
        codec = self.codec
        state = codec.state
        # Refs made from now on (the result's) bind to the request's session.
        state.session = session
        if args is None:
            args = []
        if kwargs is None:
            kwargs = {}
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise BadRequest("args must be a list and kwargs a map")
        if state.opaques:
            raise EncodeRefused(codec.find_opaque(args, kwargs))
        if state.malformed:
            raise BadRequest(codec.find_malformed(args, kwargs))
        if (state.refs_in or state.handles_in) and descriptor.checks_refs:
            codec.check_refs()
        if state.numeric_made:
            keep = descriptor.numeric if numeric is None else bool(numeric)
            args = codec.settle_numeric(args, keep)
            kwargs = codec.settle_numeric(kwargs, keep)
        if kwargs:
            kwargs = codec.keywords(kwargs)
        return self.dispatcher.run(descriptor, args, kwargs)

    def _undecodable(
        self, frame: bytes, exc: BaseException
    ) -> list[bytes | bytearray | memoryview]:
        # The id comes first in the frame ({id, request}): read just it, so the error
        # reaches the waiting caller even when the rest cannot be decoded.
        request_id: Any = None
        try:
            if frame[:3] in (b"\x83h\x02", b"\x83h\x06"):
                request_id = _read_plain(frame, 3)[0]
        except Exception:
            request_id = None
        if type(request_id) is not int:
            request_id = None
        kind = "encode_error" if isinstance(exc, EncodeRefused) else "bad_request"
        return self.codec.encode_plain(
            (request_id, (ERROR, runtime_error(kind, f"the request could not be decoded: {exc}")))
        )

    def flush_ledger(self) -> None:
        records = self.dispatcher.ledger
        self._last_flush = time.monotonic()
        if not records or self.ledger_path is None:
            records.clear()
            return
        self.dispatcher.ledger = {}
        self._recorded.update(records)
        try:
            from snakebridge.state.ledger import merge_records

            merge_records(ledger_path=self.ledger_path, records=records)
        except Exception as exc:  # the ledger is a development aid; never fail calls
            self.frames.write(
                etf.encode((LOG, "warning", f"could not record dynamic calls in the ledger: {exc}"))
            )


def _unsendable(exc: BaseException, refusal: NotAllowed | None) -> dict[str, Any]:
    """The error for a reply that could not be encoded."""
    if isinstance(exc, NotAllowed):
        return refusal_error(exc)
    if refusal is not None:
        # The encoding failed after the policy refused something it tried (a __repr__
        # starting a process): the refusal is the cause.
        return refusal_error(refusal)
    return runtime_error("encode_error", f"the result could not be sent back to Elixir: {exc}")


def main() -> int:
    life = lifeline.Lifeline()
    # Protocol fds first: nothing (not even an import's warning) may write to them.
    proto_in = os.dup(0)
    proto_out = os.dup(1)
    fatal = _last_words()
    faulthandler.enable(file=fatal)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    for fd in (proto_in, proto_out):
        _widen_pipe(fd)
    _keep_freed_memory()
    frames = FrameIO(proto_in, proto_out)

    def send_log(level: str, text: str) -> None:
        frames.write(etf.encode((LOG, level, text)))

    capture = OutputCapture(send_log)
    capture.install()
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
    if not life.kernel:
        _watch_parent()

    first = frames.read()
    if first is None:
        return 0
    tag, config = etf.decode(first)
    if tag != "init" or not isinstance(config, dict):
        send_log("error", f"expected an {{:init, config}} frame first, got {tag!r}")
        return 2
    worker = Worker(config, frames, capture)
    worker.audit.install()
    if config.get("preload") is True:
        worker.preload()
    frames.write(etf.encode((READY, worker.info())))
    worker.serve(life)
    return 0


def _last_words() -> Any:
    """Where a dying worker writes: the file the pool reads and logs after the exit
    (fds 1 and 2 become pipes that nobody drains once the process is gone)."""
    path = os.environ.get("SNAKEBRIDGE_LAST_WORDS")
    if path:
        try:
            return open(path, "a", encoding="utf-8", errors="replace")
        except OSError:
            pass
    return os.fdopen(os.dup(2), "w")


if __name__ == "__main__":
    try:
        code = main()
    except BaseException:
        # Before the first frame, or a bug of the worker's own: the traceback is the
        # only account of why it died.
        with _last_words() as words:
            traceback.print_exc(file=words)
        code = 1
    sys.stdout.flush()
    os._exit(code)
