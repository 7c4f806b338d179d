"""Shared memory: mapping without a copy, and no segment outliving its owner.

Lifetimes are tested across real processes that are started and killed here: a peer
that stands in for a worker (``shm_peer.py``, same lifecycle: segments closed at EOF),
a second peer that maps the first one's handle, and a real BEAM that owns a peer
through an Erlang port and is killed with SIGKILL. Every test uses its own segment
prefix and counts the segments under it in /dev/shm.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from multiprocessing import resource_tracker
from multiprocessing.shared_memory import SharedMemory
from pathlib import Path

import numpy as np
import pytest

from snakebridge.runtime.bulk import lifetime, shm
from snakebridge.runtime.bulk.errors import BulkError
from snakebridge.runtime.bulk.service import sweep

PEER = Path(__file__).with_name("shm_peer.py")


class Peer:
    def __init__(self, prefix: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(PEER), prefix],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        word, pid = self.line().split()
        assert word == "ready" and int(pid) == self.proc.pid

    def line(self) -> str:
        assert self.proc.stdout is not None
        text = self.proc.stdout.readline()
        assert text, "peer exited"
        return text.strip()

    def ask(self, command: str) -> tuple[str, str]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        word, _, rest = self.line().partition(" ")
        return word, rest

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        assert self.proc.wait(timeout=30) == 0

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)


def test_share_maps_without_copy_and_is_read_only(prefix: str) -> None:
    owner = shm.ShmSegments("w:1", prefix=prefix)
    arr = np.arange(12, dtype=np.float32).reshape(3, 4)
    handle = owner.share(arr, "s1")
    assert (handle.type, handle.shape, handle.size) == (("f", 32), (3, 4), 48)
    assert shm.segments(prefix) == [handle.name]
    mapped = shm.attach(handle)
    np.testing.assert_array_equal(mapped, arr)
    assert not mapped.flags.writeable
    again = shm.attach(handle)
    assert mapped.ctypes.data != again.ctypes.data  # two mappings ...
    private = shm.attach(handle, writable=True)
    private[0, 0] = 99.0  # ... and a copy-on-write one never changes the segment
    assert shm.attach(handle)[0, 0] == 0.0
    assert owner.close() == 1
    assert shm.segments(prefix) == []
    np.testing.assert_array_equal(mapped, arr)  # unlinked, still mapped, still readable


def test_released_handle_and_session_end_and_bad_handles(prefix: str) -> None:
    owner = shm.ShmSegments("w:1", prefix=prefix)
    first = owner.share(np.ones(4), "s1")
    second = owner.share(np.ones(4), "s1")
    other = owner.share(np.ones(4), "s2")
    assert owner.release(first.name) and not owner.release(first.name)
    with pytest.raises(BulkError, match="was released") as info:
        shm.attach(first)
    assert info.value.kind == "ref_lost"
    assert owner.release_session("s1") == 1
    assert shm.segments(prefix) == [other.name]
    with pytest.raises(BulkError, match="was released"):
        shm.attach(second)
    with pytest.raises(BulkError, match="does not cross machines"):
        shm.attach(replace(other, host="elsewhere/boot"))
    with pytest.raises(BulkError, match="holds 32 bytes but its handle says 64"):
        shm.attach(replace(other, size=64, shape=(8,)))
    owner.close()


def test_a_segment_elixir_placed_maps_read_only_and_its_removal_says_who(
    prefix: str,
) -> None:
    # What SnakeBridge.Bulk.Segments writes: the bytes alone, in a file named after the
    # BEAM process (here, this one) inside that BEAM's private directory, and a handle
    # whose owner is Elixir.
    data = np.arange(6, dtype=np.float64)
    private = shm.SHM_DIR / (lifetime.stem(prefix) + secrets.token_hex(4))
    private.mkdir(mode=0o700)
    name = private.name + secrets.token_hex(12)
    assert lifetime.placed_path(name) == private / name
    (private / name).write_bytes(data.tobytes())
    handle = shm.ShmHandle(
        "shm", name, data.nbytes, ("f", 64), (2, 3), shm.ELIXIR_OWNER, "elixir", shm.this_host()
    )
    try:
        mapped = shm.attach(handle)
        np.testing.assert_array_equal(mapped, data.reshape(2, 3))
        assert not mapped.flags.writeable
        os.unlink(private / name)
        with pytest.raises(BulkError, match="was placed by Elixir and removed since") as info:
            shm.attach(handle)
        assert info.value.kind == "ref_lost"
    finally:
        shutil.rmtree(private, ignore_errors=True)


def test_a_handle_whose_name_is_not_a_segment_name_reads_nothing(prefix: str) -> None:
    # A forged handle must not map a file outside /dev/shm's segments.
    for name in ("../../etc/passwd", f"{prefix}-1-2-{'0' * 31}/", "x"):
        handle = shm.ShmHandle("shm", name, 8, ("u", 8), (8,), "w:1", "s", shm.this_host())
        with pytest.raises(BulkError, match="is not a shared memory segment name"):
            shm.attach(handle)


def test_segments_open_with_multiprocessing_shared_memory(prefix: str) -> None:
    owner = shm.ShmSegments("w:1", prefix=prefix)
    handle = owner.share(np.arange(5, dtype=np.int64), "s1")
    segment = SharedMemory(name=handle.name)
    # 3.11 registers even an attaching SharedMemory with its resource tracker, which
    # would unlink the owner's segment at exit: the pitfall shm.py avoids.
    resource_tracker.unregister(segment._name, "shared_memory")  # type: ignore[attr-defined]
    assert np.frombuffer(segment.buf, dtype=np.int64, count=5).tolist() == [0, 1, 2, 3, 4]
    segment.close()
    owner.close()


def test_a_second_process_maps_the_handle_and_its_exit_unlinks_nothing(prefix: str) -> None:
    owner, reader = Peer(prefix), Peer(prefix)
    try:
        word, handle = owner.ask("share 1000")
        assert word == "handle"
        assert len(shm.segments(prefix)) == 1
        assert reader.ask(f"attach {handle}") == ("sum", str(float(sum(range(1000)))))
        reader.close()
        assert len(shm.segments(prefix)) == 1  # a reader never unlinks
        assert owner.ask(f"attach {handle}")[0] == "sum"
        assert owner.ask(f"release {handle}") == ("released", "True")
        assert shm.segments(prefix) == []
        owner.ask("share 10")
        owner.ask("share 10")
        assert len(shm.segments(prefix)) == 2
    finally:
        owner.close()  # EOF: the owner unlinks what it still holds
    assert shm.segments(prefix) == []


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_owner_killed_with_sigkill_leaves_nothing_its_reaper_unlinks(prefix: str) -> None:
    owner = Peer(prefix)
    _word, handle = owner.ask("share 100000")
    owner.ask("share 10")
    assert len(shm.segments(prefix)) == 2
    owner.kill()  # SIGKILL: the owner itself can do nothing
    assert wait_for(lambda: shm.segments(prefix) == []), shm.segments(prefix)
    reader = Peer(prefix)
    try:
        word, message = reader.ask(f"attach {handle}")
        assert word == "error" and message.startswith("ref_lost")
        assert "has stopped" in message and "share the array again" in message
    finally:
        reader.close()


def test_reaper_exits_with_its_owner_and_close_sweeps_at_once(prefix: str) -> None:
    owner = shm.ShmSegments("w:1", prefix=prefix)
    assert owner.reaper_pid is None  # started only with the first segment
    owner.share(np.ones(3), "s1")
    reaper = owner.reaper_pid
    assert reaper is not None and shm.process_start(reaper) is not None
    # Nothing of the worker's command line: process counts of workers do not see it.
    assert b"snakebridge.runtime.worker" not in Path(f"/proc/{reaper}/cmdline").read_bytes()
    owner.close()
    assert shm.segments(prefix) == []
    assert shm.process_start(reaper) is None


def test_sweep_keeps_live_owners_and_is_safe_against_pid_reuse(prefix: str) -> None:
    live = shm.ShmSegments("w:1", prefix=prefix)
    kept = live.share(np.ones(2), "s1")
    start = shm.process_start(os.getpid())
    assert start is not None
    # Same pid as a running process, another start time: its owner is gone.
    reused = shm.SHM_DIR / f"{prefix}-{os.getpid()}-{start + 1}-{secrets.token_hex(16)}"
    reused.write_bytes(b"x")
    dead_pid = shm.SHM_DIR / f"{prefix}-{2**22 + 7}-5-{secrets.token_hex(16)}"
    dead_pid.write_bytes(b"x")
    foreign = shm.SHM_DIR / f"{prefix}x-{2**22 + 7}-5-abc"  # another prefix: not ours
    foreign.write_bytes(b"x")
    # A dead BEAM's private directory, a segment still in it; and a live one's.
    dead_beam = shm.SHM_DIR / f"{prefix}-{2**22 + 9}-5-{secrets.token_hex(4)}"
    dead_beam.mkdir(mode=0o700)
    (dead_beam / (dead_beam.name + secrets.token_hex(12))).write_bytes(b"x")
    live_beam = shm.SHM_DIR / (lifetime.stem(prefix) + secrets.token_hex(4))
    live_beam.mkdir(mode=0o700)
    try:
        assert sorted(sweep(prefix)) == sorted([reused.name, dead_pid.name, dead_beam.name])
        assert shm.segments(prefix) == sorted([kept.name, live_beam.name])
        assert foreign.exists()
    finally:
        foreign.unlink()
        live_beam.rmdir()
        live.close()


def test_beam_killed_with_sigkill_leaves_no_segment(prefix: str, tmp_path: Path) -> None:
    # A real BEAM owns the peer through an Erlang port, as the pool owns its workers.
    script = tmp_path / "owner.exs"
    script.write_text(
        f"""
port = Port.open({{:spawn_executable, {sys.executable!r}}},
  [:binary, {{:line, 65536}}, args: [{str(PEER)!r}, {prefix!r}],
   env: [{{~c"PYTHONPATH", ~c{os.pathsep.join(sys.path)!r}}}]])
receive do {{^port, {{:data, {{:eol, "ready " <> pid}}}}}} -> IO.puts("peer " <> pid) end
Port.command(port, "share 100000\\n")
receive do {{^port, {{:data, {{:eol, "handle " <> _}}}}}} -> IO.puts("shared") end
Process.sleep(:infinity)
"""
    )
    beam = subprocess.Popen(
        ["elixir", str(script)], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert beam.stdout is not None
        peer_pid = int(beam.stdout.readline().split()[1])
        assert beam.stdout.readline().strip() == "shared"
        assert len(shm.segments(prefix)) == 1
        os.kill(beam.pid, signal.SIGKILL)  # the BEAM itself (erlexec execs into beam.smp)
        beam.wait(timeout=30)
        deadline = time.monotonic() + 30
        while shm.process_start(peer_pid) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert shm.process_start(peer_pid) is None, "the peer outlived its BEAM"
        assert shm.segments(prefix) == []  # it read EOF and unlinked its segment
    finally:
        if beam.poll() is None:
            os.killpg(beam.pid, signal.SIGKILL)
            beam.wait(timeout=30)


def test_transfers_reuse_one_slot_while_readers_hand_it_back(
    prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = shm.ShmSegments("w:1", prefix=prefix)
    data = memoryview(np.arange(1000, dtype=np.float64)).cast("B")
    name, back = owner.transfer(data)
    assert back is not None and name != back
    path = shm.SHM_DIR / name
    assert path.read_bytes()[: data.nbytes] == data.tobytes()
    assert path.stat().st_size == 1 << 20  # whole MiBs: the slot outgrows small replies
    # Not handed back yet: the next transfer gets a one-shot segment.
    other, none = owner.transfer(data)
    assert none is None and (shm.SHM_DIR / other).read_bytes() == data.tobytes()
    (shm.SHM_DIR / other).unlink()  # what the reader does with a one-shot segment
    os.rename(path, shm.SHM_DIR / back)  # and with the slot: hand it back
    again, back2 = owner.transfer(memoryview(b"x" * 10))
    assert back2 == back and (shm.SHM_DIR / again).read_bytes()[:10] == b"x" * 10
    os.rename(shm.SHM_DIR / again, shm.SHM_DIR / back)
    # Larger than the slot: a new, larger slot replaces it.
    large = memoryview(bytes(3 << 20))
    name3, back3 = owner.transfer(large)
    assert back3 != back and not (shm.SHM_DIR / back).exists()
    assert (shm.SHM_DIR / name3).stat().st_size == 3 << 20
    # A reader that never comes: after the TTL the lent slot goes with its segment, and
    # a new slot serves.
    monkeypatch.setattr(shm, "TRANSFER_TTL", -1.0)
    name4, back4 = owner.transfer(memoryview(b"y"))
    assert back4 not in (None, back3)
    assert not (shm.SHM_DIR / name3).exists() and shm.segments(prefix) == [name4]
    monkeypatch.setattr(shm, "TRANSFER_TTL", 300.0)
    os.rename(shm.SHM_DIR / name4, shm.SHM_DIR / str(back4))
    monkeypatch.setattr(shm, "SLOT_MAX", 4)
    name5, back5 = owner.transfer(memoryview(b"z" * 5))  # larger than any slot may be
    assert back5 is None and (shm.SHM_DIR / name5).read_bytes() == b"z" * 5
    owner.close()
    assert shm.segments(prefix) == []
