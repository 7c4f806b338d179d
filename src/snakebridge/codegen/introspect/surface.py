"""Whole-module surface: every public name of one module, described (child side).

Used by the benchmark and by anyone who wants a library's full picture rather than
only the symbols a project uses. The public surface is ``__all__`` when the module
declares it, else every name without a leading underscore. Plain ``inspect.signature``
runs over the same objects in the same process, as the baseline.
"""

from __future__ import annotations

import inspect
import os
import sys
import time
import types as pytypes
from typing import Any

from snakebridge.codegen import model
from snakebridge.codegen.introspect import signatures as G
from snakebridge.codegen.introspect.objects import Describer, raw_doc

Entry = tuple[str, Any]  # ("function" | "class" | "attribute" | "module", model value)


def public_surface(module: pytypes.ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if isinstance(names, list | tuple) and all(isinstance(n, str) for n in names):
        return sorted(set(names))
    return sorted(n for n in dir(module) if not n.startswith("_"))


def describe_module(
    module: pytypes.ModuleType, module_name: str, *, deep: bool = False
) -> tuple[list[Entry], dict[str, Any]]:
    """Every public name as model values (docs raw), plus timings and the baseline."""
    describer = Describer()
    entries: list[Entry] = []
    missing: list[str] = []
    skipped: list[str] = []
    t0 = time.perf_counter()
    for name in public_surface(module):
        if _unloaded_submodule(module, name):
            # Listed in __all__ but loaded lazily (numpy.testing, numpy.f2py, ...): say it
            # is there without importing it — submodules are imported only when used.
            entries.append(("module", model.Module(name=f"{module_name}.{name}")))
            continue
        try:
            value = getattr(module, name)
        except Exception:
            missing.append(name)
            continue
        try:
            entries.append(_describe(describer, module_name, name, value, deep))
        except Exception as exc:
            # One hostile object (polars.col answers every attribute with an Expr) must
            # not take the module down: skipped, named, and the rest is described.
            skipped.append(f"{name}: {type(exc).__name__}: {exc}"[:200])
    stats: dict[str, Any] = {
        "module": module_name,
        "missing": missing,
        "skipped": skipped,
        "seconds": time.perf_counter() - t0,
        "baseline": _baseline(module),
    }
    return entries, stats


def _describe(describer: Describer, module_name: str, name: str, value: Any, deep: bool) -> Entry:
    if isinstance(value, pytypes.ModuleType):
        return ("module", model.Module(name=f"{module_name}.{name}", doc=raw_doc(value)))
    if isinstance(value, type):
        members = None if deep else ()
        return (
            "class",
            describer.klass(value, name=name, qualname=name, module=module_name, members=members),
        )
    if callable(value):
        return (
            "function",
            describer.function(value, name=name, qualname=name, module=module_name),
        )
    return ("attribute", describer.attribute(value, name=name))


def describe_classes(
    module: pytypes.ModuleType, module_name: str, qualnames: list[str]
) -> tuple[list[Entry], dict[str, Any]]:
    """Named classes of ``module`` with every public member, plus the method baseline."""
    describer = Describer()
    entries: list[Entry] = []
    t0 = time.perf_counter()
    classes = []
    for qualname in qualnames:
        cls: Any = module
        for part in qualname.split("."):
            cls = getattr(cls, part)
        classes.append(cls)
        entries.append(
            (
                "class",
                describer.klass(cls, name=cls.__name__, qualname=qualname, module=module_name),
            )
        )
    ours = time.perf_counter() - t0
    callables = real = returns = 0
    t1 = time.perf_counter()
    variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    for cls in classes:
        for name in sorted(n for n in dir(cls) if not n.startswith("_")):
            try:
                raw = inspect.getattr_static(cls, name)
                value = getattr(cls, name)
            except AttributeError:
                continue
            if isinstance(raw, property | type) or not callable(value):
                continue
            callables += 1
            try:
                sig = inspect.signature(value)
            except Exception:
                continue
            kinds = [p.kind for p in sig.parameters.values()]
            bound = getattr(value, "__self__", None) is not None
            if kinds and not bound and kinds[0] not in variadic:
                kinds = kinds[1:]  # unbound: the first parameter is the instance
            if not (
                kinds
                and all(k in variadic for k in kinds)
                and inspect.Parameter.VAR_KEYWORD in kinds
            ):
                real += 1
            if sig.return_annotation is not inspect.Signature.empty:
                returns += 1
    baseline = {
        "callables": callables,
        "real": real,
        "with_returns": returns,
        "failed": [],
        "seconds": time.perf_counter() - t1,
    }
    return entries, {"module": module_name, "missing": [], "seconds": ours, "baseline": baseline}


def coverage(entries: list[Any]) -> dict[str, Any]:
    """Signature and return-type coverage of described entries (functions and classes)."""
    callables = 0
    generic: list[str] = []
    sources: dict[str, int] = {}
    returns: dict[str, int] = {}
    signatures: list[tuple[str, model.Signature]] = []
    for entry in entries:
        if isinstance(entry, model.Function):
            signatures.append((entry.name, entry.signature))
        elif isinstance(entry, model.Class) and entry.methods:  # a deep class: its methods
            signatures.extend((f"{entry.name}.{m.name}", m.signature) for m in entry.methods)
        elif isinstance(entry, model.Class):
            signatures.append((entry.name, entry.constructor))
    for name, sig in signatures:
        callables += 1
        sources[sig.source] = sources.get(sig.source, 0) + 1
        if G.is_generic(sig):
            generic.append(name)
        if sig.returns is not None:
            key = sig.returns_source or "annotation"
            returns[key] = returns.get(key, 0) + 1
    return {
        "callables": callables,
        "real": callables - len(generic),
        "not_real": generic,
        "sources": sources,
        "returns": returns,
        "with_returns": sum(returns.values()),
    }


def _unloaded_submodule(module: pytypes.ModuleType, name: str) -> bool:
    if name in vars(module):
        return False
    full = f"{module.__name__}.{name}"
    if full in sys.modules:
        return False
    paths = getattr(module, "__path__", None)
    if not paths:
        return False
    return any(
        os.path.exists(os.path.join(p, name, "__init__.py"))
        or os.path.exists(os.path.join(p, name + ".py"))
        for p in paths
    )


def _baseline(module: pytypes.ModuleType) -> dict[str, Any]:
    """Plain ``inspect.signature`` over the same callables."""
    real = returns = callables = 0
    failed: list[str] = []
    t0 = time.perf_counter()
    for name in public_surface(module):
        if _unloaded_submodule(module, name):
            continue
        try:
            value = getattr(module, name)
        except Exception:
            continue
        if isinstance(value, pytypes.ModuleType) or not callable(value):
            continue
        callables += 1
        try:
            sig = inspect.signature(value)
        except Exception:
            failed.append(name)
            continue
        kinds = [p.kind for p in sig.parameters.values()]
        variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        if not (
            kinds and all(k in variadic for k in kinds) and inspect.Parameter.VAR_KEYWORD in kinds
        ):
            real += 1
        if sig.return_annotation is not inspect.Signature.empty:
            returns += 1
    return {
        "callables": callables,
        "real": real,
        "with_returns": returns,
        "failed": failed,
        "seconds": time.perf_counter() - t0,
    }
