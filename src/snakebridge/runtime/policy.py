"""What of a declared library may be reached: the one rule the generator and the worker share.

Two parts, both about names, both decided from the app's declaration in mix.exs:

- *Selection*: a library's ``include:`` / ``exclude:`` patterns (``fnmatch``, matched
  against the dotted path relative to the library root, every prefix of it, and the same
  with the root module in front). The generator refuses to generate what they rule out;
  the worker refuses to call it, whether the call comes from a generated binding, the
  dynamic API or a method reached through a ref. ``include:`` selects from the library's
  module tree; it does not restrict the methods of objects a call returned.
- *Access path*: a function or class reached as an attribute of a declared module is
  allowed whatever its ``__module__`` says (``os.getcwd`` lives in ``posix``,
  ``os.path.join`` in ``posixpath``), but a *module* reached that way is allowed only if
  it is that module's real submodule (``os.path``, ``numpy.linalg``) or itself declared;
  ``numpy.os`` and ``json.codecs`` are other libraries under a borrowed name.

Some builtins are never reachable at all, whatever is declared: they evaluate code or
look up attributes by a string, which would turn call arguments into code.

This module imports only the standard library: the worker loads it at start.
"""

from __future__ import annotations

import builtins
import fnmatch
import functools
import operator
import re
import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# What `allow:` may grant a library beyond the default policy (the names match
# SnakeBridge.Config's capabilities).
CAPABILITIES = ("dlopen", "import", "pickle", "set_attr", "subprocess")

# Builtins that evaluate code, import by name or read/write attributes by a string:
# with one of them, a string argument becomes code. Never resolved, returned, or called
# through the bridge, whatever the declaration.
_CODE_BUILTINS = (
    "eval",
    "exec",
    "compile",
    "__import__",
    "getattr",
    "setattr",
    "delattr",
    "globals",
    "locals",
    "vars",
    "breakpoint",
    "input",
)
FORBIDDEN_NAMES = frozenset(_CODE_BUILTINS)
_FORBIDDEN: dict[int, str] = {
    id(getattr(builtins, name)): f"builtins.{name}" for name in _CODE_BUILTINS
}
# The string-to-attribute helpers of the operator module (getattr by a dotted string).
_FORBIDDEN[id(operator.attrgetter)] = "operator.attrgetter"
_FORBIDDEN[id(operator.methodcaller)] = "operator.methodcaller"

# Interpreter internals: from any of these, plain attributes (f_globals, tb_frame,
# gi_frame, co_consts) lead to every module's globals, so none is handed out or read.
INTERNAL_TYPES: tuple[type, ...] = (
    types.CodeType,
    types.FrameType,
    types.TracebackType,
    types.CellType,
)


def forbidden(value: Any) -> str | None:
    """The name of a never-reachable builtin if ``value`` is one, or wraps one: a
    ``functools.partial`` (or ``partialmethod``), a static/class method, a bound method
    (``eval.__call__``) calls the builtin it holds with the caller's arguments."""
    for _ in range(_MAX_WRAPPING):
        name = _FORBIDDEN.get(id(value))
        if name is not None:
            return name
        if isinstance(value, (operator.attrgetter, operator.methodcaller)):
            return f"operator.{type(value).__name__}"
        inner = _wrapped(value)
        if inner is None:
            return None
        value = inner
    return None


# How many wrappers deep ``forbidden`` looks (partial(partial(eval))).
_MAX_WRAPPING = 8


# Objects that call another callable with the caller's arguments.
WRAPPER_TYPES: tuple[type, ...] = (
    functools.partial,
    functools.partialmethod,
    staticmethod,
    classmethod,
    types.MethodType,
    types.MethodWrapperType,
)


def _wrapped(value: Any) -> Any:
    """The callable a wrapper calls on, or None."""
    if not isinstance(value, WRAPPER_TYPES):
        return None
    if isinstance(value, (functools.partial, functools.partialmethod)):
        return value.func
    if isinstance(value, (staticmethod, classmethod)):
        return value.__func__
    return getattr(value, "__self__", None)


def root_of(module_name: str) -> str:
    return module_name.split(".", 1)[0]


def _import_name(distribution: str, guess: str) -> str:
    """The import name generation used for a library declared without ``python_module:``
    (``pyyaml`` is imported as ``yaml``), read the same way from the installed
    distribution's metadata, so the worker allows the modules the bindings call."""
    from snakebridge.distributions import resolve

    try:
        return resolve(distribution, guess)
    except ValueError:
        # No single import name: generation refused the library with the fix; the guess
        # gives any call of it the usual "not installed" answer.
        return guess


@dataclass(frozen=True)
class Library:
    """One declared library as the policy sees it."""

    name: str
    python_module: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    allow: frozenset[str] = frozenset()

    @property
    def root(self) -> str:
        return root_of(self.python_module)

    @classmethod
    def from_declaration(cls, name: str, value: Any) -> Library:
        """The worker's ``init`` entry: a bare import name, or a map with
        ``python_module``, ``include``, ``exclude``, ``allow``."""
        if isinstance(value, Mapping):
            fields = {str(k): v for k, v in value.items()}
            python_module = str(fields.get("python_module") or name)
            if fields.get("python_module_declared") is False:
                python_module = _import_name(name, python_module)
            return cls(
                name=name,
                python_module=python_module,
                include=_strings(fields.get("include")),
                exclude=_strings(fields.get("exclude")),
                allow=frozenset(_strings(fields.get("allow"))),
            )
        return cls(name=name, python_module=str(value))

    def selection_refusal(self, rel: str, *, include: bool = True) -> str | None:
        """Why ``rel`` (a dotted path relative to the library root, such as
        ``linalg.solve`` or ``DataFrame.eval``) is ruled out by ``exclude:`` (or, with
        ``include``, not selected by ``include:``); None when it may be used."""
        ruled = self.selection(rel, include=include)
        return None if ruled is None else ruled[1]

    def selection(self, rel: str, *, include: bool = True) -> tuple[str, str] | None:
        """``selection_refusal`` with the rule that refused: ``("excluded", why)`` or
        ``("not_included", why)``."""
        prefixes = _prefixes(rel) if rel else []
        candidates = prefixes + [f"{self.python_module}.{p}" for p in prefixes]
        for pattern in self.exclude:
            if any(fnmatch.fnmatchcase(p, pattern) for p in candidates):
                return "excluded", (
                    f"{self.python_module}.{rel} is excluded in mix.exs (library "
                    f"{self.name!r}, exclude: {pattern!r}); remove it from `exclude:` to use it"
                )
        if (
            include
            and self.include
            and rel
            and not any(fnmatch.fnmatchcase(p, pat) for pat in self.include for p in candidates)
        ):
            return "not_included", (
                f"{self.python_module}.{rel} is not in the `include:` list of library "
                f"{self.name!r} in mix.exs; add it there to use it"
            )
        return None


def submodule_allowed(
    parent: str, name: str, value: types.ModuleType, roots: frozenset[str]
) -> bool:
    """Access-path rule for a module reached as attribute ``name`` of module ``parent``:
    its real submodule (``os.path`` is ``posixpath``, registered as ``os.path``), or a
    module of a declared library; never another library under a borrowed name."""
    if sys.modules.get(f"{parent}.{name}") is value:
        return True
    module_name = getattr(value, "__name__", None)
    if not isinstance(module_name, str):
        return False
    if module_name == f"{parent}.{name}":
        return True
    root = root_of(module_name)
    # "_json", "_operator": the C accelerators behind a declared stdlib module.
    return root in roots or root.lstrip("_") in roots


# Standard-library modules of plain data types: objects of theirs are method targets and
# pickle classes even when the module is not declared.
DATA_MODULES = frozenset(
    {"collections", "datetime", "decimal", "enum", "fractions", "numbers", "uuid", "zoneinfo"}
)


# Extras for a library's own development, never imported by its users' calls.
_DEV_EXTRA = re.compile(
    r"extra\s*==\s*['\"](?:dev|develop|doc|docs|lint|test|tests|testing|typing)['\"]"
)


def dependency_roots(roots: frozenset[str]) -> frozenset[str]:
    """The top-level import names of the installed distributions the declared libraries
    depend on (their ``Requires-Dist``, extras included at the first level, required
    ones transitively), read from the installed metadata."""
    import importlib.metadata as md

    from snakebridge.distributions import top_level_names

    by_root = md.packages_distributions()
    pending: list[tuple[str, bool]] = [
        (dist, True) for root in sorted(roots) for dist in by_root.get(root, ())
    ]
    seen: set[str] = set()
    found: set[str] = set()
    while pending:
        name, first = pending.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        found.update(top_level_names(dist))
        for requirement in dist.requires or ():
            match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
            if match is None:
                continue
            marker = requirement.partition(";")[2]
            if "extra" in marker and (not first or _DEV_EXTRA.search(marker)):
                continue
            pending.append((match.group(1), False))
    return frozenset(found - roots)


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, bytes)):
        return (str(value),)
    return tuple(str(v) for v in value)


def _prefixes(rel: str) -> list[str]:
    parts = rel.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]
