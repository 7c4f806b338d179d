"""Python values <-> wire terms for one worker.

Inbound (one decoding pass, no second walk over the arguments):
- ``%SnakeBridge.Ref{}`` maps become the stored object (validated after decoding,
  once the request's session is known);
- ``%SnakeBridge.Bytes{}`` maps become ``bytes``, or a numpy array when they carry a
  ``dtype`` (the explicit typed-binary fast path); the structs of ``conversions.IN``
  become their Python values; a struct whose fields make no value becomes
  ``Malformed`` (the call fails as a bad argument naming its position);
- homogeneous numeric lists of at least ``NUMERIC_MIN`` elements become numpy
  arrays straight from the frame bytes when the call targets a numeric library
  (the implicit fast path); for other libraries they stay lists;
- ``:nan``, ``:infinity``, ``:neg_infinity`` become floats;
- Elixir funs become ``ElixirFunction`` callables of the request's ``Scope``
  (``runtime.callbacks``).

Outbound: scalars, strings, lists, exact tuples and dicts, None and booleans by
value; ``bytes`` as ``%SnakeBridge.Bytes{}``; numpy scalars as Python scalars; the
types of ``conversions.OUT`` (dates, sets, decimals...) as their Elixir terms; tuple
subclasses without field names as tuples; every other leaf, dict subclasses and named
tuples included (a ``Counter``, a namedtuple keep their methods and field names), as a
``%SnakeBridge.Ref{}`` bound to the request's session and this worker.
Struct atoms already exist on the Elixir side, so ``binary_to_term(.., [:safe])``
accepts them; nothing here ever asks Elixir to create an atom.
"""

from __future__ import annotations

import math
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from snakebridge.etf import (
    LARGE_BINARY,
    MAX_INFLATED,
    Atom,
    Binary,
    DecodeError,
    Opaque,
    Spliced,
    make_parts_encoder,
    make_reader,
    whole_term,
)
from snakebridge.runtime import conversions, protocols
from snakebridge.runtime.allowlist import Allowlist
from snakebridge.runtime.bulk import TENSOR_STRUCT, ZERO_COPY_STRUCT, BulkError
from snakebridge.runtime.callbacks import Bridge, ElixirFunction, Scope
from snakebridge.runtime.errors import qualified_name
from snakebridge.runtime.store import Entry, RefError, RefStore

if TYPE_CHECKING:
    from snakebridge.runtime.bulk.lifetime import Guard
    from snakebridge.runtime.bulk.service import Bulk

STRUCT = Atom("__struct__")
REF_STRUCT = Atom("Elixir.SnakeBridge.Ref")
BYTES_STRUCT = Atom("Elixir.SnakeBridge.Bytes")
PYTHON_FUNCTION_STRUCT = Atom("Elixir.SnakeBridge.PythonFunction")
K_PATH = Atom("path")
K_ID, K_SESSION, K_WORKER, K_POOL = Atom("id"), Atom("session"), Atom("worker"), Atom("pool")
K_NODE = Atom("node")
K_TYPE, K_REPR, K_DATA = Atom("type"), Atom("repr"), Atom("data")
K_DTYPE, K_SHAPE = Atom("dtype"), Atom("shape")
K_KIND = Atom("kind")

NUMERIC_ROOTS = frozenset({"numpy", "scipy", "pandas", "sklearn", "statsmodels"})
NUMERIC_MIN = 16
REPR_LIMIT = 200

# Atoms with a Python meaning: NaN and the infinities, and `:...` for numpy's Ellipsis.
_ATOM_VALUES = {"nan": math.nan, "infinity": math.inf, "neg_infinity": -math.inf, "...": ...}


class EncodeRefused(Exception):
    """A value cannot cross (an Elixir pid/port/reference in the arguments)."""


class Malformed:
    """Stands in for a struct whose fields make no Python value (``%SnakeBridge.Bytes{}``
    whose data is an integer): the call then fails as a bad argument that names the
    argument, instead of the worker trying (a ``bytes(2**70)`` would kill it)."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


class _BadField(Exception):
    pass


def _own_session(term: dict[Any, Any]) -> str:
    session = term.get(K_SESSION)
    return session if isinstance(session, str) else ""


def _kind(value: Any) -> str:
    """``int 2**70``: a value's type and, for numbers, a short form of the value (repr of
    a 5000-digit integer raises)."""
    if isinstance(value, int) and not isinstance(value, bool):
        bits = value.bit_length()
        return f"int {value}" if bits <= 64 else f"int of {bits} bits"
    if isinstance(value, float):
        return f"float {value!r}"
    return type(value).__name__


def _is_struct(term: dict[Any, Any]) -> bool:
    """An Elixir struct has the atom key ``:__struct__``; ``%{"__struct__" => ...}``
    (a string key, which compares equal) is a plain map."""
    for key in term:
        if key == "__struct__":
            return type(key) is Atom
    return False


@dataclass(slots=True)
class RequestState:
    session: str = ""
    refs_in: list[tuple[dict[Any, Any], Entry | None]] = field(default_factory=list)
    numeric_made: list[int] = field(default_factory=list)
    opaques: int = 0
    created: list[str] = field(default_factory=list)
    scope: Scope | None = None
    malformed: int = 0
    # %SnakeBridge.ZeroCopyRef{} arguments, and why the first unusable one cannot be used.
    handles_in: list[dict[Any, Any]] = field(default_factory=list)
    handle_lost: str | None = None

    def reset(self) -> None:
        # Reused across requests: allocating fresh lists per call is measurable.
        self.session = ""
        if self.refs_in:
            self.refs_in = []
        if self.numeric_made:
            self.numeric_made = []
        self.opaques = 0
        self.malformed = 0
        if self.created:
            self.created = []
        if self.scope is not None:
            self.scope = None
        if self.handles_in:
            self.handles_in = []
            self.handle_lost = None

    @property
    def funs(self) -> int:
        return 0 if self.scope is None else len(self.scope.functions)


_U32 = struct.Struct(">I").unpack_from
_I32 = struct.Struct(">i").unpack_from
_PACK_U32 = struct.Struct(">I").pack


def _bytes_term(raw: bytes | bytearray | memoryview) -> dict[Any, Any]:
    # The data last: a bytes result's payload is then the last bytes of its reply frame,
    # which the caller takes as a sub-binary of the frame instead of copying it (key
    # order inside a map is not part of the term's meaning).
    return {STRUCT: BYTES_STRUCT, K_DTYPE: None, K_SHAPE: None, K_DATA: Binary(raw)}


def _bytes_map_prefix() -> bytes:
    """What the encoder writes for ``_bytes_term`` up to the data's length field."""
    encoded = bytes(make_parts_encoder()(_bytes_term(b""))[0])
    return encoded[1:-4]  # without the version byte and the zero length


# A bytes result is encoded as these bytes, the length and the data (``Codec.encode``).
_BYTES_PREFIX = _bytes_map_prefix()


def _atom_terms(name: str) -> tuple[bytes, bytes]:
    raw = name.encode()
    return bytes((119, len(raw))) + raw, b"d" + struct.pack(">H", len(raw)) + raw


def _elixir_bytes_parts() -> tuple[tuple[bytes, bytes], ...]:
    """``(before the data's length, after the data)`` of an argument
    ``%SnakeBridge.Bytes{data: data}`` (no dtype, no shape) as ``term_to_binary`` writes
    it: the keys sorted, the atoms as SMALL_ATOM_UTF8_EXT (OTP 26 on) or ATOM_EXT."""
    variants = []
    for form in (0, 1):
        atom = {name: _atom_terms(name)[form] for name in ("__struct__", "data", "dtype")}
        shape, nil = _atom_terms("shape")[form], _atom_terms("nil")[form]
        before = (
            b"t\x00\x00\x00\x04"
            + atom["__struct__"]
            + _atom_terms(BYTES_STRUCT)[form]
            + atom["data"]
            + b"m"
        )
        variants.append((before, atom["dtype"] + nil + shape + nil))
    return tuple(variants)


_ELIXIR_BYTES = _elixir_bytes_parts()
_TAIL_CACHE_MAX = 2048
_TAIL_MAX_BYTES = 1024
_IMMUTABLE = (int, float, str, bool, type(None))


def _cacheable_tail(rest: dict[Any, Any]) -> bool:
    kwargs = rest.get("kwargs")
    if kwargs is None or kwargs == {}:
        return True
    return isinstance(kwargs, dict) and all(type(v) in _IMMUTABLE for v in kwargs.values())


def _summary(value: Any) -> str | None:
    """A repr that costs nothing, for values whose repr() is slow (arrays, frames)."""
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple):
        dtype = getattr(value, "dtype", None)
        name = type(value).__qualname__
        return f"{name}(shape={shape}" + (f", dtype={dtype})" if dtype is not None else ")")
    return None


def _short_repr(value: Any) -> str:
    np = sys.modules.get("numpy")
    try:
        if np is not None and isinstance(value, np.ndarray) and value.size > 64:
            return f"array(shape={value.shape}, dtype={value.dtype})"
        text = repr(value)
    except Exception:
        return f"<{type(value).__qualname__}>"
    if len(text) > REPR_LIMIT:
        text = text[: REPR_LIMIT - 3] + "..."
    return text


def _borrowed_repr(value: Any) -> str:
    return _summary(value) or _short_repr(value)


def _locate(args: list[Any], kwargs: dict[Any, Any], kind: type) -> tuple[str, Any]:
    """``("argument 2", value)`` for the first ``kind`` instance anywhere in the arguments."""

    def walk(v: Any) -> Any:
        if isinstance(v, kind):
            return v
        if isinstance(v, (list, tuple)):
            items: Any = v
        elif isinstance(v, dict):
            items = (*v.keys(), *v.values())
        else:
            return None
        for x in items:
            found = walk(x)
            if found is not None:
                return found
        return None

    for index, arg in enumerate(args, start=1):
        found = walk(arg)
        if found is not None:
            return f"argument {index}", found
    for key, arg in kwargs.items():
        found = walk(arg)
        if found is not None:
            return f"keyword argument {key!s}", found
    return "", None


class Codec:
    def __init__(
        self,
        store: RefStore,
        allowlist: Allowlist,
        worker_id: str,
        pool: str,
        *,
        max_inflated: int = MAX_INFLATED,
        node: Atom | None = None,
    ) -> None:
        self.store = store
        self.allowlist = allowlist
        self.worker_id = worker_id
        self.pool = Atom(pool)
        # The BEAM node of the pool: refs carry it, so calls on them find their worker
        # from any node of a cluster.
        self.node = node
        self.state = RequestState()
        # Set by the worker; Elixir funs decoded from requests call back through it.
        self.bridge: Bridge | None = None
        # True while a callback frame is encoded: user code run meanwhile (a __repr__
        # of an argument) must not start another, which would share its encoder.
        self.encoding_callback = False
        self._np: Any = None
        # Captures of generated bindings, resolved once per path.
        self._python_functions: dict[str, Any] = {}
        # Bulk data (tensors, shared memory, Arrow, DLPack), made on first use.
        self._bulk: Bulk | None = None
        # Set by the dispatcher: what SnakeBridge itself does in a call (start the
        # shared-memory reaper) runs outside the call's audit policy.
        self.guard: Guard | None = None
        # numpy is imported only when the user declared it: the allowlist is the contract.
        if "numpy" in allowlist.roots:
            try:
                import numpy

                self._np = numpy
                self._f64 = numpy.dtype([("t", "u1"), ("v", ">f8")])
                self._u8 = numpy.dtype([("t", "u1"), ("v", "u1")])
                self._i32 = numpy.dtype([("t", "u1"), ("v", ">i4")])
            except ImportError:
                self._np = None
        self._read = make_reader(
            struct_hook=self._struct_in,
            numeric_list=self._numeric_in if self._np is not None else None,
            atom_values=_ATOM_VALUES,
            opaque_seen=self._opaque_in,
            raw_binary_structs=frozenset({BYTES_STRUCT, TENSOR_STRUCT}),
            fun_hook=self._fun_in,
        )
        self._decode = whole_term(self._read, max_inflated)
        self._encode = make_parts_encoder(
            default=self._to_ref,
            bytes_hook=self._bytes_out,
            list_hook=self._numeric_out if self._np is not None else None,
            subclasses_to_default=True,
        )
        self._plain = make_parts_encoder(bytes_hook=self._bytes_out)
        # Callback frames have an encoder of their own: a callback may start while a
        # reply is being encoded (from user code such as a __repr__).
        self._encode_callback = make_parts_encoder(
            default=self._to_borrowed_ref,
            bytes_hook=self._bytes_out,
            list_hook=self._numeric_out if self._np is not None else None,
            subclasses_to_default=True,
        )
        # Decoded request tails (everything after `args`), keyed by their bytes.
        self._tails: dict[bytes, dict[Any, Any]] = {}
        # The same for compact calls: (session, numeric) by the bytes after `args`.
        self._compact_tails: dict[bytes, tuple[str, bool | None]] = {}
        # Keyword names as calls pass them (``keywords``): any spelling -> interned str.
        self._keyword_names: dict[str, str] = {}

    @property
    def has_bulk(self) -> bool:
        return self._bulk is not None

    @property
    def bulk(self) -> Bulk:
        if self._bulk is None:
            from snakebridge.runtime.bulk.service import Bulk

            self._bulk = Bulk(self.worker_id, guard=self.guard)
        return self._bulk

    @property
    def numpy_version(self) -> str | None:
        return None if self._np is None else str(self._np.__version__)

    # ------------------------------------------------------------------ inbound

    def decode(self, data: bytes) -> Any:
        self.state.reset()
        return self._decode(data)

    def decode_request(self, buf: bytes) -> tuple[Any, Any]:
        """Decode a ``{request_id, request}`` frame, or a compact call (its request is
        then the tuple ``(descriptor_id, args, kwargs, session, numeric)``).

        Fast path: Elixir sorts small maps by key, so ``args`` is the first entry and
        everything after it (call type, module, function, kwargs, session) repeats from
        call to call. That tail is decoded once and cached by its bytes; a call then
        decodes only its id and arguments. Tails holding refs, opaque terms, arrays or
        mutable kwargs are never cached.
        """
        state = self.state
        state.reset()
        read = self._read
        try:
            if len(buf) > 8 and buf[0] == 131 and buf[1] == 104 and buf[2] == 6:
                # A compact call {id, descriptor_id, args, kwargs, session, numeric}
                # (the descriptor was registered with this worker): straight to a tuple.
                # The two integers in place (SMALL_INTEGER_EXT / INTEGER_EXT): a reader
                # call each would cost more than the rest of the frame.
                tag = buf[3]
                if tag == 97:
                    request_id, pos = buf[4], 5
                elif tag == 98:
                    request_id, pos = _I32(buf, 4)[0], 8
                else:
                    request_id, pos = read(buf, 3)
                tag = buf[pos]
                if tag == 97:
                    descriptor_id, pos = buf[pos + 1], pos + 2
                elif tag == 98:
                    descriptor_id, pos = _I32(buf, pos + 1)[0], pos + 5
                else:
                    descriptor_id, pos = read(buf, pos)
                if type(buf) is Spliced:
                    # A bulk call's frame (its payload read apart): its arguments in
                    # one pass when they are all binaries.
                    bulk = self._spliced_args(buf, pos)
                    if bulk is not None:
                        return request_id, (descriptor_id, *bulk)
                args, pos = read(buf, pos)
                # Without keyword arguments the rest (session, numeric flag) repeats from
                # call to call: decoded once, cached by its bytes.
                tail = buf[pos:]
                known = self._compact_tails.get(tail)
                if known is not None:
                    return request_id, (descriptor_id, args, {}, *known)
                kwargs, pos = read(buf, pos)
                session, pos = read(buf, pos)
                numeric, pos = read(buf, pos)
                if pos != len(buf):
                    raise DecodeError(f"{len(buf) - pos} trailing bytes after the term")
                if (
                    type(kwargs) is dict
                    and not kwargs
                    and type(session) is str
                    and numeric in (None, True, False)
                ):
                    if len(self._compact_tails) >= _TAIL_CACHE_MAX:
                        self._compact_tails.clear()
                    self._compact_tails[tail] = (session, numeric)
                return request_id, (descriptor_id, args, kwargs, session, numeric)
            if len(buf) > 8 and buf[0] == 131 and buf[1] == 104 and buf[2] == 2:
                request_id, pos = read(buf, 3)
                if buf[pos] == 116:
                    size = _U32(buf, pos + 1)[0]
                    key, pos = read(buf, pos + 5)
                    if key == "args" and size > 1:
                        args, pos = read(buf, pos)
                        tail = buf[pos:]
                        rest = self._tails.get(tail)
                        if rest is None:
                            marks = (
                                len(state.refs_in),
                                len(state.numeric_made),
                                state.opaques,
                                state.funs,
                                state.malformed,
                                len(state.handles_in),
                            )
                            rest = {}
                            for _ in range(size - 1):
                                k, pos = read(buf, pos)
                                rest[k], pos = read(buf, pos)
                            if pos != len(buf):
                                raise DecodeError(f"{len(buf) - pos} trailing bytes after the term")
                            if (
                                len(tail) <= _TAIL_MAX_BYTES
                                # A spliced frame's bytes do not hold its payload.
                                and type(buf) is not Spliced
                                and marks
                                == (
                                    len(state.refs_in),
                                    len(state.numeric_made),
                                    state.opaques,
                                    state.funs,
                                    state.malformed,
                                    len(state.handles_in),
                                )
                                and _cacheable_tail(rest)
                            ):
                                if len(self._tails) >= _TAIL_CACHE_MAX:
                                    self._tails.clear()
                                self._tails[tail] = rest
                        request = rest.copy()
                        request[key] = args
                        return request_id, request
        except (IndexError, struct.error) as exc:
            raise DecodeError(f"truncated ETF term: {exc}") from None
        except RecursionError:
            raise DecodeError("term nests too deeply to decode") from None
        state.reset()
        value = self._decode(buf)
        if not (isinstance(value, tuple) and len(value) == 2):
            raise DecodeError("a request frame is {request_id, request}")
        return value[0], value[1]

    def _spliced_args(
        self, buf: Spliced, pos: int
    ) -> tuple[list[Any], dict[Any, Any], str, bool | None] | None:
        """``(args, kwargs, session, numeric)`` of a bulk compact call ``{id,
        descriptor_id, args, %{}, session, numeric}``, its arguments at ``pos`` (where
        ``decode_request`` left off after the ids), read in one pass: all of them
        ``%SnakeBridge.Bytes{}`` without dtype and shape, the session and flag a tail
        already seen (``_compact_tails``). The value is what the general decoder gives
        (each argument a ``bytes``, the spliced one the payload itself); any other frame
        gives None and takes the general path."""
        try:
            if buf[pos] != 108:  # LIST_EXT
                return None
            count = _U32(buf, pos + 1)[0]
            pos += 5
            end = len(buf)
            args: list[Any] = []
            for _ in range(count):
                for form in _ELIXIR_BYTES:
                    if buf.startswith(form[0], pos):
                        break
                else:
                    return None
                before, after = form
                start = pos + len(before) + 4
                pos = start + _U32(buf, start - 4)[0]
                if pos <= end:
                    args.append(buf[start:pos])
                elif start == buf.at:
                    args.append(buf.payload)
                    pos = start
                else:
                    return None
                if not buf.startswith(after, pos):
                    return None
                pos += len(after)
            if buf[pos] != 106:  # NIL_EXT
                return None
            known = self._compact_tails.get(buf[pos + 1 :])
        except (IndexError, struct.error):
            return None
        if known is None:
            return None
        return args, {}, *known

    def _struct_in(self, term: dict[Any, Any]) -> Any:
        kind = term[STRUCT]
        if type(kind) is not Atom or not _is_struct(term):
            return term
        if kind == REF_STRUCT:
            ref_id = term.get(K_ID)
            if not isinstance(ref_id, str):
                return self._malformed(kind, f"id must be a string, got {_kind(ref_id)}")
            entry = self.store.lookup(ref_id)
            self.state.refs_in.append((term, entry))
            return None if entry is None else entry.obj
        if kind == BYTES_STRUCT:
            try:
                return self._bytes_in(term)
            except EncodeRefused:
                raise
            except _BadField as exc:
                return self._malformed(kind, str(exc))
            except Exception as exc:  # numpy's dtype/shape errors, MemoryError...
                return self._malformed(kind, f"{type(exc).__name__}: {exc}")
        if kind in (TENSOR_STRUCT, ZERO_COPY_STRUCT):
            return self._bulk_in(kind, term)
        if kind == PYTHON_FUNCTION_STRUCT:
            return self._python_function_in(term)
        convert = conversions.IN.get(kind)
        if convert is None:
            return term
        try:
            return convert(term)
        except Exception as exc:  # a field Python refuses (year 0, a 10**30 day duration)
            return self._malformed(kind, f"cannot become a Python value: {exc}")

    def _python_function_in(self, term: dict[Any, Any]) -> Any:
        """The Python object a capture of a generated binding names (``numpy.sum``,
        ``builtins.str.lower``), resolved as a call to it would be, allowlist included.

        The path is split at the longest importable module: ``numpy.linalg.inv`` is
        ``inv`` of the module ``numpy.linalg``, ``builtins.str.lower`` is ``str.lower``
        of ``builtins``. A path outside every declared library is refused."""
        path = term.get(K_PATH)
        if not isinstance(path, str) or not path:
            return self._malformed(PYTHON_FUNCTION_STRUCT, "path must be a dotted name")
        found = self._python_functions.get(path)
        if found is not None:
            return found
        libraries = [
            lib
            for lib in self.allowlist.policies.values()
            if path.startswith(lib.python_module + ".")
        ]
        if not libraries:
            raise self.allowlist.refuse(f"{path} (in no declared library)")
        lib = max(libraries, key=lambda lib: len(lib.python_module))
        parts = path.split(".")
        for cut in range(len(parts) - 1, lib.python_module.count("."), -1):
            module = ".".join(parts[:cut])
            try:
                found = self.allowlist.resolve(lib.name, module, ".".join(parts[cut:]))
            except ModuleNotFoundError:
                continue  # not a module: the attribute path starts further left
            if len(self._python_functions) >= 256:
                self._python_functions.clear()
            self._python_functions[path] = found
            return found
        return self._malformed(PYTHON_FUNCTION_STRUCT, f"{path} names no Python object")

    def _bulk_in(self, kind: str, term: dict[Any, Any]) -> Any:
        """A tensor (a read-only view of the frame's bytes) or the data a handle names.

        A handle that cannot be used (released, its worker gone, another machine's) is
        reported after decoding, as ``ref_lost``, like a ref; a malformed one, like a
        malformed struct, names its argument.
        """
        try:
            if kind == TENSOR_STRUCT:
                from snakebridge.runtime.bulk.wire import tensor_from_term

                return tensor_from_term(term)
            self.state.handles_in.append(term)
            return self.bulk.struct_in(term, _own_session(term))
        except BulkError as exc:
            if exc.kind != "ref_lost":
                return self._malformed(kind, str(exc))
            if self.state.handle_lost is None:
                self.state.handle_lost = str(exc)
            return None
        except ImportError as exc:
            return self._malformed(kind, f"needs numpy in the worker's environment: {exc}")

    def _malformed(self, kind: str, problem: str) -> Malformed:
        self.state.malformed += 1
        return Malformed(f"%{kind.removeprefix('Elixir.')}{{}} {problem}")

    def _bytes_in(self, term: dict[Any, Any]) -> Any:
        data = term.get(K_DATA, b"")
        dtype = term.get(K_DTYPE)
        shape = term.get(K_SHAPE)
        if type(data) is str:
            data = data.encode("utf-8")
        elif not isinstance(data, (bytes, bytearray, memoryview)):
            raise _BadField(f"data must be a binary, got {_kind(data)}")
        if dtype is None:
            if shape is not None:
                raise _BadField("shape needs a dtype")
            return bytes(data)
        # Struct fields arrive as raw views of the frame.
        if isinstance(dtype, (bytes, bytearray, memoryview)):
            dtype = bytes(dtype).decode("utf-8", "replace")
        if not isinstance(dtype, str):
            raise _BadField(f'dtype must be a string such as "float64", got {_kind(dtype)}')
        if shape is not None:
            dims = shape if isinstance(shape, (list, tuple)) else (shape,)
            if not all(type(d) is int for d in dims):
                raise _BadField(f"shape must be a tuple of integers, got {shape!r:.60}")
            shape = tuple(dims)
        if self._np is None:
            raise EncodeRefused(
                "a typed binary (SnakeBridge.bytes/2 with :dtype) needs numpy in the "
                "allowlist; declare numpy in mix.exs"
            )
        # A bytearray, so the array is writable like any other numpy array.
        array = self._np.frombuffer(bytearray(data), dtype=str(dtype))
        return array if shape is None else array.reshape(shape)

    def _numeric_in(self, tag: int, count: int, buf: bytes, start: int) -> Any:
        if count < NUMERIC_MIN:
            return None
        np = self._np
        if tag == 70:
            array = np.frombuffer(buf, dtype=self._f64, count=count, offset=start)["v"]
            out = array.astype(np.float64)
        elif tag == 97:
            out = np.frombuffer(buf, dtype=self._u8, count=count, offset=start)["v"].astype(
                np.int64
            )
        elif tag == 98:
            out = np.frombuffer(buf, dtype=self._i32, count=count, offset=start)["v"].astype(
                np.int64
            )
        elif tag == 107:
            out = np.frombuffer(buf, dtype=np.uint8, count=count, offset=start).astype(np.int64)
        else:
            return None
        self.state.numeric_made.append(id(out))
        return out

    def _opaque_in(self, _opaque: Opaque) -> None:
        self.state.opaques += 1

    def _fun_in(self, opaque: Opaque) -> ElixirFunction:
        state = self.state
        scope = state.scope
        if scope is None:
            if self.bridge is None:
                raise EncodeRefused("Elixir functions cannot cross outside a worker")
            scope = state.scope = Scope(self.bridge)
        return scope.add(opaque)

    def keywords(self, kwargs: dict[Any, Any]) -> dict[str, Any]:
        """``kwargs`` keyed by interned names, each interned once per worker: a C
        function matches its keyword names by identity first (equality only after a
        miss), and some (orjson's) by identity alone."""
        names = self._keyword_names
        out: dict[str, Any] = {}
        for key, value in kwargs.items():
            name = names.get(key) if isinstance(key, str) else None
            if name is None:
                name = str(key)
                if isinstance(key, str):
                    name = sys.intern(name)
                    if len(names) >= _TAIL_CACHE_MAX:
                        names.clear()
                    names[name] = name
            out[name] = value
        return out

    def check_refs(self) -> None:
        session = self.state.session
        for term, entry in self.state.refs_in:
            ref_session = str(term.get(K_SESSION))
            ref_type = term.get(K_TYPE)
            label = f"ref {str(term.get(K_ID))[:8]}... ({ref_type})"
            if entry is not None and entry.session == session:
                continue
            if entry is not None or ref_session != session:
                raise RefError(
                    "ref_lost",
                    f"{label} belongs to session {ref_session!r}, but this call runs in "
                    f"session {session!r}; refs are bound to their session: make the call "
                    "inside the same SnakeBridge.with_session/2 block or process, or pass "
                    "`snakebridge: [session: ref.session]`",
                )
            if str(term.get(K_WORKER)) != self.worker_id:
                raise RefError(
                    "ref_lost",
                    f"{label} lived in worker {term.get(K_WORKER)}, which has stopped or been "
                    "replaced (after a crash, a timeout or a rotation); refs die with their "
                    "worker, so create the object again",
                )
            raise RefError(
                "ref_lost",
                f"{label} was released (release/1, its session ended, or it was an argument "
                "of an Elixir callback, valid only until the callback returned) and can no "
                "longer be used",
            )
        state = self.state
        if state.handles_in:
            if state.handle_lost is not None:
                raise RefError("ref_lost", state.handle_lost)
            for term in state.handles_in:
                if term.get(K_KIND) == "dlpack" and _own_session(term) != session:
                    raise RefError(
                        "ref_lost",
                        f"DLPack handle {str(term.get(K_ID))[:8]}... belongs to session "
                        f"{_own_session(term)!r}, but this call runs in session {session!r}; "
                        "handles are bound to their session like refs",
                    )

    def settle_numeric(self, value: Any, keep_arrays: bool) -> Any:
        """Turn fast-path arrays back into lists when the target is not numeric."""
        if keep_arrays or not self.state.numeric_made:
            return value
        made = set(self.state.numeric_made)

        def walk(v: Any) -> Any:
            if id(v) in made:
                return v.tolist()
            if type(v) is list:
                return [walk(x) for x in v]
            if type(v) is tuple:
                return tuple(walk(x) for x in v)
            if type(v) is dict:
                return {k: walk(x) for k, x in v.items()}
            return v

        return walk(value)

    @staticmethod
    def find_malformed(args: list[Any], kwargs: dict[Any, Any]) -> str:
        """The first malformed struct among the arguments, by position."""
        where, found = _locate(args, kwargs, Malformed)
        message = found.message if isinstance(found, Malformed) else "a struct is malformed"
        return f"{where}: {message}" if where else message

    @staticmethod
    def find_opaque(args: list[Any], kwargs: dict[Any, Any]) -> str:
        where, found = _locate(args, kwargs, Opaque)
        if not where:
            return "the request contains an Elixir pid, port, reference or function"
        return (
            f"{where} contains an Elixir {found.kind}, which cannot cross to Python; pass "
            "plain data (numbers, strings, lists, tuples, maps, refs)"
        )

    # ------------------------------------------------------------------ outbound

    def encode(self, term: Any, head: bytes = b"\x83") -> list[bytes | bytearray | memoryview]:
        """``term`` as frame pieces; ``head`` is pre-encoded bytes it continues (a
        reply's constant ``{id, {:ok, `` prefix, the version byte included)."""
        # What the call itself made (a shared handle) stays in ``created``: the reply
        # must still tell the pool that the session holds something here.
        cls = type(term)
        if cls is bytes or cls is bytearray:
            # A bytes result (a bulk call's): the constant map, the length, the data as
            # a piece of its own when large (written uncopied, the frame's last bytes).
            out = bytearray(head)
            out += _BYTES_PREFIX
            out += _PACK_U32(len(term))
            if len(term) >= LARGE_BINARY:
                return [out, term]
            out += term
            return [out]
        created = self.state.created
        made = len(created)
        try:
            return self._encode(term, head)
        except BaseException:
            for ref_id in created[made:]:
                self.store.release(ref_id)
            del created[made:]
            raise

    def encode_callback(
        self, term: Any, session: str
    ) -> tuple[list[bytes | bytearray | memoryview], list[str]]:
        """Encode a callback frame; refs it makes bind to ``session``. Returns the
        frame and the ids of those refs (borrowed: released after the callback)."""
        outer = self.state
        state = self.state = RequestState(session=session)
        self.encoding_callback = True
        try:
            return self._encode_callback(term), state.created
        except BaseException:
            for ref_id in state.created:
                self.store.release(ref_id)
            raise
        finally:
            self.encoding_callback = False
            self.state = outer

    def decode_callback_reply(self, frame: bytes, session: str) -> tuple[str, Any]:
        """``{:callback_reply, {:ok, value} | {:error, map}}`` -> ``(status, value)``.

        Refs in the value must belong to ``session``; lists stay lists (the implicit
        numpy fast path is for arguments of numeric calls, not for callback results).
        """
        outer = self.state
        state = self.state = RequestState(session=session)
        try:
            tag, result = self._decode(frame)
            if tag != "callback_reply" or not (isinstance(result, tuple) and len(result) == 2):
                raise DecodeError(f"expected {{:callback_reply, result}}, got {tag!r}")
            if state.opaques or state.scope is not None:
                kind = "a function" if state.scope is not None else "a pid, port or reference"
                raise TypeError(
                    f"an Elixir callback returned {kind}, which cannot cross to Python; "
                    "return plain data or refs"
                )
            self.check_refs()
            value = self.settle_numeric(result[1], False)
            return str(result[0]), value
        finally:
            self.state = outer

    def encode_plain(self, term: Any) -> list[bytes | bytearray | memoryview]:
        return self._plain(term)

    def _numeric_out(self, items: list[Any]) -> bytes | None:
        """A long list of floats (or int32-range ints), encoded by numpy in one pass.

        ``ndarray.tolist()`` results are the common case; the per-element Python loop
        would cost about 0.3 µs per item.
        """
        first = type(items[0])
        if first is float:
            if not all(type(x) is float for x in items):
                return None
            values = self._np.asarray(items, dtype=self._np.float64)
            if not self._np.isfinite(values).all():
                return None  # NaN and infinities cross as atoms
            out = self._np.empty(len(items), dtype=self._f64)
            out["t"] = 70
        elif first is int:
            if not all(type(x) is int for x in items):
                return None
            try:
                values = self._np.asarray(items, dtype=self._np.int64)
            except OverflowError:
                return None
            if values.min() < -(2**31) or values.max() >= 2**31:
                return None
            out = self._np.empty(len(items), dtype=self._i32)
            out["t"] = 98  # INTEGER_EXT is valid for small values too
        else:
            return None
        out["v"] = values
        body: bytes = out.tobytes()
        return b"l" + struct.pack(">I", len(items)) + body + b"j"

    def _bytes_out(self, raw: bytes | bytearray | memoryview) -> Any:
        return _bytes_term(raw)

    def _to_ref(self, value: Any, describe: Callable[[Any], str] = _short_repr) -> Any:
        convert = conversions.OUT.get(type(value))
        if convert is not None:
            term = convert(value)
            if term is not conversions.KEEP:
                return term
        # A tuple subclass keeps its identity only for its field names (namedtuples,
        # scipy results, torch.return_types); torch.Size or a BarContainer is a tuple.
        if isinstance(value, tuple) and not protocols.fields(value):
            return tuple(value)
        # numpy scalars are numbers even when numpy came in through another library
        # (pandas, scipy) and was never declared.
        np = self._np or sys.modules.get("numpy")
        if (
            np is not None
            and isinstance(value, np.generic)
            and not isinstance(value, (np.void, np.datetime64, np.timedelta64))
        ):
            item = value.item()
            if isinstance(item, (int, float, bool, str, bytes, complex)):
                return item
        self.allowlist.check_value(value, f"a result of type {type(value).__qualname__}")
        return self.make_ref(value, describe(value))

    def _to_borrowed_ref(self, value: Any) -> Any:
        # A callback argument (an optimizer's x, a DataFrame row) lives only until the
        # callback returns, and callbacks are called thousands of times: arrays and
        # frames get a summary, not repr(), which costs tens of µs even when small.
        return self._to_ref(value, _borrowed_repr)

    def make_ref(self, value: Any, text: str) -> dict[Any, Any]:
        session = self.state.session
        ref_id = self.store.put(session, value)
        self.state.created.append(ref_id)
        return {
            STRUCT: REF_STRUCT,
            K_ID: ref_id,
            K_SESSION: session,
            K_WORKER: self.worker_id,
            K_POOL: self.pool,
            K_NODE: self.node,
            K_TYPE: qualified_name(type(value)),
            K_REPR: text,
        }
