"""``snakebridge <task>``: the command registry, and the two ways commands are reached.

The Mix tasks reach a command through ``snakebridge port`` (one ETF request on stdin,
frames back on stdout, see ``port``); people and tests can run it directly with
``snakebridge <task> --context FILE`` where FILE is the JSON form of the context the
Mix side would send. Each command lives in ``snakebridge.commands.<name>`` and
registers itself with ``@command``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from snakebridge.project import Project, ProjectError, project_from_payload


class Output(Protocol):
    """Where a command reports: ``out`` is what the Mix task prints, ``log`` goes to Logger."""

    def out(self, text: str) -> None: ...

    def log(self, level: str, message: str) -> None: ...


@dataclass
class Reply:
    exit_code: int = 0
    data: dict[str, Any] = field(default_factory=dict)


Command = Callable[[Project, Mapping[str, Any], Output], Reply]

COMMANDS: dict[str, Command] = {}

# Every module under snakebridge.commands registers one command when imported.
COMMAND_MODULES = (
    "generate",
    "verify",
    "repair",
    "analyze",
    "prune",
    "restore",
    "ledger",
    "promote",
    "lock",
    "doctor",
    "setup",
    "release",
)


def command(name: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        COMMANDS[name] = fn
        return fn

    return register


def load_command(name: str) -> Command:
    if name not in COMMAND_MODULES:
        known = ", ".join(COMMAND_MODULES)
        raise ProjectError(f"unknown command {name!r}; known commands: {known}")
    importlib.import_module(f"snakebridge.commands.{name}")
    return COMMANDS[name]


def run(name: str, payload: Mapping[str, Any], output: Output) -> Reply:
    project = project_from_payload(payload)
    return load_command(name)(project, payload, output)


class _Terminal:
    def out(self, text: str) -> None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")

    def log(self, level: str, message: str) -> None:
        sys.stderr.write(f"[{level}] {message}\n")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["port"]:
        from snakebridge.port import serve

        return serve()
    parser = argparse.ArgumentParser(prog="snakebridge")
    parser.add_argument("task", choices=COMMAND_MODULES)
    parser.add_argument("--context", required=True, help="JSON file with the project context")
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    ns = parser.parse_args(args)
    with open(ns.context, encoding="utf-8") as fh:
        payload = json.load(fh)
    payload.setdefault("argv", ns.rest)
    try:
        reply = run(ns.task, payload, _Terminal())
    except ProjectError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    return reply.exit_code
