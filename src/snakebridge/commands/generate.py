"""``generate``: detections in, bindings + manifest + lock out.

The pre-pass sends every static call it found. This command decides, per library,
whether its file must be (re)rendered — a detection the manifest does not cover,
a stale lock (the invalidation table in ``state.lock.staleness``), a missing
file, or ``--force`` — introspects exactly the symbols that file must hold (what the
manifest already has, since symbols are only ever added, plus the new ones), renders
it, and records the result. Nothing is written unless its bytes change.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from snakebridge import __version__, docs_index
from snakebridge.cli import Output, Reply, command
from snakebridge.codegen import names
from snakebridge.codegen.emit import GenerationError, Rendered, render_library
from snakebridge.codegen.introspect import IntrospectionResult, introspect
from snakebridge.project import Detection, LibrarySpec, Project, detections_from_payload
from snakebridge.state import files, lock, manifest


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: str  # "error" | "warning"
    message: str
    file: str | None = None
    line: int | None = None

    def to_payload(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": self.line,
        }


@dataclass
class GenerateOutcome:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    regenerated: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


def _group(project: Project, detections: Iterable[Detection]) -> dict[str, list[Detection]]:
    grouped: dict[str, list[Detection]] = defaultdict(list)
    for detection in detections:
        spec = project.library_for_module(detection.module)
        # Discovery functions (`Numpy.doc/1`, ...) are in every generated module already.
        name = None if spec is None else names.symbol_name(detection.function, spec.streaming)
        if spec is not None and name is not None:
            grouped[spec.name].append(dataclasses.replace(detection, function=name))
    return grouped


def _plan(
    project: Project,
    grouped: Mapping[str, Sequence[Detection]],
    current: manifest.Manifest,
    stale: lock.Staleness,
    *,
    force: bool,
    only: Collection[str] | None,
    output: Output,
) -> dict[str, list[Detection]]:
    """Per library to (re)render: the full request list its file must satisfy."""
    plan: dict[str, list[Detection]] = {}
    for spec in project.libraries:
        if only is not None and spec.name not in only:
            continue
        kept = current.for_library(spec.name)
        wanted = grouped.get(spec.name, [])
        new = [d for d in wanted if not current.has(d.module, d.function, d.arity)]
        reasons = []
        if new:
            reasons.append(f"{len({(d.module, d.function) for d in new})} new symbol(s)")
        if force:
            reasons.append("--force")
        if stale.affects(spec.name):
            reasons.append("lock is stale")
        if (kept or wanted) and not project.generated_file(spec).exists():
            reasons.append(f"{project.relative(project.generated_file(spec))} is missing")
        if not reasons or not (kept or wanted):
            continue
        output.log("debug", f"{spec.name}: regenerating ({', '.join(reasons)})")
        requests = [Detection(e.elixir_module, e.name, min(e.arities)) for e in kept]
        plan[spec.name] = requests + list(wanted)
    return plan


def _check_arities(
    spec: LibrarySpec, rendered: Rendered, wanted: Sequence[Detection]
) -> list[Diagnostic]:
    by_name = {(s.elixir_module, s.name): s for s in rendered.symbols}
    found = []
    for d in wanted:
        symbol = by_name.get((d.module, d.function))
        if symbol is not None and d.arity not in symbol.arities:
            accepted = ", ".join(str(a) for a in symbol.arities)
            found.append(
                Diagnostic(
                    "error",
                    f"{d.module}.{d.function}/{d.arity} is called with {d.arity} argument(s), but "
                    f"the binding of {symbol.python} accepts arity {accepted}; pass keyword "
                    f"arguments in the last (opts) argument",
                    d.file,
                    d.line,
                )
            )
    return found


def _unresolved(result: IntrospectionResult, wanted: Sequence[Detection]) -> list[Diagnostic]:
    sites: dict[tuple[str, str], list[Detection]] = defaultdict(list)
    for d in wanted:
        sites[(d.module, d.function)].append(d)
    found = []
    for miss in result.unresolved:
        message = f"{miss.module}.{miss.function}: {miss.message}"
        places = sites.get((miss.module, miss.function))
        if not places:
            # A symbol the manifest kept that the installed library no longer has.
            found.append(Diagnostic("warning", message))
        found += [Diagnostic("error", message, d.file, d.line) for d in places or ()]
    return found


def _entries(spec: LibrarySpec, rendered: Rendered) -> list[manifest.SymbolEntry]:
    return [
        manifest.SymbolEntry(
            library=spec.name,
            elixir_module=s.elixir_module,
            name=s.name,
            arities=tuple(s.arities),
            python=s.python,
            kind=s.kind,
            checksum=s.checksum,
        )
        for s in rendered.symbols
    ]


def generate(
    project: Project,
    detections: Iterable[Detection],
    *,
    force: bool = False,
    only_libraries: Collection[str] | None = None,
    output: Output,
    promoted: Mapping[str, str] | None = None,
) -> GenerateOutcome:
    """``promoted`` marks symbols (key -> the recorded dynamic call) as promoted: in the
    manifest and in the rendered source, for the keys the rendered files define."""
    outcome = GenerateOutcome()
    grouped = _group(project, detections)
    with files.project_lock(project):
        current = manifest.read(project.manifest_path)
        old_lock = lock.read(project.lock_path)
        new_lock = lock.current(project)
        stale = lock.staleness(old_lock, new_lock)
        for reason in stale.reasons:
            output.log("info", reason)

        plan = _plan(
            project, grouped, current, stale, force=force, only=only_libraries, output=output
        )
        results = introspect(project, plan) if plan else {}

        updated = current
        locked = dict(old_lock.libraries) if old_lock is not None else {}
        for name in sorted(results):
            spec = project.library(name)
            result = results[name]
            if result.output:
                output.log("info", f"{name} printed while being introspected:\n{result.output}")
            wanted = grouped.get(name, [])
            outcome.diagnostics += _unresolved(result, wanted)
            marks = {**updated.promoted, **(promoted or {})}
            library = result.library
            if spec.local:
                # A local module's version is its content hash, as the lock records it.
                library = dataclasses.replace(library, version=new_lock.libraries[name].resolved)
            try:
                rendered = render_library(library, spec, tool_version=__version__, promoted=marks)
            except GenerationError as exc:
                # The library's file, manifest entries and lock entry stay as they were.
                outcome.diagnostics.append(Diagnostic("error", f"{name}: {exc}"))
                continue
            outcome.diagnostics += _check_arities(spec, rendered, wanted)
            target = project.generated_file(spec)
            target.parent.mkdir(parents=True, exist_ok=True)
            if files.write_atomic(target, rendered.source.encode("utf-8")):
                outcome.written.append(project.relative(target))
            # The file holds every symbol of the library, so its entries are replaced whole.
            stale_keys = [e.key for e in updated.for_library(name)]
            entries = _entries(spec, rendered)
            updated = manifest.with_entries(manifest.without(updated, stale_keys), entries)
            keys = {e.key for e in entries}
            updated = manifest.with_promoted(
                updated, {k: v for k, v in (promoted or {}).items() if k in keys}
            )
            outcome.regenerated.append(name)

        # A library keeps the lock entry it was generated under until its file is rendered
        # again; the environment fields move on only when no library is left behind.
        has_symbols = updated.libraries()
        behind = {name for name in has_symbols - set(outcome.regenerated) if stale.affects(name)}
        env = old_lock if (old_lock is not None and stale.everything and behind) else new_lock
        for name, entry in new_lock.libraries.items():
            if name not in behind or name not in locked:
                locked[name] = entry
        final_lock = dataclasses.replace(
            env, libraries={k: locked[k] for k in sorted(locked) if k in new_lock.libraries}
        )
        if manifest.write(project.manifest_path, updated):
            outcome.written.append(project.relative(project.manifest_path))
        if lock.write(project.lock_path, final_lock):
            outcome.written.append(project.relative(project.lock_path))
    outcome.written += docs_index.update(project, final_lock, output)
    return outcome


@command("generate")
def run(project: Project, payload: Mapping[str, Any], output: Output) -> Reply:
    outcome = generate(
        project,
        detections_from_payload(payload.get("detections") or []),
        force=bool(payload.get("force", False)),
        output=output,
    )
    for path in outcome.written:
        output.log("info", f"wrote {path}")
    return Reply(
        exit_code=0 if outcome.ok else 1,
        data={
            "diagnostics": [d.to_payload() for d in outcome.diagnostics],
            "written": outcome.written,
            "regenerated": outcome.regenerated,
        },
    )
