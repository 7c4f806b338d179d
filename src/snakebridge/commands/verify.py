"""``mix snakebridge.verify``: manifest <-> generated source <-> lock, every mismatch reported.

Exit code 0 when everything agrees, 1 when anything does (each mismatch on its own line
with the command that fixes it). The Mix shell sends ``"bindings"``: the functions the
generated files define, read with Elixir's parser.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from snakebridge.cli import Output, Reply, command
from snakebridge.project import Project
from snakebridge.state import bindings, consistency
from snakebridge.state.argv import Parser


def supplied_bindings(payload: Mapping[str, Any]) -> dict[str, set[bindings.Binding]] | None:
    raw = payload.get("bindings")
    return None if raw is None else bindings.from_payload(raw)


def finding_data(f: consistency.Finding) -> dict[str, Any]:
    return {"kind": f.kind, "library": f.library, "message": f.message, "fix": f.fix}


def print_findings(report: consistency.Report, output: Output, indent: str = "  ") -> None:
    for f in report.findings:
        prefix = f"{f.library}: " if f.library else ""
        output.out(f"{indent}{prefix}{f.message}")
        output.out(f"{indent}  fix: {f.fix}")


@command("verify")
def run(project: Project, payload: Mapping[str, Any], output: Output) -> Reply:
    parser = Parser("verify")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--no-environment",
        action="store_true",
        help="skip comparing the lock with the installed environment",
    )
    args = parser.parse_payload(payload)
    report = consistency.check(
        project, supplied_bindings(payload), environment=not args.no_environment
    )
    data: dict[str, Any] = {
        "ok": report.ok,
        "findings": [finding_data(f) for f in report.findings],
        "notes": list(report.drift),
        "symbols": 0 if report.manifest is None else len(report.manifest.symbols),
    }
    if args.format == "json":
        output.out(json.dumps(data, indent=2, sort_keys=True))
    elif report.ok:
        output.out(
            f"snakebridge verify: ok: the manifest ({data['symbols']} symbols), the generated "
            f"source and snakebridge.lock agree"
            + ("" if args.no_environment else ", and the lock matches the environment")
        )
    else:
        output.out(f"snakebridge verify: {len(report.findings)} problem(s)")
        print_findings(report, output)
    if args.format == "text":
        for note in report.drift:
            output.out(f"  note: {note}")
    return Reply(exit_code=0 if report.ok else 1, data=data)
