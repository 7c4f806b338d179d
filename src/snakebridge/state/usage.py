"""Generated vs used: which manifest symbols the scanned code calls, for analyze and prune.

A symbol (one manifest entry: an Elixir module and function name, all its arities) is
used when any detection names it, at any arity: the arities of one name live in one
generated function and are pruned together. ``name_stream`` counts as ``name`` for a
library that declares ``name`` streaming (the generator emits both from one entry).
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from snakebridge.codegen import names
from snakebridge.project import Detection, Project
from snakebridge.state.manifest import Manifest, SymbolEntry


@dataclass(frozen=True)
class LibraryUsage:
    library: str
    declared: bool
    used: tuple[SymbolEntry, ...]
    unused: tuple[SymbolEntry, ...]
    test_only: tuple[SymbolEntry, ...]  # unused by the scan paths, called from test/
    missing: tuple[Detection, ...]  # called, but no binding in the manifest
    test_sites: dict[str, list[Detection]] = field(default_factory=dict)


def _symbol(project: Project, d: Detection) -> tuple[str, str] | None:
    spec = project.library_for_module(d.module)
    if spec is None:
        return None
    name = names.symbol_name(d.function, spec.streaming)
    if name is None:
        return None
    return spec.name, f"{d.module}.{name}"


def sites(project: Project, detections: Iterable[Detection]) -> dict[str, list[Detection]]:
    out: dict[str, list[Detection]] = defaultdict(list)
    for d in detections:
        found = _symbol(project, d)
        if found is not None:
            out[found[1]].append(d)
    return out


def analyze(
    project: Project,
    manifest: Manifest,
    detections: Sequence[Detection],
    test_detections: Sequence[Detection],
) -> list[LibraryUsage]:
    used_sites = sites(project, detections)
    test_sites = sites(project, test_detections)
    declared = {lib.name for lib in project.libraries}
    out = []
    for library in sorted(declared | manifest.libraries()):
        entries = manifest.for_library(library)
        used = tuple(e for e in entries if e.key in used_sites)
        unused = tuple(e for e in entries if e.key not in used_sites)
        test_only = tuple(e for e in unused if e.key in test_sites)
        missing = tuple(
            d
            for d in detections
            if (s := _symbol(project, d)) is not None
            and s[0] == library
            and not _covered(manifest, s[1], d.arity)
        )
        out.append(
            LibraryUsage(
                library,
                library in declared,
                used,
                unused,
                test_only,
                missing,
                {e.key: test_sites[e.key] for e in test_only},
            )
        )
    return out


def _covered(manifest: Manifest, key: str, arity: int) -> bool:
    entry = manifest.symbols.get(key)
    return entry is not None and arity in entry.arities


def matches(entry: SymbolEntry, patterns: Iterable[str]) -> bool:
    """Glob match against the Elixir key, the Python name, or the bare function name."""
    return any(
        fnmatch.fnmatchcase(candidate, pattern)
        for pattern in patterns
        for candidate in (entry.key, entry.python, entry.name)
    )


def where(detections: Sequence[Detection]) -> str:
    places = [f"{d.file}:{d.line}" if d.line else str(d.file) for d in detections[:3]]
    more = f" and {len(detections) - 3} more" if len(detections) > 3 else ""
    return ", ".join(places) + more
