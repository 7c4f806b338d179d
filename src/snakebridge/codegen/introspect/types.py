"""Annotations → the small ``TypeRef`` model the generator maps to typespecs.

Two entry points share one vocabulary of names: ``from_runtime`` for annotation objects
(``int``, ``list[str]``, ``X | None``, ``typing.Optional[...]``) and ``from_source`` for
annotation text (PEP 563 strings, forward references, ``.pyi`` stubs). Text is parsed
with ``ast`` and names are looked up in a namespace; nothing is ever evaluated, because
evaluating a library's annotation strings can import or execute arbitrary code.

numpy's aliases (``ArrayLike``, ``NDArray``, ``DTypeLike`` and the private
``_ArrayLike*``/``_DTypeLike*`` families its stubs use) become ARRAY / DTYPE: at the
Elixir boundary they all mean "something array-shaped" or "a dtype spec".
"""

from __future__ import annotations

import ast
import builtins
import collections.abc
import enum
import sys
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from snakebridge.codegen.model import ANY, TypeKind, TypeRef

NONE = TypeRef(TypeKind.NONE)
# ``typing.Self``: replaced by the owning class where the owner is known (``replace_self``).
SELF = TypeRef(TypeKind.CLASS, name="typing.Self")

# Last segment of a dotted name → kind, for names that take no type arguments.
_SCALARS: dict[str, TypeKind] = {
    "int": TypeKind.INT,
    "float": TypeKind.FLOAT,
    "complex": TypeKind.COMPLEX,
    "str": TypeKind.STR,
    "bool": TypeKind.BOOL,
    "bytes": TypeKind.BYTES,
    "bytearray": TypeKind.BYTES,
    "memoryview": TypeKind.BYTES,
    "Any": TypeKind.ANY,
    "object": TypeKind.ANY,
    "Incomplete": TypeKind.ANY,
    "None": TypeKind.NONE,
    "NoneType": TypeKind.NONE,
    "NoReturn": TypeKind.NONE,
    "Never": TypeKind.NONE,
    "LiteralString": TypeKind.STR,
    "Text": TypeKind.STR,
    "AnyStr": TypeKind.STR,
    "SupportsIndex": TypeKind.INT,
    "SupportsInt": TypeKind.INT,
    "SupportsFloat": TypeKind.FLOAT,
    "SupportsComplex": TypeKind.COMPLEX,
    # numpy scalar types, as written in its stubs (np.float64, floating[Any], ...)
    "integer": TypeKind.INT,
    "signedinteger": TypeKind.INT,
    "unsignedinteger": TypeKind.INT,
    "intp": TypeKind.INT,
    "int8": TypeKind.INT,
    "int16": TypeKind.INT,
    "int32": TypeKind.INT,
    "int64": TypeKind.INT,
    "uint8": TypeKind.INT,
    "uint16": TypeKind.INT,
    "uint32": TypeKind.INT,
    "uint64": TypeKind.INT,
    "floating": TypeKind.FLOAT,
    "float16": TypeKind.FLOAT,
    "float32": TypeKind.FLOAT,
    "float64": TypeKind.FLOAT,
    "longdouble": TypeKind.FLOAT,
    "complexfloating": TypeKind.COMPLEX,
    "complex64": TypeKind.COMPLEX,
    "complex128": TypeKind.COMPLEX,
    "bool_": TypeKind.BOOL,
    "str_": TypeKind.STR,
    "bytes_": TypeKind.BYTES,
    "ndarray": TypeKind.ARRAY,
    "NDArray": TypeKind.ARRAY,
    "ArrayLike": TypeKind.ARRAY,
    "matrix": TypeKind.ARRAY,
    "dtype": TypeKind.DTYPE,
    "DTypeLike": TypeKind.DTYPE,
}

# Generic containers: last segment → kind (arguments handled per kind).
_GENERICS: dict[str, TypeKind] = {
    "list": TypeKind.LIST,
    "List": TypeKind.LIST,
    "Sequence": TypeKind.LIST,
    "MutableSequence": TypeKind.LIST,
    "Collection": TypeKind.LIST,
    "tuple": TypeKind.TUPLE,
    "Tuple": TypeKind.TUPLE,
    "dict": TypeKind.DICT,
    "Dict": TypeKind.DICT,
    "Mapping": TypeKind.DICT,
    "MutableMapping": TypeKind.DICT,
    "OrderedDict": TypeKind.DICT,
    "defaultdict": TypeKind.DICT,
    "DefaultDict": TypeKind.DICT,
    "set": TypeKind.SET,
    "Set": TypeKind.SET,
    "frozenset": TypeKind.SET,
    "FrozenSet": TypeKind.SET,
    "AbstractSet": TypeKind.SET,
    "MutableSet": TypeKind.SET,
    "Iterator": TypeKind.ITERATOR,
    "Iterable": TypeKind.ITERATOR,
    "Generator": TypeKind.ITERATOR,
    "AsyncIterator": TypeKind.ITERATOR,
    "AsyncIterable": TypeKind.ITERATOR,
    "AsyncGenerator": TypeKind.ITERATOR,
    "Reversible": TypeKind.ITERATOR,
    "Callable": TypeKind.CALLABLE,
}

_UNION_NAMES = {"Union", "Optional"}
_TRANSPARENT = {
    "Annotated",
    "Final",
    "ClassVar",
    "Required",
    "NotRequired",
    "ReadOnly",
    "TypeGuard",
    "TypeIs",
    "Unpack",
}
_MAX_DEPTH = 12


def _classify_name(last: str) -> TypeKind | None:
    """numpy's stubs spell array-likes many ways; the spelling says what it is."""
    if last in _SCALARS:
        return _SCALARS[last]
    if "DTypeLike" in last or last.startswith("_SupportsDType"):
        return TypeKind.DTYPE
    if "ArrayLike" in last or last.startswith(("_SupportsArray", "_NestedSequence")):
        return TypeKind.ARRAY
    if last.startswith("_ArrayLike") or last.startswith("NDArray"):
        return TypeKind.ARRAY
    return None


def union(members: list[TypeRef]) -> TypeRef:
    flat: list[TypeRef] = []
    for m in members:
        for item in m.args if m.kind is TypeKind.UNION else (m,):
            if is_sentinel(item):
                continue
            if item not in flat:
                flat.append(item)
    if not flat:
        return ANY
    if any(m.kind is TypeKind.ANY for m in flat):
        return ANY
    return flat[0] if len(flat) == 1 else TypeRef(TypeKind.UNION, tuple(flat))


def _container(kind: TypeKind, args: list[TypeRef], ellipsis: bool = False) -> TypeRef:
    if kind is TypeKind.TUPLE:
        if ellipsis and args:
            return TypeRef(kind, (args[0],), variadic=True)
        return TypeRef(kind, tuple(args))
    if kind is TypeKind.DICT:
        return TypeRef(kind, tuple(args[:2]) if len(args) >= 2 else ())
    if kind is TypeKind.CALLABLE:
        return TypeRef(kind, (args[-1],) if args else ())
    return TypeRef(kind, (args[0],) if args else ())


# --------------------------------------------------------------------------- runtime


def from_runtime(
    annotation: Any, namespace: Mapping[str, Any] | None = None, _depth: int = 0
) -> TypeRef:
    """Normalize a runtime annotation object (never evaluates strings)."""
    if _depth > _MAX_DEPTH:
        return ANY
    if annotation is None or annotation is type(None):
        return NONE
    if isinstance(annotation, str):
        return from_source(annotation, runtime_namespace(namespace or {}), _depth + 1)
    if isinstance(annotation, typing.ForwardRef):
        return from_source(
            annotation.__forward_arg__, runtime_namespace(namespace or {}), _depth + 1
        )
    special = _numpy_alias(annotation)
    if special is not None:
        return special
    if isinstance(annotation, typing.TypeVar):
        bound = annotation.__bound__
        if bound is not None:
            return from_runtime(bound, namespace, _depth + 1)
        if annotation.__constraints__:
            return union(
                [from_runtime(c, namespace, _depth + 1) for c in annotation.__constraints__]
            )
        return ANY
    if annotation is Any or annotation is typing.Any:
        return ANY
    if getattr(annotation, "_name", None) == "Self":
        return SELF
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is not None:
        if origin in (typing.Union, types.UnionType):
            return union([from_runtime(a, namespace, _depth + 1) for a in args])
        if origin is typing.Literal:
            return TypeRef(TypeKind.LITERAL, values=tuple(safe_literal(a) for a in args))
        if origin is typing.Annotated or origin in (typing.ClassVar, typing.Final):
            return from_runtime(args[0], namespace, _depth + 1) if args else ANY
        name = getattr(origin, "__name__", "")
        if origin is collections.abc.Callable:
            ret = from_runtime(args[-1], namespace, _depth + 1) if args else ANY
            return TypeRef(TypeKind.CALLABLE, (ret,))
        if origin is type:
            return TypeRef(TypeKind.CLASS, name="type")
        kind = _GENERICS.get(name) or _classify_name(name)
        if kind is not None:
            if kind in (TypeKind.ARRAY, TypeKind.DTYPE):
                return TypeRef(kind)
            ellipsis = len(args) == 2 and args[1] is Ellipsis
            items = [
                from_runtime(a, namespace, _depth + 1)
                for a in args
                if a is not Ellipsis and not isinstance(a, list)
            ]
            return _container(kind, items, ellipsis)
        return from_runtime(origin, namespace, _depth + 1)
    if isinstance(annotation, type):
        return _from_class(annotation)
    if annotation is Ellipsis:
        return ANY
    return ANY


def _from_class(cls: type) -> TypeRef:
    if cls is type(None):
        return NONE
    name = cls.__name__
    module = getattr(cls, "__module__", "") or ""
    if module == "builtins" or module in ("typing", "collections.abc", "collections"):
        if name in _GENERICS:
            return _container(_GENERICS[name], [])
        if name in _SCALARS:
            return TypeRef(_SCALARS[name])
        return TypeRef(TypeKind.CLASS, name=name)
    if module.split(".")[0] == "numpy":
        kind = _classify_name(name)
        if kind is not None:
            return TypeRef(kind)
        if issubclass(cls, bool) or name == "bool":
            return TypeRef(TypeKind.BOOL)
    if issubclass(cls, enum.Enum):
        return TypeRef(TypeKind.CLASS, name=f"{module}.{cls.__qualname__}")
    return TypeRef(TypeKind.CLASS, name=f"{module}.{cls.__qualname__}")


def _numpy_alias(annotation: Any) -> TypeRef | None:
    """numpy.typing aliases are big unions; recognize them by identity, not by shape."""
    typing_mod = sys.modules.get("numpy._typing") or sys.modules.get("numpy.typing")
    if typing_mod is not None:
        try:
            if annotation == getattr(typing_mod, "ArrayLike", object()):
                return TypeRef(TypeKind.ARRAY)
            if annotation == getattr(typing_mod, "DTypeLike", object()):
                return TypeRef(TypeKind.DTYPE)
        except Exception:  # exotic __eq__ on annotation objects: not an alias then
            return None
    text = _short_repr(annotation)
    if "_SupportsArray" in text or "_NestedSequence" in text:
        return TypeRef(TypeKind.ARRAY)
    if "_SupportsDType" in text or "DTypeLike" in text:
        return TypeRef(TypeKind.DTYPE)
    return None


def _short_repr(value: Any) -> str:
    if isinstance(value, type):
        return value.__qualname__
    try:
        return repr(value)[:2000] if typing.get_origin(value) is not None else ""
    except Exception:
        return ""


def safe_literal(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, (str, int, float, bool, bytes)) or value is None:
        return repr(value)
    return f"<{type(value).__name__}>"


# ---------------------------------------------------------------------------- source

# A namespace for text annotations: name → what it refers to. A value is either a
# runtime object (from a module's globals) or a dotted name string (from a stub's
# imports), or an ``ast.expr`` (a stub type alias to expand).
Namespace = Callable[[str], Any]


def runtime_namespace(globals_: Mapping[str, Any]) -> Namespace:
    def lookup(name: str) -> Any:
        head, _, rest = name.partition(".")
        if head in globals_:
            obj = globals_[head]
        elif hasattr(builtins, head):
            obj = getattr(builtins, head)
        else:
            return None
        for part in rest.split(".") if rest else ():
            # getattr on modules/classes named in annotations; never calls user code
            # beyond ordinary attribute access.
            try:
                obj = getattr(obj, part)
            except Exception:
                return None
        return obj

    return lookup


def from_source(text: str, namespace: Namespace | None = None, _depth: int = 0) -> TypeRef:
    """Normalize annotation text ("list[int] | None", "'np.ndarray'", ...)."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError):
        return ANY
    return from_ast(node, namespace, _depth)


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _items(node: ast.expr) -> list[ast.expr]:
    return list(node.elts) if isinstance(node, ast.Tuple) else [node]


def from_ast(node: ast.expr, namespace: Namespace | None = None, _depth: int = 0) -> TypeRef:
    if _depth > _MAX_DEPTH:
        return ANY
    ns = namespace or (lambda _name: None)
    if isinstance(node, ast.Constant):
        if node.value is None:
            return NONE
        if isinstance(node.value, str):
            return from_source(node.value, ns, _depth + 1)
        return ANY
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return union([from_ast(node.left, ns, _depth + 1), from_ast(node.right, ns, _depth + 1)])
    if isinstance(node, ast.Subscript):
        base = _dotted(node.value)
        if base is None:
            return ANY
        last = _canonical_last(base, ns)
        args = _items(node.slice)
        if last in _UNION_NAMES:
            members = [from_ast(a, ns, _depth + 1) for a in args]
            if last == "Optional":
                members.append(NONE)
            return union(members)
        if last == "Literal":
            return TypeRef(TypeKind.LITERAL, values=tuple(_literal_text(a) for a in args))
        if last in _TRANSPARENT:
            return from_ast(args[0], ns, _depth + 1)
        if last in ("type", "Type"):
            return TypeRef(TypeKind.CLASS, name="type")
        kind = _GENERICS.get(last) or _classify_name(last)
        if kind is None:
            target = _resolve_name(base, ns, _depth)
            if target is not None and target.kind is not TypeKind.CLASS:
                return target
            return target or ANY
        if kind in (TypeKind.ARRAY, TypeKind.DTYPE):
            return TypeRef(kind)
        if kind is TypeKind.CALLABLE:
            ret = from_ast(args[-1], ns, _depth + 1) if args else ANY
            return TypeRef(kind, (ret,))
        ellipsis = (
            len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis
        )
        items = [
            from_ast(a, ns, _depth + 1)
            for a in args
            if not (isinstance(a, ast.Constant) and a.value is Ellipsis)
        ]
        if kind in _SCALARS.values() and kind not in (TypeKind.LIST, TypeKind.TUPLE):
            return TypeRef(kind)
        return _container(kind, items, ellipsis)
    base = _dotted(node)
    if base is not None:
        return _resolve_name(base, ns, _depth) or ANY
    return ANY


def _canonical_last(base: str, ns: Namespace) -> str:
    """The real name behind an import alias (``from typing import Literal as L``)."""
    last = base.rsplit(".", 1)[-1]
    if last in _GENERICS or last in _UNION_NAMES or last in _TRANSPARENT or last == "Literal":
        return last
    try:
        target = ns(base)
    except Exception:
        return last
    if isinstance(target, str):
        return target.rsplit(".", 1)[-1]
    if target is not None and not isinstance(target, ast.AST | TypeRef):
        name = getattr(target, "_name", None) or getattr(target, "__name__", None)
        if isinstance(name, str):
            return name
    return last


# Sentinel and placeholder classes that say "no value given", not a type.
_SENTINELS = ("_NoValueType", "_NoDefault", "NoDefault", "_NoValue", "Incomplete")


def is_sentinel(ref: TypeRef) -> bool:
    return ref.kind is TypeKind.CLASS and (ref.name or "").rsplit(".", 1)[-1] in _SENTINELS


def _literal_text(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        return repr(node.value)
    return ast.unparse(node)


# Modules whose names mean the typing vocabulary (``Generator`` there is an iterator;
# ``numpy.random.Generator`` is a class).
_TYPING_MODULES = frozenset(
    {
        "typing",
        "typing_extensions",
        "collections.abc",
        "collections",
        "builtins",
        "_typeshed",
        "types",
        "",
    }
)
_PATTERN_KINDS = (TypeKind.ARRAY, TypeKind.DTYPE)


def _resolve_name(dotted: str, ns: Namespace, depth: int) -> TypeRef | None:
    last = dotted.rsplit(".", 1)[-1]
    if last in _UNION_NAMES or last in _TRANSPARENT:
        return ANY
    if last == "Self":
        return SELF
    pattern = _classify_name(last)
    if pattern in _PATTERN_KINDS:  # numpy's alias families: the name says it all
        return TypeRef(pattern)
    target = ns(dotted)
    if isinstance(target, ast.expr):  # a stub type alias: expand it
        return from_ast(target, ns, depth + 1)
    if isinstance(target, TypeRef):
        return target
    if isinstance(target, str):  # a dotted name from a stub import
        return _classify_dotted(target)
    if target is not None:
        return from_runtime(target, None, depth + 1)
    if last in _GENERICS:
        return _container(_GENERICS[last], [])
    if pattern is not None:
        return TypeRef(pattern)
    if hasattr(builtins, dotted) and isinstance(getattr(builtins, dotted), type):
        return _from_class(getattr(builtins, dotted))
    return TypeRef(TypeKind.CLASS, name=dotted)


def _classify_dotted(dotted: str) -> TypeRef:
    module, _, last = dotted.rpartition(".")
    if last == "Self":
        return SELF
    if module in _TYPING_MODULES:
        if last in _GENERICS:
            return _container(_GENERICS[last], [])
        if last in _SCALARS:
            return TypeRef(_SCALARS[last])
    kind = (
        _classify_name(last)
        if module.split(".")[0] in ("numpy", "") or module in _TYPING_MODULES
        else None
    )
    if kind is not None:
        return TypeRef(kind)
    pattern = _classify_name(last)
    if pattern in _PATTERN_KINDS:
        return TypeRef(pattern)
    return TypeRef(TypeKind.CLASS, name=dotted.removeprefix("builtins."))


def replace_self(ref: TypeRef | None, owner: TypeRef) -> TypeRef | None:
    """``Self`` inside ``ref`` → ``owner`` (the class a method or constructor belongs to)."""
    if ref is None:
        return None
    if ref == SELF:
        return owner
    if not ref.args:
        return ref
    return TypeRef(
        ref.kind,
        tuple(replace_self(a, owner) or a for a in ref.args),
        ref.name,
        ref.values,
        ref.variadic,
    )
