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
pid, port, reference, fun     ``Opaque`` (kept, never interpreted); a decoder
                              with a ``fun_hook`` replaces funs
============================  ==========================================

Encoding ``bytes`` yields a plain binary; wrapping user bytes in the explicit
``%SnakeBridge.Bytes{}`` struct is the caller's choice (see ``runtime``).

The runtime worker needs more than the plain mapping, and needs it fast (every call
crosses this module twice), so :func:`make_decoder` builds a decoder with hooks:
``struct_hook`` sees every map that has a ``__struct__`` key while it is decoded
(refs and bytes wrappers are replaced in the same pass, no second walk), and
``numeric_list`` turns homogeneous numeric lists into arrays straight from the
frame bytes (the numpy fast path); ``fun_hook`` replaces every Elixir fun (the
runtime turns them into Python callables, see ``runtime.callbacks``). They are
closures over local names because attribute and global lookups dominate a pure-Python
codec's cost.
"""

from __future__ import annotations

import math
import struct
import threading
import zlib
from collections.abc import Callable
from typing import Any, Protocol

VERSION = 131

_NEW_FLOAT = 70
_BIT_BINARY = 77
_COMPRESSED = 80
_SMALL_INT = 97
_INT = 98
_SMALL_TUPLE = 104
_LARGE_TUPLE = 105
_STRING = 107
_BINARY = 109
_SMALL_BIG = 110
_LARGE_BIG = 111
_ATOM_UTF8 = 118
_SMALL_ATOM_UTF8 = 119
_NEW_FUN = 112
_EXPORT = 113

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

    @property
    def kind(self) -> str:
        """What the term is, in Elixir words (for error messages)."""
        if self.tag in (88, 103):
            return "pid"
        if self.tag in (89, 102, 120):
            return "port"
        if self.tag in (90, 101, 114):
            return "reference"
        return "function"


class Binary:
    """Bytes that always encode as a plain binary, even when a ``bytes_hook`` is set.

    A wrapper rather than a ``bytes`` subclass: constructing a subclass copies the data,
    and the worker wraps every (possibly 10 MB) bytes result.
    """

    __slots__ = ("data",)

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self.data = data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Binary) and bytes(self.data) == bytes(other.data)

    def __hash__(self) -> int:
        return hash(bytes(self.data))

    def __repr__(self) -> str:
        return f"Binary({bytes(self.data)!r})"


class Spliced(bytes):
    """A frame held without the bytes of its one large binary (:func:`split_point`):
    those are ``payload``, read from the pipe into an object of their own, and the
    frame goes on at offset ``at``, where they would have started. The readers put the
    payload back there, so a bulk argument reaches Python as that very ``bytes`` object
    instead of as a copy out of the frame. The binary holds more than half the frame,
    so in the shortened frame it always runs past the end: only there do the readers
    look for a payload, and every other frame decodes as before."""

    at: int
    payload: bytes

    @staticmethod
    def make(body: bytes, at: int, payload: bytes) -> Spliced:
        frame = Spliced(body)
        frame.at = at
        frame.payload = payload
        return frame

    def after(self, pos: int) -> Spliced:
        """The frame from ``pos`` on (before the payload), payload kept."""
        return Spliced.make(self[pos:], self.at - pos, self.payload)


def split_point(prefix: bytes | memoryview, size: int) -> tuple[int, int] | None:
    """``(offset, length)`` of the data of a binary holding more than half of the
    ``size``-byte frame that starts with ``prefix``, if the term's bytes before that
    binary are all in ``prefix``; else None (the frame is then read whole)."""
    least = size // 2 + 1
    end = len(prefix)
    pending = 1
    pos = 1
    u32 = _U32.unpack_from
    try:
        if prefix[0] != VERSION:
            return None
        while pending and pos < end:
            pending -= 1
            tag = prefix[pos]
            if tag == 109:  # BINARY_EXT
                length = u32(prefix, pos + 1)[0]
                if length >= least:
                    return pos + 5, length
                pos += 5 + length
            elif tag == 97:  # SMALL_INTEGER_EXT
                pos += 2
            elif tag == 98:  # INTEGER_EXT
                pos += 5
            elif tag == 70:  # NEW_FLOAT_EXT
                pos += 9
            elif tag == 106:  # NIL_EXT
                pos += 1
            elif tag == 119 or tag == 115:  # SMALL_ATOM_UTF8_EXT, SMALL_ATOM_EXT
                pos += 2 + prefix[pos + 1]
            elif tag == 118 or tag == 100 or tag == 107:  # ATOM_UTF8, ATOM, STRING
                pos += 3 + _U16.unpack_from(prefix, pos + 1)[0]
            elif tag == 110:  # SMALL_BIG_EXT
                pos += 3 + prefix[pos + 1]
            elif tag == 111:  # LARGE_BIG_EXT
                pos += 6 + u32(prefix, pos + 1)[0]
            elif tag == 104:  # SMALL_TUPLE_EXT
                pending += prefix[pos + 1]
                pos += 2
            elif tag == 105:  # LARGE_TUPLE_EXT
                pending += u32(prefix, pos + 1)[0]
                pos += 5
            elif tag == 108:  # LIST_EXT: its elements and its tail
                pending += u32(prefix, pos + 1)[0] + 1
                pos += 5
            elif tag == 116:  # MAP_EXT
                pending += 2 * u32(prefix, pos + 1)[0]
                pos += 5
            else:  # compressed, pids, funs...: no split
                return None
    except (IndexError, struct.error):
        return None
    return None


class DecodeError(ValueError):
    """The bytes are not a well-formed ETF term."""


class EncodeError(TypeError):
    """A Python value has no ETF form (and no ``default`` hook handled it)."""


NAN = Atom("nan")
INFINITY = Atom("infinity")
NEG_INFINITY = Atom("neg_infinity")

StructHook = Callable[[dict[Any, Any]], Any]
# (element tag, count, buffer, start offset) -> replacement, or None to decode normally
NumericListHook = Callable[[int, int, bytes, int], Any]
Decoder = Callable[[bytes | bytearray | memoryview], Any]

# --------------------------------------------------------------------------- decode


def _atom(name: str) -> Any:
    if name == "nil":
        return None
    if name == "true":
        return True
    if name == "false":
        return False
    return Atom(name)


Reader = Callable[[bytes, int], tuple[Any, int]]


def make_decoder(
    struct_hook: StructHook | None = None,
    numeric_list: NumericListHook | None = None,
    atom_values: dict[str, Any] | None = None,
    opaque_seen: Callable[[Opaque], None] | None = None,
    raw_binary_structs: frozenset[str] = frozenset(),
    fun_hook: Callable[[Opaque], Any] | None = None,
) -> Decoder:
    """Build a decoder; see :func:`make_reader` for the hooks."""
    return whole_term(
        make_reader(
            struct_hook, numeric_list, atom_values, opaque_seen, raw_binary_structs, fun_hook
        )
    )


def make_reader(
    struct_hook: StructHook | None = None,
    numeric_list: NumericListHook | None = None,
    atom_values: dict[str, Any] | None = None,
    opaque_seen: Callable[[Opaque], None] | None = None,
    raw_binary_structs: frozenset[str] = frozenset(),
    fun_hook: Callable[[Opaque], Any] | None = None,
) -> Reader:
    """Build a decoder.

    ``struct_hook(map)`` replaces every decoded map with a ``__struct__`` key.
    ``numeric_list(tag, n, buf, start)`` is offered every list of ``n >= 2`` elements
    whose elements all share the tag ``tag`` (70 float, 97 small int, 98 int, or 107
    for a byte string); a non-None answer replaces the list.
    ``atom_values`` maps atom names to the Python values they decode to (overriding
    the default ``Atom``), e.g. ``nan`` to ``float('nan')``.
    ``opaque_seen`` is told about every pid, port, reference or fun decoded, except
    the funs ``fun_hook(opaque)`` replaces (when given: every fun, in decode order).
    ``raw_binary_structs`` names structs whose binary fields are bytes, never text:
    they skip the UTF-8 attempt (a 10 MB payload would otherwise be scanned) and reach
    ``struct_hook`` as ``memoryview`` slices of the frame.

    The reader decodes the term at an offset and returns ``(value, next_offset)``;
    :func:`whole_term` turns it into a checked decoder of complete terms.
    """
    atom_cache: dict[bytes, Any] = {}
    extra_atoms = dict(atom_values or {})

    def atom(raw: bytes, encoding: str) -> Any:
        name = raw.decode(encoding)
        value = extra_atoms[name] if name in extra_atoms else _atom(name)
        if len(atom_cache) < 4096:
            atom_cache[raw] = value
        return value

    u16 = _U16.unpack_from
    u32 = _U32.unpack_from
    i32 = _I32.unpack_from
    f64 = _F64.unpack_from
    from_bytes = int.from_bytes
    cache_get = atom_cache.get
    strides = {_NEW_FLOAT: 9, _SMALL_INT: 2, _INT: 5}
    raw_structs = raw_binary_structs

    def dec(buf: bytes, pos: int) -> tuple[Any, int]:
        tag = buf[pos]
        pos += 1
        # The tags in order of how often requests hold them, as literals: a chain of
        # int comparisons with constants is the cheapest dispatch CPython has.
        if tag == 97:  # SMALL_INTEGER_EXT
            return buf[pos], pos + 1
        if tag == 109:  # BINARY_EXT
            pos += 4
            end = pos + u32(buf, pos - 4)[0]
            if end > len(buf):
                if type(buf) is not Spliced or pos != buf.at:
                    raise DecodeError("binary runs past the end of the term")
                raw, end = buf.payload, pos
            else:
                raw = buf[pos:end]
            try:
                return raw.decode("utf-8"), end
            except UnicodeDecodeError:
                return raw, end
        if tag == 119 or tag == 115:  # SMALL_ATOM_UTF8_EXT, SMALL_ATOM_EXT
            end = pos + 1 + buf[pos]
            raw = buf[pos + 1 : end]
            value = cache_get(raw, atom_cache)
            if value is atom_cache:
                value = atom(raw, "utf-8" if tag == _SMALL_ATOM_UTF8 else "latin-1")
            return value, end
        if tag == 108:  # LIST_EXT
            size = u32(buf, pos)[0]
            pos += 4
            if numeric_list is not None and size >= 2:
                first = buf[pos]
                stride = strides.get(first)
                if stride is not None:
                    end = pos + stride * size
                    if (
                        end < len(buf)
                        and buf[end] == 106  # NIL_EXT
                        and buf[pos:end:stride] == bytes((first,)) * size
                    ):
                        replaced = numeric_list(first, size, buf, pos)
                        if replaced is not None:
                            return replaced, end + 1
            items: list[Any] = []
            append = items.append
            for _ in range(size):
                item, pos = dec(buf, pos)
                append(item)
            if buf[pos] != 106:  # NIL_EXT: a proper list
                raise DecodeError("improper lists cannot cross to Python")
            return items, pos + 1
        if tag == 106:  # NIL_EXT
            return [], pos
        if tag == 107:  # STRING_EXT
            size = u16(buf, pos)[0]
            pos += 2
            if pos + size > len(buf):
                raise DecodeError("string runs past the end of the term")
            if numeric_list is not None and size >= 2:
                replaced = numeric_list(_STRING, size, buf, pos)
                if replaced is not None:
                    return replaced, pos + size
            return list(buf[pos : pos + size]), pos + size
        if tag == 116:  # MAP_EXT
            size = u32(buf, pos)[0]
            pos += 4
            out: dict[Any, Any] = {}
            val: Any
            raw_fields = False
            for index in range(size):
                key, pos = dec(buf, pos)
                if raw_fields and buf[pos] == _BINARY:
                    start = pos + 5
                    pos = start + u32(buf, pos + 1)[0]
                    if pos <= len(buf):
                        # A view, not a copy: the struct hook makes the one copy it
                        # needs (bytes, or a writable bytearray for a numpy buffer).
                        val = memoryview(buf)[start:pos]
                    elif type(buf) is Spliced and start == buf.at:
                        val, pos = buf.payload, start
                    else:
                        raise DecodeError("binary runs past the end of the term")
                else:
                    val, pos = dec(buf, pos)
                    # Only a real struct (atom key, atom module) gets raw fields: a map
                    # with the string key "__struct__" is a plain map.
                    if (
                        index == 0
                        and raw_structs
                        and type(key) is Atom
                        and key == "__struct__"
                        and type(val) is Atom
                        and val in raw_structs
                    ):
                        raw_fields = True
                try:
                    out[key] = val
                except TypeError:
                    if type(key) is not set:
                        raise DecodeError(
                            f"map key of type {type(key).__name__} is not hashable"
                        ) from None
                    # A MapSet as a map key or a MapSet's member (Python sent a
                    # frozenset of frozensets): Python's hashable set.
                    out[frozenset(key)] = val
            if struct_hook is not None and "__struct__" in out:
                return struct_hook(out), pos
            return out, pos
        if tag == 98:  # INTEGER_EXT
            return i32(buf, pos)[0], pos + 4
        if tag == 70:  # NEW_FLOAT_EXT
            return f64(buf, pos)[0], pos + 8
        if tag == 104 or tag == 105:  # SMALL_TUPLE_EXT, LARGE_TUPLE_EXT
            if tag == _SMALL_TUPLE:
                size = buf[pos]
                pos += 1
            else:
                size = u32(buf, pos)[0]
                pos += 4
            elems = []
            for _ in range(size):
                item, pos = dec(buf, pos)
                elems.append(item)
            return tuple(elems), pos
        if tag == 118 or tag == 100:  # ATOM_UTF8_EXT, ATOM_EXT
            end = pos + 2 + u16(buf, pos)[0]
            raw = buf[pos + 2 : end]
            value = cache_get(raw, atom_cache)
            if value is atom_cache:
                value = atom(raw, "utf-8" if tag == _ATOM_UTF8 else "latin-1")
            return value, end
        if tag == 110 or tag == 111:  # SMALL_BIG_EXT, LARGE_BIG_EXT
            if tag == _SMALL_BIG:
                size = buf[pos]
                pos += 1
            else:
                size = u32(buf, pos)[0]
                pos += 4
            sign = buf[pos]
            pos += 1
            if pos + size > len(buf):
                raise DecodeError("bignum runs past the end of the term")
            num = from_bytes(buf[pos : pos + size], "little")
            return (-num if sign else num), pos + size
        if tag == _BIT_BINARY:
            raise DecodeError("bitstrings that are not whole bytes cannot cross to Python")
        if tag in _OPAQUE_TAGS:
            end = _skip(buf, pos - 1, dec)
            opaque = Opaque(tag, buf[pos - 1 : end])
            if fun_hook is not None and tag in (_NEW_FUN, _EXPORT):
                return fun_hook(opaque), end
            if opaque_seen is not None:
                opaque_seen(opaque)
            return opaque, end
        raise DecodeError(f"unknown ETF tag {tag}")

    return dec


# The most a compressed term may inflate to, whatever size it declares.
MAX_INFLATED = 1 << 30


def whole_term(dec: Reader, max_inflated: int = MAX_INFLATED) -> Decoder:
    """A decoder of one complete term (version byte, optional compression, no trailer).

    Malformed bytes raise :class:`DecodeError` and nothing else (hooks' own exceptions
    pass through). A compressed term inflates to at most its declared size, and that
    size at most ``max_inflated``: a small frame cannot claim a few bytes and grow to
    gigabytes.
    """

    def decode_term(data: bytes | bytearray | memoryview) -> Any:
        buf = data if isinstance(data, bytes) else bytes(data)
        if not buf or buf[0] != VERSION:
            raise DecodeError("missing ETF version byte 131")
        if len(buf) > 1 and buf[1] == _COMPRESSED:
            buf = _inflate(buf, max_inflated)
        try:
            value, pos = dec(buf, 1)
        except (IndexError, struct.error) as exc:
            raise DecodeError(f"truncated ETF term: {exc}") from None
        except RecursionError:
            raise DecodeError("term nests too deeply to decode") from None
        except UnicodeDecodeError as exc:
            raise DecodeError(f"an atom is not valid UTF-8: {exc}") from None
        if pos != len(buf):
            raise DecodeError(f"{len(buf) - pos} trailing bytes after the term")
        return value

    return decode_term


def _inflate(buf: bytes, max_inflated: int) -> bytes:
    if len(buf) < 6:
        raise DecodeError("truncated compressed term")
    (size,) = _U32.unpack_from(buf, 2)
    if size > max_inflated:
        raise DecodeError(
            f"compressed term declares {size} bytes, more than the maximum of {max_inflated}"
        )
    inflater = zlib.decompressobj()
    try:
        # One byte past the declared size is enough to tell that it lied.
        out = inflater.decompress(buf[6:], size + 1)
    except zlib.error as exc:
        raise DecodeError(f"bad compressed term: {exc}") from None
    if len(out) != size or inflater.unconsumed_tail or not inflater.eof:
        raise DecodeError("compressed term has the wrong size")
    return bytes([VERSION]) + out


def _skip(buf: bytes, pos: int, dec: Callable[[bytes, int], tuple[Any, int]]) -> int:
    """Return the position just past the term at ``pos`` (used for opaque terms)."""
    tag = buf[pos]
    pos += 1
    if tag == 88:  # NEW_PID_EXT: node, id u32, serial u32, creation u32
        return _skip(buf, pos, dec) + 12
    if tag == 103:  # PID_EXT
        return _skip(buf, pos, dec) + 9
    if tag == 89:  # NEW_PORT_EXT
        return _skip(buf, pos, dec) + 8
    if tag == 120:  # V4_PORT_EXT
        return _skip(buf, pos, dec) + 12
    if tag == 102:  # PORT_EXT
        return _skip(buf, pos, dec) + 5
    if tag in (90, 114):  # NEWER_REFERENCE_EXT / NEW_REFERENCE_EXT
        n: int = _U16.unpack_from(buf, pos)[0]
        pos = _skip(buf, pos + 2, dec)
        return pos + (4 if tag == 90 else 1) + 4 * n
    if tag == 101:  # REFERENCE_EXT
        return _skip(buf, pos, dec) + 5
    if tag == 112:  # NEW_FUN_EXT: total size includes itself
        size: int = _U32.unpack_from(buf, pos)[0]
        return pos + size
    if tag == 113:  # EXPORT_EXT: module, function, arity
        pos = _skip(buf, pos, dec)
        pos = _skip(buf, pos, dec)
        return _skip(buf, pos, dec)
    if tag in _OPAQUE_TAGS:
        raise DecodeError(f"unsupported opaque tag {tag}")
    _, end = dec(buf, pos - 1)
    return end


def fun_info(opaque: Opaque) -> tuple[str, str | None, int]:
    """``(module, function, arity)`` of an Erlang fun; ``function`` is None for an
    anonymous fun (its name is not part of the external format)."""
    data = opaque.data
    if opaque.tag == _NEW_FUN:
        # tag, size u32, arity u8, uniq 16 bytes, index u32, num_free u32, module atom
        module, _ = _plain_reader(data, 30)
        return str(module), None, data[5]
    if opaque.tag == _EXPORT:
        module, pos = _plain_reader(data, 1)
        function, pos = _plain_reader(data, pos)
        arity, _ = _plain_reader(data, pos)
        return str(module), str(function), int(arity)
    raise ValueError(f"{opaque!r} is a {opaque.kind}, not a function")


_plain_reader: Reader = make_reader()
decode: Decoder = make_decoder()
decode.__doc__ = "Decode one complete ETF term (with its leading version byte)."


# --------------------------------------------------------------------------- encode

Default = Callable[[Any], Any]

_ATOM_BYTES: dict[str, bytes] = {}


def _atom_bytes(name: str) -> bytes:
    cached = _ATOM_BYTES.get(name)
    if cached is not None:
        return cached
    raw = name.encode("utf-8")
    if len(name) > 255:
        raise EncodeError(f"atom too long ({len(name)} characters, at most 255)")
    if len(raw) < 256:
        out = bytes((_SMALL_ATOM_UTF8, len(raw))) + raw
    else:
        out = bytes((_ATOM_UTF8,)) + _U16.pack(len(raw)) + raw
    if len(_ATOM_BYTES) < 4096:
        _ATOM_BYTES[name] = out
    return out


_TRUE = _atom_bytes("true")
_FALSE = _atom_bytes("false")
_NIL_ATOM = _atom_bytes("nil")
_NAN_B = _atom_bytes(NAN)
_INF_B = _atom_bytes(INFINITY)
_NINF_B = _atom_bytes(NEG_INFINITY)
_SMALL_INTS = [bytes((_SMALL_INT, i)) for i in range(256)]


LARGE_BINARY = 1 << 16


class PartsEncoder(Protocol):
    def __call__(
        self, value: Any, head: bytes = b"\x83"
    ) -> list[bytes | bytearray | memoryview]: ...


def make_parts_encoder(
    default: Default | None = None,
    bytes_hook: Callable[[bytes | bytearray | memoryview], Any] | None = None,
    list_hook: Callable[[list[Any]], bytes | None] | None = None,
    list_hook_min: int = 64,
    subclasses_to_default: bool = False,
) -> PartsEncoder:
    """Build an encoder that returns the term as a list of byte pieces.

    Binaries of ``LARGE_BINARY`` bytes or more are returned as their own pieces,
    uncopied, so a writer can hand them to ``os.writev``; join the pieces for one
    ``bytes``.

    ``default(value)`` is called for values with no ETF form and returns an encodable
    replacement. ``bytes_hook(raw)`` (when given) replaces every ``bytes`` /
    ``bytearray`` / ``memoryview`` value, e.g. with a ``%SnakeBridge.Bytes{}`` map.
    ``list_hook(items)`` is offered every list of at least ``list_hook_min`` items and
    may return the list's complete encoding (tag included), e.g. built by numpy.
    ``subclasses_to_default`` sends tuple and dict subclasses (namedtuples, ``Counter``)
    to ``default`` instead of encoding them as plain tuples and maps.
    """
    u32 = _U32.pack
    i32 = _I32.pack
    f64 = _F64.pack
    small_ints = _SMALL_INTS
    isfinite = math.isfinite
    atom_bytes = _atom_bytes

    # Large binaries are not copied into the output: their offset is noted and the
    # writer sends them as separate pieces (``encode_parts``).
    large: list[tuple[int, bytes | bytearray | memoryview]] = []

    def enc_raw(raw: bytes | bytearray | memoryview, out: bytearray) -> None:
        size = raw.nbytes if type(raw) is memoryview else len(raw)
        out += b"m"
        out += u32(size)
        if size >= LARGE_BINARY:
            large.append((len(out), raw))
        else:
            out += raw

    def enc(value: Any, out: bytearray) -> None:
        cls = type(value)
        if cls is str:
            raw = value.encode("utf-8", "surrogatepass")
            out += b"m"  # BINARY_EXT (109)
            out += u32(len(raw))
            out += raw
        elif cls is int:
            if 0 <= value < 256:
                out += small_ints[value]
            elif -2147483648 <= value < 2147483648:
                out += b"b"  # INTEGER_EXT (98)
                out += i32(value)
            else:
                mag = -value if value < 0 else value
                raw = mag.to_bytes((mag.bit_length() + 7) // 8, "little")
                if len(raw) < 256:
                    out += bytes((_SMALL_BIG, len(raw)))
                else:
                    out.append(_LARGE_BIG)
                    out += u32(len(raw))
                out.append(1 if value < 0 else 0)
                out += raw
        elif cls is float:
            if isfinite(value):
                out += b"F"  # NEW_FLOAT_EXT (70)
                out += f64(value)
            elif value != value:
                out += _NAN_B
            else:
                out += _INF_B if value > 0 else _NINF_B
        elif value is None:
            out += _NIL_ATOM
        elif cls is bool:
            out += _TRUE if value else _FALSE
        elif cls is dict:
            out += b"t"  # MAP_EXT (116)
            out += u32(len(value))
            for key, val in value.items():
                enc(key, out)
                enc(val, out)
        elif cls is list:
            if list_hook is not None and len(value) >= list_hook_min:
                fast = list_hook(value)
                if fast is not None:
                    out += fast
                    return
            if value:
                out += b"l"  # LIST_EXT (108)
                out += u32(len(value))
                for item in value:
                    enc(item, out)
            out += b"j"  # NIL_EXT (106)
        elif cls is tuple:
            if len(value) < 256:
                out += bytes((_SMALL_TUPLE, len(value)))
            else:
                out.append(_LARGE_TUPLE)
                out += u32(len(value))
            for item in value:
                enc(item, out)
        elif cls is Atom:
            out += atom_bytes(value)
        elif cls is bytes or cls is bytearray or cls is memoryview:
            if bytes_hook is not None:
                enc(bytes_hook(value), out)
                return
            enc_raw(value, out)
        elif cls is Opaque:
            out += value.data
        elif cls is Binary:
            enc_raw(value.data, out)
        elif isinstance(value, Atom):
            out += atom_bytes(value)
        elif subclasses_to_default and default is not None and isinstance(value, (tuple, dict)):
            replacement = default(value)
            if type(replacement) is cls:
                raise EncodeError(f"default hook returned another {cls.__qualname__}")
            enc(replacement, out)
        elif isinstance(value, tuple):  # namedtuples cross as tuples
            enc(tuple(value), out)
        elif isinstance(value, list):
            enc(list(value), out)
        elif isinstance(value, dict):  # OrderedDict, defaultdict, ...
            enc(dict(value), out)
        elif isinstance(value, bool):
            out += _TRUE if value else _FALSE
        elif isinstance(value, int):
            enc(int(value), out)
        elif isinstance(value, float):
            enc(float(value), out)
        elif isinstance(value, str):
            enc(str(value), out)
        elif default is not None:
            replacement = default(value)
            if type(replacement) is cls:
                raise EncodeError(f"default hook returned another {cls.__qualname__}")
            enc(replacement, out)
        else:
            raise EncodeError(f"cannot encode {cls.__qualname__} as an Erlang term")

    def encode_parts(value: Any, head: bytes = b"\x83") -> list[bytes | bytearray | memoryview]:
        # ``head``: pre-encoded bytes the term continues (a reply's constant
        # ``{id, {:ok, `` prefix), the version byte included.
        # ``large`` is empty between calls: every exit clears it.
        out = bytearray(head)
        try:
            enc(value, out)
        except RecursionError:
            large.clear()
            raise EncodeError("value nests too deeply to encode") from None
        except BaseException:
            large.clear()
            raise
        if not large:
            return [out]
        pieces = list(large)
        large.clear()
        parts: list[bytes | bytearray | memoryview] = []
        view = memoryview(out)
        previous = 0
        for offset, raw in pieces:
            parts.append(view[previous:offset])
            parts.append(raw)
            previous = offset
        parts.append(view[previous:])
        return parts

    return encode_parts


def make_encoder(
    default: Default | None = None,
    bytes_hook: Callable[[bytes | bytearray | memoryview], Any] | None = None,
) -> Callable[[Any], bytes]:
    """Build an encoder returning one ``bytes`` (see :func:`make_parts_encoder`)."""
    parts = make_parts_encoder(default, bytes_hook)

    def encode_term(value: Any) -> bytes:
        pieces = parts(value)
        return bytes(pieces[0]) if len(pieces) == 1 else b"".join(pieces)

    return encode_term


# An encoder keeps per-call state, so each thread gets its own (the worker encodes log
# frames on its output thread while the main thread encodes replies).
_local = threading.local()


def encode(value: Any, default: Default | None = None) -> bytes:
    """Encode ``value`` as one ETF term.

    ``default`` is called for values with no ETF form; it returns an encodable
    replacement (for example a ref struct for a live Python object).
    """
    if default is not None:
        return make_encoder(default)(value)
    plain = getattr(_local, "encoder", None)
    if plain is None:
        plain = _local.encoder = make_encoder()
    return plain(value)
