"""Live Python objects → model values (runs in the child, next to the library).

Every describer takes the object plus where it was reached (``module``, ``qualname``)
and returns frozen model data; docstrings are carried raw and parsed later by the
parent (``docstrings``), so the child needs nothing beyond the standard library.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import enum
import functools
import inspect
import re
import sys
import types as pytypes
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from snakebridge.codegen import model
from snakebridge.codegen.introspect import signatures as G
from snakebridge.codegen.introspect import sourcecode as SC
from snakebridge.codegen.introspect import stubs as S
from snakebridge.codegen.introspect import types as T
from snakebridge.codegen.model import Attribute, Class, Doc, Function, Signature, TypeKind, TypeRef
from snakebridge.runtime.allowlist import ALLOWED_DUNDERS
from snakebridge.runtime.errors import qualified_name

_SIMPLE = (int, float, complex, str, bytes, bool, type(None))
# Only a directive at the docstring's own level: an indented one belongs to a parameter
# ("float_precision is deprecated"), not to the callable.
_DEPRECATED_DIRECTIVE = re.compile(
    r"^\.\. deprecated::[ \t]*(.*(?:\n(?:[ \t]+\S.*|[ \t]*))*)", re.M
)
# A directive about one way of calling ("Using X with Poly is deprecated", "Passing
# strings ...") does not deprecate the callable itself.
_USAGE_DEPRECATION = re.compile(
    r"^[\d.\s]*(Using|Passing|Calling|Providing|Specifying|Support for|Supplying|"
    r"The \S+ (argument|parameter|keyword|option))\b",
    re.I,
)


def raw_doc(obj: Any, inherit: bool = True) -> Doc:
    try:
        text = inspect.getdoc(obj) if inherit else obj.__doc__
    except Exception:
        text = None
    if not isinstance(text, str) or not text.strip():
        return model.EMPTY_DOC
    return Doc(raw=inspect.cleandoc(text), style="plain")


def deprecation(obj: Any, doc: Doc) -> str | None:
    """The library's own deprecation word: PEP 702 ``__deprecated__`` or a doc directive."""
    try:
        marker = getattr(obj, "__deprecated__", None)
    except Exception:
        marker = None
    if isinstance(marker, str) and marker:
        return marker
    m = _DEPRECATED_DIRECTIVE.search(doc.raw)
    if m and _right_after_summary(doc.raw[: m.start()]):
        # numpydoc puts an object's deprecation right after its summary; a directive
        # further down, or one about a way of calling it, deprecates something else
        text = " ".join(m.group(1).split())
        rest = text.partition(" ")[2]  # after the version
        if not _USAGE_DEPRECATION.match(rest or text):
            return text or "deprecated"
    first_paragraph = doc.raw.split("\n\n", 1)[0]
    if re.search(r"\bis deprecated\b|^deprecated\b", first_paragraph, re.I | re.M) or re.search(
        r"\bDEPRECATED\b", first_paragraph
    ):
        return " ".join(first_paragraph.split())
    return None


def _right_after_summary(before: str) -> bool:
    paragraphs = [p for p in re.split(r"\n\s*\n", before) if p.strip()]
    if paragraphs and re.match(r"^\s*[\w.]+\(.*\)\s*$", paragraphs[0]):
        paragraphs = paragraphs[1:]  # a numpy-style signature line comes first
    return len(paragraphs) <= 1


def namespace_of(obj: Any) -> Mapping[str, Any]:
    """The globals annotations of ``obj`` are written in (for string annotations)."""
    target = obj
    with contextlib.suppress(Exception):
        target = inspect.unwrap(obj)
    g = getattr(target, "__globals__", None)
    if isinstance(g, dict):
        return g
    module = sys.modules.get(getattr(target, "__module__", "") or "")
    return vars(module) if module is not None else {}


def defining_module(obj: Any, fallback: str) -> str:
    try:
        mod = getattr(obj, "__module__", None)
    except Exception:
        mod = None
    return mod if isinstance(mod, str) and mod else fallback


def compiled(cls: type) -> bool:
    """Whether ``cls`` defines no Python function of its own (an extension type, such as
    Cython's): a Python class's ``__module__`` is where it is defined, so only a
    compiled one needs ``homes`` searched."""
    try:
        return not any(isinstance(v, pytypes.FunctionType) for v in vars(cls).values())
    except Exception:  # a hostile metaclass
        return False


def homes(cls: type, module: str) -> list[tuple[str, str]]:
    """(module, qualname) of each loaded module of ``module``'s package that holds
    ``cls`` under its name. A compiled class often claims the public module
    (``pandas.Interval.__module__`` is ``"pandas"``) while its stub sits beside the
    extension that defines it (``pandas/_libs/interval.pyi``). Module dicts are read
    directly: a module ``__getattr__`` may import."""
    prefix = module.split(".", 1)[0] + "."
    found = []
    for name, mod in list(sys.modules.items()):
        if name.startswith(prefix) and isinstance(mod, pytypes.ModuleType):
            with contextlib.suppress(Exception):
                if vars(mod).get(cls.__name__) is cls:
                    found.append((name, cls.__qualname__))
    return sorted(found)


def function_kind(obj: Any) -> model.FunctionKind:
    if G.is_ufunc(obj):
        return "ufunc"
    if isinstance(obj, type):
        return "class"
    if isinstance(obj, pytypes.BuiltinFunctionType | pytypes.BuiltinMethodType):
        return "builtin"
    return "function"


def value_type(value: Any) -> TypeRef:
    if isinstance(value, type):
        return TypeRef(TypeKind.CLASS, name="type")
    return T._from_class(type(value))


class Describer:
    def __init__(self, stubs: S.StubIndex | None = None) -> None:
        self.stubs = stubs or S.StubIndex()
        self._instance_attributes: dict[type, dict[str, Attribute]] = {}

    # ------------------------------------------------------------------ functions

    def _stub_hit(self, places: Iterable[tuple[str, str]]) -> S.StubHit | None:
        seen = set()
        for module, qualname in places:
            if not module or not qualname or (module, qualname) in seen:
                continue
            seen.add((module, qualname))
            hit = self.stubs.lookup(module, qualname)
            if hit is not None:
                return hit
        return None

    def signature(
        self,
        obj: Any,
        *,
        names: tuple[str, ...],
        places: list[tuple[str, str]],
        drop_first: bool = False,
        stub_drop_first: bool | None = None,
        constructor: bool = False,
    ) -> tuple[Signature, tuple[Signature, ...]]:
        """Run the cascade for one callable; returns (signature, overloads)."""
        namespace = namespace_of(obj)
        hit_cache: list[tuple[Signature | None, tuple[Signature, ...]]] = []

        def stub() -> tuple[Signature | None, tuple[Signature, ...]]:
            if not hit_cache:
                hit = self._stub_hit(places)
                hit_cache.append(
                    G.stub_signatures(
                        hit,
                        self.stubs,
                        constructor=constructor,
                        drop_first=drop_first if stub_drop_first is None else stub_drop_first,
                    )
                )
            return hit_cache[0]

        sources: list[Callable[[], Signature | None]] = [
            lambda: G.runtime_signature(obj, namespace, drop_first),
            lambda: G.text_signature(obj),
            lambda: stub()[0],
            lambda: G.docstring_signature(obj, names),
            lambda: G.ufunc_signature(obj),
            lambda: SC.signature_from_source(
                obj, self._plain_signature, namespace_of, unbound_method=drop_first
            ),
        ]
        if constructor:
            sources.append(lambda: _exception_signature(obj))
            sources.append(lambda: _scipy_distribution_signature(obj, namespace))
        else:
            sources.insert(1, lambda: _scipy_distribution_signature(obj, namespace))
        sig = G.cascade(sources)
        primary_stub, overloads = stub()
        sig = G.enrich(sig, primary_stub)
        if sig.source not in ("inspect", "text_signature"):
            # No runtime signature: the other forms the docs show are accepted too.
            try:
                documented = G.docstring_forms(obj, names)
            except Exception:
                documented = []
            extra = tuple(f for f in documented if f != sig and f not in overloads)
            if extra and (overloads or len(documented) > 1):
                overloads = (*overloads, *extra)
        if G.is_ufunc(obj) and sig.returns is None:
            sig = replace(sig, returns=G.ufunc_returns(obj), returns_source="ufunc")
        return sig, overloads

    @staticmethod
    def _plain_signature(obj: Any) -> Signature | None:
        return G.runtime_signature(obj, namespace_of(obj), False)

    def function(
        self,
        obj: Any,
        *,
        name: str,
        qualname: str,
        module: str,
        kind: model.FunctionKind | None = None,
        drop_first: bool = False,
        stub_places: list[tuple[str, str]] | None = None,
    ) -> Function:
        kind = kind or function_kind(obj)
        defined = defining_module(obj, module)
        own_qualname = _str_attr(obj, "__qualname__")
        places = [*(stub_places or []), (module, qualname)]
        if isinstance(own_qualname, str):
            places.append((defined, own_qualname))
        # a library object may answer any attribute with anything (polars.col returns an
        # Expr for __name__, whose truth value raises): only real strings count
        own_name = _str_attr(obj, "__name__")
        names = (name, own_name or name)
        if kind == "class":
            sig, overloads = self.constructor(obj, module=module, qualname=qualname)
        else:
            sig, overloads = self.signature(obj, names=names, places=places, drop_first=drop_first)
        doc = raw_doc(obj)
        target = obj
        with contextlib.suppress(Exception):
            target = inspect.unwrap(obj)
        return Function(
            name=name,
            qualname=qualname,
            module=module,
            kind=kind,
            signature=sig,
            doc=doc,
            overloads=overloads,
            defined_in=defined,
            deprecated=deprecation(obj, doc),
            is_generator=inspect.isgeneratorfunction(target),
            defined_qualname=own_qualname if isinstance(own_qualname, str) else None,
        )

    # -------------------------------------------------------------------- classes

    def constructor(
        self, cls: type, *, module: str, qualname: str
    ) -> tuple[Signature, tuple[Signature, ...]]:
        places = [(module, qualname), (defining_module(cls, module), cls.__qualname__)]
        if compiled(cls) and self._stub_hit(places) is None:
            places += homes(cls, module)
        sig, overloads = self.signature(cls, names=(cls.__name__,), places=places, constructor=True)
        own = TypeRef(TypeKind.CLASS, name=f"{defining_module(cls, module)}.{cls.__qualname__}")
        if (
            sig.returns is None
            or sig.returns.kind in (TypeKind.NONE, TypeKind.ANY)
            or (sig.returns == T.SELF)
        ):
            sig = replace(sig, returns=own, returns_source="class")
        return sig, overloads

    def klass(
        self,
        cls: type,
        *,
        name: str,
        qualname: str,
        module: str,
        members: Iterable[str] | None = None,
        constructor_requested: bool = True,
        value_requested: bool = False,
        exception: bool = False,
    ) -> Class:
        """Describe ``cls``; ``members`` None means every public member. ``exception``:
        the code names it as an exception (it is a ``BaseException`` subclass)."""
        doc = raw_doc(cls)
        sig, _overloads = self.constructor(cls, module=module, qualname=qualname)
        flavor: model.ClassFlavor = "class"
        enum_members: tuple[str, ...] = ()
        attributes: dict[str, Attribute] = {}
        if isinstance(cls, enum.EnumMeta):
            flavor = "enum"
            enum_members = tuple(cls.__members__)
        elif dataclasses.is_dataclass(cls):
            flavor = "dataclass"
            frozen = bool(getattr(getattr(cls, "__dataclass_params__", None), "frozen", False))
            ns = namespace_of(cls)
            for f in dataclasses.fields(cls):
                if members is None or f.name in members:
                    attributes[f.name] = Attribute(
                        f.name, "data", type=T.from_runtime(f.type, ns), writable=not frozen
                    )
        elif issubclass(cls, tuple) and isinstance(getattr(cls, "_fields", None), tuple):
            flavor = "namedtuple"
            hints = getattr(cls, "__annotations__", {}) or {}
            ns = namespace_of(cls)
            field_names: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
            for fname in field_names:
                if members is None or fname in members:
                    ann = hints.get(fname)
                    attributes[fname] = Attribute(
                        fname,
                        "property",
                        type=None if ann is None else T.from_runtime(ann, ns),
                        writable=False,
                    )
        methods: dict[str, Function] = {}
        wanted = (
            sorted({*public_names(cls), *self.instance_attributes(cls)})
            if members is None
            else list(members)
        )
        for member in wanted:
            if member in attributes or (flavor == "enum" and member in enum_members):
                continue
            described = self.member(cls, member, module=module, qualname=qualname)
            if isinstance(described, Function):
                methods[member] = described
            elif isinstance(described, Attribute):
                attributes[member] = described
        bases = tuple(
            f"{b.__module__}.{b.__qualname__}" if b.__module__ != "builtins" else b.__qualname__
            for b in cls.__bases__
            if b is not object
        )
        defined = defining_module(cls, module)
        return Class(
            attribute_hook=answers_attributes(cls),
            name=name,
            qualname=qualname,
            module=module,
            constructor=sig,
            doc=doc,
            methods=tuple(methods[k] for k in sorted(methods)),
            attributes=tuple(attributes[k] for k in sorted(attributes)),
            flavor=flavor,
            enum_members=enum_members,
            bases=bases,
            defined_in=defined,
            deprecated=deprecation(cls, doc),
            constructor_requested=constructor_requested,
            value_requested=value_requested,
            defined_qualname=cls.__qualname__,
            exception_mro=(
                tuple(qualified_name(c) for c in cls.__mro__ if c is not object)
                if exception
                else ()
            ),
        )

    def member(
        self, cls: type, name: str, *, module: str, qualname: str
    ) -> Function | Attribute | None:
        """One class member, classified by how the class stores it; ``Self`` in its
        types becomes the class."""
        found = self._member(cls, name, module=module, qualname=qualname)
        owner = TypeRef(TypeKind.CLASS, name=f"{defining_module(cls, module)}.{cls.__qualname__}")
        if isinstance(found, Function):
            sig = found.signature
            return replace(
                found,
                signature=replace(sig, returns=T.replace_self(sig.returns, owner)),
                overloads=tuple(
                    replace(o, returns=T.replace_self(o.returns, owner)) for o in found.overloads
                ),
            )
        if isinstance(found, Attribute) and found.type is not None:
            return replace(found, type=T.replace_self(found.type, owner))
        return found

    def _member(
        self, cls: type, name: str, *, module: str, qualname: str
    ) -> Function | Attribute | None:
        try:
            raw = inspect.getattr_static(cls, name)
        except AttributeError:
            return (
                self._declared_attribute(cls, name)
                or self.instance_attributes(cls).get(name)
                or (hooked_attribute(cls, name) if answers_attributes(cls) else None)
            )
        owner = next((k for k in cls.__mro__ if name in vars(k)), cls)
        member_qualname = f"{qualname}.{name}"
        places = [
            (module, member_qualname),
            (defining_module(owner, module), f"{owner.__qualname__}.{name}"),
        ]

        def method(target: Any, *, unbound: bool) -> Function:
            # an instance method; ``unbound``: its first parameter is the instance
            return self.function(
                target,
                name=name,
                qualname=member_qualname,
                module=module,
                kind="method",
                drop_first=unbound,
                stub_places=places,
            )

        if isinstance(raw, property | functools.cached_property | pytypes.GetSetDescriptorType):
            return self._property(cls, name, raw, places)
        if isinstance(raw, pytypes.MemberDescriptorType):
            return Attribute(name, "data", doc=raw_doc(raw, inherit=False), writable=True)
        if isinstance(raw, staticmethod):
            return self.function(
                raw.__func__,
                name=name,
                qualname=member_qualname,
                module=module,
                kind="staticmethod",
                stub_places=places,
            )
        if isinstance(raw, classmethod | pytypes.ClassMethodDescriptorType):
            bound = getattr(cls, name)
            fn = self.function(
                bound,
                name=name,
                qualname=member_qualname,
                module=module,
                kind="classmethod",
                stub_places=places,
            )
            return fn
        if isinstance(raw, type):
            return None  # nested classes are reached as Elixir module segments
        if not callable(raw) and hasattr(type(raw), "__get__") and not isinstance(raw, _SIMPLE):
            on_class = _class_lookup(cls, name)
            if isinstance(on_class, pytypes.FunctionType):
                # a descriptor that gives the class a plain function (scikit-learn's
                # available_if: Pipeline.score, predict_proba): a method of instances
                return method(on_class, unbound=True)
            # a custom descriptor (pandas' AxisProperty for DataFrame.columns): an
            # attribute of instances, writable when the descriptor defines __set__
            return Attribute(
                name,
                "property",
                readable=True,
                writable=hasattr(type(raw), "__set__"),
                doc=raw_doc(raw, inherit=False),
            )
        if callable(raw):
            is_descriptor = isinstance(
                raw,
                pytypes.FunctionType | pytypes.MethodDescriptorType | pytypes.WrapperDescriptorType,
            )
            target = raw if is_descriptor else getattr(cls, name)
            # Looked up on the class, a method is unbound (Cython methods too) and its
            # first parameter is the instance — unless the lookup bound it already.
            bound_self = getattr(target, "__self__", None)
            unbound = (
                is_descriptor or bound_self is None or isinstance(bound_self, pytypes.ModuleType)
            )
            return method(target, unbound=unbound)
        return self.attribute(raw, name=name, writable=True)

    def _declared_attribute(self, cls: type, name: str) -> Attribute | None:
        """An instance attribute declared only by a class-level annotation."""
        for klass in cls.__mro__:
            hints = vars(klass).get("__annotations__") or {}
            if name in hints:
                return Attribute(
                    name,
                    "data",
                    type=T.from_runtime(hints[name], namespace_of(klass)),
                    writable=True,
                )
        return None

    def instance_attributes(self, cls: type) -> dict[str, Attribute]:
        """Public attributes assigned only in ``__init__`` or ``__post_init__`` (read
        from the source): data attributes of instances, readable and writable."""
        try:
            cached = self._instance_attributes.get(cls)
        except TypeError:  # a metaclass that makes its classes unhashable
            return {}
        if cached is None:
            cached = {
                name: Attribute(
                    name,
                    "data",
                    type=found.type,
                    readable=True,
                    writable=True,
                    doc=Doc(raw=SC.INSTANCE_ATTRIBUTE_DOC.format(found.assigned_in), style="plain"),
                )
                for name, found in sorted(SC.init_attributes(cls).items())
            }
            self._instance_attributes[cls] = cached
        return cached

    def _property(self, cls: type, name: str, raw: Any, places: list[tuple[str, str]]) -> Attribute:
        getter = raw.fget if isinstance(raw, property) else getattr(raw, "func", None)
        writable = (
            (raw.fset is not None)
            if isinstance(raw, property)
            else isinstance(raw, functools.cached_property)
        )
        type_ref: TypeRef | None = None
        if getter is not None:
            try:
                ret = inspect.signature(getter).return_annotation
            except (TypeError, ValueError):
                ret = inspect.Signature.empty
            if ret is not inspect.Signature.empty:
                type_ref = T.from_runtime(ret, namespace_of(getter))
        hit = self._stub_hit(places)
        if hit is not None:
            nodes = [n for n in hit.nodes if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
            getter_nodes = [n for n in nodes if "setter" not in S.decorator_names(n)]
            if type_ref is None and getter_nodes and getter_nodes[0].returns is not None:
                type_ref = T.from_ast(getter_nodes[0].returns, self.stubs.namespace(hit.module))
            if any("setter" in S.decorator_names(n) for n in nodes):
                writable = True
        doc = raw_doc(raw, inherit=False)
        return Attribute(name, "property", type=type_ref, readable=True, writable=writable, doc=doc)

    # ------------------------------------------------------------------ attributes

    def attribute(self, value: Any, *, name: str, writable: bool = False) -> Attribute:
        if isinstance(value, (*_SIMPLE, enum.Enum)):
            return Attribute(
                name,
                "constant",
                type=value_type(value),
                writable=writable,
                value_repr=G.safe_repr(value),
            )
        doc = model.EMPTY_DOC
        # Instances carry their class's docstring; only a value with its own doc is
        # worth showing (e.g. numpy.newaxis has none, numpy.pi has none).
        if isinstance(value, pytypes.ModuleType):
            doc = raw_doc(value)
        return Attribute(name, "data", type=value_type(value), writable=writable, doc=doc)


def _class_lookup(cls: type, name: str) -> Any:
    """``getattr(cls, name)``, or None when the descriptor refuses the class lookup."""
    try:
        return getattr(cls, name)
    except Exception:
        return None


def _str_attr(obj: Any, attr: str) -> str | None:
    try:
        value = getattr(obj, attr, None)
    except Exception:
        return None
    return value if isinstance(value, str) else None


# The doc of an attribute that only a ``__getattr__`` answers; the parent replaces it
# with the class docstring's description when the Attributes section has one.
HOOKED_ATTRIBUTE_DOC = "Read through `{}.__getattr__`: instances hold it when set."


def answers_attributes(cls: type) -> bool:
    """Whether the instances of ``cls`` answer attribute reads through a ``__getattr__``
    of the class or a base (``object`` has none): what they hold is known per instance
    only, so neither ``dir`` nor the source names it."""
    try:
        return any("__getattr__" in vars(k) for k in cls.__mro__ if k is not object)
    except Exception:  # a hostile metaclass
        return False


def hooked_attribute(cls: type, name: str) -> Attribute:
    """Attribute ``name`` of a class that answers attributes through ``__getattr__``."""
    owner = next(k for k in cls.__mro__ if "__getattr__" in vars(k))
    doc = Doc(raw=HOOKED_ATTRIBUTE_DOC.format(owner.__qualname__), style="plain")
    return Attribute(name, "data", readable=True, writable=False, doc=doc)


def is_dunder(python_name: str) -> bool:
    """``__x__``: Python's own protocol or private machinery, never a documented getter
    (only the protocol methods the allowlist lets a call reach are bound, as methods)."""
    return len(python_name) > 4 and python_name.startswith("__") and python_name.endswith("__")


def public_names(obj: Any) -> list[str]:
    """Public attribute names; for classes also attributes declared by annotation only
    (dataclass fields without defaults are not class attributes)."""
    try:
        names = set(dir(obj))
    except Exception:
        return []
    if isinstance(obj, type):
        for klass in obj.__mro__:
            hints = vars(klass).get("__annotations__")
            if isinstance(hints, dict):
                names.update(n for n in hints if isinstance(n, str))
    return sorted(n for n in names if not n.startswith("_"))


def protocol_names(cls: type) -> list[str]:
    """The protocol methods a class defines (``__getitem__``, ``__add__``, ``__len__``):
    those a call may reach (the worker's allowlist), found on the class or a base other
    than ``object``. They are members like any method, under their escaped names
    (``names.function_name``: ``py___getitem__``)."""
    found = []
    for name in sorted(ALLOWED_DUNDERS):
        for klass in cls.__mro__:
            if klass is object:
                break
            own = vars(klass)
            if name in own:
                if own[name] is not None:  # ``__hash__ = None``: explicitly not hashable
                    found.append(name)
                break
    return found


def _exception_signature(cls: Any) -> Signature | None:
    """Exceptions without a Python ``__init__`` take positional message arguments only."""
    if not (isinstance(cls, type) and issubclass(cls, BaseException)):
        return None
    for klass in cls.__mro__:
        init = vars(klass).get("__init__")
        if isinstance(init, pytypes.FunctionType):
            return None  # a Python __init__: inspect would have read it
        if klass is BaseException:
            break
    return Signature(
        params=(model.Param("args", model.ParamKind.VAR_POSITIONAL),), source="text_signature"
    )


def _scipy_distribution_signature(obj: Any, namespace: Mapping[str, Any]) -> Signature | None:
    """scipy.stats distribution objects: ``norm(loc=0, scale=1)`` freezes a distribution.

    Their ``__call__`` is ``(*args, **kwds)``, but scipy builds ``_parse_args`` from the
    distribution's shape parameters, so its signature is the real one.
    """
    if isinstance(obj, type) or not hasattr(obj, "shapes"):
        return None
    parse = getattr(obj, "_parse_args", None)
    if parse is None or not callable(parse):
        return None
    return G.runtime_signature(parse, namespace, drop_first=False)
