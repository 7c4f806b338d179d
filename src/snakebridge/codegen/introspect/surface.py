"""Whole-module surface: every public name of one module, described (child side).

Used by the benchmark and by anyone who wants a library's full picture rather than
only the symbols a project uses. The public surface is ``__all__`` when the module
declares it, else every name without a leading underscore. Plain ``inspect.signature``
runs over the same objects in the same process, as the baseline.
"""

from __future__ import annotations

import inspect
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


def describe_module(module: pytypes.ModuleType, module_name: str, *, deep: bool = False
                    ) -> tuple[list[Entry], dict[str, Any]]:
    describer = Describer()
    entries: list[Entry] = []
    missing: list[str] = []
    generic: list[str] = []
    sources: dict[str, int] = {}
    callables = with_returns = 0
    t0 = time.perf_counter()
    for name in public_surface(module):
        try:
            value = getattr(module, name)
        except Exception:
            missing.append(name)
            continue
        if isinstance(value, pytypes.ModuleType):
            entries.append(("module", model.Module(name=f"{module_name}.{name}",
                                                   doc=raw_doc(value))))
            continue
        if isinstance(value, type):
            cls = describer.klass(value, name=name, qualname=name, module=module_name,
                                  members=None if deep else ())
            entries.append(("class", cls))
            sig = cls.constructor
        elif callable(value):
            fn = describer.function(value, name=name, qualname=name, module=module_name)
            entries.append(("function", fn))
            sig = fn.signature
        else:
            entries.append(("attribute", describer.attribute(value, name=name)))
            continue
        callables += 1
        sources[sig.source] = sources.get(sig.source, 0) + 1
        if G.is_generic(sig):
            generic.append(name)
        if sig.returns is not None:
            with_returns += 1
    ours_seconds = time.perf_counter() - t0
    baseline = _baseline(module)
    stats: dict[str, Any] = {
        "module": module_name,
        "surface": len(entries),
        "callables": callables,
        "real": callables - len(generic),
        "with_returns": with_returns,
        "not_real": generic,
        "sources": sources,
        "missing": missing,
        "seconds": ours_seconds,
        "baseline": baseline,
    }
    return entries, stats


def _baseline(module: pytypes.ModuleType) -> dict[str, Any]:
    """Plain ``inspect.signature`` over the same callables."""
    real = returns = callables = 0
    failed: list[str] = []
    t0 = time.perf_counter()
    for name in public_surface(module):
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
        if not (kinds and all(k in variadic for k in kinds)
                and inspect.Parameter.VAR_KEYWORD in kinds):
            real += 1
        if sig.return_annotation is not inspect.Signature.empty:
            returns += 1
    return {"callables": callables, "real": real, "with_returns": returns,
            "failed": failed, "seconds": time.perf_counter() - t0}
