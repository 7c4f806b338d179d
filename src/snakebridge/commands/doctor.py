"""``mix snakebridge.doctor``: one screen that says whether the project is ready.

Checks, each with its fix: the Python interpreter the project uses, uv (needed by
setup, which installs it into the per-user cache when missing), every declared
library (requirement, installed version, locked version),
the lock against the environment, the generated code against the manifest, and
dynamic calls waiting in the ledger. Exit code 1 when anything must be fixed;
warnings alone do not fail.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snakebridge import toolchain
from snakebridge.cli import Output, Reply, command
from snakebridge.commands.verify import supplied_bindings
from snakebridge.project import LibrarySpec, Project, ProjectError
from snakebridge.state import consistency, environment, ledger, manifest, promotion
from snakebridge.state import lock as lock_mod
from snakebridge.state.errors import StateError


@dataclass(frozen=True)
class Line:
    status: str  # "ok" | "warn" | "fail"
    text: str
    fix: str = ""


def _python(project: Project) -> Line:
    where = "managed" if sys.prefix.startswith(str(project.venv_dir)) else "not the managed venv"
    return Line(
        "ok",
        f"Python {lock_mod.python_version()} at {sys.executable} ({where}), "
        f"{lock_mod.platform_id()}",
    )


def _uv() -> Line:
    uv = toolchain.find_uv()
    if uv is None:
        return Line(
            "warn",
            "uv not found (only `mix snakebridge.setup` needs it)",
            f"mix snakebridge.setup installs {toolchain.UV_REQUIREMENT} into "
            f"{toolchain.cached_uv_dir()}",
        )
    return Line("ok", environment.uv_version(uv) or " ".join(uv))


def _libraries(project: Project, locked: lock_mod.Lock | None) -> list[Line]:
    lines = []
    for lib in project.libraries:
        if lib.stdlib:
            lines.append(Line("ok", f"{lib.name} (stdlib, Python {lock_mod.python_version()})"))
            continue
        if lib.local:
            lines.append(_local(project, lib, locked))
            continue
        installed = lock_mod.installed_version(lib, project)
        pinned = locked.libraries.get(lib.name) if locked else None
        pin = f", locked {pinned.resolved}" if pinned else ", not in snakebridge.lock yet"
        req = lib.requirement or ""
        if installed is None:
            lines.append(
                Line("fail", f"{lib.name} {req}: not installed{pin}", "mix snakebridge.setup")
            )
        elif not environment.requirement_matches(installed, req):
            lines.append(
                Line(
                    "fail",
                    f"{lib.name} {req}: {installed} installed, which does not satisfy mix.exs{pin}",
                    "mix snakebridge.setup",
                )
            )
        elif pinned and pinned.resolved != installed:
            lines.append(
                Line(
                    "warn",
                    f"{lib.name} {req}: {installed} installed{pin}",
                    f"`mix snakebridge.setup` installs the locked {pinned.resolved}; "
                    f"or `mix compile` regenerates {lib.name} for {installed}",
                )
            )
        else:
            lines.append(Line("ok", f"{lib.name} {req}: {installed} installed{pin}"))
    return lines


def _local(project: Project, lib: LibrarySpec, locked: lock_mod.Lock | None) -> Line:
    source = project.local_source(lib)
    if source is None:
        top = lib.python_module.split(".")[0]
        return Line(
            "fail",
            f"{lib.name} (local): no directory of python_path: ({project.python_path_text()}) "
            f"holds {top}.py or a package {top}/",
            "put the module there, or correct `python_path:` in mix.exs",
        )
    where = project.relative(source)
    error = environment.local_import_errors(
        Path(sys.executable), [lib.python_module], project.python_path
    ).get(lib.python_module)
    if error is not None:
        return Line(
            "fail",
            f"{lib.name} (local, {where}) does not import: {error}",
            "fix the module, or declare what it imports in mix.exs and run mix snakebridge.setup",
        )
    pinned = locked.libraries.get(lib.name) if locked else None
    content = lock_mod.installed_version(lib, project)
    if pinned is not None and pinned.resolved != content:
        return Line(
            "warn",
            f"{lib.name} (local, {where}): edited since its bindings were generated "
            f"({pinned.resolved} -> {content})",
            f"mix compile regenerates {lib.name}",
        )
    pin = "locked" if pinned else "not in snakebridge.lock yet"
    return Line("ok", f"{lib.name} (local, {where}): imports, content {content}, {pin}")


@command("doctor")
def run(project: Project, payload: Mapping[str, Any], output: Output) -> Reply:
    lines = [_python(project), _uv()]
    try:
        locked = lock_mod.read(project.lock_path)
    except StateError as exc:
        locked = None
        lines.append(Line("fail", "snakebridge.lock is unreadable", str(exc)))
    lines += _libraries(project, locked)

    report = consistency.check(project, supplied_bindings(payload))
    env_findings = [f for f in report.findings if f.kind in ("environment", "not_installed")]
    code_findings = [f for f in report.findings if f not in env_findings]
    symbols = 0 if report.manifest is None else len(report.manifest.symbols)
    if locked is None and symbols == 0:
        lines.append(
            Line(
                "ok",
                "snakebridge.lock: not written yet (the first `mix compile` "
                "that generates a binding writes it)",
            )
        )
    elif not env_findings:
        lines.append(Line("ok", "snakebridge.lock matches the environment"))
    for f in env_findings:
        lines.append(Line("fail" if f.kind == "not_installed" else "warn", f.message, f.fix))
    for note in report.drift:
        lines.append(
            Line(
                "warn",
                note,
                "mix snakebridge.setup reinstalls the locked "
                "environment; or mix snakebridge.lock --rebuild",
            )
        )
    if not code_findings:
        files = len(report.manifest.libraries()) if report.manifest else 0
        lines.append(
            Line(
                "ok",
                f"generated code matches the manifest ({symbols} symbol(s) in {files} file(s))",
            )
        )
    for f in code_findings:
        lines.append(Line("fail", f.message, f.fix))

    try:
        pending, _ = promotion.classify(
            project, ledger.read(project.ledger_path), manifest.read(project.manifest_path)
        )
    except (StateError, ProjectError) as exc:
        lines.append(Line("warn", "ledger unreadable", str(exc)))
        pending = []
    if pending:
        lines.append(
            Line(
                "warn",
                f"{len(pending)} dynamic call(s) recorded without a binding",
                "mix snakebridge.ledger, then mix snakebridge.promote --all",
            )
        )

    output.out(f"SnakeBridge doctor: {project.root}")
    output.out("")
    marks = {"ok": "[ ok ]", "warn": "[warn]", "fail": "[fail]"}
    for line in lines:
        output.out(f"  {marks[line.status]} {line.text}")
        if line.fix and line.status != "ok":
            output.out(f"         fix: {line.fix}")
    failures = sum(1 for line in lines if line.status == "fail")
    warnings = sum(1 for line in lines if line.status == "warn")
    output.out("")
    if failures:
        output.out(
            f"not ready: {failures} problem(s) to fix"
            + (f", {warnings} warning(s)" if warnings else "")
        )
    else:
        output.out("ready" + (f" ({warnings} warning(s))" if warnings else ""))
    return Reply(
        exit_code=1 if failures else 0,
        data={
            "ready": not failures,
            "lines": [{"status": x.status, "text": x.text, "fix": x.fix} for x in lines],
        },
    )
