"""Erlang External Term Format (ETF) codec.

The Elixir half talks to every Python process (the CLI port and the runtime workers)
with ``{:packet, 4}`` frames holding one ETF term each. This module is the single
Python owner of that format.

Mapping (decode / encode):

============================  ==========================================
Erlang / Elixir               Python
============================  ==========================================
integer                       ``int``
float                         ``float``
``:nan`` ``:infinity``        ``float('nan')``, ``±inf`` on encode only;
``:neg_infinity``             decode keeps them as ``Atom``
``true`` / ``false`` / ``nil``  ``True`` / ``False`` / ``None``
other atom                    ``Atom`` (a ``str`` subclass)
binary (valid UTF-8)          ``str``
binary (not UTF-8)            ``bytes``
tuple                         ``tuple``
list                          ``list`` (charlists arrive as lists of ints)
map                           ``dict``
pid, port, reference, fun     ``Opaque`` (kept, never interpreted)
============================  ==========================================

Encoding ``bytes`` yields a plain binary; wrapping user bytes in the explicit
``%SnakeBridge.Bytes{}`` struct is the caller's choice (see ``runtime``).
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Callable
from typing import Any

VERSION = 131

_NEW_FLOAT = 70
_BIT_BINARY = 77
_COMPRESSED = 80
_SMALL_INT = 97
_INT = 98
_ATOM = 100
_SMALL_TUPLE = 104
_LARGE_TUPLE = 105
_NIL = 106
_STRING = 107
_LIST = 108
_BINARY = 109
_SMALL_BIG = 110
_LARGE_BIG = 111
_SMALL_ATOM = 115
_MAP = 116
_ATOM_UTF8 = 118
_SMALL_ATOM_UTF8 = 119

_OPAQUE_TAGS = frozenset({88, 89, 90, 101, 102, 103, 112, 113, 114, 120})

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_I32 = struct.Struct(">i")
_F64 = struct.Struct(">d")


class Atom(str):
    """An Erlang atom. Compares equal to the ``str`` of its name."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Atom({str.__repr__(self)})"


class Opaque:
    """A term Python cannot interpret (pid, port, reference, fun), kept as its bytes."""

    __slots__ = ("data", "tag")

    def __init__(self, tag: int, data: bytes) -> None:
        self.tag = tag
        self.data = data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Opaque) and (self.tag, self.data) == (other.tag, other.data)

    def __hash__(self) -> int:
        return hash((self.tag, self.data))

    def __repr__(self) -> str:
        return f"Opaque({self.tag}, {self.data!r})"


class DecodeError(ValueError):
    """The bytes are not a well-formed ETF term."""


class EncodeError(TypeError):
    """A Python value has no ETF form (and no ``default`` hook handled it)."""


NAN = Atom("nan")
INFINITY = Atom("infinity")
NEG_INFINITY = Atom("neg_infinity")


# --------------------------------------------------------------------------- decode


def decode(data: bytes | bytearray | memoryview) -> Any:
    """Decode one complete ETF term (with its leading version byte)."""
    buf = bytes(data)
    if not buf or buf[0] != VERSION:
        raise DecodeError("missing ETF version byte 131")
    if len(buf) > 1 and buf[1] == _COMPRESSED:
        if len(buf) < 6:
            raise DecodeError("truncated compressed term")
        (size,) = _U32.unpack_from(buf, 2)
        buf = bytes([VERSION]) + zlib.decompress(buf[6:])
        if len(buf) - 1 != size:
            raise DecodeError("compressed term has the wrong size")
    try:
        value, pos = _decode(buf, 1)
    except (IndexError, struct.error) as exc:
        raise DecodeError(f"truncated ETF term: {exc}") from None
    if pos != len(buf):
        raise DecodeError(f"{len(buf) - pos} trailing bytes after the term")
    return value


def _atom(name: str) -> Any:
    if name == "nil":
        return None
    if name == "true":
        return True
    if name == "false":
        return False
    return Atom(name)


def _decode(buf: bytes, pos: int) -> tuple[Any, int]:
    tag = buf[pos]
    pos += 1
    if tag == _SMALL_INT:
        return buf[pos], pos + 1
    if tag == _INT:
        return _I32.unpack_from(buf, pos)[0], pos + 4
    if tag == _NEW_FLOAT:
        return _F64.unpack_from(buf, pos)[0], pos + 8
    if tag == _BINARY:
        (size,) = _U32.unpack_from(buf, pos)
        pos += 4
        end = pos + size
        if end > len(buf):
            raise DecodeError("binary runs past the end of the term")
        raw = buf[pos:end]
        try:
            return raw.decode("utf-8"), end
        except UnicodeDecodeError:
            return raw, end
    if tag == _SMALL_ATOM_UTF8:
        size = buf[pos]
        pos += 1
        return _atom(buf[pos : pos + size].decode("utf-8")), pos + size
    if tag == _ATOM_UTF8:
        (size,) = _U16.unpack_from(buf, pos)
        pos += 2
        return _atom(buf[pos : pos + size].decode("utf-8")), pos + size
    if tag in (_ATOM, _SMALL_ATOM):
        if tag == _ATOM:
            (size,) = _U16.unpack_from(buf, pos)
            pos += 2
        else:
            size = buf[pos]
            pos += 1
        return _atom(buf[pos : pos + size].decode("latin-1")), pos + size
    if tag == _NIL:
        return [], pos
    if tag == _LIST:
        (size,) = _U32.unpack_from(buf, pos)
        pos += 4
        items = []
        append = items.append
        for _ in range(size):
            item, pos = _decode(buf, pos)
            append(item)
        tail, pos = _decode(buf, pos)
        if tail != []:
            raise DecodeError("improper lists cannot cross to Python")
        return items, pos
    if tag == _STRING:
        (size,) = _U16.unpack_from(buf, pos)
        pos += 2
        if pos + size > len(buf):
            raise DecodeError("string runs past the end of the term")
        return list(buf[pos : pos + size]), pos + size
    if tag in (_SMALL_TUPLE, _LARGE_TUPLE):
        if tag == _SMALL_TUPLE:
            size = buf[pos]
            pos += 1
        else:
            (size,) = _U32.unpack_from(buf, pos)
            pos += 4
        elems = []
        for _ in range(size):
            item, pos = _decode(buf, pos)
            elems.append(item)
        return tuple(elems), pos
    if tag == _MAP:
        (size,) = _U32.unpack_from(buf, pos)
        pos += 4
        out: dict[Any, Any] = {}
        for _ in range(size):
            key, pos = _decode(buf, pos)
            val, pos = _decode(buf, pos)
            try:
                out[key] = val
            except TypeError:
                raise DecodeError(f"map key of type {type(key).__name__} is not hashable") from None
        return out, pos
    if tag in (_SMALL_BIG, _LARGE_BIG):
        if tag == _SMALL_BIG:
            size = buf[pos]
            pos += 1
        else:
            (size,) = _U32.unpack_from(buf, pos)
            pos += 4
        sign = buf[pos]
        pos += 1
        if pos + size > len(buf):
            raise DecodeError("bignum runs past the end of the term")
        num = int.from_bytes(buf[pos : pos + size], "little")
        return (-num if sign else num), pos + size
    if tag == _BIT_BINARY:
        raise DecodeError("bitstrings that are not whole bytes cannot cross to Python")
    if tag in _OPAQUE_TAGS:
        end = _skip(buf, pos - 1)
        return Opaque(tag, buf[pos - 1 : end]), end
    raise DecodeError(f"unknown ETF tag {tag}")


def _skip(buf: bytes, pos: int) -> int:
    """Return the position just past the term at ``pos`` (used for opaque terms)."""
    tag = buf[pos]
    pos += 1
    if tag == 88:  # NEW_PID_EXT: node, id u32, serial u32, creation u32
        return _skip(buf, pos) + 12
    if tag == 103:  # PID_EXT
        return _skip(buf, pos) + 9
    if tag == 89:  # NEW_PORT_EXT
        return _skip(buf, pos) + 8
    if tag == 120:  # V4_PORT_EXT
        return _skip(buf, pos) + 12
    if tag == 102:  # PORT_EXT
        return _skip(buf, pos) + 5
    if tag in (90, 114):  # NEWER_REFERENCE_EXT / NEW_REFERENCE_EXT
        (n,) = _U16.unpack_from(buf, pos)
        pos = _skip(buf, pos + 2)
        return pos + (4 if tag == 90 else 1) + 4 * n
    if tag == 101:  # REFERENCE_EXT
        return _skip(buf, pos) + 5
    if tag == 112:  # NEW_FUN_EXT: total size includes itself
        (size,) = _U32.unpack_from(buf, pos)
        return pos + size
    if tag == 113:  # EXPORT_EXT: module, function, arity
        pos = _skip(buf, pos)
        pos = _skip(buf, pos)
        return _skip(buf, pos)
    if tag in _OPAQUE_TAGS:
        raise DecodeError(f"unsupported opaque tag {tag}")
    _, end = _decode(buf, pos - 1)
    return end


# --------------------------------------------------------------------------- encode

Default = Callable[[Any], Any]


def encode(value: Any, default: Default | None = None) -> bytes:
    """Encode ``value`` as one ETF term.

    ``default`` is called for values with no ETF form; it returns an encodable
    replacement (for example a ref struct for a live Python object).
    """
    out = bytearray([VERSION])
    _encode(value, out, default)
    return bytes(out)


def _encode_atom(name: str, out: bytearray) -> None:
    raw = name.encode("utf-8")
    if len(raw) > 255 * 4 or len(name) > 255:
        raise EncodeError(f"atom too long ({len(name)} characters, at most 255)")
    if len(raw) < 256:
        out += bytes((_SMALL_ATOM_UTF8, len(raw)))
    else:
        out.append(_ATOM_UTF8)
        out += _U16.pack(len(raw))
    out += raw


def _encode(value: Any, out: bytearray, default: Default | None) -> None:
    # Ordered by how often each type crosses; bool before int (bool is an int).
    cls = type(value)
    if cls is str:
        raw = value.encode("utf-8", "surrogatepass")
        out.append(_BINARY)
        out += _U32.pack(len(raw))
        out += raw
    elif cls is bool:
        _encode_atom("true" if value else "false", out)
    elif cls is int:
        if 0 <= value < 256:
            out += bytes((_SMALL_INT, value))
        elif -(2**31) <= value < 2**31:
            out.append(_INT)
            out += _I32.pack(value)
        else:
            mag = -value if value < 0 else value
            raw = mag.to_bytes((mag.bit_length() + 7) // 8, "little")
            if len(raw) < 256:
                out += bytes((_SMALL_BIG, len(raw)))
            else:
                out.append(_LARGE_BIG)
                out += _U32.pack(len(raw))
            out.append(1 if value < 0 else 0)
            out += raw
    elif cls is float:
        if math.isfinite(value):
            out.append(_NEW_FLOAT)
            out += _F64.pack(value)
        elif math.isnan(value):
            _encode_atom(NAN, out)
        else:
            _encode_atom(INFINITY if value > 0 else NEG_INFINITY, out)
    elif value is None:
        _encode_atom("nil", out)
    elif cls is Atom:
        _encode_atom(value, out)
    elif cls is list:
        if value:
            out.append(_LIST)
            out += _U32.pack(len(value))
            for item in value:
                _encode(item, out, default)
        out.append(_NIL)
    elif cls is tuple:
        if len(value) < 256:
            out += bytes((_SMALL_TUPLE, len(value)))
        else:
            out.append(_LARGE_TUPLE)
            out += _U32.pack(len(value))
        for item in value:
            _encode(item, out, default)
    elif cls is dict:
        out.append(_MAP)
        out += _U32.pack(len(value))
        for key, val in value.items():
            _encode(key, out, default)
            _encode(val, out, default)
    elif cls in (bytes, bytearray, memoryview):
        raw = bytes(value)
        out.append(_BINARY)
        out += _U32.pack(len(raw))
        out += raw
    elif cls is Opaque:
        out += value.data
    elif isinstance(value, Atom):
        _encode_atom(value, out)
    elif isinstance(value, bool):
        _encode_atom("true" if value else "false", out)
    elif isinstance(value, int):
        _encode(int(value), out, default)
    elif isinstance(value, float):
        _encode(float(value), out, default)
    elif isinstance(value, str):
        _encode(str(value), out, default)
    elif default is not None:
        replacement = default(value)
        if type(replacement) is cls:
            raise EncodeError(f"default hook returned another {cls.__qualname__}")
        _encode(replacement, out, default)
    else:
        raise EncodeError(f"cannot encode {cls.__qualname__} as an Erlang term")
