"""Executes one decoded request against the allowlisted libraries.

One handler per ``call_type``. What a request calls (its call type, library, module,
function) is read once into a :class:`Descriptor`: a compact call's descriptor is made
when the pool registers it, so a call reads no request map at all. Resolution of
``python_module`` + dotted function name is checked by the allowlist once and then
cached, so a hot call costs one dict lookup before the Python function runs.
"""

from __future__ import annotations

import itertools
import os
import sys
import types
from collections.abc import Callable
from typing import Any

from snakebridge.codegen import names
from snakebridge.runtime import protocols
from snakebridge.runtime.allowlist import Allowlist, NotAllowed
from snakebridge.runtime.audit import Audit, Call
from snakebridge.runtime.bulk import lifetime
from snakebridge.runtime.callbacks import Bridge
from snakebridge.runtime.policy import Library
from snakebridge.runtime.store import RefStore
from snakebridge.runtime.values import K_ID, NUMERIC_ROOTS, Codec

Request = dict[Any, Any]
Handler = Callable[["Descriptor", list[Any], dict[str, Any]], Any]

_RESOLVE_CACHE_MAX = 10_000


class BadRequest(Exception):
    """The request itself is malformed (a bug in the caller, not in user code)."""


class Descriptor:
    """What a request calls, with its fields as the handlers read them."""

    __slots__ = (
        "call_type",
        "checks_refs",
        "function",
        "handler",
        "key",
        "ledger",
        "library",
        "module",
        "numeric",
    )

    def __init__(self, request: Request, handler: Handler | None) -> None:
        library = request.get("library")
        self.call_type = str(request.get("call_type"))
        self.handler = handler
        self.library = None if library is None else str(library)
        self.module = str(request.get("python_module"))
        self.function = str(request.get("function"))
        # The allowlist's resolution key (a module-level call names its library).
        self.key = (str(library), self.module, self.function)
        self.ledger = request.get("ledger") is True
        # Whether the refs among its arguments must be live and the call's session's: a
        # release names refs that may be gone or another session's, and drops them.
        self.checks_refs = self.call_type not in ("release", "release_session")
        # Whether numeric lists stay arrays when the call does not say.
        self.numeric = str(request.get("python_module") or "").split(".")[0] in NUMERIC_ROOTS


def _rss_kb() -> int:
    try:
        with open("/proc/self/statm", "rb") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") // 1024
    except (OSError, ValueError, IndexError):  # pragma: no cover - non-Linux
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


class Dispatcher:
    def __init__(
        self,
        allowlist: Allowlist,
        store: RefStore,
        codec: Codec,
        bridge: Bridge,
        audit: Audit | None = None,
    ) -> None:
        self.allowlist = allowlist
        self.audit = audit
        self.store = store
        self.codec = codec
        self.bridge = bridge
        if audit is not None:
            codec.guard = audit.suspended
        # Shared memory left by workers that died before their reaper could run.
        lifetime.sweep()
        self.ledger: dict[tuple[str, str, str, int], int] = {}
        # The call ``run`` last served, whose policy is still in force (its reply is
        # encoded under it), and the one to restore after the reply.
        self.served: Call | None = None
        self.served_outer: Call | None = None
        self._resolved: dict[tuple[str, str, str], Any] = {}
        self.handlers: dict[str, Handler] = {
            "call": self._call,
            "new": self._call,
            "method": self._method,
            "get_attr": self._get_attr,
            "set_attr": self._set_attr,
            "stream": self._stream,
            "iter": self._iter,
            "protocol": self._protocol,
            "stream_next": self._stream_next,
            "stream_close": self._stream_close,
            "to_tensor": self._to_tensor,
            "column": self._column,
            "to_arrow": self._to_arrow,
            "from_arrow": self._from_arrow,
            "share": self._share,
            "from_dlpack": self._from_dlpack,
            "release": self._release,
            "release_session": self._release_session,
            "to_string": lambda _r, a, _k: str(self._target(a)),
            "repr": lambda _r, a, _k: repr(self._target(a)),
            "stats": self._stats,
            "ping": lambda _r, _a, _k: "pong",
        }

    def describe(self, request: Request) -> Descriptor:
        """The descriptor of a request map (or of a registration)."""
        return Descriptor(request, self.handlers.get(str(request.get("call_type"))))

    def run(self, request: Descriptor, args: list[Any], kwargs: dict[str, Any]) -> Any:
        handler = request.handler
        if handler is None:
            known = ", ".join(sorted(self.handlers))
            raise BadRequest(f"unknown call_type {request.call_type!r}; known: {known}")
        if request.ledger:
            self._record(request, args)
        audit = self.audit
        if audit is None:
            return handler(request, args, kwargs)
        library = request.library
        call = Call(
            request.call_type,
            library,
            request.module,
            request.function,
            args[0] if args and library is None else None,
            (args, kwargs),
        )
        # The call's policy stays in force after it returns: its reply is encoded under
        # it too (an exception's __str__ or a result's __repr__ is the library's code).
        # The request's owner (Worker.handle) ends it: ``audit.end(self.served_outer)``.
        outer = audit.begin(call)
        try:
            result = handler(request, args, kwargs)
        except BaseException as exc:
            if call.refusal is not None:
                raise call.refusal.again() from exc
            raise
        finally:
            # After the handler: a nested request served during it sets its own.
            self.served = call
            self.served_outer = outer
        if call.refusal is not None:
            # The library caught the refusal and went on without it (joblib counts CPUs
            # with lscpu, and falls back when that fails): the call stands, and the
            # refusal is logged.
            audit.caught(call.refusal)
        return result

    # ------------------------------------------------------------------ helpers

    def resolve(self, request: Descriptor) -> Any:
        key = request.key
        fn = self._resolved.get(key)
        if fn is None:
            fn = self.allowlist.resolve(*key)
            if len(self._resolved) >= _RESOLVE_CACHE_MAX:
                self._resolved.clear()
            self._resolved[key] = fn
        return fn

    @staticmethod
    def _target(args: list[Any]) -> Any:
        if not args:
            raise BadRequest("this call needs a ref as its first argument")
        return args[0]

    def _record(self, request: Descriptor, args: list[Any]) -> None:
        call_type = request.call_type
        if call_type in ("call", "new", "get_attr", "stream"):
            key = (*request.key, len(args))
        elif call_type == "method" and args:
            cls = type(args[0])
            module = cls.__module__
            library = self.allowlist.library_of(module)
            if library is None:
                return
            key = (library.name, module, f"{cls.__qualname__}.{request.function}", len(args))
        else:
            return
        self.ledger[key] = self.ledger.get(key, 0) + 1

    # ------------------------------------------------------------------ handlers

    def _call(self, request: Descriptor, args: list[Any], kwargs: dict[str, Any]) -> Any:
        fn = self._resolved.get(request.key)
        if fn is None:
            fn = self.resolve(request)
        if not callable(fn):
            raise TypeError(
                f"{request.module}.{request.function} is a "
                f"{type(fn).__name__}, not a callable; use SnakeBridge.get/2 to read it"
            )
        return fn(*args, **kwargs)

    def _method(self, request: Descriptor, args: list[Any], kwargs: dict[str, Any]) -> Any:
        obj = self._target(args)
        # Generated wrappers name the method by qualname ("ndarray.tolist"); the bound
        # method is looked up on the object itself, so subclasses work too.
        name = names.path_parts(request.function)[-1]
        if name == "__call__":
            self.allowlist.check_call(obj)
            return obj(*args[1:], **kwargs)
        fn = self.allowlist.attribute(obj, name)
        return fn(*args[1:], **kwargs)

    def _get_attr(self, request: Descriptor, args: list[Any], _kwargs: dict[str, Any]) -> Any:
        if args:
            name = names.path_parts(request.function)[-1]
            return self.allowlist.attribute(args[0], name)
        return self.resolve(request)

    def _set_attr(self, request: Descriptor, args: list[Any], _kwargs: dict[str, Any]) -> Any:
        name = names.path_parts(request.function)[-1]
        self.allowlist.check_name(name)
        if len(args) == 2:
            target = args[0]
            lib = self.allowlist.check_target(target, f"setting {name!r} on a ref")
            if isinstance(target, (type, types.ModuleType)):
                self._check_shared_set(lib, f"{_name_of(target)}.{name}")
            setattr(target, name, args[1])
            self._resolved.clear()
            return None
        if len(args) == 1:
            library = str(request.library)
            module = self.allowlist.import_module(library, request.module)
            self._check_shared_set(
                self.allowlist.policies.get(library), f"{module.__name__}.{name}"
            )
            setattr(module, name, args[0])
            self._resolved.clear()
            return None
        raise BadRequest("set_attr takes [ref, value] or [value] (module attribute)")

    def _check_shared_set(self, lib: Library | None, path: str) -> None:
        """Modules and classes are shared by every session on the worker: replacing one
        of their attributes (``json.dumps = json.loads``) changes other callers' calls."""
        if lib is not None and "set_attr" in lib.allow:
            return
        owner = f"library {lib.name!r}" if lib is not None else "the library that owns it"
        raise NotAllowed(
            f"set_attr on {path} was refused: it is an attribute of a module or class, "
            "shared by every session on this worker, so replacing it would change other "
            f"callers' calls; if {owner} must be patched, add `allow: [:set_attr]` to its "
            "declaration in mix.exs (set attributes of objects your calls made instead)",
            "set_attr",
            event="set_attr",
            option="set_attr",
            library=None if lib is None else lib.name,
        )

    def _stream(self, request: Descriptor, args: list[Any], kwargs: dict[str, Any]) -> Any:
        return iter(self._call(request, args, kwargs))

    def _iter(self, _request: Descriptor, args: list[Any], _kwargs: dict[str, Any]) -> Any:
        target = self._target(args)
        self.allowlist.check_target(target, f"iterating a {type(target).__qualname__}")
        return protocols.iterate(target)

    def _protocol(self, request: Descriptor, args: list[Any], kwargs: dict[str, Any]) -> Any:
        # Indexing, operators, len/in/bool/hash, with: by operation name, never by dunder.
        try:
            fn = protocols.operation(request.function, args, kwargs)
        except protocols.ProtocolError as exc:
            raise BadRequest(str(exc)) from None
        # Operators are methods too: the same rule as method/4 for the object they act on.
        if args:
            self.allowlist.check_target(
                args[0], f"{request.function} on a {type(args[0]).__qualname__}"
            )
        return fn(*args)

    def _stream_next(self, _request: Descriptor, args: list[Any], _kwargs: dict[str, Any]) -> Any:
        iterator = self._target(args)
        count = int(args[1]) if len(args) > 1 else 1
        items = list(itertools.islice(iterator, max(count, 1)))
        return (items, len(items) < max(count, 1))

    def _stream_close(self, _request: Descriptor, args: list[Any], _kwargs: dict[str, Any]) -> Any:
        iterator = self._target(args)
        close = getattr(iterator, "close", None)
        if callable(close):
            close()
        for term, _entry in self.codec.state.refs_in:
            self.store.release(str(term.get(K_ID)))
        return None

    def _release(self, _request: Descriptor, _args: list[Any], _kwargs: dict[str, Any]) -> Any:
        released = 0
        state = self.codec.state
        for term, _entry in state.refs_in:
            released += self.store.release(str(term.get(K_ID)))
        for handle in state.handles_in:
            released += self.codec.bulk.release(handle)
        return released

    def _release_session(self, _request: Descriptor, _args: list[Any], _k: dict[str, Any]) -> Any:
        session = self.codec.state.session
        self.bridge.release_session(session)
        released = self.store.release_session(session)
        if self.codec.has_bulk:
            released += self.codec.bulk.release_session(session)
        return released

    # ------------------------------------------------------------------ bulk data

    @staticmethod
    def _arguments(args: list[Any], count: int, usage: str) -> list[Any]:
        if len(args) != count:
            raise BadRequest(f"{usage} takes {count} argument(s), got {len(args)}")
        return args

    @staticmethod
    def _host(kwargs: dict[str, Any]) -> str | None:
        host = kwargs.get("host")
        return host if isinstance(host, str) else None

    def _imported(self, *libraries: str, required: str | None = None) -> None:
        """Import the declared ones of ``libraries`` the way calls import them (a declared
        library's first import runs with the audit hooks suspended); ``required`` must be
        declared."""
        if required is not None and required not in self.allowlist.policies:
            raise NotAllowed(
                f"this needs {required}, which is not declared; add it to the libraries in "
                "mix.exs and run mix snakebridge.setup"
            )
        for name in (*libraries, *(() if required is None else (required,))):
            lib = self.allowlist.policies.get(name)
            if lib is not None and lib.python_module not in sys.modules:
                self.allowlist.import_module(name, lib.python_module)

    def _to_tensor(self, _request: Descriptor, args: list[Any], kwargs: dict[str, Any]) -> Any:
        (value,) = self._arguments(args, 1, "to_tensor")
        return self.codec.bulk.to_tensor(value, self._host(kwargs))

    def _column(self, _request: Descriptor, args: list[Any], kwargs: dict[str, Any]) -> Any:
        table, name = self._arguments(args, 2, "column")
        self._imported("pyarrow")
        return self.codec.bulk.column(table, name, self._host(kwargs))

    def _to_arrow(self, _request: Descriptor, args: list[Any], kwargs: dict[str, Any]) -> Any:
        (table,) = self._arguments(args, 1, "to_arrow")
        self._imported(required="pyarrow")
        return self.codec.bulk.to_arrow(table, self._host(kwargs))

    def _from_arrow(self, _request: Descriptor, args: list[Any], _kwargs: dict[str, Any]) -> Any:
        data, library = self._arguments(args, 2, "from_arrow")
        library = str(library)
        self._imported(required="pyarrow")
        self._imported(required=library)
        return self.codec.bulk.from_arrow(data, library)

    def _share(self, request: Descriptor, args: list[Any], kwargs: dict[str, Any]) -> Any:
        (value,) = self._arguments(args, 1, "share")
        kind = str(kwargs.get("as") or "auto")
        if kind not in ("auto", "shm", "arrow", "dlpack"):
            raise BadRequest(f"share as: is :shm, :arrow or :dlpack, not {kind!r}")
        if kind in ("auto", "arrow"):
            self._imported("pyarrow")
        session = self.codec.state.session
        term = self.codec.bulk.share(value, session, kind)  # type: ignore[arg-type]
        # The session now holds something in this worker: the pool releases it there.
        self.codec.state.created.append(str(term[K_ID]))
        return term

    def _from_dlpack(self, _request: Descriptor, args: list[Any], _kwargs: dict[str, Any]) -> Any:
        value, library = self._arguments(args, 2, "from_dlpack")
        library = str(library)
        from snakebridge.runtime.bulk import dlpack

        if library not in dlpack.CONSUMERS:
            raise BadRequest(
                f"from_dlpack makes a {' or '.join(dlpack.CONSUMERS)} object, not {library!r}"
            )
        self._imported(required=library)
        return dlpack.convert(value, library)

    def _stats(self, _request: Descriptor, _args: list[Any], _kwargs: dict[str, Any]) -> Any:
        return {
            "refs": len(self.store),
            "sessions": self.store.session_count,
            "rss_kb": _rss_kb(),
            "pid": os.getpid(),
            "modules": len(sys.modules),
        }


def _name_of(target: type | types.ModuleType) -> str:
    if isinstance(target, types.ModuleType):
        return target.__name__
    return f"{target.__module__}.{target.__qualname__}"


__all__ = ["BadRequest", "Dispatcher", "NotAllowed"]
