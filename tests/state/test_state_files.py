"""write_atomic and the project lock: atomic, skip-if-unchanged, exclusive across processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from snakebridge.project import Project
from snakebridge.state.files import LockTimeout, file_lock, project_lock, write_atomic


def test_write_atomic_creates_parents_and_reports_change(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "file.json"
    assert write_atomic(target, b"one\n") is True
    assert target.read_bytes() == b"one\n"
    assert write_atomic(target, b"two\n") is True
    assert target.read_bytes() == b"two\n"


def test_write_atomic_skips_identical_bytes_and_keeps_mtime(tmp_path: Path) -> None:
    target = tmp_path / "file"
    write_atomic(target, b"same")
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    assert write_atomic(target, b"same") is False
    assert target.stat().st_mtime_ns == 1_000_000_000


def test_write_atomic_leaves_no_temp_files(tmp_path: Path) -> None:
    for i in range(5):
        write_atomic(tmp_path / "f", str(i).encode())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_write_atomic_uses_umask_permissions(tmp_path: Path) -> None:
    write_atomic(tmp_path / "f", b"x")
    mode = (tmp_path / "f").stat().st_mode & 0o777
    umask = os.umask(0o022)
    os.umask(umask)
    assert mode == 0o666 & ~umask


def test_killed_writer_leaves_previous_bytes(tmp_path: Path) -> None:
    """A process killed while writing a large file leaves the old content, never a torn file."""
    target = tmp_path / "big.bin"
    write_atomic(target, b"old")
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from snakebridge.state.files import write_atomic
        print("ready", flush=True)
        while True:
            write_atomic(Path({str(target)!r}), b"n" * 50_000_000)
            write_atomic(Path({str(target)!r}), b"m" * 50_000_000)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"ready"
    # Wait until it is mid-way through a write: a temp file exists next to the target.
    while not any(p.name.startswith(".big.bin.") for p in tmp_path.iterdir()):
        pass
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    data = target.read_bytes()
    assert data in (b"old", b"n" * 50_000_000, b"m" * 50_000_000)


def test_project_lock_is_reentrant_in_one_process(project: Project) -> None:
    with project_lock(project), project_lock(project, timeout=0.1):
        assert (project.state_dir / ".lock").exists()


def test_project_lock_excludes_another_process(project: Project) -> None:
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from snakebridge.state.files import file_lock
        with file_lock(Path({str(project.state_dir / ".lock")!r})):
            print("held", flush=True)
            sys.stdin.readline()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        assert proc.stdout.readline().strip() == b"held"
        with pytest.raises(LockTimeout) as err, project_lock(project, timeout=0.2):
            pass
        message = str(err.value)
        assert ".snakebridge/.lock" in message
        assert f"pid {proc.pid}" in message
        proc.stdin.write(b"\n")
        proc.stdin.flush()
        assert proc.wait() == 0
        # Released by the other process: we get it now.
        with project_lock(project, timeout=5):
            pass
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_lock_released_when_holder_is_killed(project: Project) -> None:
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from snakebridge.state.files import file_lock
        with file_lock(Path({str(project.state_dir / ".lock")!r})):
            print("held", flush=True)
            time.sleep(600)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"held"
    proc.kill()
    proc.wait()
    with project_lock(project, timeout=5):
        pass


def test_processes_serialise_on_file_lock(tmp_path: Path) -> None:
    """Four processes each do 50 read-modify-write cycles under the lock: none is lost."""
    counter = tmp_path / "counter"
    counter.write_text("0")
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from snakebridge.state.files import file_lock, write_atomic
        p = Path({str(counter)!r})
        for _ in range(50):
            with file_lock(Path({str(tmp_path / "c.lock")!r})):
                n = int(p.read_text())
                write_atomic(p, str(n + 1).encode())
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(4)]
    assert [p.wait() for p in procs] == [0, 0, 0, 0]
    assert counter.read_text() == "200"


def test_file_lock_excludes_other_threads(tmp_path: Path) -> None:
    errors: list[BaseException] = []
    inside: list[int] = []

    def worker() -> None:
        try:
            for _ in range(20):
                with file_lock(tmp_path / "t.lock", timeout=30):
                    inside.append(1)
                    assert len(inside) == 1, "two threads inside the lock at once"
                    time.sleep(0.001)
                    inside.pop()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# ------------------------------------------------------------------ transactions


def _files(project: Project) -> dict[str, bytes]:
    return {
        p.relative_to(project.root).as_posix(): p.read_bytes()
        for p in sorted(project.root.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def _seed(project: Project) -> None:
    write_atomic(project.manifest_path, b"old manifest")
    write_atomic(project.lock_path, b"old lock")
    write_atomic(project.generated_dir / "numpy.ex", b"old numpy")


def test_transaction_commits_together_and_reads_its_own_writes(project: Project) -> None:
    from snakebridge.state.files import read_bytes, remove_file

    _seed(project)
    with project_lock(project):
        assert write_atomic(project.manifest_path, b"new manifest") is True
        assert write_atomic(project.manifest_path, b"new manifest") is False
        assert remove_file(project.generated_dir / "numpy.ex") is True
        assert read_bytes(project.manifest_path) == b"new manifest"
        assert project.manifest_path.read_bytes() == b"old manifest"  # not visible yet
        with pytest.raises(FileNotFoundError):
            read_bytes(project.generated_dir / "numpy.ex")
    assert _files(project) == {
        ".snakebridge/manifest.json": b"new manifest",
        "snakebridge.lock": b"old lock",
    }


def test_exception_discards_every_staged_write(project: Project) -> None:
    _seed(project)
    before = _files(project)
    with pytest.raises(RuntimeError), project_lock(project):
        write_atomic(project.manifest_path, b"new manifest")
        write_atomic(project.lock_path, b"new lock")
        raise RuntimeError("introspection failed")
    assert _files(project) == before


def _run_and_kill(project: Project, body: str) -> None:
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from snakebridge.project import project_from_payload
        from snakebridge.state import files
        project = project_from_payload({{"root": {str(project.root)!r}, "libraries": []}})
        """
    ) + textwrap.dedent(body)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def test_run_killed_before_commit_leaves_previous_state(project: Project) -> None:
    _seed(project)
    before = _files(project)
    _run_and_kill(
        project,
        """
        with files.project_lock(project):
            files.write_atomic(project.manifest_path, b"new manifest")
            files.write_atomic(project.generated_dir / "numpy.ex", b"new numpy")
            os.kill(os.getpid(), signal.SIGKILL)
        """,
    )
    after = _files(project)
    # Only the killed run's temp files differ; the state files are untouched.
    assert {k: v for k, v in after.items() if not k.endswith(".sbtmp")} == before
    assert any(k.endswith(".sbtmp") for k in after)
    with project_lock(project):  # the next run sweeps them
        pass
    assert _files(project) == before


def test_run_killed_during_commit_is_rolled_forward(project: Project) -> None:
    _seed(project)
    _run_and_kill(
        project,
        """
        real_replace = os.replace
        renames = []
        def dying_replace(src, dst):
            real_replace(src, dst)
            if not str(dst).endswith(".journal"):
                renames.append(dst)
                if len(renames) == 1:
                    os.kill(os.getpid(), signal.SIGKILL)
        os.replace = dying_replace
        with files.project_lock(project):
            files.write_atomic(project.manifest_path, b"new manifest")
            files.write_atomic(project.lock_path, b"new lock")
            files.write_atomic(project.generated_dir / "numpy.ex", b"new numpy")
        """,
    )
    assert (project.state_dir / ".journal").exists()
    with project_lock(project):
        pass
    assert _files(project) == {
        ".snakebridge/manifest.json": b"new manifest",
        "lib/snakebridge_generated/numpy.ex": b"new numpy",
        "snakebridge.lock": b"new lock",
    }
