"""The output file's reader against writers that append at every step of a read.

A writer sharing fd 1 (a background thread, a child process) can append at any instant
of the end-of-call read, between any two of its system calls. These tests put a writer
at each of those instants deterministically, by standing in for the ``os`` module of
``snakebridge.runtime.output`` and appending before and after every call it makes, and
then check that the reads, concatenated, are exactly what was written: nothing lost,
nothing repeated, nothing reordered.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snakebridge.runtime import output

RECORD = 8  # b"%07d\n": every record says where it belongs in the stream


class Writer:
    """Appends numbered records to the captured descriptor, as user code would."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.count = 0
        self.sent = bytearray()

    def append(self, size: int) -> None:
        n = size // RECORD
        data = b"".join(b"%07d\n" % (i % 10_000_000) for i in range(self.count, self.count + n))
        self.count += n
        self.sent += data
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]


class WriterAtEveryStep:
    """Stands in for ``os`` inside the output module: around each of its calls the writer
    appends the next size in `sizes` (the sizes repeat), as a concurrent writer could."""

    def __init__(self, writer: Writer, sizes: list[int]) -> None:
        self._writer = writer
        self._sizes = sizes
        self._step = 0

    def _race(self) -> None:
        self._writer.append(self._sizes[self._step % len(self._sizes)])
        self._step += 1

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def step(*args: Any, **kwargs: Any) -> Any:
            self._race()
            try:
                return function(*args, **kwargs)
            finally:
                self._race()

        return step

    def __getattr__(self, name: str) -> Any:
        value = getattr(os, name)
        return self.wrap(value) if callable(value) else value


@pytest.fixture
def sink() -> Iterator[tuple[Any, int]]:
    # A spare descriptor number for the sink to take over, as the worker gives it fd 1.
    target = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
    taken = output._Sink(target, "info")
    yield taken, target
    taken.map.close()
    os.close(taken.fd)
    os.close(target)


def race_takes(
    monkeypatch: pytest.MonkeyPatch, sink: tuple[Any, int], sizes: list[int], takes: int
) -> tuple[bytes, bytes]:
    """`takes` reads with the writer appending at every step of each; then one read with
    no writer left. Returns (read, written)."""
    taken, target = sink
    writer = Writer(target)
    racer = WriterAtEveryStep(writer, sizes)
    read = bytearray()
    with monkeypatch.context() as patch:
        patch.setattr(output, "os", racer)
        if hasattr(output, "_fallocate"):
            patch.setattr(output, "_fallocate", racer.wrap(output._fallocate))
        for _ in range(takes):
            read += taken.take()
    read += taken.take()
    return bytes(read), bytes(writer.sent)


def first_difference(read: bytes, sent: bytes) -> str:
    at = next((i for i, (a, b) in enumerate(zip(read, sent, strict=False)) if a != b), None)
    if at is None:
        return f"read {len(read)} bytes of {len(sent)} written, a prefix"
    got, want = read[at : at + 24], sent[at : at + 24]
    return f"first difference at byte {at} of {len(sent)}: read {got!r}, wrote {want!r}"


@pytest.mark.parametrize("size", [RECORD, 4096, 24 * 1024, 40 * 1024, 96 * 1024, 160 * 1024])
def test_a_writer_appending_at_every_step_of_every_read_loses_and_repeats_nothing(
    monkeypatch: pytest.MonkeyPatch, sink: tuple[Any, int], size: int
) -> None:
    # Big appends cross the file's start-over (or release) point within a few reads, and
    # a writer that keeps appending inside a read is what a rewind of the offset loses.
    read, sent = race_takes(monkeypatch, sink, [size], takes=40)
    assert read == sent, first_difference(read, sent)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(
        st.sampled_from([0, RECORD, 1000, 4096, 20_000, 65_536, 70_000, 200_000]),
        min_size=1,
        max_size=12,
    ),
    takes=st.integers(min_value=1, max_value=12),
)
def test_any_pattern_of_racing_appends_reads_back_exactly_what_was_written(
    sizes: list[int], takes: int
) -> None:
    target = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
    taken = output._Sink(target, "info")
    try:
        with pytest.MonkeyPatch.context() as patch:
            read, sent = race_takes(patch, (taken, target), sizes, takes)
    finally:
        taken.map.close()
        os.close(taken.fd)
        os.close(target)
    assert read == sent, first_difference(read, sent)


def test_memory_stays_bounded_while_the_offset_grows(sink: tuple[Any, int]) -> None:
    taken, target = sink
    writer = Writer(target)
    total = 0
    for _ in range(20_000):
        writer.append(1024)
        total += len(taken.take())
    assert total == len(writer.sent) == 20_000 * 1024
    # 20 MB went through; what the file holds is the read-but-not-yet-released tail.
    assert os.fstat(taken.fd).st_blocks * 512 <= 4 * (1 << 16) + output.CAPACITY // 4


CHILD = """
import os, sys
fd, count = int(sys.argv[1]), int(sys.argv[2])
for i in range(0, count, 50):
    os.write(fd, b"".join(b"%07d\\n" % j for j in range(i, min(i + 50, count))))
"""


def test_a_child_process_writing_while_the_parent_reads_loses_and_repeats_nothing(
    sink: tuple[Any, int],
) -> None:
    taken, target = sink
    count = 200_000
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(target), str(count)], pass_fds=[target]
    )
    read = bytearray()
    while child.poll() is None:
        read += taken.take()
    read += taken.take()
    assert child.returncode == 0
    assert bytes(read) == b"".join(b"%07d\n" % j for j in range(count))


def test_the_byte_after_the_cursor_says_written_exactly_when_something_was(
    sink: tuple[Any, int],
) -> None:
    # The end-of-call check reads one byte of the mapping: it must stay zero until a
    # writer gets there, across page releases and moves of the window, and bursts that
    # run past the window must not leave it set.
    taken, target = sink
    writer = Writer(target)
    read = bytearray()
    for size in [RECORD, 4096, 70_000, 2 * output.CAPACITY, RECORD] * 8:
        assert not taken.fresh()
        writer.append(size)
        assert taken.fresh()
        read += taken.take()
        assert not taken.fresh()
        assert taken.take() == b""
    assert bytes(read) == bytes(writer.sent)


def test_a_file_that_cannot_grow_or_punch_holes_still_reads_everything(
    monkeypatch: pytest.MonkeyPatch, sink: tuple[Any, int]
) -> None:
    # A full /dev/shm refuses to extend the file for a new window (ENOSPC), and some file
    # systems refuse to punch holes: the capture reads on with pread and asks the offset
    # at the end of a call, and moves its window again once it can.
    taken, target = sink
    writer = Writer(target)
    real = output._fallocate

    def refusing(fd: int, mode: int, offset: int, length: int) -> None:
        raise OSError(28, os.strerror(28))

    read = bytearray()
    with monkeypatch.context() as patch:
        patch.setattr(output, "_fallocate", refusing)
        for size in [RECORD, 70_000, 2 * output.CAPACITY, 4096, output.CAPACITY, RECORD] * 3:
            assert not taken.fresh()
            writer.append(size)
            assert taken.fresh()
            read += taken.take()
            assert not taken.fresh()
        assert taken.base == 0
    assert output._fallocate is real
    for size in [2 * output.CAPACITY, RECORD, 70_000]:
        writer.append(size)
        assert taken.fresh()
        read += taken.take()
        assert not taken.fresh()
    assert taken.base > 0 and "fresh" not in vars(taken)
    assert bytes(read) == bytes(writer.sent)
