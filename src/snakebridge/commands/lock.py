"""``mix snakebridge.lock``: show the lock against the environment, or rebuild it.

Without flags it prints the lock and what the next ``mix compile`` would regenerate
(the invalidation table in ``state.lock``). ``--check`` exits 1 when anything would be.
``--rebuild`` rewrites the lock from the running environment, also when the current one
cannot be read; since that tells the next compile the bindings match this environment,
it says which libraries it thereby stops from being regenerated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from snakebridge.cli import Output, Reply, command
from snakebridge.project import Project
from snakebridge.state import lock as lock_mod
from snakebridge.state.argv import Parser
from snakebridge.state.errors import StateError
from snakebridge.state.files import project_lock


def _describe(lk: lock_mod.Lock, output: Output) -> None:
    output.out(f"  snakebridge {lk.snakebridge_version}, generator {lk.generator_hash[:19]}")
    output.out(
        f"  Python {lk.python_version} on {lk.platform}, interpreter {lk.interpreter_hash[:19]}"
    )
    for name, lib in sorted(lk.libraries.items()):
        requested = "" if lib.requested == lock_mod.STDLIB_REQUESTED else f" ({lib.requested})"
        output.out(f"  {name} {lib.resolved}{requested}")


@command("lock")
def run(project: Project, payload: Mapping[str, Any], output: Output) -> Reply:
    parser = Parser("lock")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--rebuild", action="store_true")
    mode.add_argument("--check", action="store_true")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_payload(payload)

    if args.rebuild:
        with project_lock(project):
            try:
                old = lock_mod.read(project.lock_path)
            except StateError as exc:
                # What --rebuild is for: the environment is the source, not the old file.
                old = None
                output.log(
                    "warning",
                    f"the previous snakebridge.lock could not be read ({exc.detail}); it is "
                    f"replaced by one describing the current environment. Whether the "
                    f"committed bindings were made for this environment is unknown: run "
                    f"`mix snakebridge.generate --force` if in doubt.",
                )
            new = lock_mod.current(project)
            stale = lock_mod.staleness(old, new)
            changed = lock_mod.write(project.lock_path, new)
        output.out(
            "snakebridge.lock "
            + (
                "rewritten from the current environment:"
                if changed
                else "already matches the current environment:"
            )
        )
        _describe(new, output)
        if old is not None and not stale.fresh:
            output.log(
                "warning",
                "the generated bindings were made for the previous lock ("
                + "; ".join(stale.reasons)
                + "); they will no longer be regenerated automatically. Run "
                "`mix snakebridge.generate --force` to regenerate them now.",
            )
        return Reply(data={"written": changed})

    old = lock_mod.read(project.lock_path)
    new = lock_mod.current(project)
    stale = lock_mod.staleness(old, new)
    notes = lock_mod.drift(old, new) if old is not None else ()
    data: dict[str, Any] = {
        "exists": old is not None,
        "fresh": stale.fresh,
        "everything": stale.everything,
        "libraries": sorted(stale.libraries),
        "reasons": list(stale.reasons),
        "notes": list(notes),
    }
    if args.format == "json":
        output.out(json.dumps(data, indent=2, sort_keys=True))
    else:
        if old is None:
            output.out("snakebridge.lock: missing; the next `mix compile` writes it")
        else:
            output.out("snakebridge.lock:")
            _describe(old, output)
            if stale.fresh:
                output.out("in sync with the current environment: nothing would be regenerated")
            else:
                output.out("out of date: the next `mix compile` would regenerate")
                for reason in stale.reasons:
                    output.out(f"  {reason}")
            for note in notes:
                output.out(f"  note: {note}")
    return Reply(exit_code=1 if args.check and not stale.fresh else 0, data=data)
