"""``mix snakebridge.restore``: put the last backup (taken by prune or repair) back, once.

Without flags it restores the newest backup a destructive command took; once that one
has been restored, running it again changes nothing and says so. ``--id`` restores a
given backup (``--list`` shows them). Whenever a restore changes something, the state
it replaces is backed up first, so ``--id`` can bring that back too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from snakebridge.cli import Output, Reply, command
from snakebridge.project import Project
from snakebridge.state import backup
from snakebridge.state.argv import Parser
from snakebridge.state.files import project_lock


def _describe(b: backup.Backup) -> str:
    notes = []
    if b.undo_of is not None:
        notes.append(f"state before restoring {b.undo_of}")
    if b.restored is not None:
        notes.append(f"restored; the state it replaced is {b.restored}")
    return b.reason + (f"  ({'; '.join(notes)})" if notes else "")


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
            output.out(f"{b.id}  {len(b.files)} file(s)  {_describe(b)}")
        return Reply(data={"backups": [b.id for b in backups]})

    nothing: dict[str, Any] = {"restored": None, "changed": [], "undo": None}
    with project_lock(project):
        chosen = backup.find(project, args.id) if args.id else backup.latest(project)
        if chosen is None:
            output.out(
                "nothing to restore: there are no backups (`mix snakebridge.prune` makes one "
                "before it changes anything)"
            )
            return Reply(data=nothing)
        if args.id is None and chosen.restored is not None:
            output.out(
                f"nothing to restore: the last backup, {chosen.id} ({chosen.reason}), was "
                f"restored already. `mix snakebridge.restore --id {chosen.restored}` brings "
                f"back the state that restore replaced; `--list` shows every backup."
            )
            return Reply(data={**nothing, "undo": chosen.restored})
        if not backup.differences(project, chosen):
            output.out(
                f"nothing to restore: backup {chosen.id} ({chosen.reason}) matches the "
                f"current state"
            )
            return Reply(data={**nothing, "restored": chosen.id})
        undo = backup.create(project, f"before restore of {chosen.id}", undo_of=chosen.id)
        changed = backup.restore(project, chosen)
        backup.mark_restored(chosen, undo)
    output.out(f"restored backup {chosen.id} ({chosen.reason}):")
    for rel in changed:
        output.out(f"  {rel}")
    output.out(
        f"the replaced state is in backup {undo.id} "
        f"(`mix snakebridge.restore --id {undo.id}` brings it back)"
    )
    return Reply(data={"restored": chosen.id, "changed": changed, "undo": undo.id})
