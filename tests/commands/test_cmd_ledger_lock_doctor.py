"""ledger and promote; lock show/check/rebuild; doctor."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from snakebridge.project import ProjectError
from snakebridge.state import ledger, manifest

from .helpers import cmd, det, generate, snapshot


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pristine")
    generate(root, [det("Numpy", "mean", 1)])
    return root


@pytest.fixture
def root(pristine: Path, tmp_path: Path) -> Path:
    target = tmp_path / "app"
    shutil.copytree(pristine, target)
    return target


def record(root: Path, *calls: tuple[str, str, str, int], count: int = 1) -> None:
    ledger.merge_records(root / ".snakebridge/ledger.json", {c: count for c in calls})


def test_ledger_lists_only_calls_without_binding(root: Path) -> None:
    record(
        root,
        ("numpy", "numpy", "mean", 1),
        ("numpy", "numpy.linalg", "det", 1),
        ("json", "json", "loads", 1),
        count=3,
    )
    reply, out = cmd(root, "ledger")
    assert reply.data["pending"] == 2 and reply.data["generated"] == 1
    assert "Numpy.Linalg.det/1  x3  (numpy: numpy.linalg.det/1)" in out.text
    assert "Json.loads/1  x3" in out.text
    assert "Numpy.mean" not in out.text
    _, out = cmd(root, "ledger", "--all")
    assert "Numpy.mean/1  x3  (generated)" in out.text
    _, out = cmd(root, "ledger", "--format", "json")
    assert {c["elixir"] for c in json.loads(out.text)["calls"]} == {
        "Numpy.Linalg.det/1",
        "Json.loads/1",
    }


def test_empty_ledger(root: Path) -> None:
    reply, out = cmd(root, "ledger")
    assert reply.data["pending"] == 0 and "no dynamic calls recorded" in out.text


def test_promote_needs_an_explicit_choice(root: Path) -> None:
    with pytest.raises(ProjectError, match="--all"):
        cmd(root, "promote")


def test_promote_library_generates_and_clears_the_ledger(root: Path) -> None:
    record(root, ("numpy", "numpy.linalg", "det", 1), ("json", "json", "loads", 1))
    reply, out = cmd(root, "promote", "--library", "numpy")
    assert reply.exit_code == 0, out.text
    assert reply.data["promoted"] == ["Numpy.Linalg.det/1"]
    m = manifest.read(root / ".snakebridge/manifest.json")
    assert m.has("Numpy.Linalg", "det", 1) and not m.has("Json", "loads")
    assert "defmodule Numpy.Linalg do" in (root / "lib/snakebridge_generated/numpy.ex").read_text()
    assert list(ledger.read(root / ".snakebridge/ledger.json").counts) == [
        ("json", "json", "loads", 1)
    ]
    assert cmd(root, "verify")[0].exit_code == 0


def test_promote_all_keeps_what_cannot_be_generated(root: Path) -> None:
    record(
        root,
        ("json", "json", "loads", 1),
        ("numpy", "numpy", "no_such_function_xyz", 1),
        ("scipy", "scipy", "stats", 1),
    )
    reply, out = cmd(root, "promote", "--all")
    assert reply.exit_code == 1
    assert reply.data["promoted"] == ["Json.loads/1"]
    assert reply.data["failed"] == ["Numpy.no_such_function_xyz/1"]
    assert "not declared in mix.exs" in out.logged("warning")
    left = set(ledger.read(root / ".snakebridge/ledger.json").counts)
    assert left == {("numpy", "numpy", "no_such_function_xyz", 1), ("scipy", "scipy", "stats", 1)}


def test_lock_show_check_and_rebuild(root: Path) -> None:
    reply, out = cmd(root, "lock", "--check")
    assert reply.exit_code == 0 and "in sync with the current environment" in out.text
    path = root / "snakebridge.lock"
    data = json.loads(path.read_text())
    data["environment"]["python_version"] = "3.10.0"
    path.write_text(json.dumps(data))
    reply, out = cmd(root, "lock", "--check")
    assert reply.exit_code == 1
    assert "Python version changed (3.10.0 -> " in out.text
    reply, out = cmd(root, "lock", "--rebuild")
    assert reply.data["written"] is True
    assert "will no longer be regenerated automatically" in out.logged("warning")
    assert cmd(root, "lock", "--check")[0].exit_code == 0
    assert cmd(root, "lock", "--rebuild")[0].data["written"] is False


def test_lock_missing(tmp_path: Path) -> None:
    reply, out = cmd(tmp_path, "lock", "--check")
    assert reply.exit_code == 1 and "missing" in out.text


def test_doctor_ready(root: Path) -> None:
    reply, out = cmd(root, "doctor")
    assert reply.exit_code == 0, out.text
    assert "[ ok ] numpy ~> 2.0: 2." in out.text
    assert "[ ok ] snakebridge.lock matches the environment" in out.text
    assert "[ ok ] generated code matches the manifest (1 symbol(s) in 1 file(s))" in out.text
    assert out.text.rstrip().endswith(("ready", "warning(s))"))


def test_doctor_not_ready_says_how_to_fix(root: Path) -> None:
    libraries = [
        {"name": "numpy", "version": "~> 1.20", "module_name": "Numpy", "python_module": "numpy"},
        {
            "name": "no_such_lib_xyz",
            "version": "~> 1.0",
            "module_name": "NoSuch",
            "python_module": "no_such_lib_xyz",
        },
    ]
    (root / "lib/snakebridge_generated/numpy.ex").unlink()
    record(root, ("numpy", "numpy", "std", 1))
    reply, out = cmd(root, "doctor", libraries=libraries)
    assert reply.exit_code == 1
    assert "which does not satisfy mix.exs" in out.text
    assert "[fail] no_such_lib_xyz ~> 1.0: not installed" in out.text
    assert "fix: mix snakebridge.setup" in out.text
    assert "numpy.ex is missing" in out.text
    assert "1 dynamic call(s) recorded without a binding" in out.text
    assert "not ready:" in out.text


@pytest.mark.parametrize("damage", ["", "{\n", "<<<<<<< HEAD\n{}\n", '{"snakebridge_lock": 9}\n'])
def test_lock_rebuild_works_on_a_corrupt_lock(root: Path, damage: str) -> None:
    path = root / "snakebridge.lock"
    good = path.read_bytes()
    path.write_text(damage)
    with pytest.raises(ProjectError, match=r"mix snakebridge\.lock --rebuild"):
        cmd(root, "lock", "--check")
    reply, out = cmd(root, "lock", "--rebuild")
    assert reply.exit_code == 0, out.text
    assert reply.data["written"] is True
    assert "could not be read" in out.logged("warning")
    assert path.read_bytes() == good
    assert cmd(root, "lock", "--check")[0].exit_code == 0


def test_promote_reports_what_no_binding_replaces_and_writes_nothing_for_it(root: Path) -> None:
    record(
        root,
        ("numpy", "numpy", "median", 1),
        ("numpy", "numpy", "pi", 0),  # SnakeBridge.get of a constant: an attribute binding
        ("numpy", "numpy", "sin", 0),  # SnakeBridge.get of a function: no binding replaces it
        ("numpy", "numpy", "linalg", 0),  # a module
        ("numpy", "numpy.fft", "fft", 1),
    )
    reply, out = cmd(root, "promote", "--all")
    assert reply.exit_code == 0, out.text
    assert sorted(reply.data["promoted"]) == ["Numpy.Fft.fft/1", "Numpy.median/1", "Numpy.pi/0"]
    assert reply.data["failed"] == []
    assert sorted(reply.data["skipped"]) == ["Numpy.linalg/0", "Numpy.sin/0"]
    assert "not promoted Numpy.sin/0: numpy.sin is a ufunc whose binding would be" in out.text
    assert "not promoted Numpy.linalg/0: numpy.linalg is a module" in out.text
    assert "not generated" not in out.text
    source = (root / "lib/snakebridge_generated/numpy.ex").read_text()
    assert "def sin(" not in source and "defmodule Numpy.Linalg do" not in source
    assert "defmodule Numpy.Fft do" in source and "def median(" in source
    m = manifest.read(root / ".snakebridge/manifest.json")
    assert dict(m.promoted) == {
        "Numpy.Fft.fft": "numpy.fft.fft/1",
        "Numpy.median": "numpy.median/1",
        "Numpy.pi": "numpy.pi/0",
    }
    assert cmd(root, "verify")[0].exit_code == 0
    # The reasons stay in the ledger: listed there, and not retried.
    _, out = cmd(root, "ledger")
    assert "numpy.sin/0  x1  cannot be promoted: numpy.sin is a ufunc" in out.text
    before = snapshot(root)
    reply, out = cmd(root, "promote", "--all")
    assert reply.exit_code == 0 and "nothing that can be promoted" in out.text
    assert snapshot(root) == before


def test_promoted_marks_survive_a_repair_that_rebuilds_the_manifest(root: Path) -> None:
    record(root, ("numpy", "numpy", "median", 1), ("numpy", "numpy.fft", "fft", 1))
    assert cmd(root, "promote", "--all")[0].exit_code == 0
    marks = {"Numpy.Fft.fft": "numpy.fft.fft/1", "Numpy.median": "numpy.median/1"}
    assert dict(manifest.read(root / ".snakebridge/manifest.json").promoted) == marks
    # The generated source says so too, where a reviewer sees it.
    source = (root / "lib/snakebridge_generated/numpy.ex").read_text()
    assert "# Promoted from the dynamic call numpy.median/1 (mix snakebridge.promote)" in source
    assert source.count("# Promoted from the dynamic call") == 2
    before = snapshot(root)

    (root / ".snakebridge/manifest.json").unlink()
    reply, out = cmd(root, "repair", detections=[det("Numpy", "mean", 1)])
    assert reply.exit_code == 0, out.text
    assert dict(manifest.read(root / ".snakebridge/manifest.json").promoted) == marks
    assert snapshot(root) == before
    reply, out = cmd(root, "analyze", detections=[det("Numpy", "mean", 1)])
    assert "unused" not in out.text.replace("0 unused", "")
    assert "promoted from numpy.median/1" in out.text

    # A regeneration keeps them (the marks are rendered from the manifest).
    reply, _ = cmd(root, "generate", detections=[det("Numpy", "mean", 1)], force=True)
    assert reply.exit_code == 0 and snapshot(root) == before
