"""``mix snakebridge.repair``: regenerate whatever ``verify`` found missing or changed.

Runs the verify checks; every library with a missing file, a missing or unlisted
binding, a missing lock entry, or a changed environment is re-rendered from its
manifest entries (plus the calls the Mix shell's scan found) through the generation
pipeline, with a fresh introspection. Generated files that belong to no manifest
symbol are removed. An unreadable manifest is backed up and rebuilt from the bindings
the generated source defines plus the scanned calls. Ends by re-checking and reports
what, if anything, is still wrong (exit 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from snakebridge.cli import Output, Reply, command
from snakebridge.codegen import names
from snakebridge.commands.verify import print_findings, supplied_bindings
from snakebridge.project import Detection, Project, detections_from_payload
from snakebridge.state import backup, consistency, manifest
from snakebridge.state.argv import Parser
from snakebridge.state.files import project_lock, remove_file


def _from_manifest(m: manifest.Manifest, libraries: set[str]) -> list[Detection]:
    return [
        Detection(e.elixir_module, e.name, arity)
        for e in m.symbols.values()
        if e.library in libraries
        for arity in e.arities
    ]


def _from_bindings(
    project: Project, report_bindings: dict[str, set[tuple[str, str, int]]]
) -> list[Detection]:
    out = []
    for defined in report_bindings.values():
        for module, fun, arity in defined:
            spec = project.library_for_module(module)
            if spec is None:
                continue
            base = names.symbol_name(fun, spec.streaming)
            if base is not None and base == fun:  # bang and stream variants come along
                out.append(Detection(module, base, arity))
    return out


@command("repair")
def run(project: Project, payload: Mapping[str, Any], output: Output) -> Reply:
    parser = Parser("repair")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_payload(payload)
    scanned = list(detections_from_payload(payload.get("detections") or []))
    supplied = supplied_bindings(payload)

    with project_lock(project):
        report = consistency.check(project, supplied)
        if report.ok:
            output.out(
                "nothing to repair: the manifest, the generated source and snakebridge.lock agree"
            )
            return Reply(data={"repaired": []})
        output.out(f"found {len(report.findings)} problem(s):")
        print_findings(report, output)
        if args.dry_run:
            return Reply(exit_code=1, data={"repaired": []})

        declared = {lib.name for lib in project.libraries}
        rebuild = any(f.kind == "manifest_unreadable" for f in report.findings)
        saved = backup.create(project, "repair")
        if rebuild:
            # Rebuild from what the generated source defines and what the code calls.
            remove_file(project.manifest_path)
            bound = consistency.generated_bindings(project, supplied)
            detections = _from_bindings(project, bound) + scanned
            libraries = declared
        else:
            libraries = report.to_regenerate(project)
            assert report.manifest is not None
            detections = _from_manifest(report.manifest, libraries) + scanned
        removed = []
        for f in report.findings:
            if f.kind == "orphan_file" and f.library in declared:
                spec = project.library(f.library)
                if remove_file(project.generated_file(spec)):
                    removed.append(f.library)
        outcome = None
        if libraries:
            from snakebridge.commands.generate import generate

            output.out("regenerating " + ", ".join(sorted(libraries)))
            outcome = generate(
                project, detections, force=True, only_libraries=libraries, output=output
            )
            for d in outcome.diagnostics:
                where = f" ({d.file}:{d.line})" if d.file else ""
                output.log(d.severity, d.message + where)

    # After the transaction committed: check what is now on disk.
    after = consistency.check(project, None)
    if after.ok:
        output.out(f"repaired: verify passes now (backup of the previous state: {saved.id})")
    else:
        output.out(f"{len(after.findings)} problem(s) remain:")
        print_findings(after, output)
    return Reply(
        exit_code=0 if after.ok and (outcome is None or outcome.ok) else 1,
        data={
            "repaired": sorted(libraries),
            "removed": removed,
            "backup": saved.id,
            "remaining": [f.message for f in after.findings],
            "written": [] if outcome is None else outcome.written,
        },
    )
