"""``mix snakebridge.promote``: recorded dynamic calls -> generated bindings.

``--all`` or ``--library L`` (repeatable) says which; promotion is never implicit
(seed decision 6). The pending ledger entries become detections for the generation
pipeline (which adds them to the manifest, renders the library files and updates the
lock); entries that now have a binding leave the ledger, the others stay with the
reason they could not be generated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from snakebridge.cli import Output, Reply, command
from snakebridge.project import Project, ProjectError
from snakebridge.state import ledger, manifest, promotion
from snakebridge.state.argv import Parser


@command("promote")
def run(project: Project, payload: Mapping[str, Any], output: Output) -> Reply:
    parser = Parser("promote")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true")
    which.add_argument("--library", action="append", default=[])
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_payload(payload)
    if not args.all and not args.library:
        raise ProjectError(
            "mix snakebridge.promote: say what to promote: `--all`, or `--library NAME` "
            "(see `mix snakebridge.ledger` for the recorded calls)"
        )
    for name in args.library:
        project.library(name)  # a clear error for an undeclared library

    recorded = ledger.read(project.ledger_path)
    pending, _done = promotion.classify(project, recorded, manifest.read(project.manifest_path))
    if args.library:
        pending = [p for p in pending if p.entry.library in args.library]
    blocked = [p for p in pending if p.detection is None]
    chosen = [p for p in pending if p.detection is not None]
    for item in blocked:
        output.log("warning", f"{item.label}: cannot be promoted: {item.problem}")
    if not chosen:
        output.out(
            "nothing to promote: every recorded dynamic call already has a binding"
            if not blocked
            else "nothing that can be promoted"
        )
        return Reply(data={"promoted": [], "failed": [p.label for p in blocked]})
    if args.dry_run:
        for item in chosen:
            output.out(f"would generate {item.label}  (x{item.entry.count})")
        return Reply(data={"promoted": [], "would_promote": [p.label for p in chosen]})

    from snakebridge.commands.generate import generate

    detections = [p.detection for p in chosen if p.detection is not None]
    outcome = generate(project, detections, output=output)
    after = manifest.read(project.manifest_path)
    promoted = [
        p
        for p in chosen
        if p.detection is not None
        and after.has(p.detection.module, p.detection.function, p.detection.arity)
    ]
    failed = [p for p in chosen if p not in promoted]
    ledger.remove(project.ledger_path, [p.entry.record_key for p in promoted])
    for item in promoted:
        output.out(f"generated {item.label}")
    for item in failed:
        output.out(f"not generated {item.label} (stays in the ledger)")
    for d in outcome.diagnostics:
        output.log(d.severity, d.message)
    if outcome.written:
        output.out("wrote " + ", ".join(outcome.written) + "; commit them")
    return Reply(
        exit_code=0 if not failed and outcome.ok else 1,
        data={
            "promoted": [p.label for p in promoted],
            "failed": [p.label for p in failed],
            "written": outcome.written,
            "diagnostics": [d.to_payload() for d in outcome.diagnostics],
        },
    )
