"""What a call may touch: only the libraries declared in the user's mix.exs.

Resolution walks ``python_module`` then each dotted part of the function name with
``getattr``; every step is checked with the access-path rule of ``policy`` (a function
reached as an attribute of a declared module is fine wherever it is defined; a module
reached that way must be a real submodule or declared), so a declared library cannot
be used as a stepping stone (``json.codecs.open``, ``json.decoder.re``) to an
undeclared one. The library's ``exclude:`` / ``include:`` patterns are applied to the
path, and ``exclude:`` also to the very objects it names, however they are reached
(``sympy.core.sympify.sympify`` is ``sympy.sympify``).

Refs obey the same rule: a method or attribute is reachable on an object whose class
belongs to a declared library, one of its installed dependencies, or a plain-data
standard module (``datetime``, ``decimal``...), never on a ``subprocess.Popen``,
``sys.stdout`` or ``re.Match`` unless ``subprocess`` / ``io`` / ``re`` is declared.
Dunder attributes other than the operator protocol are refused outright because
``__globals__``, ``__class__``, ``__subclasses__`` and friends reach everything.
This is an allowlist, not a sandbox (docs/security.md says why): a declared library can still do
anything its own code does; ``audit`` limits what a call may make it do.
"""

from __future__ import annotations

import collections
import contextlib
import importlib
import operator
import sys
import types
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any

from snakebridge.codegen import names
from snakebridge.runtime import policy
from snakebridge.runtime.policy import Library

# Protocol methods a caller may name through method/4 (operators, containers, context).
ALLOWED_DUNDERS = frozenset(
    {
        "__call__",
        "__getitem__",
        "__setitem__",
        "__delitem__",
        "__len__",
        "__contains__",
        "__iter__",
        "__next__",
        "__reversed__",
        "__str__",
        "__repr__",
        "__bool__",
        "__int__",
        "__float__",
        "__index__",
        "__abs__",
        "__neg__",
        "__pos__",
        "__invert__",
        "__add__",
        "__sub__",
        "__mul__",
        "__matmul__",
        "__truediv__",
        "__floordiv__",
        "__mod__",
        "__pow__",
        "__and__",
        "__or__",
        "__xor__",
        "__lshift__",
        "__rshift__",
        "__radd__",
        "__rsub__",
        "__rmul__",
        "__rmatmul__",
        "__rtruediv__",
        "__rfloordiv__",
        "__rmod__",
        "__rpow__",
        "__eq__",
        "__ne__",
        "__lt__",
        "__le__",
        "__gt__",
        "__ge__",
        "__hash__",
        "__enter__",
        "__exit__",
        "__array__",
        "__format__",
    }
)

_CALLABLE_TYPES: tuple[type, ...] = (
    types.FunctionType,
    types.BuiltinFunctionType,
    type,
    types.MethodType,
    types.MethodWrapperType,
    types.WrapperDescriptorType,
    types.MethodDescriptorType,
)
# Builtin classes whose objects are plain data: their methods are fine on any ref.
_DATA_BUILTINS = frozenset(
    {
        bool,
        int,
        float,
        complex,
        str,
        bytes,
        bytearray,
        list,
        tuple,
        dict,
        set,
        frozenset,
        range,
        slice,
        memoryview,
    }
)
_VETTED_MAX = 10_000
# Classes a call made (collections.namedtuple names the module that called it: ours).
_MADE_HERE = "snakebridge.runtime.dispatch"
_SAFE_MODULES = frozenset({"builtins", _MADE_HERE})


class NotAllowed(Exception):
    """The call would touch something outside the allowlist.

    Besides the message, the refusal says which rule refused (``reason``, one of
    ``REASONS``), the audit ``event`` when the audit policy did, the ``allow:``
    capability that would permit it (``option``) and the ``library`` whose declaration
    decides: Elixir gets them as fields to match on."""

    reason: str = "undeclared"
    event: str | None = None
    option: str | None = None
    library: str | None = None

    def __init__(
        self,
        message: str,
        reason: str = "undeclared",
        *,
        event: str | None = None,
        option: str | None = None,
        library: str | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.event = event
        self.option = option
        self.library = library

    def again(self) -> NotAllowed:
        """The same refusal, raised anew (a library caught the first one)."""
        return NotAllowed(
            str(self), self.reason, event=self.event, option=self.option, library=self.library
        )

    def fields(self) -> dict[str, str | None]:
        return {
            "reason": self.reason,
            "event": self.event,
            "option": self.option,
            "library": self.library,
        }


# Why a call was refused (NotAllowed.reason); the allow: capabilities name themselves.
REASONS = frozenset(
    {
        "undeclared",  # outside every declared library
        "excluded",  # an exclude: entry
        "not_included",  # not matched by the library's include: list
        "forbidden",  # eval/exec/getattr-by-string builtins: never handed out or called
        "internal",  # dunders, frames, code objects: interpreter internals
        "code",  # a string run as code straight from the bridge
        "subprocess",
        "dlopen",
        "import",
        "pickle",
        "set_attr",
    }
)


class Allowlist:
    def __init__(self, libraries: Mapping[str, Any]) -> None:
        self.policies = {
            str(k): Library.from_declaration(str(k), v) for k, v in sorted(libraries.items())
        }
        # library name (as declared, e.g. "scikit-learn") -> python import path ("sklearn")
        self.libraries = {name: lib.python_module for name, lib in self.policies.items()}
        self.roots = frozenset(lib.root for lib in self.policies.values())
        self._by_root: dict[str, Library] = {}
        for lib in self.policies.values():
            self._by_root.setdefault(lib.root, lib)
        self._declared = ", ".join(sorted(self.libraries)) or "none"
        self._dependencies: frozenset[str] | None = None
        # Objects an exact `exclude:` entry names, by identity (filled once their
        # module is imported): id -> (object, refusal, library).
        self._excluded: dict[int, tuple[Any, str, str]] = {}
        self._excluded_at = -1
        # Functions reached by an allowed path, so handing them out (get_attr) and
        # calling the ref later follows the path rule too: id -> object.
        self._vetted: dict[int, Any] = {}
        # Element classes whose objects the value check has nothing to say about
        # (Decimal, datetime, str): a million-row object column costs one set lookup each.
        self._inert: set[type] = set()
        # Wraps a declared module's first import (the worker suspends its audit policy:
        # import-time code is the library's own).
        self.first_import: Callable[[], AbstractContextManager[Any]] = contextlib.nullcontext

    # ------------------------------------------------------------------ names

    def _root_allowed(self, module_name: str) -> bool:
        # "_operator", "_json": the C accelerators behind a declared stdlib module.
        root = policy.root_of(module_name)
        return root in self.roots or root.lstrip("_") in self.roots

    def library_of(self, module_name: str) -> Library | None:
        root = policy.root_of(module_name)
        return self._by_root.get(root) or self._by_root.get(root.lstrip("_"))

    @property
    def dependencies(self) -> frozenset[str]:
        """Import roots of the declared libraries' installed dependencies (lazy: reading
        the installed metadata costs a few hundred ms, once)."""
        if self._dependencies is None:
            try:
                self._dependencies = policy.dependency_roots(self.roots)
            except Exception:  # unreadable metadata: no dependency is trusted
                self._dependencies = frozenset()
        return self._dependencies

    def refuse(self, what: str) -> NotAllowed:
        return NotAllowed(
            f"{what} is not in the allowlist (declared libraries: {self._declared}); "
            "declare it under `snakebridge: [libraries: [...]]` in mix.exs "
            "(or `config :snakebridge, libraries: [...]`) to allow it"
        )

    def check_name(self, name: str) -> None:
        if not name or (
            name.startswith("__") and name.endswith("__") and name not in ALLOWED_DUNDERS
        ):
            raise NotAllowed(
                f"attribute {name!r} cannot be reached through SnakeBridge "
                "(dunder attributes expose interpreter internals)",
                "internal",
            )

    # ------------------------------------------------------------------ exclude

    def _excluded_objects(self) -> dict[int, tuple[Any, str, str]]:
        """Objects named exactly by an `exclude:` entry, looked up without importing
        anything (recomputed when new modules were imported)."""
        loaded = len(sys.modules)
        if loaded == self._excluded_at:
            return self._excluded
        self._excluded_at = loaded
        found: dict[int, tuple[Any, str, str]] = {}
        for lib in self.policies.values():
            for pattern in lib.exclude:
                if any(c in pattern for c in "*?["):
                    continue
                path = pattern
                if path != lib.python_module and not path.startswith(lib.python_module + "."):
                    path = f"{lib.python_module}.{path}"
                obj = _lookup_loaded(path)
                if obj is not None and not isinstance(obj, types.ModuleType):
                    found[id(obj)] = (
                        obj,
                        f"{path} is excluded in mix.exs (library {lib.name!r}, exclude: "
                        f"{pattern!r}); remove it from `exclude:` to use it",
                        lib.name,
                    )
        self._excluded = found
        return found

    def check_excluded(self, value: Any, what: str) -> None:
        excluded = self._excluded_objects()
        if not excluded:
            return
        hit = excluded.get(id(value)) or excluded.get(id(getattr(value, "__func__", None)))
        if hit is not None:
            raise NotAllowed(f"{what}: {hit[1]}", "excluded", library=hit[2])

    # ------------------------------------------------------------------ values

    def check_value(self, value: Any, what: str) -> None:
        """May ``value`` be handed out (a result) or called (a callable ref)?

        Modules, functions and classes must belong to declared modules, unless they were
        reached by an allowed path; code-evaluating builtins and interpreter internals
        (frames, code objects) never."""
        banned = policy.forbidden(value)
        if banned is not None:
            raise NotAllowed(
                f"{what} is {banned}, which turns strings into code or attribute lookups; "
                "SnakeBridge never hands it out or calls it",
                "forbidden",
            )
        if isinstance(value, policy.INTERNAL_TYPES):
            raise NotAllowed(
                f"{what} is an interpreter internal ({type(value).__name__}); it leads to "
                "every module's globals, so SnakeBridge does not hand it out",
                "internal",
            )
        if isinstance(value, types.ModuleType):
            if not self._root_allowed(value.__name__):
                raise self.refuse(f"{what} (module {value.__name__!r})")
            return
        if isinstance(value, _CONTAINERS) or _holds_objects(value):
            self._check_elements(value, what, _MAX_DEPTH)
            return
        if isinstance(value, _CALLABLE_TYPES):
            if id(value) in self._vetted:
                return
            module = getattr(value, "__module__", None)
            if (
                isinstance(module, str)
                and module not in _SAFE_MODULES
                and not self._root_allowed(module)
            ):
                raise self.refuse(f"{what} (defined in module {module!r})")
            owner = getattr(value, "__self__", None)
            if owner is not value and isinstance(
                owner, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType)
            ):
                self.check_value(owner, what)

    def _check_elements(self, value: Any, what: str, depth: int) -> None:
        """A ref to a container hands out what it holds: the elements of an object
        array (numpy, a pandas Series/Index, a DataFrame's object columns) and of the
        list/tuple/dict/set/deque subclasses that stay refs (Counter, namedtuples)."""
        inner = f"{what} (an element of it)"
        inert = self._inert
        for item in _elements(value):
            cls = type(item)
            if cls in inert:
                continue
            if _is_inert(cls):
                if len(inert) < _VETTED_MAX:
                    inert.add(cls)
                continue
            if isinstance(item, _CONTAINERS) or _holds_objects(item):
                # Followed only so deep (a container may hold itself).
                if depth > 0:
                    self._check_elements(item, inner, depth - 1)
            else:
                self.check_value(item, inner)

    def check_target(self, obj: Any, what: str) -> Library | None:
        """May methods and attributes of ``obj`` (a ref) be used? Returns the declared
        library its class belongs to, when one does."""
        if isinstance(obj, types.ModuleType):
            self.check_value(obj, what)
            return self.library_of(obj.__name__)
        if isinstance(obj, policy.INTERNAL_TYPES):
            self.check_value(obj, what)
        cls = obj if isinstance(obj, type) else type(obj)
        if cls in _DATA_BUILTINS:
            return None
        module = getattr(cls, "__module__", None)
        if not isinstance(module, str):
            raise self.refuse(f"{what} (a {cls.__qualname__} of no known module)")
        lib = self.library_of(module)
        if lib is not None or module == _MADE_HERE:
            return lib
        root = policy.root_of(module)
        if root == "builtins":
            if isinstance(obj, (type, *_CALLABLE_TYPES)):
                # A builtin class (object, type) or a builtin function: calling through it
                # follows the value rule; its other attributes are the interpreter's.
                self.check_value(obj, what)
                if isinstance(obj, type):
                    raise self.refuse(f"{what} (the builtin class {cls.__qualname__})")
            return None
        if root.lstrip("_") in policy.DATA_MODULES or root in self.dependencies:
            return None
        raise self.refuse(
            f"{what} (a {module}.{cls.__qualname__}: module {policy.root_of(module).lstrip('_')!r})"
        )

    def _vet(self, value: Any) -> None:
        if isinstance(value, _CALLABLE_TYPES):
            if len(self._vetted) >= _VETTED_MAX:
                self._vetted.clear()
            self._vetted[id(value)] = value

    # ------------------------------------------------------------------ resolution

    def import_module(self, library: str, python_module: str) -> types.ModuleType:
        lib = self.policies.get(library)
        if lib is None:
            raise self.refuse(f"library {library!r}")
        root = lib.python_module
        if python_module != root and not python_module.startswith(root + "."):
            raise self.refuse(f"module {python_module!r} (outside library {library!r})")
        try:
            module = sys.modules.get(python_module)
            if module is not None:
                return module
            with self.first_import():
                return importlib.import_module(python_module)
        except ModuleNotFoundError as exc:
            # The library (or a dependency of it) is missing from the environment: an
            # installation problem, not an allowlist one.
            raise ModuleNotFoundError(
                f"{exc} (while importing {python_module} for library {library!r}); it is "
                f"declared but not installed in the worker's Python ({sys.executable}): "
                "run `mix snakebridge.setup`",
                name=exc.name,
            ) from exc

    def resolve(self, library: str, python_module: str, qualname: str) -> Any:
        lib = self.policies.get(library)
        if lib is None:
            raise self.refuse(f"library {library!r}")
        module_rel = python_module[len(lib.python_module) + 1 :]
        rel = f"{module_rel}.{qualname}" if module_rel else qualname
        ruled = lib.selection(rel)
        if ruled is not None:
            raise NotAllowed(ruled[1], ruled[0], library=lib.name)
        obj: Any = self.import_module(library, python_module)
        path = python_module
        for part in names.path_parts(qualname):
            self.check_name(part)
            parent = obj
            obj = getattr(obj, part)
            self._check_step(parent, path, part, obj)
            path = f"{path}.{part}"
        self.check_excluded(obj, path)
        self._vet(obj)
        return obj

    def _check_step(self, parent: Any, path: str, name: str, value: Any) -> None:
        """The access-path rule for ``parent.name`` reached from a declared module."""
        where = f"{path}.{name}"
        if isinstance(value, types.ModuleType):
            if not (
                isinstance(parent, types.ModuleType)
                and policy.submodule_allowed(parent.__name__, name, value, self.roots)
            ):
                raise self.refuse(f"{where} (module {value.__name__!r})")
            return
        banned = policy.forbidden(value)
        if banned is not None or isinstance(value, policy.INTERNAL_TYPES):
            self.check_value(value, where)

    def attribute(self, obj: Any, name: str) -> Any:
        """``obj.name`` for a ref: the target and the value obey the module-call rule, and
        the library's `exclude:` applies to the class's methods."""
        what = f"attribute {name!r} of {type(obj).__qualname__}"
        self.check_name(name)
        lib = self.check_target(obj, what)
        if lib is not None and lib.exclude:
            self._check_member_selection(lib, obj, name)
        value = getattr(obj, name)
        if isinstance(value, types.ModuleType):
            self.check_value(value, what)
        else:
            self._check_step(obj, type(obj).__qualname__, name, value)
        self.check_excluded(value, what)
        self._vet(value)
        return value

    def _check_member_selection(self, lib: Library, obj: Any, name: str) -> None:
        if isinstance(obj, types.ModuleType):
            module_rel = obj.__name__[len(lib.python_module) + 1 :]
            rels = [f"{module_rel}.{name}" if module_rel else name]
        else:
            cls = obj if isinstance(obj, type) else type(obj)
            module_rel = str(cls.__module__)[len(lib.python_module) + 1 :]
            rels = [f"{cls.__qualname__}.{name}"]
            if module_rel:
                rels.append(f"{module_rel}.{cls.__qualname__}.{name}")
        for rel in rels:
            ruled = lib.selection(rel, include=False)
            if ruled is not None:
                raise NotAllowed(ruled[1], ruled[0], library=lib.name)

    def check_call(self, obj: Any) -> None:
        """Calling a ref itself (``__call__``)."""
        what = f"calling a {type(obj).__qualname__}"
        if isinstance(obj, _CALLABLE_TYPES):
            self.check_value(obj, what)
        else:
            self.check_target(obj, what)
        self.check_excluded(obj, what)


_CONTAINERS = (list, tuple, set, frozenset, dict, collections.deque)
# What check_value looks at: any other object passes it whatever its value.
_CHECKED_TYPES: tuple[type, ...] = (
    *_CALLABLE_TYPES,
    *policy.INTERNAL_TYPES,
    *policy.WRAPPER_TYPES,
    *_CONTAINERS,
    types.ModuleType,
    operator.attrgetter,
    operator.methodcaller,
)


def _is_inert(cls: type) -> bool:
    """Objects of ``cls`` are neither callables, wrappers, modules, internals nor
    containers, and hold no object arrays (no ``dtype``/``dtypes``)."""
    return not (issubclass(cls, _CHECKED_TYPES) or hasattr(cls, "dtype") or hasattr(cls, "dtypes"))


# Containers inside containers are followed this deep; deeper ones are checked as values.
_MAX_DEPTH = 4


def _holds_objects(value: Any) -> bool:
    """An array or table whose elements are Python objects (object dtype somewhere)."""
    if getattr(getattr(value, "dtype", None), "hasobject", False):
        return True
    if not _is_frame(value):
        return False
    try:
        return any(getattr(dt, "hasobject", False) for dt in value.dtypes)
    except TypeError:
        return False


def _is_frame(value: Any) -> bool:
    """A pandas DataFrame (by shape: columns with dtypes, positional iloc)."""
    return hasattr(value, "columns") and hasattr(value, "iloc") and hasattr(value, "dtypes")


def _elements(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        yield from value.keys()
        yield from value.values()
        return
    if isinstance(value, _CONTAINERS):
        yield from value
        return
    flat = getattr(value, "flat", None)
    if flat is not None:
        yield from flat
        return
    if _is_frame(value):
        # A DataFrame: its object columns only (numbers and dates hold no objects).
        for i, dt in enumerate(value.dtypes):
            if getattr(dt, "hasobject", False):
                yield from value.iloc[:, i].to_numpy().flat
        return
    to_numpy = getattr(value, "to_numpy", None)
    if callable(to_numpy):
        yield from to_numpy().flat


def _lookup_loaded(path: str) -> Any:
    """The object at dotted ``path`` if its module is already imported, else None."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is None:
            continue
        obj: Any = module
        try:
            for part in parts[cut:]:
                obj = getattr(obj, part)
        except Exception:
            return None
        return obj
    return None


__all__ = ["ALLOWED_DUNDERS", "REASONS", "Allowlist", "NotAllowed"]
