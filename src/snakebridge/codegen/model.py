"""The introspection model: what Python told us about a library, as plain frozen data.

Introspection produces it (in a child process), the emitter renders it, and the
generator bench loads it from saved data. Nothing here imports the library it
describes, so a model can be built, saved and rendered without Python objects.

``to_data`` / ``from_data`` convert to and from JSON-compatible dicts and lists; the
round trip is exact (tested), which is what makes saved introspection usable as the
offline doc source.
"""

from __future__ import annotations

import dataclasses
import enum
import threading
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

# ----------------------------------------------------------------------------- types


class TypeKind(enum.StrEnum):
    """The small type model annotations are normalized into."""

    ANY = "any"
    NONE = "none"
    INT = "int"
    FLOAT = "float"
    COMPLEX = "complex"
    STR = "str"
    BOOL = "bool"
    BYTES = "bytes"
    LIST = "list"  # args: (item,)
    TUPLE = "tuple"  # args: items; variadic=True means tuple[item, ...]
    DICT = "dict"  # args: (key, value)
    SET = "set"  # args: (item,)
    UNION = "union"  # args: members (Optional[X] is union(X, none))
    CALLABLE = "callable"
    ITERATOR = "iterator"  # args: (item,)
    LITERAL = "literal"  # values: printable reprs of the literal values
    ARRAY = "array"  # numpy ArrayLike / ndarray and friends
    DTYPE = "dtype"  # numpy DTypeLike
    CLASS = "class"  # name: qualified Python name of a class ("numpy.ndarray")


@dataclass(frozen=True, slots=True)
class TypeRef:
    kind: TypeKind
    args: tuple[TypeRef, ...] = ()
    name: str | None = None
    values: tuple[str, ...] = ()
    variadic: bool = False


ANY = TypeRef(TypeKind.ANY)

# ------------------------------------------------------------------------ signatures


class ParamKind(enum.StrEnum):
    POSITIONAL_ONLY = "positional_only"
    POSITIONAL_OR_KEYWORD = "positional_or_keyword"
    VAR_POSITIONAL = "var_positional"
    KEYWORD_ONLY = "keyword_only"
    VAR_KEYWORD = "var_keyword"


# Where ``Param.annotation`` came from (set by the introspector).
AnnotationSource = Literal["annotation", "stub", "docstring", "ufunc"]

# "source": read from the callable's own Python source with ``ast`` when its runtime
# signature is only ``(*args, **kwargs)`` — the call it forwards them to, or the keyword
# names it reads from ``**kwargs`` (set by the introspector).
SignatureSource = Literal[
    "inspect", "text_signature", "stub", "docstring", "ufunc", "source", "fallback"
]


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: ParamKind
    has_default: bool = False
    default: str | None = None  # a safe, printable representation, never evaluated
    annotation: TypeRef | None = None
    # where ``annotation`` came from; "docstring" types are read from prose and weaker
    # (set by the introspector)
    annotation_source: AnnotationSource | None = None


# Where ``Signature.returns`` came from (set by the introspector): a runtime
# annotation, a stub, or the type named in the docstring's Returns section (weaker).
ReturnsSource = Literal["annotation", "stub", "docstring", "ufunc", "class"]


@dataclass(frozen=True, slots=True)
class Signature:
    params: tuple[Param, ...]
    returns: TypeRef | None = None
    source: SignatureSource = "inspect"
    returns_source: ReturnsSource | None = None

    @property
    def is_fallback(self) -> bool:
        return self.source == "fallback"


FALLBACK_SIGNATURE = Signature(
    params=(
        Param("args", ParamKind.VAR_POSITIONAL),
        Param("kwargs", ParamKind.VAR_KEYWORD),
    ),
    source="fallback",
)

# ------------------------------------------------------------------------------ docs


@dataclass(frozen=True, slots=True)
class DocParam:
    name: str
    type: str | None = None
    description: str = ""
    default: str | None = None


@dataclass(frozen=True, slots=True)
class DocRaise:
    type: str | None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Doc:
    raw: str = ""
    style: Literal["numpydoc", "google", "rest", "plain", "none"] = "none"
    summary: str = ""
    description: str = ""
    params: tuple[DocParam, ...] = ()
    returns: tuple[DocParam, ...] = ()
    raises: tuple[DocRaise, ...] = ()
    examples: tuple[str, ...] = ()  # each a block of ``>>>`` lines and their output
    notes: str = ""
    see_also: tuple[str, ...] = ()


EMPTY_DOC = Doc()

# --------------------------------------------------------------------------- symbols

# "class": a class called like a function (``Numpy.float64(x)``); its signature is the
# constructor's. Set by the introspector.
FunctionKind = Literal[
    "function", "builtin", "ufunc", "method", "staticmethod", "classmethod", "class"
]


@dataclass(frozen=True, slots=True)
class Function:
    name: str  # the Python name as looked up
    qualname: str  # dotted path inside ``module`` ("Symbol.simplify")
    module: str  # the module it is reached through (the binding's python_module)
    kind: FunctionKind
    signature: Signature
    doc: Doc = EMPTY_DOC
    overloads: tuple[Signature, ...] = ()
    defined_in: str | None = None  # module where the object is actually defined
    deprecated: str | None = None  # the library's deprecation message, when it says so
    is_generator: bool = False
    # qualified name inside ``defined_in`` ("Basic.simplify" for Symbol.simplify), when
    # known; set by the introspector
    defined_qualname: str | None = None


AttributeKind = Literal["property", "data", "constant"]


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    kind: AttributeKind
    type: TypeRef | None = None
    readable: bool = True
    writable: bool = False
    doc: Doc = EMPTY_DOC
    value_repr: str | None = None  # for constants: a safe, short printable value


ClassFlavor = Literal["class", "enum", "dataclass", "namedtuple"]


@dataclass(frozen=True, slots=True)
class Class:
    name: str
    qualname: str
    module: str
    constructor: Signature
    doc: Doc = EMPTY_DOC
    methods: tuple[Function, ...] = ()  # kind is method, staticmethod or classmethod
    attributes: tuple[Attribute, ...] = ()
    flavor: ClassFlavor = "class"
    enum_members: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()
    defined_in: str | None = None
    deprecated: str | None = None
    # False when the class is present only to hold requested methods/attributes: the
    # constructor was not asked for (no ``new`` call), so no ``new`` should be generated.
    # The constructor signature is still the real one.
    constructor_requested: bool = True
    # True when the code uses the class itself as a value (``class/0``: ``int`` in
    # ``defaultdict(int)``), so its class module reads it.
    value_requested: bool = False
    defined_qualname: str | None = None  # qualified name inside ``defined_in``
    # Set when the code names the class as an exception (``rescue``, a struct): its MRO
    # as the worker names the classes of a raised error (most specific first, without
    # ``object``), so the generated exception module is matched by class and bases.
    exception_mro: tuple[str, ...] = ()
    # Set when instances answer attribute reads through a ``__getattr__`` of the class
    # or a base (scipy's OptimizeResult is a dict read by attribute): what they hold is
    # set per instance, so the docstring's Attributes are its getters.
    attribute_hook: bool = False


@dataclass(frozen=True, slots=True)
class Module:
    name: str  # dotted Python module name
    doc: Doc = EMPTY_DOC
    functions: tuple[Function, ...] = ()
    classes: tuple[Class, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    submodules: tuple[Module, ...] = ()


@dataclass(frozen=True, slots=True)
class Library:
    name: str  # the name declared in mix.exs ("numpy", "json")
    version: str  # resolved version; the Python version for :stdlib
    python_module: str  # root import name
    elixir_module: str  # root Elixir module ("Numpy")
    root: Module = field(default_factory=lambda: Module(""))


# ------------------------------------------------------------------- plain-data form
#
# A whole-library model has tens of thousands of nodes, so each dataclass's fields and
# field decoders are resolved once, not per node. Libraries are introspected on several
# threads at once, and building a decoder publishes a recursive dataclass's decoder
# before its field decoders exist, so building happens under a lock.

Decoder = Callable[[Any], Any]
_DECODERS: dict[type[Any], Decoder] = {}
_FIELDS: dict[type[Any], tuple[tuple[str, Any], ...]] = {}
_BUILDING = threading.RLock()


def to_data(value: Any) -> Any:
    """Convert a model value to JSON-compatible data (dicts, lists, str, bool, None);
    fields equal to their default are left out."""
    if isinstance(value, tuple | list):
        return [to_data(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for name, default in _fields(type(value)):
            item = getattr(value, name)
            if item != default:
                out[name] = to_data(item)
        return out
    return value


def from_data(cls: type[Any], data: Any) -> Any:
    """Inverse of ``to_data`` for a dataclass ``cls`` of this module."""
    with _BUILDING:
        decoder = _decoder(cls)
    return decoder(data)


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


def _decoder(hint: Any) -> Decoder:
    """The decoder of values of type ``hint``; every decoder maps None to None."""
    if isinstance(hint, type) and hint in _DECODERS:
        return _DECODERS[hint]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass_decoder(hint)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        # An optional's decoder is its member's: each decoder already passes None through.
        return _decoder(members[0]) if len(members) == 1 else _identity
    if origin is tuple:
        item = _decoder(typing.get_args(hint)[0])
        if item is _identity:
            return lambda raw: None if raw is None else tuple(raw)
        return lambda raw: None if raw is None else tuple([item(v) for v in raw])
    if origin is Literal:
        return _identity
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        # A lookup by value: calling the enum class is several times slower, and saved
        # introspection holds tens of thousands of enum values.
        enum_cls = hint
        by_value = {member.value: member for member in enum_cls}

        def decode_enum(raw: Any) -> Any:
            if raw is None:
                return None
            member = by_value.get(raw)
            return enum_cls(raw) if member is None else member  # unknown: the enum's error

        return decode_enum
    return _identity


def _dataclass_decoder(cls: type[Any]) -> Decoder:
    """A decoder for ``cls`` written as straight-line code, one statement per field.

    Saved introspection holds tens of thousands of nodes, and a generic decoder (a
    dict copy, a loop over the fields, then ``cls(**args)``) costs twice as much per
    node: a frozen dataclass's ``__init__`` sets each field through
    ``object.__setattr__``, while the slot's own descriptor does the same directly.
    This is how ``dataclasses`` itself builds ``__init__``. Defaults are shared between
    instances, which is sound because every model type is frozen and holds tuples.
    """
    env: dict[str, Any] = {
        "cls": cls,
        "new": object.__new__,
        "missing": dataclasses.MISSING,
        "names": frozenset(name for name, _default in _fields(cls)),
        "unknown": _unknown_fields,
    }
    # Published before the field decoders are built, because the model is recursive:
    # a field of this type decodes through the trampoline until the code exists.
    _DECODERS[cls] = lambda raw: env["decode"](raw)
    hints = typing.get_type_hints(cls)
    body = [
        "def decode(raw):",
        "    if raw is None:",
        "        return None",
        "    if not raw.keys() <= names:",
        "        unknown(cls, raw, names)",
        "    obj = new(cls)",
        "    get = raw.get",
    ]
    for i, (name, default) in enumerate(_fields(cls)):
        convert = _decoder(hints[name])
        env[f"put{i}"] = getattr(cls, name).__set__
        env[f"convert{i}"] = convert
        env[f"default{i}"] = default
        value = f"convert{i}(raw[{name!r}])" if convert is not _identity else f"raw[{name!r}]"
        if default is not dataclasses.MISSING:
            if convert is _identity:
                value = f"get({name!r}, default{i})"
            else:
                body.append(f"    value = get({name!r}, missing)")
                value = f"default{i} if value is missing else convert{i}(value)"
        body.append(f"    put{i}(obj, {value})")
    body.append("    return obj")
    exec("\n".join(body), env)  # the text holds only field names and indices
    decode: Decoder = env["decode"]
    _DECODERS[cls] = decode
    return decode


def _unknown_fields(cls: type[Any], raw: Any, names: frozenset[str]) -> None:
    unknown = ", ".join(sorted(set(raw) - names))
    raise TypeError(f"{cls.__name__} has no field {unknown}")


def _identity(raw: Any) -> Any:
    return raw
