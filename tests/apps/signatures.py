"""The property check, run in the apps' Python: every arity a generated binding claims
is a call ``inspect.signature(...).bind`` accepts, wherever a runtime signature exists.

``python signatures.py <symbols.json>`` (the manifest's entries as a list) prints one
JSON line: the checks made and the failures (symbol, arity, the positional count
tried, Python's message).

How an Elixir arity reads as a Python call (``codegen/emit/shape.py``): ``a`` arguments
are the ref of an instance method, then positionals, and at the last arity the last one
is ``opts``. A binding with optional positionals or ``*args`` (more than two arities)
may end in a positional at any arity but the last; one without them ends in opts at
its second arity.
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from typing import Any

_CALLABLE_KINDS = {"function", "builtin", "ufunc", "class", "method", "staticmethod",
                   "classmethod", "constructor"}  # fmt: skip


def resolve(path: str) -> Any:
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            obj = getattr(obj, part)
        return obj
    raise ImportError(path)


def positional_counts(arities: list[int], receiver: int) -> list[tuple[int, int]]:
    flexible = len(arities) > 2
    out = []
    for a in arities:
        if a > arities[0]:
            out.append((a, a - receiver - 1))  # the last argument is opts
        if a < arities[-1] and (flexible or a == arities[0]):
            out.append((a, a - receiver))  # every argument positional
    return out


def check(entries: list[dict[str, Any]]) -> dict[str, Any]:
    checks = 0
    failures = []
    skipped = []
    for e in entries:
        if e["kind"] not in _CALLABLE_KINDS:
            continue
        try:
            obj = resolve(e["python"])
            sig = inspect.signature(obj)
        except Exception as exc:  # no runtime signature (C builtins): nothing to check
            skipped.append(f"{e['python']}: {type(exc).__name__}")
            continue
        receiver = 1 if e["kind"] == "method" else 0
        required_kw = {
            p.name: None
            for p in sig.parameters.values()
            if p.kind is p.KEYWORD_ONLY and p.default is p.empty
        }
        for arity, count in positional_counts(e["arities"], receiver):
            checks += 1
            try:
                sig.bind(*([None] * (count + receiver)), **required_kw)
            except TypeError as exc:
                failures.append([e["elixir_module"], e["name"], arity, count, str(exc)])
    return {"checks": checks, "failures": failures, "skipped": skipped}


def main() -> None:
    with open(sys.argv[1]) as fh:
        print(json.dumps(check(json.load(fh))))


if __name__ == "__main__":
    main()
