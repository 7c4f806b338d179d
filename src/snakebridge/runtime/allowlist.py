"""What a call may touch: only the libraries declared in the user's mix.exs.

Resolution walks ``python_module`` then each dotted part of the function name with
``getattr``; every step is checked, so a declared library cannot be used as a
stepping stone (``json.codecs.open``, ``json.decoder.re``) to an undeclared one.
Dunder attributes other than the operator protocol are refused outright because
``__globals__``, ``__class__``, ``__subclasses__`` and friends reach everything.
This is an allowlist, not a sandbox (seed decision 8): a declared library can
still do anything its own code does.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Mapping
from typing import Any

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

# Builtins that execute code or touch the file system by name; reachable through
# some libraries' namespaces, never callable through the bridge.
DENIED_BUILTINS = frozenset(
    {
        "eval",
        "exec",
        "compile",
        "open",
        "__import__",
        "breakpoint",
        "input",
        "exit",
        "quit",
        "globals",
        "locals",
        "vars",
        "setattr",
        "delattr",
        "getattr",
    }
)

SAFE_MODULE_ROOTS = frozenset({"builtins"})


class NotAllowed(Exception):
    """The call would touch something outside the allowlist."""


class Allowlist:
    def __init__(self, libraries: Mapping[str, str]) -> None:
        # library name (as declared, e.g. "scikit-learn") -> python import root ("sklearn")
        self.libraries = {str(k): str(v) for k, v in libraries.items()}
        self.roots = frozenset(v.split(".")[0] for v in self.libraries.values())
        self._declared = ", ".join(sorted(self.libraries)) or "none"

    def _root_allowed(self, module_name: str) -> bool:
        # "_operator", "_json": the C accelerators behind a declared stdlib module.
        root = module_name.split(".")[0]
        return root in self.roots or root.lstrip("_") in self.roots

    def refuse(self, what: str) -> NotAllowed:
        return NotAllowed(
            f"{what} is not in the allowlist (declared libraries: {self._declared}); "
            "declare it under `snakebridge: [libraries: [...]]` in mix.exs "
            "(or `config :snakebridge, libraries: [...]`) to allow it"
        )

    def import_module(self, library: str, python_module: str) -> types.ModuleType:
        root = self.libraries.get(library)
        if root is None:
            raise self.refuse(f"library {library!r}")
        if python_module != root and not python_module.startswith(root + "."):
            raise self.refuse(f"module {python_module!r} (outside library {library!r})")
        try:
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

    def check_name(self, name: str) -> None:
        if not name or (
            name.startswith("__") and name.endswith("__") and name not in ALLOWED_DUNDERS
        ):
            raise NotAllowed(
                f"attribute {name!r} cannot be reached through SnakeBridge "
                "(dunder attributes expose interpreter internals)"
            )

    def check_value(self, value: Any, what: str) -> None:
        """Refuse modules, functions and classes that belong to undeclared modules."""
        if isinstance(value, types.ModuleType):
            if not self._root_allowed(value.__name__):
                raise self.refuse(f"{what} (module {value.__name__!r})")
            return
        if isinstance(
            value,
            (
                types.FunctionType,
                types.BuiltinFunctionType,
                type,
                types.MethodType,
                types.MethodWrapperType,
                types.WrapperDescriptorType,
                types.MethodDescriptorType,
            ),
        ):
            module = getattr(value, "__module__", None)
            if isinstance(module, str):
                root = module.split(".")[0]
                if root in SAFE_MODULE_ROOTS:
                    if getattr(value, "__name__", None) in DENIED_BUILTINS:
                        raise self.refuse(f"{what} (builtin {value.__name__})")
                elif not self._root_allowed(module):
                    raise self.refuse(f"{what} (defined in module {module!r})")
            owner = getattr(value, "__self__", None)
            if owner is not value and isinstance(
                owner, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType)
            ):
                self.check_value(owner, what)

    def resolve(self, library: str, python_module: str, qualname: str) -> Any:
        obj: Any = self.import_module(library, python_module)
        path = python_module
        for part in qualname.split("."):
            self.check_name(part)
            path = f"{path}.{part}"
            obj = getattr(obj, part)
            self.check_value(obj, path)
        return obj

    def attribute(self, obj: Any, name: str) -> Any:
        self.check_name(name)
        value = getattr(obj, name)
        self.check_value(value, f"attribute {name!r} of {type(obj).__qualname__}")
        return value
