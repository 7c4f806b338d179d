"""``mix snakebridge.prune``: remove bindings nothing calls. Explicit only: a
binding never disappears because one scan stopped seeing its call.

Candidates are the manifest symbols that no detection from the scan paths names,
narrowed by ``--library`` and ``--pattern`` and minus ``--keep``; a symbol's variants
and its generated setter go with it (``state.usage``): a pattern or keep naming any of
them names the whole group. Symbols called dynamically (promoted, or seen in the ledger)
are not candidates unless a ``--pattern`` names them. A candidate still called from
``test/`` is reported with its call sites (it is pruned all the same unless kept: the
tests then need it generated again). Before anything changes, the manifest, lock and
generated files are backed up (``mix snakebridge.restore`` undoes the prune); then the
manifest loses the symbols and each affected library's file is re-rendered from what
remains (or deleted when nothing remains). All of it is one transaction
(``project_lock``): if re-rendering fails, or does not remove exactly the symbols
reported, nothing changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from snakebridge.cli import Output, Reply, command
from snakebridge.project import Project, detections_from_payload
from snakebridge.state import backup, manifest, promotion, usage
from snakebridge.state.argv import Parser, csv
from snakebridge.state.files import project_lock, remove_file


def _parser() -> Parser:
    p = Parser("prune")
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--library", action="append", default=[])
    p.add_argument("--pattern", action="append", default=[])
    p.add_argument("--keep", action="append", default=[])
    return p


def _label(e: manifest.SymbolEntry) -> str:
    return f"{e.key}/{','.join(map(str, e.arities))} ({e.python})"


@command("prune")
def run(project: Project, payload: Mapping[str, Any], output: Output) -> Reply:
    args = _parser().parse_payload(payload)
    keep = csv(args.keep)
    libraries = csv(args.library)
    detections = detections_from_payload(payload.get("detections") or [])
    tests = detections_from_payload(payload.get("test_detections") or [])
    streaming = {lib.name: lib.streaming for lib in project.libraries}

    try:
        with project_lock(project):
            current = manifest.read(project.manifest_path)
            unknown = sorted(
                set(libraries) - {lib.name for lib in project.libraries} - current.libraries()
            )
            if unknown:
                output.log(
                    "warning",
                    f"--library {', '.join(unknown)}: no such library in mix.exs or the manifest",
                )
            dynamic = promotion.dynamic_keys(project, current)
            report = usage.analyze(project, current, detections, tests, dynamic)

            def selected(members: list[manifest.SymbolEntry], library: str) -> bool:
                s = streaming.get(library, ())
                named = not args.pattern or any(usage.matches(e, args.pattern, s) for e in members)
                return named and not (keep and any(usage.matches(e, keep, s) for e in members))

            candidates: list[manifest.SymbolEntry] = []
            for u in report:
                if libraries and u.library not in libraries:
                    continue
                pool = list(u.unused) + (list(u.dynamic) if args.pattern else [])
                for members in usage.groups(current, pool).values():
                    if selected(members, u.library):
                        candidates += members
            candidates.sort(key=lambda e: e.key)
            test_sites = {k: v for u in report for k, v in u.test_sites.items()}
            for e in candidates:
                if e.key in test_sites:
                    output.log(
                        "warning",
                        f"{e.key} is still called from test/ ({usage.where(test_sites[e.key])}); "
                        f"pruning it will break those tests unless you pass --keep {e.key}",
                    )
                if e.key in dynamic or e.key in current.promoted:
                    output.log(
                        "warning",
                        f"{e.key} is called dynamically (SnakeBridge.call and friends); pruning "
                        f"its binding leaves those calls working, but no longer generated",
                    )
            data: dict[str, Any] = {"pruned": [e.key for e in candidates], "dry_run": args.dry_run}
            if not candidates:
                output.out(
                    "nothing to prune: every generated symbol is called"
                    + (" (within the given filters)" if args.library or args.pattern else "")
                )
                return Reply(data=data)
            if args.dry_run:
                for e in candidates:
                    output.out(f"would prune {_label(e)}")
                return Reply(data=data)

            saved = backup.create(project, "prune: " + ", ".join(e.key for e in candidates))
            data["backup"] = saved.id
            written, problem = _apply(project, current, candidates, output)
            if problem is not None:
                # Raising out of the project lock discards its transaction: nothing changes.
                raise _NothingPruned(data, problem)
    except _NothingPruned as failed:
        output.log("error", f"{failed.problem}, so nothing was pruned")
        return Reply(exit_code=1, data={**failed.data, "error": "nothing was pruned"})
    for e in candidates:
        output.out(f"pruned {_label(e)}")
    data["written"] = written
    output.out(
        f"pruned {len(candidates)} symbol(s); backup {saved.id} "
        f"(`mix snakebridge.restore` undoes this)"
    )
    return Reply(data=data)


class _NothingPruned(Exception):
    def __init__(self, data: dict[str, Any], problem: str) -> None:
        super().__init__("nothing pruned")
        self.data = data
        self.problem = problem


def _apply(
    project: Project,
    current: manifest.Manifest,
    candidates: list[manifest.SymbolEntry],
    output: Output,
) -> tuple[list[str], str | None]:
    """Prune inside the caller's transaction: (written, None), or (_, why it failed)."""
    by_library: dict[str, list[str]] = defaultdict(list)
    for e in candidates:
        by_library[e.library].append(e.key)
    pruned = {e.key for e in candidates}
    remaining = manifest.without(current, pruned)
    written: list[str] = []
    if manifest.write(project.manifest_path, remaining):
        written.append(project.relative(project.manifest_path))
    declared = {lib.name: lib for lib in project.libraries}
    rerender = set()
    for name in sorted(by_library):
        path = (
            project.generated_file(declared[name])
            if name in declared
            else project.generated_dir / f"{name}.ex"
        )
        if not remaining.for_library(name) or name not in declared:
            if remove_file(path):
                written.append(path.relative_to(project.root).as_posix())
        else:
            rerender.add(name)
    if rerender:
        from snakebridge.commands.generate import generate

        outcome = generate(project, [], force=True, only_libraries=rerender, output=output)
        for d in outcome.diagnostics:
            output.log(d.severity, d.message)
        if not outcome.ok:
            return [], "re-rendering failed (see above)"
        written += outcome.written
    # Exactly what was reported: the pruned symbols gone, every other one still there.
    after = set(manifest.read(project.manifest_path).symbols)
    back = sorted(pruned & after)
    lost = sorted(set(current.symbols) - pruned - after)
    if back:
        return [], f"re-rendering generated {', '.join(back)} again"
    if lost:
        return [], f"re-rendering also removed {', '.join(lost)}"
    return sorted(set(written)), None
