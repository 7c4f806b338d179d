"""Fast ``model.to_data`` / ``model.from_data`` for the child → parent channel.

A whole-library surface is tens of thousands of model nodes; the generic converters in
``model`` re-inspect type hints at every node. These produce and accept exactly the
same plain data (tested against ``model``), with each dataclass's field converters
built once. Libraries are introspected on several threads at once, so building a
decoder (which publishes a recursive dataclass's decoder before its field converters
exist) happens under a lock.
"""

from __future__ import annotations

import dataclasses
import enum
import threading
import types
import typing
from collections.abc import Callable
from typing import Any, Literal

Decoder = Callable[[Any], Any]
_DECODERS: dict[type[Any], Decoder] = {}
_FIELDS: dict[type[Any], tuple[tuple[str, Any], ...]] = {}
_BUILDING = threading.RLock()


def _fields(cls: type[Any]) -> tuple[tuple[str, Any], ...]:
    found = _FIELDS.get(cls)
    if found is None:
        out = []
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING:
                default: Any = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                default = dataclasses.MISSING
            out.append((f.name, default))
        found = _FIELDS[cls] = tuple(out)
    return found


def to_data(value: Any) -> Any:
    """Same result as ``model.to_data``."""
    if isinstance(value, tuple | list):
        return [to_data(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    cls = type(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for name, default in _fields(cls):
            item = getattr(value, name)
            if item != default:
                out[name] = to_data(item)
        return out
    return value


def from_data(cls: type[Any], data: Any) -> Any:
    """Same result as ``model.from_data``."""
    with _BUILDING:
        decoder = _decoder(cls)
    return decoder(data)


def _decoder(hint: Any) -> Decoder:
    if isinstance(hint, type) and hint in _DECODERS:
        return _DECODERS[hint]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        converters: dict[str, Decoder] = {}
        cls = hint

        def decode_dataclass(raw: Any) -> Any:
            if raw is None:
                return None
            return cls(**{k: converters[k](v) for k, v in raw.items()})

        _DECODERS[cls] = decode_dataclass  # before recursing: the model is recursive
        hints = typing.get_type_hints(cls)
        for name, _default in _fields(cls):
            converters[name] = _decoder(hints[name])
        return decode_dataclass
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        inner = _decoder(members[0]) if len(members) == 1 else _identity
        return lambda raw: None if raw is None else inner(raw)
    if origin is tuple:
        item = _decoder(typing.get_args(hint)[0])
        return lambda raw: None if raw is None else tuple(item(v) for v in raw)
    if origin is Literal:
        return _identity
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        enum_cls = hint
        return lambda raw: None if raw is None else enum_cls(raw)
    return _identity


def _identity(raw: Any) -> Any:
    return raw


__all__ = ["from_data", "to_data"]
