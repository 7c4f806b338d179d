"""Backups of the committed state, taken before anything destructive (prune, restore).

A backup is a directory ``.snakebridge/backups/<id>/`` holding copies of the manifest,
the lock and every generated ``.ex`` file, plus ``backup.json`` listing them. Restoring
makes exactly that set current again: files the backup holds are written back, and
tracked files it does not hold (they did not exist then) are removed.

Restoring is idempotent: the state a restore replaces is saved as a backup of its own
(``undo_of`` names the backup restored), and the restored backup records that backup's
id (``restored``). ``latest`` is the newest backup a destructive command took, never one
a restore took, so running restore twice restores once.

Backups are local (``.gitignore``d by setup) and so may carry a time in their id;
nothing committed ever does.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path

from snakebridge.project import Project
from snakebridge.state.errors import StateError
from snakebridge.state.files import generated_sources, read_bytes, remove_file, write_atomic

INDEX = "backup.json"


@dataclass(frozen=True)
class Backup:
    id: str
    path: Path
    reason: str
    files: tuple[str, ...]  # paths relative to the project root
    undo_of: str | None = None  # taken by restore, before it restored this backup id
    restored: str | None = None  # restored once; the id of the backup of the state it replaced


def backups_dir(project: Project) -> Path:
    return project.state_dir / "backups"


def tracked_files(project: Project) -> list[Path]:
    """The files a backup covers, as they exist now."""
    out = [p for p in (project.manifest_path, project.lock_path) if p.is_file()]
    return out + generated_sources(project)


def _rel(project: Project, path: Path) -> str:
    return path.relative_to(project.root).as_posix()


def create(project: Project, reason: str, *, undo_of: str | None = None) -> Backup:
    root = backups_dir(project)
    root.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    n = 1
    while (root / f"{stamp}-{n}").exists():
        n += 1
    backup_id = f"{stamp}-{n}"
    staging = root / f".{backup_id}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    files = []
    for path in tracked_files(project):
        rel = _rel(project, path)
        target = staging / "files" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        files.append(rel)
    made = Backup(backup_id, root / backup_id, reason, tuple(files), undo_of=undo_of)
    # Not part of the caller's transaction: the backup must exist before anything changes.
    write_atomic(staging / INDEX, _index(made), transactional=False)
    # The backup appears under its final name only once complete.
    staging.rename(made.path)
    return made


def _index(b: Backup) -> bytes:
    data: dict[str, object] = {"id": b.id, "reason": b.reason, "files": list(b.files)}
    if b.undo_of is not None:
        data["undo_of"] = b.undo_of
    if b.restored is not None:
        data["restored"] = b.restored
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def _load(path: Path) -> Backup | None:
    try:
        data = json.loads((path / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        return None
    undo_of, restored = data.get("undo_of"), data.get("restored")
    return Backup(
        id=path.name,
        path=path,
        reason=str(data.get("reason", "")),
        files=tuple(str(f) for f in data["files"]),
        undo_of=undo_of if isinstance(undo_of, str) else None,
        restored=restored if isinstance(restored, str) else None,
    )


def list_backups(project: Project) -> list[Backup]:
    """Complete backups, oldest first."""
    root = backups_dir(project)
    if not root.is_dir():
        return []
    found = (_load(p) for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith("."))
    return sorted((b for b in found if b is not None), key=_order)


def _order(backup: Backup) -> tuple[str, int]:
    stamp, _, n = backup.id.rpartition("-")
    return (stamp, int(n) if n.isdigit() else 0)


def latest(project: Project) -> Backup | None:
    """The newest backup taken by a destructive command (prune, repair, ...), not by restore."""
    taken = [b for b in list_backups(project) if b.undo_of is None]
    return taken[-1] if taken else None


def find(project: Project, backup_id: str) -> Backup:
    backups = list_backups(project)
    for b in backups:
        if b.id == backup_id:
            return b
    known = ", ".join(b.id for b in backups) or "none"
    raise StateError(f"no backup {backup_id!r}; known backups: {known}")


def differences(project: Project, backup: Backup) -> list[str]:
    """The relative paths ``restore`` would change: written back, or removed."""
    out = []
    for rel in backup.files:
        try:
            current: bytes | None = read_bytes(project.root / rel)
        except FileNotFoundError:
            current = None
        if current != (backup.path / "files" / rel).read_bytes():
            out.append(rel)
    held = set(backup.files)
    out += [r for r in (_rel(project, p) for p in tracked_files(project)) if r not in held]
    return sorted(out)


def mark_restored(backup: Backup, undo: Backup) -> None:
    """Record in ``backup`` that it was restored, ``undo`` holding the state replaced.

    Transactional: inside the restore's ``project_lock`` it commits with the restore.
    """
    write_atomic(backup.path / INDEX, _index(replace(backup, restored=undo.id)))


def restore(project: Project, backup: Backup) -> list[str]:
    """Make the backup's files current again; return the relative paths that changed.

    Inside a ``project_lock`` this is part of its transaction, like every state write.
    """
    changed = []
    keep = set(backup.files)
    for rel in backup.files:
        source = backup.path / "files" / rel
        # The backup's bytes come with the backup's manifest and its digests.
        if write_atomic(project.root / rel, source.read_bytes(), generated=False):
            changed.append(rel)
    for path in tracked_files(project):
        rel = _rel(project, path)
        if rel not in keep and remove_file(path):
            changed.append(rel)
    return sorted(changed)
