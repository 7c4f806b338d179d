"""``.snakebridge/manifest.json``: every generated symbol, committed, merge-friendly.

Layout (the exact bytes are what ``render`` produces; same manifest, same bytes)::

    {
    "snakebridge_manifest": 1,
    "symbols": {
    "Numpy.Linalg.solve": {"arities": [2], "checksum": "...", "elixir_module": "Numpy.Linalg", ...},
    "Numpy.mean": {"arities": [1, 2], ...},
    "~": "end of symbols"
    }
    }

One line per symbol, sorted by key, and every symbol line ends in a comma because the
sentinel ``"~"`` entry always comes last. Two branches that each add a symbol therefore
touch different lines; with ``merge=union`` in ``.gitattributes`` (written by
``mix snakebridge.setup``) git keeps both and the result is still valid JSON. ``read``
accepts the union result (lines possibly out of order) and ``write`` sorts it again.
No timestamps anywhere (seed decision 12).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from snakebridge.state.errors import StateError
from snakebridge.state.files import read_bytes, write_atomic

FORMAT = 1
_SENTINEL = "~"
_SENTINEL_TEXT = "end of symbols"
_FIELDS = ("library", "elixir_module", "name", "arities", "python", "kind", "checksum")


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


@dataclass(frozen=True)
class Manifest:
    symbols: Mapping[str, SymbolEntry] = field(default_factory=lambda: MappingProxyType({}))

    def libraries(self) -> frozenset[str]:
        return frozenset(e.library for e in self.symbols.values())

    def for_library(self, library: str) -> tuple[SymbolEntry, ...]:
        return tuple(e for k, e in sorted(self.symbols.items()) if e.library == library)

    def has(self, elixir_module: str, name: str, arity: int | None = None) -> bool:
        entry = self.symbols.get(key(elixir_module, name))
        return entry is not None and (arity is None or arity in entry.arities)


def key(elixir_module: str, name: str) -> str:
    return f"{elixir_module}.{name}"


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
    return Manifest(MappingProxyType(dict(sorted(out.items()))))


def with_entries(manifest: Manifest, entries: Iterable[SymbolEntry]) -> Manifest:
    """``manifest`` plus ``entries``; an entry with an existing key replaces the old one."""
    merged = dict(manifest.symbols)
    for entry in entries:
        normalized = _normalize(entry)
        merged[normalized.key] = normalized
    return Manifest(MappingProxyType(dict(sorted(merged.items()))))


def without(manifest: Manifest, keys: Iterable[str]) -> Manifest:
    drop = set(keys)
    return Manifest(
        MappingProxyType({k: v for k, v in sorted(manifest.symbols.items()) if k not in drop})
    )


def _normalize(entry: SymbolEntry) -> SymbolEntry:
    arities = tuple(sorted(set(entry.arities)))
    if arities == entry.arities:
        return entry
    return SymbolEntry(
        library=entry.library,
        elixir_module=entry.elixir_module,
        name=entry.name,
        arities=arities,
        python=entry.python,
        kind=entry.kind,
        checksum=entry.checksum,
    )


def _merge_entry(a: SymbolEntry, b: SymbolEntry, source: Path | None) -> SymbolEntry:
    if a == b:
        return a
    where = f" in {source}" if source else ""
    raise StateError(
        f"the manifest has two different entries for {a.key}{where} (usually a git merge "
        f"that changed the same symbol on both branches). Delete one of the two lines, then "
        f"run `mix snakebridge.repair` to regenerate that symbol."
    )


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


def parse(text: str, path: Path | None = None) -> Manifest:
    where = path or Path("manifest.json")
    pairs_seen: list[list[tuple[str, Any]]] = []

    def keep_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        pairs_seen.append(pairs)
        return dict(pairs)

    try:
        data = json.loads(text, object_pairs_hook=keep_pairs)
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
    raw_symbols = data["symbols"]
    if not isinstance(raw_symbols, dict):
        raise _corrupt(where, '"symbols" is not an object')
    # The object_pairs_hook saw the symbols object's pairs in order, duplicates included
    # (a union merge can produce them); the symbols object is the one whose pairs hold
    # the sentinel or, for an empty file, the last-but-one object built.
    symbol_pairs = next(
        (p for p in pairs_seen if any(k == _SENTINEL for k, _ in p)), list(raw_symbols.items())
    )
    out: dict[str, SymbolEntry] = {}
    for name, raw in symbol_pairs:
        if name == _SENTINEL:
            continue
        entry = _entry(name, raw, where)
        prev = out.get(name)
        out[name] = entry if prev is None else _merge_entry(prev, entry, where)
    return Manifest(MappingProxyType(dict(sorted(out.items()))))


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


def render(manifest: Manifest) -> bytes:
    lines = ["{", f'"snakebridge_manifest": {FORMAT},', '"symbols": {']
    for name in sorted(manifest.symbols):
        entry = _normalize(manifest.symbols[name])
        lines.append(f"{json.dumps(name, ensure_ascii=False)}: {_entry_json(entry)},")
    lines.append(f'"{_SENTINEL}": "{_SENTINEL_TEXT}"')
    lines.append("}")
    lines.append("}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def write(path: Path, manifest: Manifest) -> bool:
    return write_atomic(Path(path), render(manifest))
