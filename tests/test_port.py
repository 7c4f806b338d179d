"""The CLI port protocol, end to end through a real ``python -m snakebridge port`` process.

Each test registers a tiny command in the child (through ``-c`` bootstrap code, the
registry being the real one in ``snakebridge.cli``), sends one real ``{packet, 4}``
ETF request, and decodes every frame that comes back on stdout. The point is the
framing: whatever the command and the libraries it imports do to stdout, every byte
on the channel is a well-formed frame and exactly one result ends it.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from snakebridge import etf

SRC = Path(__file__).resolve().parents[1] / "src"

# Registers the command ``probe`` (as if it lived in snakebridge.commands.probe) and
# then runs the real entry point, exactly as ``python -m snakebridge port`` does.
BOOT = textwrap.dedent(
    """
    import os, subprocess, sys, types
    from snakebridge import cli
    from snakebridge.cli import Reply, command

    module = types.ModuleType("snakebridge.commands.probe")
    sys.modules["snakebridge.commands.probe"] = module
    cli.COMMAND_MODULES = (*cli.COMMAND_MODULES, "probe")

    @command("probe")
    def probe(project, payload, output):
        mode = payload.get("mode")
        if mode == "crash":
            raise RuntimeError("boom in the command")
        if mode == "exit":
            sys.exit(7)
        print("stray print from a library")
        os.write(1, b"raw write on fd 1\\n")
        subprocess.run(["echo", "child process output"], check=True)
        output.out("text for the user")
        output.log("warning", "careful")
        output.log("nonsense-level", "normalised")
        return Reply(3, {"root": str(project.root), "echo": payload.get("echo"),
                         "path": project.root, "tags": {"b", "a"}})

    raise SystemExit(cli.main(["port"]))
    """
)


def frame(term: Any) -> bytes:
    body = etf.encode(term)
    return struct.pack(">I", len(body)) + body


def run_port(request: bytes) -> tuple[int, list[Any]]:
    proc = subprocess.run(
        [sys.executable, "-c", BOOT],
        input=request,
        capture_output=True,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    frames = []
    buf = proc.stdout
    while buf:
        (size,) = struct.unpack(">I", buf[:4])
        assert len(buf) >= 4 + size, f"truncated frame; stderr: {proc.stderr.decode()}"
        frames.append(etf.decode(buf[4 : 4 + size]))
        buf = buf[4 + size :]
    return proc.returncode, frames


def context(tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {"root": str(tmp_path), "libraries": [], "python": sys.executable, **extra}


def test_frames_stray_output_and_result(tmp_path: Path) -> None:
    code, frames = run_port(frame(("probe", context(tmp_path, echo=[1, 2.5, "é", None]))))
    assert code == 3
    result = frames[-1]
    assert result == (
        "result",
        3,
        {
            "root": str(tmp_path.resolve()),
            "echo": [1, 2.5, "é", None],
            "path": str(tmp_path.resolve()),
            "tags": ["a", "b"],
        },
    )
    assert all(type(f[0]) is etf.Atom for f in frames)
    assert [f for f in frames if f[0] == "result"] == [result]
    body = frames[:-1]
    assert ("out", "text for the user") in body
    assert ("log", "warning", "careful") in body
    assert ("log", "info", "normalised") in body
    stray = {f[2] for f in body if f[:2] == ("log", "info")}
    assert {"stray print from a library", "raw write on fd 1", "child process output"} <= stray


def test_exception_becomes_result_with_traceback(tmp_path: Path) -> None:
    code, frames = run_port(frame(("probe", context(tmp_path, mode="crash"))))
    assert code == 2
    [(tag, exit_code, data)] = frames
    assert (tag, exit_code) == ("result", 2)
    assert data["error"] == "RuntimeError: boom in the command"
    assert "Traceback" in data["traceback"] and "probe" in data["traceback"]


def test_sys_exit_inside_command_still_answers(tmp_path: Path) -> None:
    code, frames = run_port(frame(("probe", context(tmp_path, mode="exit"))))
    assert code == 2
    assert frames[-1][0] == "result"
    assert frames[-1][2]["error"].startswith("SystemExit")


def test_unknown_command_names_the_known_ones(tmp_path: Path) -> None:
    code, frames = run_port(frame(("frobnicate", context(tmp_path))))
    assert code == 2
    [(_, _, data)] = frames
    assert "unknown command 'frobnicate'" in data["error"]
    assert "generate" in data["error"]


def test_garbage_request_is_answered_not_crashed() -> None:
    code, frames = run_port(struct.pack(">I", 5) + b"\x83junk")
    assert code == 2
    [(tag, _, data)] = frames
    assert tag == "result" and "not a valid ETF term" in data["error"]


def test_wrong_shape_and_truncated_request() -> None:
    code, frames = run_port(frame(["not", "a", "tuple"]))
    assert code == 2 and "{command, payload_map}" in frames[0][2]["error"]
    code, frames = run_port(struct.pack(">I", 100) + b"\x83")
    assert code == 2 and "stdin closed after 1 of 100 bytes" in frames[0][2]["error"]
