"""Python helpers the runtime ExUnit tests call through real workers.

Declared as the library ``sbtest`` in test pools; importing it never prints.
"""

import ctypes
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import snakebridge

CLOSED = []


def shout(text):
    print(text)
    return len(text)


def to_fd1(text):
    # What a C extension does: a raw write(2) on fd 1, bypassing sys.stdout.
    os.write(1, text.encode())
    return True


def c_printf(text):
    libc = ctypes.CDLL(None)
    libc.printf(b"%s\n", text.encode())
    return True


def to_stderr(text):
    print(text, file=sys.stderr)
    return True


def sleep(seconds):
    time.sleep(seconds)
    return seconds


def crash():
    os._exit(3)


def hold_gil_later(delay, seconds):
    """Returns at once; then a thread takes the GIL in C code: the worker looks idle."""

    def later():
        time.sleep(delay)
        ctypes.PyDLL(None).sleep(int(seconds))

    threading.Thread(target=later, daemon=True).start()
    return True


def die_saying(text):
    with open(os.environ["SNAKEBRIDGE_LAST_WORDS"], "a") as words:
        words.write(text)
    os._exit(4)


def hold_gil(seconds):
    # A C call that never releases the GIL (PyDLL keeps it): no Python thread can run.
    ctypes.PyDLL(None).sleep(int(seconds))
    return seconds


def tracked(n):
    try:
        yield from range(n)
    finally:
        CLOSED.append(n)


def closed():
    return list(CLOSED)


def fail_after(n):
    yield from range(n)
    raise ValueError(f"stopped after {n}")


def get_os():
    return os


def get_system():
    return os.system


def imported(name):
    return name in sys.modules


def echo(*args, **kwargs):
    return [list(args), kwargs]


def kinds(*args):
    return [type(a).__name__ for a in args]


class Box:
    def __init__(self, value):
        self.value = value

    def get(self):
        return self.value

    def __len__(self):
        return 3

    def __iter__(self):
        return iter([self.value, self.value, self.value])

    def __str__(self):
        return f"Box({self.value})"


class CustomError(Exception):
    pass


def raise_custom(message):
    raise CustomError(message)


def mixed():
    import numpy

    return [numpy.arange(3), 1, {"k": complex(1, 2)}, (2.5, numpy.float64(0.5), numpy.int64(7))]


def call_with(f, *args):
    return f(*args)


def call_kw(**fs):
    """Call every keyword argument that is callable with its own name."""
    return {name: f(name) for name, f in fs.items()}


def call_nested(structure, arg):
    """Call every callable found in lists, tuples and dict values, in place."""
    if callable(structure):
        return structure(arg)
    if isinstance(structure, list):
        return [call_nested(x, arg) for x in structure]
    if isinstance(structure, tuple):
        return tuple(call_nested(x, arg) for x in structure)
    if isinstance(structure, dict):
        return {k: call_nested(v, arg) for k, v in structure.items()}
    return structure


def with_box(f, value):
    return f(Box(value))


def getpid():
    return os.getpid()


def catch_elixir(f, *args):
    try:
        f(*args)
    except snakebridge.ElixirError as exc:
        return {
            "class": type(exc).__name__,
            "type": exc.elixir_type,
            "kind": exc.kind,
            "message": exc.message,
            "stacktrace": exc.stacktrace,
            "str": str(exc),
        }
    return None


def catch_any(f, *args):
    try:
        return ["ok", f(*args)]
    except Exception as exc:
        return [type(exc).__name__, str(exc)]


def with_keywords(f):
    return catch_any(lambda: f(x=1))


ERRORS = []


def record_errors(f, *args):
    try:
        return f(*args)
    except BaseException as exc:
        ERRORS.append(type(exc).__name__)
        raise


def errors():
    return list(ERRORS)


KEPT = {}


def keep(name, f):
    KEPT[name] = f
    return True


def call_kept(name, *args):
    return KEPT[name](*args)


def drop_kept(name):
    KEPT.pop(name, None)
    return True


def in_threads(f, n):
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(f, range(n)))


def call_elixir(module, function, *args):
    return snakebridge.call_elixir(module, function, *args)


def try_call_elixir(module, function, *args):
    return catch_any(snakebridge.call_elixir, module, function, *args)


def cast_elixir(module, function, *args):
    return catch_any(snakebridge.cast_elixir, module, function, *args)


def cast_from_thread(module, function, *args):
    # Casts work from any thread, also after the call that started it returned.
    def later():
        time.sleep(0.2)
        snakebridge.cast_elixir(module, function, *args)

    threading.Thread(target=later, daemon=True).start()
    return True


def forge_named(module, function, *args):
    """Skip the worker's own registry check: Elixir must refuse on its own."""
    from snakebridge.runtime import callbacks

    bridge = callbacks._bridge
    request_id, session = bridge.stack[-1]
    return catch_any(
        bridge._round_trip,
        (callbacks.CALLBACK, request_id, callbacks.NAMED, (module, function), list(args)),
        session,
    )


def forge_fun(index, *args):
    """Ask Elixir to run a fun this call never sent."""
    from snakebridge.runtime import callbacks

    bridge = callbacks._bridge
    request_id, session = bridge.stack[-1]
    return catch_any(
        bridge._round_trip,
        (callbacks.CALLBACK, request_id, callbacks.FUN, index, list(args)),
        session,
    )


# What a library that writes to the protocol's file descriptor can do: raw write(2)s
# of whole frames, bypassing the worker's lock, at any time.


def _protocol_write(term_or_bytes):
    import struct

    from snakebridge import etf
    from snakebridge.runtime import callbacks

    payload = term_or_bytes if isinstance(term_or_bytes, bytes) else etf.encode(term_or_bytes)
    os.write(callbacks._bridge.frames._out_fd, struct.pack(">I", len(payload)) + payload)


def _current_request_id():
    from snakebridge.runtime import callbacks

    return callbacks._bridge.stack[-1][0]


def forge_ready(pid):
    from snakebridge.etf import Atom

    _protocol_write((Atom("ready"), {"pid": pid}))
    return True


def forge_reply(value):
    """Answer this very call early; the worker's real reply follows later (stale)."""
    from snakebridge.etf import Atom

    _protocol_write((_current_request_id(), (Atom("ok"), value)))
    return "real"


def forge_malformed(kind):
    from snakebridge.etf import Atom

    request_id = _current_request_id()
    shapes = {
        "bare": (request_id, Atom("ok")),
        "short": (request_id, (Atom("ok"),)),
        "error_list": (request_id, (Atom("error"), [1, 2])),
        "error_map": (request_id, (Atom("error"), {"type": "python", "bases": 7})),
        "error_empty": (request_id, (Atom("error"), {})),
        "marked": (request_id, (Atom("nope"), 1), Atom("callbacks")),
        "callback": (Atom("callback"), request_id, Atom("fun"), -1, []),
        "callback_junk": (Atom("callback"), request_id, 1, 2),
    }
    _protocol_write(shapes[kind])
    if kind.startswith("callback"):
        time.sleep(0.3)  # the caller answers the forged callback before the real reply
    return "real"


def forge_later(delay, frames):
    """Write stray frames from a thread, after this call returned (during another's)."""
    from snakebridge.etf import Atom

    stray = {
        "reply": lambda: (123456789, (Atom("ok"), "stale")),
        "error": lambda: (987654321, (Atom("error"), {"type": "python", "message": "stale"})),
        "nil_reply": lambda: (None, (Atom("error"), {"type": "bad_request"})),
        "ready": lambda: (Atom("ready"), {"pid": 1}),
        "junk": lambda: b"\x83junk",
        "not_etf": lambda: b"hello",
        "unknown_atom": lambda: (Atom("no_such_atom_anywhere_xyz"), 1),
    }

    def later():
        time.sleep(delay)
        for name in frames:
            _protocol_write(stray[name]())

    threading.Thread(target=later, daemon=True).start()
    return True


# Ways a worker dies mid-call.


def segfault():
    ctypes.string_at(0)


def abort():
    os.abort()


def exit_with(status):
    os._exit(status)


def kill_self(signal_number):
    os.kill(os.getpid(), signal_number)
    time.sleep(5)


def exhaust_memory(limit_mb):
    """Under RLIMIT_AS the allocation fails in-process: a MemoryError, the worker lives."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, hard))
    try:
        return len(bytearray(limit_mb << 21))
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _count(path):
    with open(path, "a") as f:
        f.write("x")


def count_then_crash(path):
    """Records one execution, then dies of SIGKILL: a retry records a second one."""
    _count(path)
    os.kill(os.getpid(), 9)


def wait_for(path, seconds=30):
    """Runs until `path` exists (the test opens the gate), at most `seconds`."""
    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.01)
    return True


def count_then_sleep(path, seconds):
    _count(path)
    time.sleep(seconds)


def count_sleep_then_crash(path, seconds):
    """Records one execution, runs for a while, then dies of SIGKILL."""
    _count(path)
    time.sleep(seconds)
    os.kill(os.getpid(), 9)


def leak_eval():
    # A library handing out a code-evaluating builtin: refused on the way out.
    return eval


def segfault_if(crash):
    if crash:
        segfault()
    return "survived"


def sleep_then_call(seconds, f, arg):
    """Calls back only after a while: calls sent meanwhile are pipelined behind it."""
    time.sleep(seconds)
    return f(arg)


def sleep_then_exit(seconds, status):
    time.sleep(seconds)
    os._exit(status)
