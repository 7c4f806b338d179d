"""Python calling back into Elixir: Elixir functions as callables, and ``call_elixir``.

Wire (``docs/internals.md``, "Callbacks"):

- An Elixir fun inside a request decodes to an :class:`ElixirFunction` that knows its
  index among the request's funs (in decode order: ``args`` first, then ``kwargs``; the
  Elixir caller walks its own request in the same order), its arity and a label. It
  never holds anything the BEAM would execute: the caller runs only funs of its own
  requests, picked by index.
- Calling one writes ``{:callback, request_id, :fun, index, args}`` and serves frames
  until ``{:callback_reply, {:ok, value} | {:error, map}}`` arrives. Requests that
  arrive meanwhile are nested calls made by the Elixir function; they run here, in this
  worker, each answered with its own reply (the protocol is a stack).
- :func:`call_elixir` writes ``{:callback, request_id, :named, {module, function},
  args}`` for the innermost call in progress; :func:`cast_elixir` writes
  ``{:cast, module, function, args}`` and does not wait.

One lock serializes callback round trips and replies, so callbacks may come from any
thread: a frame on the wire always belongs to the innermost exchange.

Lifetime: a function is callable while the call that passed it runs, and afterwards for
as long as its session lives, during later calls of that session, if Python kept it
(a formatter, a generator, an event handler). Anything else raises
:class:`CallbackExpired`. Refs made for a callback's arguments are borrowed: they are
released when the callback returns.
"""

from __future__ import annotations

import inspect
import os
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from snakebridge import etf
from snakebridge.etf import Atom, EncodeError

if TYPE_CHECKING:
    from snakebridge.runtime.frames import FrameIO
    from snakebridge.runtime.store import RefStore
    from snakebridge.runtime.values import Codec

CALLBACK = Atom("callback")
CAST = Atom("cast")
FUN = Atom("fun")
NAMED = Atom("named")

_ATOM_TAGS = frozenset({100, 115, 118, 119})
# {:fence}, as the pool writes it.
FENCE = b"\x83h\x01d\x00\x05fence"


class ElixirError(Exception):
    """An Elixir function called from Python raised (or threw, or exited).

    ``elixir_type`` is the exception module (``"ArgumentError"``), ``message`` its
    message, ``stacktrace`` the formatted Elixir stacktrace, ``kind`` ``"error"``,
    ``"throw"`` or ``"exit"``. Left uncaught, it makes the outer call fail with the
    original Elixir exception.
    """

    def __init__(
        self,
        message: str,
        *,
        elixir_type: str | None = None,
        kind: str = "error",
        stacktrace: str = "",
        token: int | None = None,
    ) -> None:
        super().__init__(f"{elixir_type}: {message}" if elixir_type else message)
        self.message = message
        self.elixir_type = elixir_type
        self.kind = kind
        self.stacktrace = stacktrace
        self.token = token
        if stacktrace:
            self.add_note("Elixir stacktrace:\n" + stacktrace)


class CallbackExpired(ElixirError):
    """The Elixir side of a callback is gone: its call and session ended, or its process exited."""


class CallbackNotAllowed(ElixirError):
    """``call_elixir``/``cast_elixir`` named a function not registered under ``callbacks:``."""


# Python code knows them as snakebridge.ElixirError ...; errors name them so too.
for _cls in (ElixirError, CallbackExpired, CallbackNotAllowed):
    _cls.__module__ = "snakebridge"


def error_from_map(error: dict[Any, Any]) -> Exception:
    kind = error.get("type")
    message = str(error.get("message", ""))
    if kind == "exception":
        token = error.get("token")
        return ElixirError(
            message,
            elixir_type=error.get("module") and str(error["module"]),
            kind=str(error.get("kind", "error")),
            stacktrace=str(error.get("stacktrace") or ""),
            token=token if isinstance(token, int) else None,
        )
    if kind == "type_error":
        return TypeError(message)
    if kind == "attribute_error":
        return AttributeError(message)
    if kind == "not_allowed":
        return CallbackNotAllowed(message)
    if kind == "caller_gone":
        return CallbackExpired(message)
    return ElixirError(message)


def _label(opaque: etf.Opaque) -> tuple[str, int]:
    module, function, arity = etf.fun_info(opaque)
    module = module.removeprefix("Elixir.") if module.startswith("Elixir.") else f":{module}"
    if function is None:
        return f"fn/{arity} (defined in {module})", arity
    return f"&{module}.{function}/{arity}", arity


class Scope:
    """The Elixir funs of one request: where callbacks go, and whether they still may."""

    __slots__ = ("active", "bridge", "functions", "request_id", "session")

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.request_id: Any = None
        self.session = ""
        self.active = True
        self.functions: list[weakref.ref[ElixirFunction]] = []

    def add(self, opaque: etf.Opaque) -> ElixirFunction:
        label, arity = _label(opaque)
        fn = ElixirFunction(self, len(self.functions), arity, label)
        self.functions.append(weakref.ref(fn))
        return fn

    def kept(self) -> bool:
        """Whether Python still holds any of these functions (after the call)."""
        return any(ref() is not None for ref in self.functions)


class ElixirFunction:
    """An Elixir function passed from Elixir: calling it runs it in the calling process."""

    __slots__ = ("__weakref__", "_index", "_scope", "arity", "label")

    def __init__(self, scope: Scope, index: int, arity: int, label: str) -> None:
        self._scope = scope
        self._index = index
        self.arity = arity
        self.label = label

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError(
                f"Elixir function {self.label} takes positional arguments only; "
                f"got keyword argument(s) {', '.join(sorted(kwargs))}"
            )
        if len(args) != self.arity:
            raise TypeError(
                f"Elixir function {self.label} takes {self.arity} argument"
                f"{'' if self.arity == 1 else 's'} (arity {self.arity}), but was called "
                f"with {len(args)}"
            )
        return self._scope.bridge.invoke(self, args)

    @property
    def __name__(self) -> str:
        return self.label

    @property
    def __signature__(self) -> inspect.Signature:
        kind = inspect.Parameter.POSITIONAL_ONLY
        return inspect.Signature(
            [inspect.Parameter(f"arg{i + 1}", kind) for i in range(self.arity)]
        )

    def __repr__(self) -> str:
        return f"<Elixir function {self.label}>"

    def __reduce__(self) -> Any:
        raise TypeError(
            f"Elixir function {self.label} cannot be pickled or sent to another process: "
            "it calls back into the BEAM through this worker"
        )


class Bridge:
    """The worker's side of callbacks: the calls in progress and the round trips."""

    def __init__(
        self,
        frames: FrameIO,
        codec: Codec,
        store: RefStore,
        callbacks: dict[str, Any],
        serve_nested: Callable[[bytes], None],
        closed: Callable[[], None],
    ) -> None:
        self.frames = frames
        self.codec = codec
        self.store = store
        self.serve_nested = serve_nested
        self.closed = closed
        # RLock: a callback may make nested calls that call back again on this thread.
        self.lock = threading.RLock()
        # (request_id, session) of every request in progress, innermost last.
        self.stack: list[tuple[Any, str]] = []
        self.kept: dict[str, list[Scope]] = {}
        self.registry = {
            str(module).removeprefix("Elixir."): None
            if names == "all"
            else frozenset(str(n) for n in names)
            for module, names in (callbacks or {}).items()
        }

    # ------------------------------------------------------------------ lifetime

    def finish(self, scope: Scope) -> bool:
        """The request that decoded ``scope`` is done: keep its funs callable for the
        session if Python still holds one (True), else expire them."""
        if scope.kept():
            self.kept.setdefault(scope.session, []).append(scope)
            return True
        scope.active = False
        return False

    def release_session(self, session: str) -> None:
        for scope in self.kept.pop(session, ()):
            scope.active = False

    # ------------------------------------------------------------------ round trips

    def invoke(self, fn: ElixirFunction, args: Sequence[Any]) -> Any:
        scope = fn._scope
        with self.lock:
            if not scope.active:
                raise CallbackExpired(
                    f"Elixir function {fn.label} can no longer be called: the call that "
                    "passed it has returned and Python did not keep it, or its session "
                    "ended (see the callbacks guide: Lifetime)"
                )
            if not self.stack:
                raise CallbackExpired(
                    f"Elixir function {fn.label} was called while no SnakeBridge call is "
                    "in progress in this worker; it can run only during a call of its "
                    "session (the Elixir process must be waiting on this worker)"
                )
            current = self.stack[-1][1]
            if scope.session != current and all(rid != scope.request_id for rid, _ in self.stack):
                raise CallbackExpired(
                    f"Elixir function {fn.label} belongs to session {scope.session!r}, but "
                    f"the call in progress runs in session {current!r}; it can run only "
                    "during calls of its own session"
                )
            return self._round_trip(
                (CALLBACK, scope.request_id, FUN, fn._index, list(args)), scope.session
            )

    def call_named(self, module: str, function: str, args: Sequence[Any]) -> Any:
        self._check_registered(module, function)
        with self.lock:
            if not self.stack:
                raise CallbackExpired(
                    f"call_elixir({module!r}, {function!r}) needs a SnakeBridge call in "
                    "progress (it runs in the Elixir process waiting on this worker); "
                    "use cast_elixir to send without one"
                )
            request_id, session = self.stack[-1]
            return self._round_trip(
                (CALLBACK, request_id, NAMED, (module, function), list(args)), session
            )

    def cast_named(self, module: str, function: str, args: Sequence[Any]) -> None:
        self._check_registered(module, function)
        try:
            data = etf.encode((CAST, module, function, list(args)))
        except EncodeError as exc:
            raise TypeError(
                f"cast_elixir arguments must be plain values (numbers, strings, bytes, "
                f"lists, tuples, dicts, None, booleans): {exc}"
            ) from None
        self.frames.write(data)

    def _check_registered(self, module: str, function: str) -> None:
        key = module.removeprefix("Elixir.")
        if key not in self.registry:
            raise CallbackNotAllowed(
                f"Elixir module {key} is not registered for calls from Python; add it to "
                f"`snakebridge: [callbacks: [{key}]]` in mix.exs (or "
                f"`{{{key}, [:{function}]}}` for single functions)"
            )
        names = self.registry[key]
        if names is not None and function not in names:
            raise CallbackNotAllowed(
                f"{key}.{function} is not registered for calls from Python (registered: "
                f"{', '.join(sorted(names)) or 'none'}); add it to `callbacks:` in mix.exs"
            )

    def _round_trip(self, term: Any, session: str) -> Any:
        codec = self.codec
        if codec.encoding_callback:
            raise RuntimeError(
                "an Elixir function was called while SnakeBridge was encoding the "
                "arguments of another (from a __repr__ or similar)"
            )
        parts, borrowed = codec.encode_callback(term, session)
        try:
            self.frames.write_parts(parts)
            # The pool answers every callback frame with a fence: requests before it were
            # pipelined behind this call (they run after it), requests after it are
            # nested calls made by the callback.
            fenced = False
            while True:
                frame = self.frames.read_pipe()
                if frame is None:
                    self.closed()
                    os._exit(0)
                if frame == FENCE:
                    fenced = True
                # {:callback_reply, result} starts with an atom; a request with its id.
                elif frame[3] in _ATOM_TAGS:
                    break
                elif fenced:
                    self.serve_nested(frame)
                else:
                    self.frames.defer(frame)
            status, value = codec.decode_callback_reply(frame, session)
        finally:
            for ref_id in borrowed:
                self.store.release(ref_id)
        if status == "ok":
            return value
        raise error_from_map(value if isinstance(value, dict) else {"message": str(value)})


_bridge: Bridge | None = None


def install(bridge: Bridge) -> None:
    """Make ``call_elixir``/``cast_elixir`` talk through ``bridge`` (the worker does this)."""
    global _bridge
    _bridge = bridge


def _current() -> Bridge:
    if _bridge is None:
        raise RuntimeError(
            "snakebridge.call_elixir works only inside a SnakeBridge worker, in Python "
            "code that Elixir called"
        )
    return _bridge


def call_elixir(module: str, function: str, *args: Any) -> Any:
    """Call ``module.function(*args)`` in Elixir and return its result.

    Only functions registered under ``callbacks:`` in the app's ``snakebridge:`` config
    may be called (else :class:`CallbackNotAllowed`). It runs in the Elixir process
    whose call is in progress, so it sees that process's state and session; values
    cross as for any call (objects without an Elixir value arrive as refs).
    """
    return _current().call_named(str(module), str(function), args)


def cast_elixir(module: str, function: str, *args: Any) -> None:
    """Send ``module.function(*args)`` to Elixir without waiting (plain values only).

    It runs in a new Elixir process; failures there are logged, not raised here. It
    works from any thread, also when no call is in progress.
    """
    _current().cast_named(str(module), str(function), args)
