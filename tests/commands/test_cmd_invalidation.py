"""The seed's invalidation table, one test per row, through the real generation pipeline.

Each test generates numpy and json bindings, changes one input the way it changes in
life (the lock on disk records the *old* environment), runs generate again with the
same detections, and checks exactly which libraries were regenerated.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snakebridge.state import manifest

from .helpers import det, generate, snapshot

DETECTIONS = [det("Numpy", "mean", 1), det("Json", "dumps", 1)]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    generate(tmp_path, DETECTIONS)
    return tmp_path


def _edit_lock(root: Path, section: str, key: str, value: str) -> None:
    path = root / "snakebridge.lock"
    data = json.loads(path.read_text())
    target = data[section] if section == "environment" else data["libraries"][section]
    target[key] = value
    path.write_text(json.dumps(data))


def test_nothing_changed_regenerates_nothing(root: Path) -> None:
    before = snapshot(root)
    reply = generate(root, DETECTIONS)
    assert reply.data["regenerated"] == []
    assert reply.data["written"] == []
    assert snapshot(root) == before


@pytest.mark.parametrize(
    ("key", "old"),
    [
        ("snakebridge_version", "0.0.9"),  # SnakeBridge version -> regenerate all
        ("generator_hash", "sha256:" + "0" * 64),  # generator changed -> regenerate all
        ("python_version", "3.10.0"),  # Python version -> regenerate all
        ("python_platform", "macosx-14.0-arm64"),  # platform -> regenerate all
    ],
    ids=["snakebridge_version", "generator_hash", "python_version", "platform"],
)
def test_environment_change_regenerates_everything(root: Path, key: str, old: str) -> None:
    _edit_lock(root, "environment", key, old)
    reply = generate(root, DETECTIONS)
    assert sorted(reply.data["regenerated"]) == ["json", "numpy"]
    # The lock now records the current environment again.
    assert json.loads((root / "snakebridge.lock").read_text())["environment"][key] != old


def test_library_version_change_regenerates_only_that_library(root: Path) -> None:
    _edit_lock(root, "numpy", "resolved", "2.0.0")
    reply = generate(root, DETECTIONS)
    assert reply.data["regenerated"] == ["numpy"]


def test_interpreter_hash_alone_regenerates_nothing(root: Path) -> None:
    _edit_lock(root, "environment", "interpreter_hash", "sha256:" + "1" * 64)
    assert generate(root, DETECTIONS).data["regenerated"] == []


def test_new_symbol_in_code_generates_that_symbol(root: Path) -> None:
    json_before = (root / "lib/snakebridge_generated/json.ex").read_bytes()
    reply = generate(root, [*DETECTIONS, det("Numpy", "std", 1)])
    assert reply.data["regenerated"] == ["numpy"]
    m = manifest.read(root / ".snakebridge/manifest.json")
    assert m.has("Numpy", "std", 1) and m.has("Numpy", "mean", 1)
    assert (root / "lib/snakebridge_generated/json.ex").read_bytes() == json_before


def test_symbol_gone_from_code_is_kept(root: Path) -> None:
    before = snapshot(root)
    reply = generate(root, [det("Json", "dumps", 1)])  # Numpy.mean no longer called
    assert reply.data["regenerated"] == []
    assert snapshot(root) == before
    assert manifest.read(root / ".snakebridge/manifest.json").has("Numpy", "mean", 1)
