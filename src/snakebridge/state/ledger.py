"""``.snakebridge/ledger.json``: dynamic calls seen in development, until promoted.

The runtime's worker calls ``merge_records`` with the counts it gathered
(``(library, python_module, function, arity) -> count``); ``mix snakebridge.ledger``
lists what is not in the manifest yet and ``mix snakebridge.promote`` turns it into
generated bindings, only when asked (CI builds the committed manifest). The ledger
is never committed (setup writes the
``.gitignore`` line), so it carries no timestamps either: counts only, and for a call
promote found no binding can replace (a module, a function read as a value), the
reason (``problem``), so it is reported instead of retried.

Several workers may merge at once, and the worker must never corrupt or lose the
file, so each merge takes a file lock (``ledger.json.lock``, separate from the project
lock so recording never waits for a long ``mix compile``), re-reads, adds and writes
atomically.

Stdlib only: the worker imports this module.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from snakebridge.state.errors import StateError
from snakebridge.state.files import file_lock, write_atomic

FORMAT = 1

RecordKey = tuple[str, str, str, int]  # (library, python_module, function, arity)


@dataclass(frozen=True)
class LedgerEntry:
    library: str
    python_module: str
    function: str
    arity: int
    count: int
    problem: str | None = None  # why promote cannot turn it into a binding

    @property
    def record_key(self) -> RecordKey:
        return (self.library, self.python_module, self.function, self.arity)


@dataclass(frozen=True)
class Ledger:
    counts: Mapping[RecordKey, int] = field(default_factory=lambda: MappingProxyType({}))
    problems: Mapping[RecordKey, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def entries(self) -> tuple[LedgerEntry, ...]:
        return tuple(
            LedgerEntry(*k, count=c, problem=self.problems.get(k))
            for k, c in sorted(self.counts.items())
        )

    def __len__(self) -> int:
        return len(self.counts)


def lock_path(ledger_path: Path) -> Path:
    return Path(str(ledger_path) + ".lock")


def read(ledger_path: Path) -> Ledger:
    """The ledger; empty when the file does not exist."""
    path = Path(ledger_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Ledger()
    except (OSError, UnicodeDecodeError) as exc:
        raise _corrupt(path, str(exc)) from exc
    return parse(text, path)


def parse(text: str, path: Path) -> Ledger:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _corrupt(path, f"invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    if not isinstance(data, dict) or data.get("snakebridge_ledger") != FORMAT:
        raise _corrupt(path, "not a SnakeBridge ledger (format 1)")
    calls = data.get("calls")
    if not isinstance(calls, list):
        raise _corrupt(path, '"calls" must be a list')
    counts: dict[RecordKey, int] = {}
    problems: dict[RecordKey, str] = {}
    for i, raw in enumerate(calls):
        k = _record_key(raw)
        count = raw.get("count") if isinstance(raw, dict) else None
        problem = raw.get("problem") if isinstance(raw, dict) else None
        if k is None or not _is_count(count) or not isinstance(problem, (str, type(None))):
            raise _corrupt(
                path,
                f"call #{i + 1} needs library, python_module, function (strings), "
                f"arity and count (non-negative integers), and problem (a string) if any",
            )
        assert isinstance(count, int)
        counts[k] = counts.get(k, 0) + count
        if problem:
            problems[k] = problem
    return _ledger(counts, problems)


def _ledger(counts: Mapping[RecordKey, int], problems: Mapping[RecordKey, str]) -> Ledger:
    return Ledger(
        MappingProxyType(dict(sorted(counts.items()))),
        MappingProxyType({k: v for k, v in sorted(problems.items()) if k in counts}),
    )


def _record_key(raw: Any) -> RecordKey | None:
    if not isinstance(raw, dict):
        return None
    lib, mod, fn, arity = (raw.get(k) for k in ("library", "python_module", "function", "arity"))
    if not (isinstance(lib, str) and isinstance(mod, str) and isinstance(fn, str)):
        return None
    if not _is_count(arity):
        return None
    assert isinstance(arity, int)
    return (lib, mod, fn, arity)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def render(ledger: Ledger) -> bytes:
    lines = ["{", f'"snakebridge_ledger": {FORMAT},', '"calls": [']
    rows = [
        json.dumps(
            {
                "arity": e.arity,
                "count": e.count,
                "function": e.function,
                "library": e.library,
                "python_module": e.python_module,
                **({"problem": e.problem} if e.problem else {}),
            },
            sort_keys=True,
            ensure_ascii=False,
            separators=(", ", ": "),
        )
        for e in ledger.entries
    ]
    if rows:
        lines.append(",\n".join(rows))
    lines.append("]")
    lines.append("}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def write(ledger_path: Path, ledger: Ledger) -> bool:
    return write_atomic(Path(ledger_path), render(ledger), transactional=False)


def merge_records(ledger_path: Path, records: Mapping[RecordKey, int]) -> None:
    """Add ``records`` to the ledger's counts: file-locked, atomic, never loses earlier counts.

    A ledger that cannot be read is moved aside to ``ledger.json.corrupt`` (kept for the
    user to inspect) and a fresh one is started, because the worker calling this must not
    fail a user's Python call over a development-only file.
    """
    clean: dict[RecordKey, int] = {}
    for k, count in records.items():
        lib, mod, fn, arity = k
        if count <= 0:
            continue
        norm = (str(lib), str(mod), str(fn), int(arity))
        clean[norm] = clean.get(norm, 0) + int(count)
    if not clean:
        return
    path = Path(ledger_path)
    with file_lock(lock_path(path), timeout=30.0, what="the ledger"):
        try:
            current = read(path)
        except StateError:
            os.replace(path, Path(str(path) + ".corrupt"))
            current = Ledger()
        merged = dict(current.counts)
        for k, count in clean.items():
            merged[k] = merged.get(k, 0) + count
        write(path, _ledger(merged, current.problems))


def remove(ledger_path: Path, keys: Iterable[RecordKey]) -> int:
    """Drop ``keys`` from the ledger (after promotion); return how many were removed."""
    drop = set(keys)
    path = Path(ledger_path)
    with file_lock(lock_path(path), timeout=30.0, what="the ledger"):
        current = read(path)
        kept = {k: c for k, c in current.counts.items() if k not in drop}
        removed = len(current.counts) - len(kept)
        if removed:
            write(path, _ledger(kept, current.problems))
        return removed


def set_problems(ledger_path: Path, problems: Mapping[RecordKey, str]) -> None:
    """Record why these calls cannot be promoted (``promote`` reports them, not retries)."""
    path = Path(ledger_path)
    with file_lock(lock_path(path), timeout=30.0, what="the ledger"):
        current = read(path)
        write(path, _ledger(current.counts, {**current.problems, **problems}))


def _corrupt(path: Path, detail: str) -> StateError:
    return StateError(
        f"cannot read the ledger {path}: {detail}. It only holds dynamic calls recorded in "
        f"development, so it is safe to delete; the next recorded call starts a new one."
    )
