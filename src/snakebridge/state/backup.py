"""Backups of the committed state, taken before anything destructive (prune, restore).

A backup is a directory ``.snakebridge/backups/<id>/`` holding copies of the manifest,
the lock and every generated ``.ex`` file, plus ``backup.json`` listing them. Restoring
makes exactly that set current again: files the backup holds are written back, and
tracked files it does not hold (they did not exist then) are removed.

Backups are local (``.gitignore``d by setup) and so may carry a time in their id;
nothing committed ever does.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from snakebridge.project import Project
from snakebridge.state.errors import StateError
from snakebridge.state.files import remove_file, write_atomic

INDEX = "backup.json"


@dataclass(frozen=True)
class Backup:
    id: str
    path: Path
    reason: str
    files: tuple[str, ...]  # paths relative to the project root


def backups_dir(project: Project) -> Path:
    return project.state_dir / "backups"


def tracked_files(project: Project) -> list[Path]:
    """The files a backup covers, as they exist now."""
    out = [p for p in (project.manifest_path, project.lock_path) if p.is_file()]
    if project.generated_dir.is_dir():
        out += sorted(p for p in project.generated_dir.rglob("*.ex") if p.is_file())
    return out


def _rel(project: Project, path: Path) -> str:
    return path.relative_to(project.root).as_posix()


def create(project: Project, reason: str) -> Backup:
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
    index = {"id": backup_id, "reason": reason, "files": files}
    # Not part of the caller's transaction: the backup must exist before anything changes.
    write_atomic(
        staging / INDEX,
        (json.dumps(index, indent=2, sort_keys=True) + "\n").encode(),
        transactional=False,
    )
    # The backup appears under its final name only once complete.
    staging.rename(root / backup_id)
    return Backup(backup_id, root / backup_id, reason, tuple(files))


def _load(path: Path) -> Backup | None:
    try:
        data = json.loads((path / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        return None
    return Backup(
        id=path.name,
        path=path,
        reason=str(data.get("reason", "")),
        files=tuple(str(f) for f in data["files"]),
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


def find(project: Project, backup_id: str | None) -> Backup:
    backups = list_backups(project)
    if not backups:
        raise StateError(
            f"no backups in {backups_dir(project)}; `mix snakebridge.prune` makes one before "
            f"it changes anything"
        )
    if backup_id is None:
        return backups[-1]
    for b in backups:
        if b.id == backup_id:
            return b
    known = ", ".join(b.id for b in backups)
    raise StateError(f"no backup {backup_id!r}; known backups: {known}")


def restore(project: Project, backup: Backup) -> list[str]:
    """Make the backup's files current again; return the relative paths that changed.

    Inside a ``project_lock`` this is part of its transaction, like every state write.
    """
    changed = []
    keep = set(backup.files)
    for rel in backup.files:
        source = backup.path / "files" / rel
        if write_atomic(project.root / rel, source.read_bytes()):
            changed.append(rel)
    for path in tracked_files(project):
        rel = _rel(project, path)
        if rel not in keep and remove_file(path):
            changed.append(rel)
    return sorted(changed)
