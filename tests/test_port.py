"""The CLI port protocol, end to end through a real ``python -m snakebridge port`` process.

Each test registers a tiny command in the child (through ``-c`` bootstrap code, the
registry being the real one in ``snakebridge.cli``), sends one real ``{packet, 4}``
ETF request, and decodes every frame that comes back on stdout. The point is the
framing: whatever the command and the libraries it imports do to stdout, every byte
on the channel is a well-formed frame and exactly one result ends it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import struct
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from snakebridge import etf
from snakebridge.project import project_from_payload
from snakebridge.state import files

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


# Registers ``txn``: under the project lock it writes ``state.txt`` and starts a child
# process, then either hangs before committing (``hang``) or commits slowly (``commit``,
# the journal's renames take two seconds). It marks each step with a file, so the test
# can close the channel at that moment.
TXN_BOOT = textwrap.dedent(
    """
    import pathlib, subprocess, sys, time, types
    from snakebridge import cli
    from snakebridge.cli import Reply, command
    from snakebridge.state import files

    module = types.ModuleType("snakebridge.commands.txn")
    sys.modules["snakebridge.commands.txn"] = module
    cli.COMMAND_MODULES = (*cli.COMMAND_MODULES, "txn")
    apply_journal = files._apply_journal

    def slow_apply(entries):
        (ROOT / "committing").touch()
        time.sleep(2)
        apply_journal(entries)

    files._apply_journal = slow_apply

    @command("txn")
    def txn(project, payload, output):
        global ROOT
        ROOT = pathlib.Path(project.root)
        with files.project_lock(project):
            files.write_atomic(ROOT / "state.txt", b"new state")
            child = subprocess.Popen(["sleep", "300"])
            (ROOT / "child.pid").write_text(str(child.pid))
            if payload["mode"] == "hang":
                (ROOT / "hanging").touch()
                time.sleep(300)
        return Reply(0, {})

    raise SystemExit(cli.main(["port"]))
    """
)


@contextlib.contextmanager
def _txn(tmp_path: Path, mode: str) -> Iterator[subprocess.Popen[bytes]]:
    """The CLI running ``txn``; whatever the test finds, nothing it started outlives it."""
    proc = subprocess.Popen(
        [sys.executable, "-c", TXN_BOOT],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
    )
    try:
        assert proc.stdin is not None
        proc.stdin.write(frame(("txn", context(tmp_path, mode=mode))))
        proc.stdin.flush()
        yield proc
    finally:
        pid_file = tmp_path / "child.pid"
        for pid in [proc.pid, *([int(pid_file.read_text())] if pid_file.exists() else [])]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait()


def _wait_for(path: Path, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert proc.poll() is None, f"the CLI exited ({proc.returncode}) before {path.name}"
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)


def _gone(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie waiting for its new parent counts as exited)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state == "Z":
            return True
        time.sleep(0.02)
    return False


def test_closed_port_ends_the_cli_and_its_children_without_committing(tmp_path: Path) -> None:
    with _txn(tmp_path, "hang") as proc:
        _wait_for(tmp_path / "hanging", proc)
        assert proc.stdout is not None
        proc.stdout.close()  # what the BEAM dying does to the CLI's channel
        assert proc.wait(timeout=10) == 2
        assert not (tmp_path / "state.txt").exists()
        assert _gone(int((tmp_path / "child.pid").read_text())), "the CLI's child outlived it"
    # The project lock died with it, and the next run sweeps its staged temp file.
    payload = context(tmp_path)
    with files.project_lock(project_from_payload(payload), timeout=1):
        pass
    assert not list(tmp_path.rglob("*.sbtmp"))


def test_a_port_closed_during_the_commit_step_waits_for_the_commit(tmp_path: Path) -> None:
    with _txn(tmp_path, "commit") as proc:
        _wait_for(tmp_path / "committing", proc)
        assert proc.stdout is not None
        proc.stdout.close()
        assert proc.wait(timeout=10) == 2  # it stopped instead of answering...
        assert (tmp_path / "state.txt").read_bytes() == b"new state"  # ...after committing
        assert not (tmp_path / ".snakebridge" / ".journal").exists()
        assert not list(tmp_path.rglob("*.sbtmp"))
        assert _gone(int((tmp_path / "child.pid").read_text()))
