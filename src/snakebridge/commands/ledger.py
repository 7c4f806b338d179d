"""``mix snakebridge.ledger``: dynamic calls recorded in development that have no binding yet.

Reads ``.snakebridge/ledger.json`` (written by the runtime in dev) and the manifest;
lists each recorded call not covered by a generated binding, with its call count and
the Elixir function ``mix snakebridge.promote`` would generate. ``--all`` also lists
the calls that already have a binding.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from snakebridge.cli import Output, Reply, command
from snakebridge.project import Project
from snakebridge.state import ledger, manifest, promotion
from snakebridge.state.argv import Parser


def _row(item: promotion.Pending, status: str) -> dict[str, Any]:
    e = item.entry
    return {
        "library": e.library,
        "python_module": e.python_module,
        "function": e.function,
        "arity": e.arity,
        "count": e.count,
        "status": status,
        "elixir": None if item.detection is None else item.label,
        "problem": item.problem,
    }


@command("ledger")
def run(project: Project, payload: Mapping[str, Any], output: Output) -> Reply:
    parser = Parser("ledger")
    parser.add_argument("--all", action="store_true", help="also list calls already generated")
    parser.add_argument("--library", action="append", default=[])
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_payload(payload)

    recorded = ledger.read(project.ledger_path)
    pending, done = promotion.classify(project, recorded, manifest.read(project.manifest_path))
    if args.library:
        pending = [p for p in pending if p.entry.library in args.library]
        done = [p for p in done if p.entry.library in args.library]
    rows = [_row(p, "pending") for p in pending]
    if args.all:
        rows += [_row(p, "generated") for p in done]
    data = {"pending": len(pending), "generated": len(done), "calls": rows}

    if args.format == "json":
        output.out(json.dumps(data, indent=2, sort_keys=True))
    elif not len(recorded):
        output.out(
            f"no dynamic calls recorded ({promotion.LEDGER_FILE} is empty or missing). "
            f"Calls through SnakeBridge.call/4 and friends are recorded in :dev."
        )
    else:
        output.out(
            f"{len(pending)} dynamic call(s) without a binding"
            + (f", {len(done)} already generated" if done else "")
        )
        for item in pending:
            e = item.entry
            if item.problem:
                output.out(f"  {item.python}  x{e.count}  cannot be promoted: {item.problem}")
            else:
                output.out(f"  {item.label}  x{e.count}  ({e.library}: {item.python})")
        if args.all:
            for item in done:
                output.out(f"  {item.label}  x{item.entry.count}  (generated)")
        if any(p.problem is None for p in pending):
            output.out("generate them with `mix snakebridge.promote --all` (or `--library NAME`)")
    return Reply(data=data)
