"""Exceptions as the structured error maps Elixir turns into ``%SnakeBridge.Error{}``.

Keys are strings (Elixir owns the atoms). ``bases`` lists the builtin exception
classes in the exception's MRO, so Elixir can map ``numpy.linalg.LinAlgError``
(a ``ValueError``) to ``SnakeBridge.ValueError`` without knowing numpy.
"""

from __future__ import annotations

import builtins
import traceback
from typing import Any

_MAX_TRACEBACK = 20_000


def qualified_name(cls: type) -> str:
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def exception_map(exc: BaseException, *, skip_frames: int = 0) -> dict[str, Any]:
    tb = exc.__traceback__
    for _ in range(skip_frames):
        if tb is None or tb.tb_next is None:
            break
        tb = tb.tb_next
    text = "".join(traceback.format_exception(type(exc), exc, tb))
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
    return {
        "type": "python",
        "python_type": qualified_name(type(exc)),
        "bases": bases,
        "message": message,
        "traceback": text,
    }


def runtime_error(kind: str, message: str) -> dict[str, Any]:
    """A failure of the bridge itself (not_allowed, ref_lost, encode_error, bad_request)."""
    return {"type": kind, "python_type": None, "bases": [], "message": message, "traceback": None}
