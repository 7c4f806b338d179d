"""Helpers for the bookkeeping command tests: real projects on temp dirs, real generation.

Commands run in-process through ``snakebridge.cli.run`` (the same entry the CLI port
uses), against the real generation pipeline and the real numpy/json introspection of
the dev venv.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from snakebridge.cli import Reply, run
from snakebridge.project import Project, project_from_payload

NUMPY_JSON = [
    {"name": "numpy", "version": "~> 2.0", "module_name": "Numpy", "python_module": "numpy"},
    {"name": "json", "stdlib": True, "module_name": "Json", "python_module": "json"},
]


def make_payload(
    root: Path, libraries: list[dict[str, Any]] | None = None, **extra: Any
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "root": str(root),
        "libraries": NUMPY_JSON if libraries is None else libraries,
        "generated_dir": "lib/snakebridge_generated",
        "python": sys.executable,
        "mix_env": "dev",
        "snakebridge_version": "0.1.0",
    }
    payload.update(extra)
    return payload


def det(
    module: str, function: str, arity: int, file: str = "lib/app.ex", line: int = 1
) -> dict[str, Any]:
    return {"module": module, "function": function, "arity": arity, "file": file, "line": line}


@dataclass
class Captured:
    outs: list[str] = field(default_factory=list)
    logs: list[tuple[str, str]] = field(default_factory=list)

    def out(self, text: str) -> None:
        self.outs.append(text)

    def log(self, level: str, message: str) -> None:
        self.logs.append((level, message))

    @property
    def text(self) -> str:
        return "\n".join(self.outs)

    def logged(self, level: str) -> str:
        return "\n".join(m for lv, m in self.logs if lv == level)


def cmd(
    root: Path, name: str, *argv: str, libraries: list[dict[str, Any]] | None = None, **extra: Any
) -> tuple[Reply, Captured]:
    captured = Captured()
    payload = make_payload(root, libraries, argv=list(argv), **extra)
    return run(name, payload, captured), captured


def project(root: Path, libraries: list[dict[str, Any]] | None = None) -> Project:
    return project_from_payload(make_payload(root, libraries))


def generate(
    root: Path,
    detections: Sequence[dict[str, Any]],
    *,
    force: bool = False,
    libraries: list[dict[str, Any]] | None = None,
) -> Reply:
    reply, _ = cmd(root, "generate", detections=list(detections), force=force, libraries=libraries)
    assert reply.exit_code == 0, reply.data
    return reply


def snapshot(root: Path) -> dict[str, bytes]:
    """Every committed state file, by relative path."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and (
            rel.startswith("lib/snakebridge_generated/")
            or rel in (".snakebridge/manifest.json", "snakebridge.lock")
        ):
            out[rel] = path.read_bytes()
    return out
