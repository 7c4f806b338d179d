"""``mix snakebridge.analyze``: generated vs used symbols, per library.

The Mix shell scans the project's sources (``"detections"``) and ``test/``
(``"test_detections"``); this compares them with the manifest: symbols nothing calls
(what ``mix snakebridge.prune`` would remove), symbols only tests call, symbols called
dynamically (promoted from the ledger, or seen in it: no scan sees those calls), and
calls that have no binding yet (the next ``mix compile`` generates them). A setter, a
bang and a stream variant count as their symbol (``state.usage``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from snakebridge.cli import Output, Reply, command
from snakebridge.project import Project, detections_from_payload
from snakebridge.state import manifest, promotion, usage
from snakebridge.state.argv import Parser


def _entry(e: manifest.SymbolEntry) -> dict[str, Any]:
    return {"elixir": e.key, "arities": list(e.arities), "python": e.python, "kind": e.kind}


@command("analyze")
def run(project: Project, payload: Mapping[str, Any], output: Output) -> Reply:
    parser = Parser("analyze")
    parser.add_argument("--library", action="append", default=[])
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_payload(payload)

    current = manifest.read(project.manifest_path)
    detections = detections_from_payload(payload.get("detections") or [])
    tests = detections_from_payload(payload.get("test_detections") or [])
    report = [
        u
        for u in usage.analyze(
            project, current, detections, tests, promotion.dynamic_keys(project, current)
        )
        if not args.library or u.library in args.library
    ]

    data = {
        "libraries": {
            u.library: {
                "declared": u.declared,
                "generated": len(u.used) + len(u.unused) + len(u.dynamic),
                "used": [_entry(e) for e in u.used],
                "unused": [_entry(e) for e in u.unused],
                "dynamic": [
                    {**_entry(e), "promoted_from": current.promoted.get(e.key)} for e in u.dynamic
                ],
                "test_only": [
                    {**_entry(e), "sites": [f"{d.file}:{d.line}" for d in u.test_sites[e.key]]}
                    for e in u.test_only
                ],
                "missing": [
                    {"elixir": f"{d.module}.{d.function}/{d.arity}", "file": d.file, "line": d.line}
                    for d in u.missing
                ],
            }
            for u in report
        }
    }
    if args.format == "json":
        output.out(json.dumps(data, indent=2, sort_keys=True))
        return Reply(data=data)

    total_unused = sum(len(u.unused) for u in report)
    for u in report:
        generated = len(u.used) + len(u.unused) + len(u.dynamic)
        note = "" if u.declared else " (not declared in mix.exs)"
        dynamic = f", {len(u.dynamic)} called dynamically" if u.dynamic else ""
        output.out(
            f"{u.library}{note}: {generated} generated, {len(u.used)} used{dynamic}, "
            f"{len(u.unused)} unused"
        )
        for e in u.dynamic:
            origin = current.promoted.get(e.key)
            how = f"promoted from {origin}" if origin else "seen in the ledger"
            output.out(f"  dynamic {e.key}/{','.join(map(str, e.arities))}  ({e.python}; {how})")
        for e in u.unused:
            tested = u.test_sites.get(e.key)
            extra = f"  used in test/: {usage.where(tested)}" if tested else ""
            output.out(f"  unused  {e.key}/{','.join(map(str, e.arities))}  ({e.python}){extra}")
        for d in u.missing:
            output.out(
                f"  missing {d.module}.{d.function}/{d.arity}  ({d.file}:{d.line}); "
                f"`mix compile` generates it"
            )
    if total_unused:
        output.out(
            f"{total_unused} unused symbol(s); remove them with `mix snakebridge.prune` "
            f"(try --dry-run first)"
        )
    return Reply(data=data)
