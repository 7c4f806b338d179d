"""``mix snakebridge.restore``: put a backup (taken by prune) back.

The newest backup unless ``--id`` names one; ``--list`` shows them. The state being
replaced is backed up first, so running restore again undoes the restore.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from snakebridge.cli import Output, Reply, command
from snakebridge.project import Project
from snakebridge.state import backup
from snakebridge.state.argv import Parser
from snakebridge.state.files import project_lock


@command("restore")
def run(project: Project, payload: Mapping[str, Any], output: Output) -> Reply:
    parser = Parser("restore")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--id")
    args = parser.parse_payload(payload)

    if args.list:
        backups = backup.list_backups(project)
        if not backups:
            output.out(
                "no backups yet (`mix snakebridge.prune` makes one before it changes anything)"
            )
        for b in reversed(backups):
            output.out(f"{b.id}  {len(b.files)} file(s)  {b.reason}")
        return Reply(data={"backups": [b.id for b in backups]})

    with project_lock(project):
        chosen = backup.find(project, args.id)
        before = backup.create(project, f"before restore of {chosen.id}")
        changed = backup.restore(project, chosen)
    if changed:
        output.out(f"restored backup {chosen.id} ({chosen.reason}):")
        for rel in changed:
            output.out(f"  {rel}")
    else:
        output.out(f"backup {chosen.id} matches the current state; nothing changed")
    output.out(
        f"the replaced state is in backup {before.id} "
        f"(`mix snakebridge.restore --id {before.id}` brings it back)"
    )
    return Reply(data={"restored": chosen.id, "changed": changed, "backup": before.id})
