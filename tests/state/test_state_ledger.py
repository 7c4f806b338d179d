"""The ledger: counts merge, concurrent workers lose nothing, a corrupt file is kept aside."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from snakebridge.state import ledger
from snakebridge.state.errors import StateError


def test_missing_is_empty(tmp_path: Path) -> None:
    assert len(ledger.read(tmp_path / "ledger.json")) == 0


def test_merge_adds_counts_and_sorts(tmp_path: Path) -> None:
    path = tmp_path / ".snakebridge" / "ledger.json"
    ledger.merge_records(path, {("numpy", "numpy", "mean", 1): 2, ("json", "json", "dumps", 1): 1})
    ledger.merge_records(path, {("numpy", "numpy", "mean", 1): 3, ("numpy", "numpy", "std", 1): 1})
    got = ledger.read(path)
    assert dict(got.counts) == {
        ("json", "json", "dumps", 1): 1,
        ("numpy", "numpy", "mean", 1): 5,
        ("numpy", "numpy", "std", 1): 1,
    }
    assert path.read_text() == (
        "{\n"
        '"snakebridge_ledger": 1,\n'
        '"calls": [\n'
        '{"arity": 1, "count": 1, "function": "dumps", "library": "json", '
        '"python_module": "json"},\n'
        '{"arity": 1, "count": 5, "function": "mean", "library": "numpy", '
        '"python_module": "numpy"},\n'
        '{"arity": 1, "count": 1, "function": "std", "library": "numpy", '
        '"python_module": "numpy"}\n'
        "]\n"
        "}\n"
    )


def test_merge_nothing_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    ledger.merge_records(path, {})
    ledger.merge_records(path, {("numpy", "numpy", "mean", 1): 0})
    assert not path.exists()


def test_remove(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    ledger.merge_records(path, {("numpy", "numpy", "mean", 1): 2, ("numpy", "numpy", "std", 1): 1})
    assert ledger.remove(path, [("numpy", "numpy", "mean", 1)]) == 1
    assert list(ledger.read(path).counts) == [("numpy", "numpy", "std", 1)]


def test_concurrent_workers_lose_no_count(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from snakebridge.state.ledger import merge_records
        for i in range(40):
            merge_records(Path({str(path)!r}), {{("numpy", "numpy", "mean", 1): 1,
                                                 ("numpy", "numpy", sys.argv[1], 2): 1}})
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, f"f{i}"]) for i in range(4)]
    assert [p.wait() for p in procs] == [0] * 4
    counts = ledger.read(path).counts
    assert counts[("numpy", "numpy", "mean", 1)] == 160
    assert all(counts[("numpy", "numpy", f"f{i}", 2)] == 40 for i in range(4))


def test_corrupt_ledger_read_is_clear_and_merge_keeps_it_aside(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    path.write_text("{truncated")
    with pytest.raises(StateError, match="safe to delete"):
        ledger.read(path)
    ledger.merge_records(path, {("numpy", "numpy", "mean", 1): 1})
    assert (tmp_path / "ledger.json.corrupt").read_text() == "{truncated"
    assert dict(ledger.read(path).counts) == {("numpy", "numpy", "mean", 1): 1}


def test_entries_view(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    ledger.merge_records(path, {("numpy", "numpy.linalg", "solve", 2): 4})
    (e,) = ledger.read(path).entries
    assert (e.library, e.python_module, e.function, e.arity, e.count) == (
        "numpy",
        "numpy.linalg",
        "solve",
        2,
        4,
    )
