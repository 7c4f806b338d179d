"""Generated vs used: which manifest symbols the scanned code calls, for analyze and prune.

A symbol (one manifest entry: an Elixir module and function name, all its arities) is
used when any detection names it, at any arity: the arities of one name live in one
generated function and are pruned together. Variants follow their symbol
(``snakebridge.codegen.names``): ``mean!`` is ``mean``, and so is ``mean_stream`` for a
library that declares ``mean`` streaming. A generated setter (``put_shape``, binding the
same Python attribute as its getter ``shape``) is one group with its getter: the
generator makes it whenever the getter exists, so both are used, unused and pruned
together. Symbols ``mix snakebridge.promote`` generated from recorded dynamic calls
(the manifest's ``promoted`` section), and symbols the ledger has seen called
dynamically, are not unused either: no scan can see their callers.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
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
    dynamic: tuple[SymbolEntry, ...] = ()  # promoted or seen in the ledger; not called statically


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


def owner(manifest: Manifest, entry: SymbolEntry) -> str:
    """The key of the symbol ``entry`` belongs to: its getter's for a generated setter."""
    getter = names.getter(entry.name)
    if getter is not None:
        found = manifest.symbols.get(f"{entry.elixir_module}.{getter}")
        if found is not None and found.python == entry.python:
            return found.key
    return entry.key


def groups(manifest: Manifest, entries: Iterable[SymbolEntry]) -> dict[str, list[SymbolEntry]]:
    """``entries`` by the symbol they belong to (a getter with its setter)."""
    out: dict[str, list[SymbolEntry]] = defaultdict(list)
    for e in entries:
        out[owner(manifest, e)].append(e)
    return dict(out)


def analyze(
    project: Project,
    manifest: Manifest,
    detections: Sequence[Detection],
    test_detections: Sequence[Detection],
    dynamic: Collection[str] = (),
) -> list[LibraryUsage]:
    """``dynamic``: symbol keys the ledger saw called dynamically (promoted ones are known
    from the manifest)."""
    used_sites = sites(project, detections)
    test_sites = sites(project, test_detections)
    dynamic_keys = set(dynamic) | set(manifest.promoted)
    declared = {lib.name for lib in project.libraries}
    out = []
    for library in sorted(declared | manifest.libraries()):
        used: list[SymbolEntry] = []
        unused: list[SymbolEntry] = []
        dyn: list[SymbolEntry] = []
        tested: dict[str, list[Detection]] = {}
        for members in groups(manifest, manifest.for_library(library)).values():
            keys = [e.key for e in members]
            if any(k in used_sites for k in keys):
                used += members
            elif any(k in dynamic_keys for k in keys):
                dyn += members
            else:
                unused += members
                for k in keys:
                    if k in test_sites:
                        tested[k] = test_sites[k]
        missing = tuple(
            d
            for d in detections
            if (s := _symbol(project, d)) is not None
            and s[0] == library
            and not _covered(manifest, s[1], d.arity)
        )
        unused.sort(key=_key)
        out.append(
            LibraryUsage(
                library,
                library in declared,
                tuple(sorted(used, key=_key)),
                tuple(unused),
                tuple(e for e in unused if e.key in tested),
                missing,
                tested,
                tuple(sorted(dyn, key=_key)),
            )
        )
    return out


def _key(entry: SymbolEntry) -> str:
    return entry.key


def _covered(manifest: Manifest, key: str, arity: int) -> bool:
    entry = manifest.symbols.get(key)
    return entry is not None and arity in entry.arities


def spellings(entry: SymbolEntry, streaming: Collection[str] = ()) -> tuple[str, ...]:
    """Every name a user may write for ``entry``: its key, Python name and bare name, and
    the same for its variants (``mean!``, ``mean_stream`` when streaming)."""
    variants = [entry.name, names.bang(entry.name)]
    if entry.name in streaming:
        variants.append(names.stream_variant(entry.name))
    return (
        entry.python,
        *(f"{entry.elixir_module}.{v}" for v in variants),
        *variants,
    )


def matches(entry: SymbolEntry, patterns: Iterable[str], streaming: Collection[str] = ()) -> bool:
    """Glob match against any spelling of the entry (``spellings``)."""
    candidates = spellings(entry, streaming)
    return any(fnmatch.fnmatchcase(c, p) for p in patterns for c in candidates)


def where(detections: Sequence[Detection]) -> str:
    places = [f"{d.file}:{d.line}" if d.line else str(d.file) for d in detections[:3]]
    more = f" and {len(detections) - 3} more" if len(detections) > 3 else ""
    return ", ".join(places) + more
