"""The checks behind ``verify``, ``repair`` and ``doctor``: manifest <-> source <-> lock.

Each problem is a ``Finding`` with the library it concerns (when there is one), a
one-line message, and the command that fixes it. ``repair`` regenerates the libraries
``Report.to_regenerate`` names, and rebuilds manifest entries from the generated files
where the manifest is missing, unreadable or lacks a library (``Report.to_rebuild``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from snakebridge.codegen import names
from snakebridge.codegen.emit import symbol_texts
from snakebridge.project import Project, ProjectError
from snakebridge.state import bindings as bindings_mod
from snakebridge.state import files
from snakebridge.state import lock as lock_mod
from snakebridge.state import manifest as manifest_mod
from snakebridge.state.bindings import Binding
from snakebridge.state.errors import StateError

REPAIR = "mix snakebridge.repair"


@dataclass(frozen=True)
class Finding:
    kind: str
    message: str
    fix: str
    library: str | None = None
    regenerate: bool = False  # repair fixes it by regenerating `library` (or everything)


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    manifest: manifest_mod.Manifest | None = None
    lock: lock_mod.Lock | None = None
    current: lock_mod.Lock | None = None
    staleness: lock_mod.Staleness | None = None
    drift: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_rebuild(self, project: Project) -> set[str]:
        """Declared libraries whose manifest entries must come from their generated file."""
        declared = {lib.name for lib in project.libraries}
        if any(f.kind in ("manifest_missing", "manifest_unreadable") for f in self.findings):
            return declared
        return {
            f.library for f in self.findings if f.kind == "orphan_file" and f.library
        } & declared

    def to_regenerate(self, project: Project) -> set[str]:
        declared = {lib.name for lib in project.libraries}
        out = {f.library for f in self.findings if f.regenerate and f.library in declared}
        if any(f.regenerate and f.library is None for f in self.findings):
            assert self.manifest is not None
            out |= self.manifest.libraries() & declared
        return {name for name in out if name is not None}


def _checksum_matches(text: str | None, checksum: str) -> bool:
    if text is None:
        return False
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return digest == checksum.removeprefix("sha256:")


def generated_bindings(
    project: Project, supplied: Mapping[str, set[Binding]] | None
) -> dict[str, set[Binding]]:
    """file (relative) -> bindings, from the Mix shell's parse or, failing that, our own."""
    if supplied is not None:
        return {k: set(v) for k, v in supplied.items()}
    return bindings_mod.read_files(project.root, files.generated_sources(project))


def check(
    project: Project,
    supplied_bindings: Mapping[str, set[Binding]] | None = None,
    *,
    environment: bool = True,
) -> Report:
    report = Report()
    add = report.findings.append
    try:
        report.manifest = manifest_mod.read(project.manifest_path)
    except StateError as exc:
        add(
            Finding(
                "manifest_unreadable",
                str(exc),
                REPAIR + " (rebuilds it from the source)",
                regenerate=False,
            )
        )
        return report
    try:
        report.lock = lock_mod.read(project.lock_path)
    except StateError as exc:
        add(Finding("lock_unreadable", str(exc), "mix snakebridge.lock --rebuild"))

    manifest = report.manifest
    declared = {lib.name: lib for lib in project.libraries}
    by_file = generated_bindings(project, supplied_bindings)

    existing = files.generated_sources(project)
    if not manifest.symbols and existing and not files.exists(project.manifest_path):
        add(
            Finding(
                "manifest_missing",
                f"{project.relative(project.manifest_path)} is missing, but "
                f"{project.relative(project.generated_dir)} holds {len(existing)} generated "
                f"file(s)",
                f"{REPAIR} (rebuilds it from the generated files and the calls in your code), "
                f"or restore it from git (`git checkout -- .snakebridge/manifest.json`)",
            )
        )
        return report

    for name in sorted(manifest.libraries() - set(declared)):
        count = len(manifest.for_library(name))
        add(
            Finding(
                "undeclared_library",
                f"{count} symbol(s) of {name!r} are in the manifest but {name!r} is not declared "
                f"in mix.exs",
                f"declare {name} under `snakebridge: [libraries: ...]` again, or remove them with "
                f"`mix snakebridge.prune --library {name}`",
                library=name,
            )
        )

    for name, spec in sorted(declared.items()):
        entries = manifest.for_library(name)
        path = project.generated_file(spec)
        rel = project.relative(path)
        if not entries:
            if path.exists():
                add(
                    Finding(
                        "orphan_file",
                        f"{rel} exists but the manifest has no {name} symbol",
                        f"{REPAIR} (rebuilds the manifest's {name} entries from it), or "
                        f"`git checkout` the manifest",
                        library=name,
                    )
                )
            continue
        if not path.exists():
            add(
                Finding(
                    "missing_file",
                    f"{rel} is missing ({len(entries)} symbol(s) of {name} are in the manifest)",
                    REPAIR,
                    library=name,
                    regenerate=True,
                )
            )
            continue
        defined = by_file.get(rel, set())
        data = path.read_bytes()
        before = len(report.findings)
        # The emitter owns its layout: it says where each symbol's text is.
        texts = symbol_texts(data.decode("utf-8", errors="replace"))
        for entry in entries:
            missing = [
                a for a in entry.arities if (entry.elixir_module, entry.name, a) not in defined
            ]
            if missing:
                arities = ", ".join(str(a) for a in missing)
                add(
                    Finding(
                        "missing_binding",
                        f"{entry.key}/{arities} ({entry.python}) is in the manifest but not "
                        f"defined in {rel}",
                        REPAIR,
                        library=name,
                        regenerate=True,
                    )
                )
            elif not _checksum_matches(
                texts.get((entry.elixir_module, entry.name)), entry.checksum
            ):
                add(
                    Finding(
                        "changed_binding",
                        f"{entry.key} in {rel} differs from what was generated (edited by "
                        f"hand, or damaged by a merge): its checksum does not match the manifest",
                        REPAIR,
                        library=name,
                        regenerate=True,
                    )
                )
        listed = {(e.elixir_module, e.name) for e in entries}
        extra = sorted(
            {
                (m, base)
                for m, f, _ in defined
                if (base := names.symbol_name(f, spec.streaming)) is not None
                and (m, base) not in listed
            }
        )
        for module, fun in extra:
            add(
                Finding(
                    "unlisted_binding",
                    f"{rel} defines {module}.{fun}, which is not in the manifest",
                    f"{REPAIR} (re-renders {rel} from the manifest), or `mix snakebridge.promote`"
                    f" if it was added on purpose",
                    library=name,
                    regenerate=True,
                )
            )
        if len(report.findings) == before:
            _check_digest(manifest, rel, data, add, name)

    library_files = {project.generated_file(spec) for spec in declared.values()}
    for rel in sorted(by_file):
        path = project.root / rel
        if path not in library_files and path.parent == project.generated_dir:
            stem = path.stem
            if stem not in declared and stem not in manifest.libraries():
                add(
                    Finding(
                        "orphan_file",
                        f"{rel} belongs to no declared library",
                        f"delete {rel}, or declare {stem} in mix.exs",
                    )
                )

    if (
        report.lock is None
        and manifest.symbols
        and not any(f.kind == "lock_unreadable" for f in report.findings)
    ):
        add(
            Finding(
                "lock_missing",
                "snakebridge.lock is missing but the manifest lists "
                f"{len(manifest.symbols)} symbol(s)",
                f"{REPAIR} (regenerates and records the environment)",
                regenerate=True,
            )
        )
    elif report.lock is not None:
        for name in sorted(manifest.libraries() & set(declared)):
            if name not in report.lock.libraries:
                add(
                    Finding(
                        "lock_library_missing",
                        f"snakebridge.lock has no entry for {name}, which has generated symbols",
                        REPAIR,
                        library=name,
                        regenerate=True,
                    )
                )

    if environment:
        _check_environment(project, report)
    return report


def _check_digest(
    manifest: manifest_mod.Manifest,
    rel: str,
    data: bytes,
    add: Callable[[Finding], None],
    library: str,
) -> None:
    """Any byte of the file, not only the symbols' text: moduledoc, types, discovery data."""
    recorded = manifest.files.get(rel)
    if recorded == manifest_mod.digest(data):
        return
    if recorded is None:
        message = (
            f"{rel} has no digest in the manifest (made by an older SnakeBridge, or the "
            f"manifest was edited), so its bytes cannot be checked"
        )
    elif recorded == manifest_mod.MERGED:
        message = (
            f"the manifest holds two digests for {rel}: a git merge combined two generations of it"
        )
    else:
        message = (
            f"{rel} differs from what was generated outside any symbol's code: a comment, a "
            f"blank line, a @moduledoc, a type or the discovery data changed"
        )
    add(Finding("changed_file", message, f"{REPAIR} (re-renders {rel})", library, True))


def _check_environment(project: Project, report: Report) -> None:
    add = report.findings.append
    try:
        report.current = lock_mod.current(project)
    except ProjectError as exc:
        add(Finding("not_installed", str(exc), "mix snakebridge.setup"))
        return
    if report.lock is None or report.manifest is None or not report.manifest.symbols:
        return
    stale = lock_mod.staleness(report.lock, report.current)
    report.staleness = stale
    report.drift = lock_mod.drift(report.lock, report.current)
    with_symbols = report.manifest.libraries()
    if stale.everything:
        for reason in stale.reasons:
            if "regenerating everything" in reason:
                add(
                    Finding(
                        "environment",
                        "the environment differs from snakebridge.lock: "
                        + reason.replace(": regenerating everything", ""),
                        f"`mix compile` or {REPAIR} regenerates every library",
                        regenerate=True,
                    )
                )
    for name in sorted(stale.libraries & with_symbols):
        before = report.lock.libraries.get(name)
        after = report.current.libraries[name]
        was = before.resolved if before else "none"
        if after.requested == lock_mod.LOCAL_REQUESTED:
            message = (
                f"{name} (a local module of python_path:) changed since its bindings were "
                f"generated: its content is {after.resolved}, snakebridge.lock has {was}"
            )
            fix = f"`mix compile` or {REPAIR} regenerates {name}"
        else:
            message = (
                f"{name} is {after.resolved} in the environment but snakebridge.lock has {was}"
            )
            fix = (
                f"`mix compile` or {REPAIR} regenerates {name}; or `mix snakebridge.setup` "
                f"to install the locked {was}"
            )
        add(Finding("environment", message, fix, library=name, regenerate=True))
