"""``.snakebridge/manifest.json``: every generated symbol, committed, merge-friendly.

Layout (the exact bytes are what ``render`` produces; same manifest, same bytes)::

    {
    "snakebridge_manifest": 1,
    "symbols": {
    "Numpy.Linalg.solve": {"arities": [2], "checksum": "...", "elixir_module": "Numpy.Linalg", ...},
    "Numpy.median": {"arities": [1, 2], ...},
    "~": "end of symbols"
    },
    "promoted": {
    "Numpy.median": "numpy.median/1",
    "~": "end of promoted"
    },
    "files": {
    "lib/snakebridge_generated/numpy.ex": "sha256:...",
    "~": "end of files"
    }
    }

``symbols`` has one line per symbol, sorted by key. ``promoted`` (present when not
empty) names the symbols ``mix snakebridge.promote`` generated from recorded dynamic
calls: no scan finds their callers, so analyze and prune must not call them unused.
``files`` holds the sha256 of every generated file as it was committed together with
this manifest (``seal``, called by the project transaction), so ``verify`` notices any
byte changed anywhere in a generated file.

Every entry line ends in a comma because each section's sentinel ``"~"`` entry comes
last. Two branches that each add a symbol therefore touch different lines; with
``merge=union`` in ``.gitattributes`` (written by ``mix snakebridge.setup``) git keeps
both and the result is still valid JSON. ``read`` accepts the union result (lines out
of order; a file with two digests reads as ``MERGED``, which ``verify`` reports) and
``write`` sorts it again. No timestamps anywhere, so an unchanged project rewrites identical bytes.

The line layout is part of the format: ``read`` rejects a file whose lines are not as
``render`` writes them (``layout_problem``), and the pre-pass applies the same rules
without Python (``SnakeBridge.Scanner.Manifest``), so a truncated, conflicted or
reformatted manifest fails every ``mix compile`` instead of going unnoticed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from snakebridge.state.errors import StateError
from snakebridge.state.files import exists, read_bytes, write_atomic

if TYPE_CHECKING:
    from snakebridge.project import Project

FORMAT = 1
_SENTINEL = "~"
_FIELDS = ("library", "elixir_module", "name", "arities", "python", "kind", "checksum")
# The sections, in file order; only "symbols" is always written.
SECTIONS = ("symbols", "promoted", "files")
# The digest of a file a union merge left two different digests for.
MERGED = "merged"
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class SymbolEntry:
    library: str  # allowlist key from mix.exs ("numpy")
    elixir_module: str  # "Numpy.Linalg"
    name: str  # Elixir function name ("solve")
    arities: tuple[int, ...]  # Elixir arities generated for this name, sorted
    python: str  # dotted Python name ("numpy.linalg.solve")
    kind: str  # "function", "class", "method", "attribute", ... (the generator's vocabulary)
    checksum: str  # content checksum of the generated code for this symbol

    @property
    def key(self) -> str:
        return key(self.elixir_module, self.name)


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Manifest:
    symbols: Mapping[str, SymbolEntry] = field(default_factory=_empty)
    # symbol key -> the recorded dynamic call it was promoted from ("numpy.median/1")
    promoted: Mapping[str, str] = field(default_factory=_empty)
    # generated file (relative to the project root) -> "sha256:<hex>" of its bytes, or MERGED
    files: Mapping[str, str] = field(default_factory=_empty)

    def libraries(self) -> frozenset[str]:
        return frozenset(e.library for e in self.symbols.values())

    def for_library(self, library: str) -> tuple[SymbolEntry, ...]:
        return tuple(e for k, e in sorted(self.symbols.items()) if e.library == library)

    def has(self, elixir_module: str, name: str, arity: int | None = None) -> bool:
        entry = self.symbols.get(key(elixir_module, name))
        return entry is not None and (arity is None or arity in entry.arities)


def key(elixir_module: str, name: str) -> str:
    return f"{elixir_module}.{name}"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _frozen(items: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(sorted(items.items())))


def build(entries: Iterable[SymbolEntry]) -> Manifest:
    """A manifest from entries; the same key twice must describe the same symbol."""
    out: dict[str, SymbolEntry] = {}
    for entry in entries:
        normalized = _normalize(entry)
        prev = out.get(normalized.key)
        if prev is not None and prev != normalized:
            raise ValueError(
                f"two different manifest entries for {normalized.key}: {prev} and {normalized}"
            )
        out[normalized.key] = normalized
    return Manifest(_frozen(out))


def with_entries(manifest: Manifest, entries: Iterable[SymbolEntry]) -> Manifest:
    """``manifest`` plus ``entries``; an entry with an existing key replaces the old one.

    ``promoted`` and ``files`` are kept: the generator replaces a library's entries as
    ``with_entries(without(m, old_keys), new)``, and a promoted symbol stays promoted.
    """
    merged = dict(manifest.symbols)
    for entry in entries:
        normalized = _normalize(entry)
        merged[normalized.key] = normalized
    return dataclasses.replace(manifest, symbols=_frozen(merged))


def without(manifest: Manifest, keys: Iterable[str]) -> Manifest:
    """``manifest`` minus the symbols ``keys`` (their ``promoted`` marks are dropped when
    the manifest is written without them)."""
    drop = set(keys)
    kept = {k: v for k, v in manifest.symbols.items() if k not in drop}
    return dataclasses.replace(manifest, symbols=_frozen(kept))


def with_promoted(manifest: Manifest, promoted: Mapping[str, str]) -> Manifest:
    """Mark symbol keys as promoted from the recorded dynamic calls ``promoted`` names."""
    return dataclasses.replace(manifest, promoted=_frozen({**manifest.promoted, **promoted}))


def with_files(manifest: Manifest, digests: Mapping[str, str | None]) -> Manifest:
    """Record file digests (``None`` forgets a file's digest)."""
    files = {**manifest.files, **digests}
    kept = {k: v for k, v in files.items() if v is not None}
    return dataclasses.replace(manifest, files=_frozen(kept))


def _normalize(entry: SymbolEntry) -> SymbolEntry:
    arities = tuple(sorted(set(entry.arities)))
    if arities == entry.arities:
        return entry
    return dataclasses.replace(entry, arities=arities)


def _merge_entry(a: SymbolEntry, b: SymbolEntry, source: Path | None) -> SymbolEntry:
    if a == b:
        return a
    where = f" in {source}" if source else ""
    raise StateError(
        f"the manifest has two different entries for {a.key}{where} (usually a git merge "
        f"that changed the same symbol on both branches). Delete one of the two lines, then "
        f"run `mix snakebridge.repair` to regenerate that symbol."
    )


# ----------------------------------------------------------------------------- sealing


def seal(project: Project, written: Iterable[Path]) -> None:
    """Record in the manifest the digests of the generated files a transaction wrote.

    Called by ``files.project_lock`` just before its transaction commits, with every
    generated file the transaction wrote, confirmed unchanged, or removed; so the manifest
    committed always holds the digest of the bytes committed with it. Files the
    transaction did not write keep the digest they had: a hand edit stays detectable.
    Nothing happens when the transaction leaves no manifest, or an unreadable one.
    """
    if not exists(project.manifest_path):
        return
    try:
        current = read(project.manifest_path)
    except StateError:
        return
    digests: dict[str, str | None] = {}
    for path in written:
        try:
            digests[project.relative(path)] = digest(read_bytes(path))
        except FileNotFoundError:
            digests[project.relative(path)] = None
    write(project.manifest_path, with_files(current, digests))


# ----------------------------------------------------------------------------- reading


def read(path: Path) -> Manifest:
    """The manifest at ``path``; an empty one when the file does not exist."""
    path = Path(path)
    try:
        text = read_bytes(path).decode("utf-8")
    except FileNotFoundError:
        return Manifest()
    except (OSError, UnicodeDecodeError) as exc:
        raise _corrupt(path, str(exc)) from exc
    return parse(text, path)


class _Object(dict[str, Any]):
    """A JSON object that remembers its pairs in file order, duplicates included (a union
    merge can produce them)."""

    pairs: list[tuple[str, Any]]


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    obj.pairs = pairs
    return obj


def parse(text: str, path: Path | None = None) -> Manifest:
    where = path or Path("manifest.json")
    try:
        data = json.loads(text, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise _corrupt(where, f"invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    if not isinstance(data, dict) or "symbols" not in data:
        raise _corrupt(where, 'no "symbols" object')
    if data.get("snakebridge_manifest") != FORMAT:
        raise _corrupt(
            where,
            f"unsupported format {data.get('snakebridge_manifest')!r} (this SnakeBridge reads "
            f"format {FORMAT}); upgrade SnakeBridge or regenerate",
        )
    sections = {name: data.get(name, _object([])) for name in SECTIONS}
    for name, section in sections.items():
        if not isinstance(section, _Object):
            raise _corrupt(where, f'"{name}" is not an object')
    symbols: dict[str, SymbolEntry] = {}
    for name, raw in sections["symbols"].pairs:
        if name == _SENTINEL:
            continue
        entry = _entry(name, raw, where)
        prev = symbols.get(name)
        symbols[name] = entry if prev is None else _merge_entry(prev, entry, where)
    promoted: dict[str, str] = {}
    for name, origin in sections["promoted"].pairs:
        if name != _SENTINEL:
            if not isinstance(origin, str):
                raise _corrupt(where, f"promoted {name!r} must name a string")
            promoted[name] = origin
    files: dict[str, str] = {}
    for name, value in sections["files"].pairs:
        if name == _SENTINEL:
            continue
        if not isinstance(value, str) or not (value == MERGED or _DIGEST.fullmatch(value)):
            raise _corrupt(where, f"files {name!r} must be a sha256 digest")
        files[name] = value if files.get(name, value) == value else MERGED
    problem = layout_problem(text)
    if problem is not None:
        raise _corrupt(where, problem)
    return Manifest(_frozen(symbols), _frozen(promoted), _frozen(files))


def _entry(name: str, raw: Any, where: Path) -> SymbolEntry:
    if not isinstance(raw, dict):
        raise _corrupt(where, f"entry {name!r} is not an object")
    missing = [f for f in _FIELDS if f not in raw]
    if missing:
        raise _corrupt(where, f"entry {name!r} lacks {', '.join(missing)}")
    arities = raw["arities"]
    if not isinstance(arities, list) or not all(
        isinstance(a, int) and not isinstance(a, bool) and a >= 0 for a in arities
    ):
        raise _corrupt(where, f"entry {name!r}: arities must be a list of non-negative integers")
    strings = {f: raw[f] for f in _FIELDS if f != "arities"}
    bad = [f for f, v in strings.items() if not isinstance(v, str)]
    if bad:
        raise _corrupt(where, f"entry {name!r}: {', '.join(bad)} must be strings")
    entry = SymbolEntry(
        library=strings["library"],
        elixir_module=strings["elixir_module"],
        name=strings["name"],
        arities=tuple(sorted(set(arities))),
        python=strings["python"],
        kind=strings["kind"],
        checksum=strings["checksum"],
    )
    if entry.key != name:
        raise _corrupt(
            where, f"entry {name!r} describes {entry.key}; the key must be elixir_module.name"
        )
    return entry


# The line rules; SnakeBridge.Scanner.Manifest (the pre-pass) applies the same ones.
_STRING = r'"(?:[^"\\\x00-\x1f]|\\.)*"'
_SYMBOL_LINE = re.compile(
    rf'{_STRING}: \{{"arities": \[(?:\d+(?:, \d+)*)?\], "checksum": {_STRING}, '
    rf'"elixir_module": {_STRING}, "kind": {_STRING}, "library": {_STRING}, '
    rf'"name": {_STRING}, "python": {_STRING}\}},'
)
_STRING_LINE = re.compile(rf"{_STRING}: {_STRING},")


def layout_problem(text: str) -> str | None:
    """Why ``text`` is not laid out as ``render`` writes it (a union merge of such files
    is), or None. The rules: the two header lines; then each section in ``SECTIONS``
    order, "symbols" first: its opening line, entry lines (one JSON member each, ending
    in a comma), its sentinel line, and ``},`` or, after the last section, ``}``; then
    ``}`` and a final newline."""
    lines = text.split("\n")
    if lines[-1] != "":
        return "the file does not end with a newline (truncated?)"
    lines.pop()
    if lines[:2] != ["{", f'"snakebridge_manifest": {FORMAT},']:
        return 'it does not start with the lines `{` and `"snakebridge_manifest": 1,`'
    i = 2
    remaining = list(SECTIONS)
    while True:
        opening = lines[i] if i < len(lines) else ""
        name = next((s for s in remaining if opening == f'"{s}": {{'), None)
        if name is None or (i == 2 and name != "symbols"):
            return f'line {i + 1} should open a section ("symbols": {{ first)'
        remaining = remaining[remaining.index(name) + 1 :]
        entry_line = _SYMBOL_LINE if name == "symbols" else _STRING_LINE
        sentinel = f'"{_SENTINEL}": "end of {name}"'
        i += 1
        while i < len(lines) and lines[i] != sentinel:
            if not entry_line.fullmatch(lines[i]):
                return f"line {i + 1} is not a {name} entry as SnakeBridge writes it"
            i += 1
        if i >= len(lines):
            return f"the {name} section has no end line {sentinel} (truncated?)"
        closing = lines[i + 1] if i + 1 < len(lines) else ""
        i += 2
        if closing == "}":
            break
        if closing != "},":
            return f"line {i} should close the {name} section"
    if lines[i:] != ["}"]:
        return f"line {i + 1} should be the final `}}`"
    return None


def _corrupt(path: Path, detail: str) -> StateError:
    return StateError(
        f"cannot read the manifest {path}: {detail}. Nothing was changed. Fix: restore it "
        f"from git (`git checkout -- {path.name}` in its directory) or from a backup "
        f"(`mix snakebridge.restore`), or delete it and run `mix snakebridge.repair`.",
        detail,
    )


# ----------------------------------------------------------------------------- writing


def _entry_json(entry: SymbolEntry) -> str:
    data = {
        "arities": list(entry.arities),
        "checksum": entry.checksum,
        "elixir_module": entry.elixir_module,
        "kind": entry.kind,
        "library": entry.library,
        "name": entry.name,
        "python": entry.python,
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(", ", ": "))


def _string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def render(manifest: Manifest) -> bytes:
    sections = {
        "symbols": [
            f"{_string(k)}: {_entry_json(_normalize(e))},"
            for k, e in sorted(manifest.symbols.items())
        ],
        # A promoted mark outlives its symbol only until the next write.
        "promoted": [
            f"{_string(k)}: {_string(v)},"
            for k, v in sorted(manifest.promoted.items())
            if k in manifest.symbols
        ],
        "files": [f"{_string(k)}: {_string(v)}," for k, v in sorted(manifest.files.items())],
    }
    written = [name for name in SECTIONS if name == "symbols" or sections[name]]
    lines = ["{", f'"snakebridge_manifest": {FORMAT},']
    for name in written:
        lines.append(f'"{name}": {{')
        lines += sections[name]
        lines.append(f'"{_SENTINEL}": "end of {name}"')
        lines.append("}" if name == written[-1] else "},")
    lines.append("}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def write(path: Path, manifest: Manifest) -> bool:
    return write_atomic(Path(path), render(manifest))
