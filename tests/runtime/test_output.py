"""User output reaches the log in order, ahead of its call's reply, with no system call
at the end of a call that printed nothing (the capture reads two bytes of memory)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import Worker, ok


@pytest.fixture
def out() -> Iterator[Worker]:
    w = Worker(
        {
            "sboutput": {"python_module": "sboutput", "allow": ["subprocess"]},
            "operator": "operator",
        }
    )
    yield w
    w.close()


def test_a_calls_output_arrives_in_order_before_its_reply(out: Worker) -> None:
    for tag in ("first", "second"):
        out.logs.clear()
        # reply() gathers log frames until the reply: whatever it holds came first.
        assert ok(out.call("sboutput", "mixed", tag)) == tag
        lines = "\n".join(text for _level, text in out.logs).split("\n")
        assert lines == [f"{tag} print", f"{tag} raw", f"{tag} printf", f"{tag} partial"]
        assert {level for level, _ in out.logs} == {"info"}


def test_child_processes_are_captured(out: Worker) -> None:
    out.logs.clear()
    assert ok(out.call("sboutput", "child", "from a child")) is True
    assert ("info", "from a child") in out.logs


def test_output_larger_than_the_mapping_arrives_whole(out: Worker) -> None:
    out.logs.clear()
    size = 3 * (1 << 20)
    assert ok(out.call("sboutput", "big", size)) == size
    assert "".join(text for _level, text in out.logs) == "y" * size
    out.logs.clear()
    assert ok(out.call("operator", "add", 1, 2)) == 3
    assert out.logs == []


def test_output_starting_with_a_nul_byte_still_arrives(out: Worker) -> None:
    out.logs.clear()
    assert ok(out.call("sboutput", "nul_first", "after nul")) is True
    # The first byte cannot flag it; the forwarding thread still sends it.
    while not any("after nul" in text for _level, text in out.logs):
        frame = out.recv()
        assert frame[0] == "log", frame
        out.logs.append((frame[1], frame[2]))


def test_a_writer_racing_the_end_of_calls_loses_and_repeats_nothing(out: Worker) -> None:
    count = 20_000
    out.logs.clear()
    assert ok(out.call("sboutput", "background", count)) is True
    # Calls end (and read the output) while the thread keeps writing.
    for _ in range(200):
        ok(out.call("operator", "add", 1, 1))
    assert ok(out.call("sboutput", "join")) is True
    ok(out.call("operator", "add", 1, 1))
    lines = "\n".join(text for _level, text in out.logs).split("\n")
    assert lines == [f"line {i}" for i in range(count)]
