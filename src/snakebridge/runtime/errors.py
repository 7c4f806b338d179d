"""Exceptions as the structured error maps Elixir turns into ``%SnakeBridge.Error{}``.

Keys are strings (Elixir owns the atoms). ``bases`` lists the builtin exception
classes in the exception's MRO, so Elixir can map ``numpy.linalg.LinAlgError``
(a ``ValueError``) to ``SnakeBridge.ValueError`` without knowing numpy.
"""

from __future__ import annotations

import builtins
import traceback
import types
from typing import Any

from snakebridge.runtime import callbacks
from snakebridge.runtime.allowlist import NotAllowed
from snakebridge.runtime.callbacks import ElixirError

_MAX_TRACEBACK = 20_000
_BRIDGE_FILE = callbacks.__file__


def qualified_name(cls: type) -> str:
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def exception_map(exc: BaseException, *, skip_frames: int = 0) -> dict[str, Any]:
    tb = exc.__traceback__
    for _ in range(skip_frames):
        if tb is None or tb.tb_next is None:
            break
        tb = tb.tb_next
    text = "".join(traceback.format_exception(type(exc), exc, _without_bridge(tb)))
    if len(text) > _MAX_TRACEBACK:
        text = "...\n" + text[-_MAX_TRACEBACK:]
    bases = [
        cls.__name__
        for cls in type(exc).__mro__
        if cls is not object
        and cls.__module__ == "builtins"
        and getattr(builtins, cls.__name__, None) is cls
    ]
    try:
        message = str(exc)
    except Exception:  # a broken __str__ must not hide the error
        message = f"<{type(exc).__name__} with an unprintable message>"
    error: dict[str, Any] = {
        "type": "python",
        "python_type": qualified_name(type(exc)),
        "bases": bases,
        # Every class, most specific first: Elixir raises the first that has a module.
        "mro": [qualified_name(cls) for cls in type(exc).__mro__ if cls is not object],
        "message": message,
        "traceback": text,
    }
    elixir = _elixir_origin(exc)
    if elixir is not None:
        error["elixir"] = elixir
    return error


def _without_bridge(tb: types.TracebackType | None) -> types.TracebackType | None:
    """The traceback without the callback bridge's own frames (never user code)."""
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    kept = [t for t in frames if t.tb_frame.f_code.co_filename != _BRIDGE_FILE]
    if len(kept) == len(frames):
        return frames[0] if frames else None
    rebuilt = None
    for t in reversed(kept):
        rebuilt = types.TracebackType(rebuilt, t.tb_frame, t.tb_lasti, t.tb_lineno)
    return rebuilt


def _elixir_origin(exc: BaseException) -> dict[str, Any] | None:
    """An ElixirError that reached the top: Elixir re-raises the original exception
    (found by ``token`` in the calling process), or rebuilds it from these fields."""
    if not isinstance(exc, ElixirError):
        return None
    return {
        "token": exc.token,
        "type": exc.elixir_type,
        "kind": exc.kind,
        "message": exc.message,
        "stacktrace": exc.stacktrace,
    }


def runtime_error(kind: str, message: str) -> dict[str, Any]:
    """A failure of the bridge itself (not_allowed, ref_lost, encode_error, bad_request)."""
    return {"type": kind, "python_type": None, "bases": [], "message": message, "traceback": None}


def refusal_error(exc: NotAllowed) -> dict[str, Any]:
    """A ``not_allowed`` error with the refusal's fields (Elixir's ``reason`` and
    ``policy``)."""
    error = runtime_error("not_allowed", str(exc))
    error["policy"] = exc.fields()
    return error
