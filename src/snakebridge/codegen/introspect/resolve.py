"""Elixir names → Python objects, inside the child process.

``Numpy.Linalg.solve/2`` is resolved segment by segment from the library's root
module: each Elixir segment must equal ``names.module_segment`` of a public attribute
or submodule of the current object (submodules are imported only when a segment asks
for them), and the function must equal ``names.function_name`` of a public member (on a
class also of a protocol method it defines: ``py___getitem__``, see ``protocol_names``).
The naming rules live in ``names``; this module only applies them, so the resolver and
the emitter can never disagree.

On a class module, an attribute's getter is ``x/1`` (``x/2`` with opts) and the
emitter's setter of a writable attribute is ``put_x/2`` (``/3``), where ``x`` is
``names.function_name`` of the attribute; a real member that the name matches directly
(a ``put_x`` method) wins. Attributes include those assigned only in ``__init__``.
"""

from __future__ import annotations

import difflib
import enum
import importlib
import importlib.util
import inspect
import pkgutil
import sys
import types as pytypes
from dataclasses import dataclass, field
from typing import Any

from snakebridge.codegen import model, names
from snakebridge.codegen.introspect import signatures as G
from snakebridge.codegen.introspect.objects import (
    Describer,
    answers_attributes,
    is_dunder,
    protocol_names,
    public_names,
)
from snakebridge.runtime import policy


@dataclass(frozen=True)
class LibraryInfo:
    name: str
    python_module: str
    module_name: str  # root Elixir module
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Request:
    module: str
    function: str
    arity: int


class ResolveError(Exception):
    """A request that cannot be resolved; the message names the closest existing names."""


# How a request that names a module is refused (``promote`` tells it from other misses).
MODULE_NAMED = "is a module, not a function or attribute"


# ---------------------------------------------------------------------- tree builder


@dataclass
class ClassNode:
    cls: type
    name: str
    qualname: str
    module: str
    members: set[str] = field(default_factory=set)
    constructor_requested: bool = False
    value_requested: bool = False  # class/0: the class itself as a value
    exception: bool = False  # named as an exception: generated as a defexception too


@dataclass
class ModuleNode:
    """A module, or an object reached as an Elixir module segment (``scipy.stats.norm``).

    For such an object, ``name`` is its dotted path (the Elixir module is derived from
    it), while its functions carry the importable ``python_module`` and a qualname
    inside it (``norm.pdf``), which is what a call needs.
    """

    name: str
    obj: Any
    functions: dict[str, model.Function] = field(default_factory=dict)
    attributes: dict[str, model.Attribute] = field(default_factory=dict)
    classes: dict[str, ClassNode] = field(default_factory=dict)
    submodules: dict[str, ModuleNode] = field(default_factory=dict)
    requested: bool = False  # the module itself was named (its doc is wanted)
    python_module: str = ""  # importable module when ``obj`` is not a module
    prefix: str = ""  # qualname prefix inside python_module ("norm.")

    @property
    def importable(self) -> str:
        return self.python_module or self.name

    @property
    def module(self) -> str:
        """The module its classes live in, as calls import it: ``importable`` for a
        module reached under another name, the dotted path for an object's node."""
        return self.name if self.prefix else self.importable


class Resolver:
    def __init__(
        self, lib: LibraryInfo, root: pytypes.ModuleType, describer: Describer | None = None
    ) -> None:
        self.lib = lib
        self.root = ModuleNode(lib.python_module, root, requested=True)
        self.describer = describer or Describer()
        self.resolved: dict[tuple[str, str], str] = {}

    # ------------------------------------------------------------------- walking

    def resolve(self, req: Request) -> str:
        """Add ``req`` to the tree; returns the dotted Python path. Raises ResolveError."""
        key = (req.module, req.function)
        if key in self.resolved:
            return self.resolved[key]
        node, container, qual = self._walk(req.module, req.function)
        path = self._member(node, container, qual, req)
        self.resolved[key] = path
        return path

    def _walk(self, elixir_module: str, function: str) -> tuple[ModuleNode, Any, list[str]]:
        root_segments = self.lib.module_name.split(".")
        segments = elixir_module.split(".")
        if segments[: len(root_segments)] != root_segments:
            raise ResolveError(
                f"{elixir_module} is not under {self.lib.module_name}, the root module of "
                f"library {self.lib.name!r}"
            )
        node = self.root
        current: Any = node.obj
        qual: list[str] = []
        rest = segments[len(root_segments) :]
        for i, seg in enumerate(rest):
            attrs = public_names(current)
            candidates = set(_candidates(current, bool(qual)))
            matches = sorted(
                (n for n in candidates if _segment(n) == seg),
                key=lambda n: (n != seg, n not in attrs, n),
            )
            where = node.name + "".join("." + q for q in qual)
            if not matches:
                raise ResolveError(
                    f"{elixir_module}: {where} has no submodule or class matching {seg}"
                    + _closest(seg, [_segment(n) for n in candidates if _segment(n)])
                )
            # One segment can name both a class and a submodule (pandas.core.window's
            # Rolling and rolling): the next segment decides which one the path goes through.
            # The last segment's next one is the function called: numpy.polynomial's
            # Polynomial(...) is the class, polyval(...) the module polynomial's function.
            pick = matches[0]
            if len(matches) > 1 and i + 1 < len(rest):
                pick = next(
                    (m for m in matches if _leads_to(current, m, attrs, bool(qual), rest[i + 1])),
                    pick,
                )
            elif len(matches) > 1:
                pick = next(
                    (m for m in matches if _offers(current, m, attrs, bool(qual), function)),
                    pick,
                )
            self._check_allowed(qual_path(node, [*qual, pick], self.lib))
            obj: Any = _step(current, pick, attrs, bool(qual))
            if isinstance(obj, pytypes.ModuleType) and not qual:
                if not policy.submodule_allowed(
                    current.__name__, pick, obj, frozenset({policy.root_of(self.lib.python_module)})
                ):
                    raise ResolveError(
                        f"{elixir_module}: {where}.{pick} is the module {obj.__name__}, not a "
                        f"submodule of {where}; declare {policy.root_of(obj.__name__)!r} as a "
                        "library in mix.exs to use it"
                    )
                sub = node.submodules.get(pick)
                if sub is None:
                    path = f"{node.name}.{pick}"
                    # A module attribute that is another module under a name of its own
                    # (statsmodels.api's nonparametric is statsmodels.nonparametric.api):
                    # calls import it by its own name, as the dotted path is no module.
                    real = "" if _importable(path) else str(getattr(obj, "__name__", ""))
                    sub = ModuleNode(path, obj, python_module=real)
                    node.submodules[pick] = sub
                node = sub
            elif isinstance(obj, pytypes.ModuleType):
                raise ResolveError(
                    f"{elixir_module}: {where}.{pick} is a module reached "
                    f"through a class; use its own module path"
                )
            elif not qual and not node.prefix and not isinstance(obj, type):
                # an object living in a module (scipy.stats.norm): its members are bound,
                # so it reads like a module of functions
                sub = node.submodules.get(pick)
                if sub is None:
                    sub = ModuleNode(
                        f"{node.name}.{pick}",
                        obj,
                        requested=True,
                        python_module=node.name,
                        prefix=pick + ".",
                    )
                    node.submodules[pick] = sub
                node = sub
            else:
                qual.append(pick)
            current = obj
        return node, current, qual

    def _member(self, node: ModuleNode, container: Any, qual: list[str], req: Request) -> str:
        where = node.name + "".join("." + q for q in qual)
        if _is_exception_request(req) and _is_exception_class(container):
            self._class_node(node, container, qual).exception = True
            return where
        if req.function == "new" and isinstance(container, type):
            cnode = self._class_node(node, container, qual)
            cnode.constructor_requested = True
            return f"{where}.__init__"
        if req.function == names.CLASS_VALUE_FUNCTION and isinstance(container, type) and qual:
            if req.arity not in _VALUE_ARITY:
                raise ResolveError(
                    f"{req.module}.{req.function}/{req.arity}: {where} as a value is "
                    f"{req.module}.{req.function}() (runtime options as its one argument)"
                )
            self._class_node(node, container, qual).value_requested = True
            return where
        candidates = public_names(container)
        if isinstance(container, type):
            candidates = sorted(
                {
                    *candidates,
                    *self.describer.instance_attributes(container),
                    *protocol_names(container),
                }
            )
        matches = sorted(
            (n for n in candidates if _function(n) == req.function),
            key=lambda n: (n != req.function, n),
        )
        if not matches and qual and isinstance(container, type):
            matches = _hooked(container, req, [_function(n) for n in candidates])
        if not matches and qual and isinstance(container, type):
            # no real member of that name (a real ``put_x`` method wins): maybe the
            # generated setter of attribute ``x``
            setter = self._setter(node, container, qual, req, candidates)
            if setter is not None:
                return setter
        if not matches:
            hint = ""
            if req.function == "new":
                hint = f" ({where} is not a class, so `new` has no constructor to call)"
                if callable(container):
                    hint = _call_instead(container, where.rsplit(".", 1)[-1], req, where)
            elif _is_exception_request(req):
                what = "a class" if isinstance(container, type) else "not a class"
                hint = (
                    f" (`rescue`, `raise` and `%{req.module}{{}}` need an exception class; "
                    f"{where} is {what} that does not derive from BaseException)"
                )
            elif req.function.startswith(SETTER_PREFIX):
                hint = _setter_spelling(req.function[len(SETTER_PREFIX) :], candidates)
            elif isinstance(container, type) and is_dunder(names.python_name(req.function)):
                hint = (
                    f" (of the dunder methods, only the protocol methods the class defines "
                    f"are bound: {', '.join(protocol_names(container)) or 'none here'})"
                )
            raise ResolveError(
                f"{req.module}.{req.function}/{req.arity}: {where} has no public member "
                f"named {req.function}{hint}"
                + _closest(req.function, [f for f in map(_function, candidates) if f])
            )
        pick = matches[0]
        rel = qual_path(node, [*qual, pick], self.lib)
        self._check_allowed(rel)
        path = f"{where}.{pick}"
        if not qual:
            return self._module_member(node, pick, req, path)
        if isinstance(container, type):
            cnode = self._class_node(node, container, qual)
            member = self.describer.member(
                container, pick, module=node.module, qualname=".".join(qual)
            )
            if member is None:
                value = getattr(container, pick)
                if isinstance(value, type):
                    fn = self.describer.function(
                        value,
                        name=pick,
                        qualname=".".join([*qual, pick]),
                        module=node.module,
                        kind="class",
                    )
                    node.functions[fn.qualname] = fn
                    return path
                raise ResolveError(f"{req.module}.{req.function}: cannot describe {path}")
            if (
                isinstance(member, model.Attribute)
                and req.arity > _GETTER_ARITY[1]
                and not callable(getattr(container, pick, None))
            ):
                setter = ""
                if member.writable and not _is_enum_member(container, pick):
                    setter = f", or set it with {req.module}.put_{req.function}(ref, value)"
                raise ResolveError(
                    f"{req.module}.{req.function}/{req.arity}: {path} is an attribute, not "
                    f"callable; read it with {req.module}.{req.function}(ref){setter}"
                )
            cnode.members.add(pick)
            return path
        # an object reached as a segment (e.g. scipy.stats.norm): its members are bound
        value = getattr(container, pick)
        qualname = ".".join([*qual, pick])
        if callable(value):
            fn = self.describer.function(value, name=pick, qualname=qualname, module=node.name)
            node.functions[qualname] = fn
        else:
            node.attributes[qualname] = self.describer.attribute(value, name=qualname)
        return path

    def _setter(
        self, node: ModuleNode, cls: type, qual: list[str], req: Request, candidates: list[str]
    ) -> str | None:
        """``put_x/2`` on a class module: the generated setter of writable attribute ``x``
        (``names.function_name(x)`` is what follows ``put_``, as the emitter writes it).
        None when ``x`` is no member at all, so the caller reports the missing name."""
        if not req.function.startswith(SETTER_PREFIX):
            return None
        getter = req.function[len(SETTER_PREFIX) :]
        targets = sorted(
            (n for n in candidates if _function(n) == getter), key=lambda n: (n != getter, n)
        )
        if not targets:
            return None
        pick = targets[0]
        where = node.name + "".join("." + q for q in qual)
        path = f"{where}.{pick}"
        self._check_allowed(qual_path(node, [*qual, pick], self.lib))
        member = self.describer.member(cls, pick, module=node.name, qualname=".".join(qual))
        call = f"{req.module}.{req.function}/{req.arity}"
        if not isinstance(member, model.Attribute):
            what = "a method" if isinstance(member, model.Function) else "a class"
            raise ResolveError(
                f"{call}: {path} is {what}, not an attribute, so it has no setter; "
                f"use {req.module}.{getter}"
            )
        if not member.writable or _is_enum_member(cls, pick):
            what = (
                "a property without a setter (in its definition or type stubs)"
                if member.kind == "property"
                else "read-only"
            )
            raise ResolveError(
                f"{call}: {path} is {what}, so no setter is generated; read it with "
                f"{req.module}.{getter}(ref), or if Python does accept an assignment, set "
                f"it at run time with SnakeBridge.set_attr(ref, {pick!r}, value)"
            )
        if req.arity not in _SETTER_ARITY:
            raise ResolveError(
                f"{call}: the setter of {path} is {req.module}.{req.function}(ref, value) "
                f"(runtime options as a third argument); it was called with {req.arity} "
                f"argument(s)"
            )
        self._class_node(node, cls, qual).members.add(pick)
        return path

    def _module_member(self, node: ModuleNode, pick: str, req: Request, path: str) -> str:
        value = getattr(node.obj, pick)
        if isinstance(value, pytypes.ModuleType) and not node.prefix:
            # Nothing is bound for it: a module has no binding of its own, and an empty
            # Elixir module would only hide the mistake.
            raise ResolveError(
                f"{req.module}.{req.function}/{req.arity}: {path} {MODULE_NAMED}; call its "
                f"functions as {req.module}.{names.module_segment(pick)}.<function>"
            )
        if callable(value):
            fn = self.describer.function(
                value,
                name=pick,
                qualname=node.prefix + names.path_part(pick),
                module=node.importable,
            )
            if req.arity == 0 and _callable_object(value) and _required_positionals(fn) > 0:
                # Python code passes such an object as a value (dateutil's MO in
                # relativedelta(weekday=MO)) as often as it calls it (MO(+1)); the
                # binding is the call, so arity 0 cannot be the value as well.
                raise ResolveError(
                    f"{req.module}.{req.function}/0: {path} is a callable "
                    f"{type(value).__name__} object, and its binding calls it "
                    f"({req.module}.{req.function}(...) is {pick}(...) in Python, which "
                    f"needs arguments); to pass the object itself as a value, read it with "
                    f'SnakeBridge.get("{node.importable}", "{pick}")'
                )
            node.functions[pick] = fn
            return path
        if node.prefix:
            raise ResolveError(
                f"{req.module}.{req.function}/{req.arity}: {path} is a data attribute of an "
                f"object, not a module; read it at run time with the dynamic API "
                f"(SnakeBridge.call/4 on {node.name}, then SnakeBridge.attr/2)"
            )
        if req.arity != 0:
            raise ResolveError(
                f"{req.module}.{req.function}/{req.arity}: {path} is not callable (a value "
                f"of type {type(value).__name__}); read it with {req.module}.{req.function}()"
            )
        node.attributes[pick] = self.describer.attribute(value, name=pick)
        return path

    def _class_node(self, node: ModuleNode, cls: type, qual: list[str]) -> ClassNode:
        qualname = ".".join(qual)
        cnode = node.classes.get(qualname)
        if cnode is None:
            cnode = ClassNode(cls, qual[-1], qualname, node.module)
            node.classes[qualname] = cnode
        return cnode

    def _check_allowed(self, rel: str) -> None:
        # The worker applies the same rule to every call (snakebridge.runtime.policy).
        lib = policy.Library(
            self.lib.name, self.lib.python_module, self.lib.include, self.lib.exclude
        )
        refusal = lib.selection_refusal(rel)
        if refusal is not None:
            raise ResolveError(refusal)

    # ------------------------------------------------------------------ assembly

    def library_root(self) -> model.Module:
        return self._assemble(self.root)

    def _assemble(self, node: ModuleNode) -> model.Module:
        classes = [
            self.describer.klass(
                c.cls,
                name=c.name,
                qualname=c.qualname,
                module=c.module,
                members=sorted(c.members),
                constructor_requested=c.constructor_requested,
                value_requested=c.value_requested,
                exception=c.exception,
            )
            for c in node.classes.values()
        ]
        from snakebridge.codegen.introspect.objects import raw_doc

        return model.Module(
            name=node.name,
            doc=raw_doc(node.obj) if node.requested else model.EMPTY_DOC,
            functions=tuple(node.functions[k] for k in sorted(node.functions)),
            classes=tuple(sorted(classes, key=lambda c: c.qualname)),
            attributes=tuple(node.attributes[k] for k in sorted(node.attributes)),
            submodules=tuple(self._assemble(node.submodules[k]) for k in sorted(node.submodules)),
        )


# The emitter's accessors: ``x(ref, opts \\ [])`` and ``put_x(ref, value, opts \\ [])``
# (codegen/emit/render.py).
SETTER_PREFIX = names.SETTER_PREFIX
_GETTER_ARITY = (1, 2)
_VALUE_ARITY = (0, 1)  # class/0 and class/1 (opts)
# How alike a name and a member must be for the name to be read as a misspelling.
_TYPO = 0.85
_SETTER_ARITY = (2, 3)


def _setter_spelling(written: str, candidates: list[str]) -> str:
    """``put_T`` for attribute ``T``: the setter is spelled with the getter's Elixir
    name, ``put_py_T``."""
    for name in candidates:
        if name == written and _function(name) not in ("", written):
            return (
                f" (the setter of attribute {name}, if it is writable, is "
                f"{SETTER_PREFIX}{_function(name)}: put_ followed by its getter's name)"
            )
    return ""


def _hooked(cls: type, req: Request, members: list[str]) -> list[str]:
    """A getter of a class whose instances answer attributes through ``__getattr__``:
    the attribute they hold per instance (``result.x`` of scipy's OptimizeResult) is
    read by its name, and Python says at run time whether this instance has it. A name
    within one typo of a real member (``Pandas.DataFrame.colums``) stays refused, with
    the member named: a misspelling is likelier than an attribute spelled like one."""
    name = names.python_name(req.function)
    if (
        difflib.get_close_matches(req.function, members, n=1, cutoff=_TYPO)
        or req.arity not in _GETTER_ARITY
        or req.function.startswith(SETTER_PREFIX)
        or not answers_attributes(cls)
        or not name.isidentifier()
        or is_dunder(name)
        or _function(name) != req.function
    ):
        return []
    return [name]


def _call_instead(value: Any, python_name: str, req: Request, where: str) -> str:
    """``new`` asked of a callable that is no class (``PIL.ImageDraw.Draw`` is a
    function returning an ImageDraw): the call that works is the function's own binding,
    in the module above it."""
    call = names.bang(_function(python_name))
    owner = req.module.rsplit(".", 1)[0]
    what = "a function" if isinstance(value, pytypes.FunctionType) else "callable"
    return (
        f" ({where} is {what}, not a class, so `new` has no constructor to call; "
        f"call it as {owner}.{call}(...), which returns what {python_name}(...) returns "
        f"in Python)"
    )


def _is_exception_request(req: Request) -> bool:
    """``X.exception/1``: what every Elixir exception module defines, and what the scanner
    asks for when the code names ``X`` as an exception (``rescue X``, ``%X{}``)."""
    return req.function == names.EXCEPTION_FUNCTION and req.arity == 1


def _is_exception_class(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseException)


def _callable_object(value: Any) -> bool:
    """An instance whose class defines ``__call__``: neither a function, a builtin, a
    method nor a class (whose value is reached through ``class/0``)."""
    return not (isinstance(value, type) or inspect.isroutine(value) or G.is_ufunc(value))


def _required_positionals(fn: model.Function) -> int:
    positional = (model.ParamKind.POSITIONAL_ONLY, model.ParamKind.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in fn.signature.params if p.kind in positional and not p.has_default)


def _is_enum_member(cls: type, name: str) -> bool:
    return isinstance(cls, enum.EnumMeta) and name in cls.__members__


def qual_path(node: ModuleNode, parts: list[str], lib: LibraryInfo) -> str:
    """Dotted path relative to the library root: ``linalg.solve``, ``Symbol.simplify``."""
    module_rel = node.name[len(lib.python_module) + 1 :] if node.name != lib.python_module else ""
    return ".".join(p for p in [module_rel, *parts] if p)


def _prefixes(rel: str) -> list[str]:
    parts = rel.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _segment(python_name: str) -> str:
    try:
        return names.module_segment(python_name)
    except ValueError:
        return ""


def _function(python_name: str) -> str:
    try:
        return names.function_name(python_name)
    except ValueError:  # names.NamingError: this name has no Elixir spelling
        return ""


def _candidates(current: Any, in_class: bool) -> list[str]:
    """The names a path segment can take under ``current``: its public attributes, and a
    module's submodules (not imported yet) when the path has not entered a class."""
    found = public_names(current)
    if isinstance(current, pytypes.ModuleType) and not in_class:
        found = found + _submodule_names(current)
    return found


def _step(current: Any, name: str, attrs: list[str], in_class: bool) -> Any:
    if isinstance(current, pytypes.ModuleType) and not in_class and name not in attrs:
        return importlib.import_module(f"{current.__name__}.{name}")
    return getattr(current, name)


def _leads_to(current: Any, name: str, attrs: list[str], in_class: bool, seg: str) -> bool:
    """Whether the path segment after ``name`` names something under it."""
    try:
        obj = _step(current, name, attrs, in_class)
    except Exception:  # an import that fails rules the candidate out, nothing more
        return False
    return any(_segment(n) == seg for n in _candidates(obj, in_class))


def _offers(current: Any, name: str, attrs: list[str], in_class: bool, function: str) -> bool:
    """Whether ``name`` under ``current`` has a member that the Elixir ``function`` names
    (``new`` and ``class`` need a class)."""
    try:
        obj = _step(current, name, attrs, in_class)
    except Exception:  # an import that fails rules the candidate out, nothing more
        return False
    if function in ("new", names.CLASS_VALUE_FUNCTION):
        return isinstance(obj, type)
    return any(_function(n) == function for n in public_names(obj))


def _importable(dotted: str) -> bool:
    """Whether ``import dotted`` works (``os.path`` does, being in ``sys.modules``;
    ``statsmodels.api.nonparametric`` does not, ``statsmodels.api`` being no package)."""
    if dotted in sys.modules:
        return True
    try:
        return importlib.util.find_spec(dotted) is not None
    except (ImportError, ValueError):
        return False


def _submodule_names(module: pytypes.ModuleType) -> list[str]:
    paths = getattr(module, "__path__", None)
    if paths is None:
        return []
    try:
        return [m.name for m in pkgutil.iter_modules(list(paths)) if not m.name.startswith("_")]
    except Exception:
        return []


def _closest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, sorted(set(options)), n=5, cutoff=0.6)
    if not close:
        return ""
    return "; closest existing names: " + ", ".join(close)
