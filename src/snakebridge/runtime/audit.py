"""What a call may make a declared library do: CPython audit hooks (PEP 578).

The allowlist decides which names a call may reach; through those names a call can
still make a declared library start a process (``numpy.testing.runstring``), load a
shared object (``numpy.ctypeslib.load_library``), import an undeclared module
(``sympy.external.import_module``) or unpickle arbitrary classes (``numpy.load(...,
allow_pickle=True)``). Once the worker has started, these audit events are refused
unless the library of the current call allows them in mix.exs:

=================  ==================================================  =============
capability         events                                              ``allow:``
=================  ==================================================  =============
start processes    os.system, subprocess.Popen, os.exec, os.spawn,     ``:subprocess``
                   os.posix_spawn, os.fork, os.forkpty, pty.spawn
load a library     ctypes.dlopen of a file not already loaded          ``:dlopen``
import             a top-level module that is not declared, not in     ``:import``
                   the standard library and not an installed
                   dependency of a declared library
unpickle           a class or function from a module outside those     ``:pickle``
=================  ==================================================  =============

Strings run as code straight from the bridge (``frompyfunc(operator.call)`` over an
object array of ``eval``) are refused too, with no option: only a library's own code
may evaluate strings (``sympify``, ``pandas.eval``, ``namedtuple``).

A declared library's first import runs with the hooks suspended (libraries probe
their platform at import time). Outside a call (background threads) the union of the
declared libraries' capabilities applies. A refusal raises ``AuditRefused`` inside
the library (for an import the library makes on its own, not one a string argument
names, ``ImportRefused``, a ``ModuleNotFoundError``: optional imports fall back as if the
module were not installed) and is remembered, so the call fails with ``not_allowed`` even if the
library catches the exception and fails anyway; a library that catches it and
recovers (joblib falls back when ``lscpu`` cannot run) succeeds, and the refusal is
logged as a warning. Audit hooks cannot be removed once added (CPython has
no API for it), and the hook's state lives in this closure, reachable from no
declared library's namespace.
"""

from __future__ import annotations

import importlib.machinery
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from snakebridge.runtime import policy
from snakebridge.runtime.allowlist import Allowlist, NotAllowed

_RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

_PROCESS_EVENTS = {
    "os.system": "os.system",
    "subprocess.Popen": "subprocess.Popen",
    "os.exec": "os.exec*",
    "os.spawn": "os.spawn*",
    "os.posix_spawn": "os.posix_spawn",
    "os.fork": "os.fork",
    "os.forkpty": "os.forkpty",
    "pty.spawn": "pty.spawn",
    "os.startfile": "os.startfile",
}
# Standard modules a pickle may name besides the declared ones: plain data and the
# reconstructors the standard pickles use.
_PICKLE_STDLIB = policy.DATA_MODULES | {"copyreg", "_codecs", "codecs", "array", "re"}
_PICKLE_BUILTINS = frozenset(
    {
        "bool",
        "bytearray",
        "bytes",
        "complex",
        "dict",
        "float",
        "frozenset",
        "int",
        "list",
        "object",
        "range",
        "set",
        "slice",
        "str",
        "tuple",
        "type",
        "NotImplemented",
        "Ellipsis",
    }
)


class AuditRefused(NotAllowed):
    """An audit event the current call may not cause."""


class ImportRefused(ModuleNotFoundError, NotAllowed):
    """A library's own import of an undeclared module: to the library it looks like a
    module that is not installed (optional dependencies fall back), to the caller it is
    a refusal if the call fails because of it."""


@dataclass(slots=True)
class Call:
    """The request being served: what it is (for messages) and whose capabilities apply
    (the request's library, else the library of the ref it is called on)."""

    call_type: str
    library: str | None
    module: str
    function: str
    target: Any = None
    arguments: Any = None
    refusal: NotAllowed | None = None

    def names(self, module: str) -> bool:
        """Does a string argument of the call name ``module`` (or its top level)?"""
        root = policy.root_of(module)
        pending: list[tuple[Any, int]] = [(self.arguments, 0)]
        while pending:
            value, depth = pending.pop()
            if isinstance(value, str):
                if value in (module, root) or policy.root_of(value) == root:
                    return True
            elif depth < 3 and isinstance(value, (list, tuple)):
                pending.extend((v, depth + 1) for v in value)
            elif depth < 3 and isinstance(value, dict):
                pending.extend((v, depth + 1) for v in value.values())
        return False

    @property
    def what(self) -> str:
        if self.library is None and self.target is not None:
            return f"{self.call_type} {self.function} on a {_type_name(self.target)}"
        return f"{self.call_type} {self.module}.{self.function}"


def _type_name(obj: Any) -> str:
    if isinstance(obj, type(sys)):
        return f"module {obj.__name__}"
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


@dataclass
class _State:
    call: Call | None = None
    suspended: int = 0
    in_hook: threading.local = field(default_factory=threading.local)


class Audit:
    """The worker's audit policy. ``install`` adds the hook (once per process)."""

    def __init__(self, allowlist: Allowlist, warn: Callable[[str], None] | None = None) -> None:
        self._allowlist = allowlist
        self._warn = warn
        self._state = _State()
        self._union = frozenset().union(*(lib.allow for lib in allowlist.policies.values()))
        self._extra_roots = frozenset({"snakebridge"})
        self._installed = False

    # ------------------------------------------------------------------ control

    def install(self) -> None:
        if self._installed:
            return
        sys.addaudithook(_make_hook(self._state, self._decide, self.refusal))
        self._installed = True

    def begin(self, call: Call) -> Call | None:
        """Serve ``call`` under the policy; returns the outer call to hand to ``end``
        (a nested request, made from inside an Elixir callback, restores it)."""
        state = self._state
        outer = state.call
        state.call = call
        return outer

    def end(self, outer: Call | None) -> None:
        self._state.call = outer

    def caught(self, refusal: NotAllowed) -> None:
        """A refusal the library caught and recovered from (its call succeeded)."""
        if self._warn is not None:
            self._warn(f"{refusal} (the library caught the refusal and carried on)")

    @contextmanager
    def suspended(self) -> Iterator[None]:
        """A declared library's first import: its import-time code is the library's own."""
        state = self._state
        state.suspended += 1
        try:
            yield
        finally:
            state.suspended -= 1

    # ------------------------------------------------------------------ policy

    def _decide(self, event: str, args: tuple[Any, ...]) -> tuple[str, str | None] | None:
        """None when the event may happen; else (what happened, capability or None)."""
        label = _PROCESS_EVENTS.get(event)
        if label is not None:
            return _describe_process(label, args), "subprocess"
        if event == "import":
            return self._import(args)
        if event == "ctypes.dlopen":
            return self._dlopen(args)
        if event == "pickle.find_class":
            return self._unpickle(args)
        if event in ("exec", "compile"):
            return self._code(event, args)
        return None

    def _library(self, call: Call) -> policy.Library | None:
        if call.library is not None:
            return self._allowlist.policies.get(call.library)
        target = call.target
        if target is None:
            return None
        module = target.__name__ if isinstance(target, type(sys)) else type(target).__module__
        return self._allowlist.library_of(str(module))

    def _capabilities(self) -> frozenset[str]:
        call = self._state.call
        if call is None:
            return self._union
        lib = self._library(call)
        return lib.allow if lib is not None else frozenset()

    def _trusted_root(self, root: str) -> bool:
        allowlist = self._allowlist
        return (
            root in allowlist.roots
            or root.lstrip("_") in allowlist.roots
            or root in sys.stdlib_module_names
            or root in self._extra_roots
            or root in allowlist.dependencies
        )

    def _import(self, args: tuple[Any, ...]) -> tuple[str, str | None] | None:
        name = args[0] if args else None
        if not isinstance(name, str) or not name:
            return None
        root = policy.root_of(name)
        if self._trusted_root(root) or root in sys.modules:
            return None
        # A module that is not installed fails to import anyway, with the error the
        # library expects (optional dependencies are probed that way).
        try:
            spec = importlib.machinery.PathFinder.find_spec(root, sys.path)
        except Exception:
            spec = None
        if spec is None or _in_stdlib(spec.origin):
            return None
        return (
            f"importing {root!r} (not declared, not in the standard library, not a "
            "dependency of a declared library)",
            "import",
        )

    def _dlopen(self, args: tuple[Any, ...]) -> tuple[str, str | None] | None:
        name = args[0] if args else None
        if name is None or name == "" or _loaded(str(name)):
            return None
        return f"loading the shared library {name!r} (ctypes.dlopen)", "dlopen"

    def _unpickle(self, args: tuple[Any, ...]) -> tuple[str, str | None] | None:
        module, name = (str(args[0]), str(args[1])) if len(args) >= 2 else ("?", "?")
        what = f"unpickling {module}.{name} (pickle.find_class)"
        root = policy.root_of(module)
        if root == "builtins":
            return None if name in _PICKLE_BUILTINS else (what, "pickle")
        if name.split(".")[0] in policy.FORBIDDEN_NAMES:
            return what, "pickle"
        allowlist = self._allowlist
        if not (
            root in allowlist.roots
            or root.lstrip("_") in allowlist.roots
            or root.lstrip("_") in _PICKLE_STDLIB
            or root in allowlist.dependencies
        ):
            return what, "pickle"
        target = sys.modules.get(module)
        if target is not None:
            obj: Any = target
            try:
                for part in name.split("."):
                    obj = getattr(obj, part)
                allowlist.check_value(obj, what)
                allowlist.check_excluded(obj, what)
            except NotAllowed:
                return what, "pickle"
            except Exception:
                return None
        return None

    def _code(self, event: str, args: tuple[Any, ...]) -> tuple[str, str | None] | None:
        # Frames: this method, _decide, the hook, then the Python code that called the
        # builtin raising the event.
        frame = sys._getframe(3)
        if frame.f_code.co_filename.startswith(_RUNTIME_DIR):
            return f"running a string as code ({event}) straight from a bridge call", None
        return None

    def refusal(self, happened: str, capability: str | None) -> tuple[str, str | None] | None:
        """The message for a refused event and the library whose declaration decides,
        or None if the current call may cause it."""
        if capability is not None and capability in self._capabilities():
            return None
        call = self._state.call
        where = call.what if call is not None else "a background thread of the worker"
        lib = self._library(call) if call is not None else None
        library = None if lib is None else lib.name
        if capability is None:
            return f"{happened} was refused during {where}; no option allows it", library
        owner = f"library {lib.name!r}" if lib is not None else "the library whose call needs it"
        return (
            f"{happened} was refused during {where}: the worker does not let calls do that "
            f"by default; if {owner} needs it, add `allow: [:{capability}]` to its "
            "declaration in mix.exs"
        ), library


def _make_hook(
    state: _State,
    decide: Callable[[str, tuple[Any, ...]], tuple[str, str | None] | None],
    refusal: Callable[[str, str | None], tuple[str, str | None] | None],
) -> Callable[[str, tuple[Any, ...]], None]:
    watched = frozenset(
        {*_PROCESS_EVENTS, "import", "ctypes.dlopen", "pickle.find_class", "exec", "compile"}
    )

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event not in watched or state.suspended:
            return
        local = state.in_hook
        if getattr(local, "busy", False):
            return  # an event raised by the policy's own checks
        local.busy = True
        try:
            verdict = decide(event, args)
            refused = None if verdict is None else refusal(*verdict)
        finally:
            local.busy = False
        if refused is None or verdict is None:
            return
        message, library = refused
        capability = verdict[1]
        call = state.call
        exc: NotAllowed
        if event == "import" and not (call is not None and call.names(str(args[0]))):
            exc = ImportRefused(message, name=str(args[0]))
        else:
            exc = AuditRefused(message)
        exc.reason = capability or "code"
        exc.event = event
        exc.option = capability
        exc.library = library
        if call is not None and call.refusal is None:
            call.refusal = exc
        raise exc

    return hook


def _describe_process(label: str, args: tuple[Any, ...]) -> str:
    detail = ""
    if args:
        first = args[0]
        if label == "subprocess.Popen" and len(args) > 1:
            first = args[1]
        text = repr(first)
        detail = f" {text[:120]}" if first is not None else ""
    return f"starting a process ({label}{detail})"


# Where this interpreter's standard library lives: modules such as
# _sysconfigdata__linux_x86_64-linux-gnu are stdlib without being in stdlib_module_names.
_STDLIB_DIRS = tuple(
    os.path.join(os.path.realpath(d), "")
    for d in {
        os.path.dirname(os.__file__),
        os.path.join(os.path.dirname(os.__file__), "lib-dynload"),
    }
)


def _in_stdlib(origin: str | None) -> bool:
    if not origin:
        return False
    path = os.path.realpath(origin)
    return (
        path.startswith(_STDLIB_DIRS)
        and "site-packages" not in path
        and "dist-packages" not in path
    )


def _loaded(name: str) -> bool:
    """Is the shared object ``name`` (a path or a soname) already mapped?"""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            paths = {line.split(None, 5)[-1].strip() for line in fh if "/" in line}
    except OSError:  # pragma: no cover - non-Linux
        return False
    real = os.path.realpath(name) if os.sep in name else None
    base = os.path.basename(name)
    for path in paths:
        if path == name or (real is not None and path == real):
            return True
        if real is None and os.path.basename(path) == base:
            return True
    return False
