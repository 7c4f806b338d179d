"""``mix snakebridge.promote``: recorded dynamic calls -> generated bindings.

``--all`` or ``--library L`` (repeatable) says which; promotion is never implicit,
so CI builds exactly the committed manifest. The pending ledger entries become
detections for the generation
pipeline (which adds them to the manifest, renders the library files and updates the
lock), and the manifest marks them promoted (``analyze`` and ``prune`` then know their
callers are dynamic). Each entry ends up one of:

- generated: its binding exists at the recorded arity; it leaves the ledger;
- not promoted: no binding can replace the recorded use (it names a module, or a
  function read as a value or called with an arity it does not accept); the reason is
  kept in the ledger, so ``mix snakebridge.ledger`` shows it and promote does not retry;
- not generated: the generator could not bind it (its diagnostic says why); it stays in
  the ledger, and the exit status is 1.

The generator is the judge of what a name is, so the entries are generated once in a
transaction that is discarded when any of them was not a plain success; the successes
alone are then generated again. Nothing is ever written for an entry that was not
promoted: no empty module, no binding at another arity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from snakebridge.cli import Output, Reply, command
from snakebridge.codegen.introspect.resolve import MODULE_NAMED
from snakebridge.project import Project, ProjectError
from snakebridge.state import ledger, manifest, promotion
from snakebridge.state.argv import Parser
from snakebridge.state.files import project_lock

GENERATED, NOT_PROMOTED, NOT_GENERATED = "generated", "not promoted", "not generated"


@dataclass(frozen=True)
class _Verdict:
    outcome: str  # GENERATED, NOT_PROMOTED or NOT_GENERATED
    reason: str = ""


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
            else "nothing that can be promoted (`mix snakebridge.ledger` lists why)"
        )
        return Reply(data={"promoted": [], "failed": [], "skipped": [p.label for p in blocked]})
    if args.dry_run:
        for item in chosen:
            output.out(f"would generate {item.label}  (x{item.entry.count})")
        return Reply(data={"promoted": [], "would_promote": [p.label for p in chosen]})

    verdicts, outcome = _promote(project, chosen, output)

    def having(outcome: str) -> list[promotion.Pending]:
        return [p for p in chosen if verdicts[p.entry.record_key].outcome == outcome]

    def why(item: promotion.Pending) -> str:
        return verdicts[item.entry.record_key].reason

    promoted, skipped, failed = having(GENERATED), having(NOT_PROMOTED), having(NOT_GENERATED)
    ledger.remove(project.ledger_path, [p.entry.record_key for p in promoted])
    ledger.set_problems(project.ledger_path, {p.entry.record_key: why(p) for p in skipped})
    for item in promoted:
        output.out(f"generated {item.label}")
    for item in skipped:
        output.out(f"not promoted {item.label}: {why(item)}")
    for item in failed:
        output.out(f"not generated {item.label}: {why(item)} (stays in the ledger)")
    if outcome is not None:
        for d in outcome.diagnostics:
            output.log(d.severity, d.message)
        if outcome.written:
            output.out("wrote " + ", ".join(outcome.written) + "; commit them")
    return Reply(
        exit_code=0 if not failed and (outcome is None or outcome.ok) else 1,
        data={
            "promoted": [p.label for p in promoted],
            "skipped": [p.label for p in blocked + skipped],
            "failed": [p.label for p in failed],
            "written": [] if outcome is None else outcome.written,
            "diagnostics": [] if outcome is None else [d.to_payload() for d in outcome.diagnostics],
        },
    )


class _Retry(Exception):
    """Not every entry was a plain success: discard this generation and redo the rest."""


def _promote(
    project: Project, chosen: Sequence[promotion.Pending], output: Output
) -> tuple[dict[ledger.RecordKey, _Verdict], Any]:
    verdicts: dict[ledger.RecordKey, _Verdict] = {}
    try:
        with project_lock(project):
            outcome = _generate(project, chosen, verdicts, output)
            if any(v.outcome != GENERATED for v in verdicts.values()):
                raise _Retry
            return verdicts, outcome
    except _Retry:
        pass
    good = [p for p in chosen if verdicts[p.entry.record_key].outcome == GENERATED]
    if not good:
        return verdicts, None
    with project_lock(project):
        again: dict[ledger.RecordKey, _Verdict] = {}
        outcome = _generate(project, good, again, output)
    verdicts.update(again)
    return verdicts, outcome


def _generate(
    project: Project,
    items: Sequence[promotion.Pending],
    verdicts: dict[ledger.RecordKey, _Verdict],
    output: Output,
) -> Any:
    """Generate ``items``, marked promoted, inside the caller's transaction; judge each.

    Every item is marked: the caller keeps this transaction only when all of them were
    generated, and otherwise generates the successes alone again.
    """
    from snakebridge.commands.generate import generate

    detections = [p.detection for p in items if p.detection]
    marks = {manifest.key(d.module, d.function): p.python for p in items if (d := p.detection)}
    outcome = generate(project, detections, output=output, promoted=marks)
    after = manifest.read(project.manifest_path)
    for p in items:
        verdicts[p.entry.record_key] = _judge(p, after, outcome.diagnostics)
    return outcome


def _judge(
    item: promotion.Pending,
    after: manifest.Manifest,
    diagnostics: Sequence[Any],
) -> _Verdict:
    d = item.detection
    assert d is not None
    entry = after.symbols.get(manifest.key(d.module, d.function))
    if entry is not None and d.arity in entry.arities:
        return _Verdict(GENERATED)
    if entry is not None:
        arities = ", ".join(map(str, entry.arities))
        how = (
            "a read of the function itself (`SnakeBridge.get`) or a call without arguments"
            if d.arity == 0
            else f"a call with {d.arity} positional argument(s)"
        )
        return _Verdict(
            NOT_PROMOTED,
            f"{entry.python} is a {entry.kind} whose binding would be {entry.key}/{arities}; "
            f"the recorded use was {how}, which no generated binding replaces",
        )
    prefix = f"{d.module}.{d.function}"
    said = [x.message for x in diagnostics if x.message.startswith((prefix + ":", prefix + "/"))]
    if any(MODULE_NAMED in message for message in said):
        return _Verdict(
            NOT_PROMOTED,
            f"{item.entry.python_module}.{item.entry.function} {MODULE_NAMED}; call the "
            f"functions it holds instead",
        )
    return _Verdict(NOT_GENERATED, said[0] if said else "the generator produced no binding for it")
