"""A worker that dies leaves its last words in the file the pool logs
(SNAKEBRIDGE_LAST_WORDS): a fault's report with the Python stack, or the traceback of
an error the worker could not answer as a reply."""

from __future__ import annotations

from pathlib import Path

import pytest

from snakebridge.etf import Atom

from .conftest import Worker


@pytest.fixture
def last_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "worker.last"
    monkeypatch.setenv("SNAKEBRIDGE_LAST_WORDS", str(path))
    return path


def test_a_segfault_leaves_the_fault_and_the_python_stack(last_words: Path) -> None:
    w = Worker({"ctypes": "ctypes"})
    w.send_request("call", library="ctypes", python_module="ctypes", function="string_at", args=[0])
    with pytest.raises(AssertionError, match="closed its channel"):
        w.reply()
    assert w.proc.wait(timeout=10) < 0
    words = last_words.read_text()
    assert "Fatal Python error: Segmentation fault" in words
    # The stack of the call that crashed, down to the library function.
    assert "ctypes/__init__.py" in words
    assert "in string_at" in words


def test_an_error_before_serving_leaves_its_traceback(last_words: Path) -> None:
    with pytest.raises(AssertionError):
        # libraries must be a map: the worker cannot start, and cannot answer.
        Worker([Atom("json")])  # type: ignore[arg-type]
    words = last_words.read_text()
    assert "Traceback (most recent call last)" in words
    assert "AttributeError" in words


def test_a_healthy_worker_says_nothing(last_words: Path) -> None:
    w = Worker({"json": "json"})
    assert w.call("json", "dumps", [1]) == ("ok", "[1]")
    assert w.close() == 0
    assert not last_words.exists() or last_words.read_text() == ""
