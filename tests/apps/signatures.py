"""The property check, run in the apps' Python: every arity a generated binding claims
is a call ``inspect.signature(...).bind`` accepts, wherever a runtime signature exists.

``python signatures.py <symbols.json>`` (the manifest's entries as a list) prints one
JSON line: the checks made and the failures (symbol, arity, the positional count
tried, Python's message).

How an Elixir arity reads as a Python call (``codegen/emit/shape.py``): ``a`` arguments
are the ref of an instance method, then positionals; above the smallest arity the last
one may be ``opts``, and so may the last one of the smallest arity when fewer
arguments are given than the required positionals (``date(year: 2024, month: 1, day:
2)``: the keyword list then names every required parameter not given by position, so
the call is bound with those names as keywords) or when the last required one is
positional-or-keyword (``shorten(text, width: 12)``). Below the last arity, once every
required positional is given, an arity may also end in a positional.
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


def calls(
    arities: list[int], receiver: int, required: list[inspect.Parameter]
) -> list[tuple[int, int, list[str]]]:
    """(arity, positionals after the ref, names given as keywords) of every call the
    binding claims at each of its arities."""
    out = []
    for a in arities:
        count = a - receiver
        below = count < len(required)
        last_by_name = (
            count == len(required) >= 1
            and required[-1].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
        )
        if count >= 1 and (a > arities[0] or below or last_by_name):
            # the last argument is opts; it names the required ones not given by position
            out.append((a, count - 1, [p.name for p in required[count - 1 :]]))
        if a < arities[-1] and not below:
            out.append((a, count, []))  # every argument positional
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
        required = []
        for p in sig.parameters.values():
            if p.kind is p.VAR_POSITIONAL:
                break
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
                required.append(p)
        # the ref of an instance method is the first positional
        required = required[receiver:]
        for arity, count, named in calls(e["arities"], receiver, required):
            checks += 1
            try:
                sig.bind(*([None] * (count + receiver)), **required_kw, **dict.fromkeys(named))
            except TypeError as exc:
                failures.append([e["elixir_module"], e["name"], arity, count, named, str(exc)])
    return {"checks": checks, "failures": failures, "skipped": skipped}


def main() -> None:
    with open(sys.argv[1]) as fh:
        print(json.dumps(check(json.load(fh))))


if __name__ == "__main__":
    main()
