"""``mix snakebridge.repair``: regenerate whatever ``verify`` found missing or changed.

Runs the verify checks. Every library with a missing file, a missing, changed or
unlisted binding, a missing lock entry, or a changed environment is re-rendered from its
manifest entries (plus the calls the Mix shell's scan found) through the generation
pipeline, with a fresh introspection. Where the manifest is missing or unreadable (or
lacks a library whose file exists), its entries are rebuilt from the bindings the
generated files define plus the scanned calls, and its promoted marks from the marks
the files carry.

Repair never deletes a binding the code uses: before the transaction commits, the
re-rendered files must still define every binding the scanned code (``lib/`` and
``test/``) calls, and, when the manifest is rebuilt, every binding the files defined.
Otherwise nothing is changed and the report says which bindings could not be kept
and what to do instead. A backup is taken first (``mix snakebridge.restore``). Ends by
re-checking and reports what, if anything, is still wrong (exit 1).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any

from snakebridge.cli import Output, Reply, command
from snakebridge.codegen import names
from snakebridge.codegen.emit import promoted_marks
from snakebridge.commands.verify import print_findings, supplied_bindings
from snakebridge.project import Detection, Project, detections_from_payload
from snakebridge.state import backup, bindings, consistency, manifest
from snakebridge.state.argv import Parser
from snakebridge.state.bindings import Binding
from snakebridge.state.files import project_lock, read_bytes, remove_file


def _from_manifest(m: manifest.Manifest, libraries: Collection[str]) -> list[Detection]:
    return [
        Detection(e.elixir_module, e.name, arity)
        for e in m.symbols.values()
        if e.library in libraries
        for arity in e.arities
    ]


def _from_bindings(project: Project, defined: Iterable[Binding]) -> list[Detection]:
    out = []
    for module, fun, arity in defined:
        spec = project.library_for_module(module)
        if spec is None:
            continue
        base = names.symbol_name(fun, spec.streaming)
        if base is not None and base == fun:  # bang and stream variants come along
            out.append(Detection(module, base, arity))
    return out


def _sources(project: Project, libraries: Iterable[str]) -> Iterator[str]:
    """The generated files of ``libraries``, as the transaction would leave them."""
    for name in libraries:
        try:
            data = read_bytes(project.generated_file(project.library(name)))
        except FileNotFoundError:
            continue
        yield data.decode("utf-8", errors="replace")


def _defined(project: Project, libraries: Iterable[str]) -> set[Binding]:
    """The bindings the generated files of ``libraries`` define."""
    return set().union(*(bindings.parse_source(t) for t in _sources(project, libraries)))


def _promoted_marks(project: Project, libraries: Iterable[str]) -> dict[str, str]:
    """The promoted marks the generated files of ``libraries`` carry."""
    return {k: v for t in _sources(project, libraries) for k, v in promoted_marks(t).items()}


class _Refused(Exception):
    """Re-rendering would lose bindings; raised out of the project lock to discard it."""

    def __init__(self, lost: list[str]) -> None:
        super().__init__("repair would lose bindings")
        self.lost = lost


@command("repair")
def run(project: Project, payload: Mapping[str, Any], output: Output) -> Reply:
    parser = Parser("repair")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_payload(payload)
    scanned = list(detections_from_payload(payload.get("detections") or []))
    scanned += detections_from_payload(payload.get("test_detections") or [])
    supplied = supplied_bindings(payload)

    try:
        with project_lock(project):
            report = consistency.check(project, supplied)
            if report.ok:
                output.out(
                    "nothing to repair: the manifest, the generated source and snakebridge.lock "
                    "agree"
                )
                return Reply(data={"repaired": []})
            output.out(f"found {len(report.findings)} problem(s):")
            print_findings(report, output)
            if args.dry_run:
                return Reply(exit_code=1, data={"repaired": []})

            rebuild = report.to_rebuild(project)
            regenerate = report.to_regenerate(project) - rebuild
            saved = backup.create(project, "repair")
            # Our own reading of the files, before and after: the same reader both times.
            by_file = consistency.generated_bindings(project, None)
            before = {
                name: by_file.get(project.relative(project.generated_file(project.library(name))))
                or set()
                for name in rebuild | regenerate
            }
            detections = list(scanned)
            marks: dict[str, str] = {}
            if rebuild:
                if report.manifest is None:  # unreadable; the backup keeps it
                    remove_file(project.manifest_path)
                detections += _from_bindings(project, set().union(*(before[n] for n in rebuild)))
                marks = _promoted_marks(project, rebuild)
            if regenerate:
                assert report.manifest is not None
                detections += _from_manifest(report.manifest, regenerate)
            outcome = None
            libraries = rebuild | regenerate
            if libraries:
                from snakebridge.commands.generate import generate

                verb = "rebuilding the manifest entries of" if rebuild else "regenerating"
                output.out(f"{verb} " + ", ".join(sorted(libraries)))
                outcome = generate(
                    project,
                    detections,
                    force=True,
                    only_libraries=libraries,
                    output=output,
                    promoted=marks,
                )
                for d in outcome.diagnostics:
                    where = f" ({d.file}:{d.line})" if d.file else ""
                    output.log(d.severity, d.message + where)
            _keep_bindings(project, before, rebuild, scanned)
    except _Refused as refused:
        output.out(
            "repair stopped and nothing was changed: re-rendering would remove these bindings:"
        )
        for line in refused.lost:
            output.out(f"  {line}")
        output.out(
            "fix: restore the manifest from git (`git checkout -- .snakebridge/manifest.json`) "
            "or a backup (`mix snakebridge.restore --list`); a hand-written function belongs "
            "outside lib/snakebridge_generated/"
        )
        return Reply(exit_code=1, data={"repaired": [], "refused": refused.lost})

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
            "rebuilt": sorted(rebuild),
            "backup": saved.id,
            "remaining": [f.message for f in after.findings],
            "written": [] if outcome is None else outcome.written,
        },
    )


def _keep_bindings(
    project: Project,
    before: Mapping[str, set[Binding]],
    rebuilt: Collection[str],
    scanned: Iterable[Detection],
) -> None:
    """Raise ``_Refused`` if the staged files lost a binding that must be kept: any of a
    rebuilt library's, and every binding the scanned code calls."""
    calls: dict[Binding, Detection] = {}
    for d in scanned:
        calls.setdefault((d.module, d.function, d.arity), d)
    now = _defined(project, before)
    lost = []
    for name, defined in sorted(before.items()):
        for binding in sorted(defined - now):
            call = calls.get(binding)
            if call is not None or name in rebuilt:
                module, fun, arity = binding
                where = f" (called at {call.file}:{call.line})" if call and call.file else ""
                lost.append(f"{module}.{fun}/{arity}{where}")
    if lost:
        raise _Refused(lost)
