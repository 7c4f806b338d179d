"""analyze, prune and restore on a real generated project."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from snakebridge.state import ledger, manifest

from .helpers import NUMPY_JSON, cmd, det, generate, snapshot

ALL = [
    det("Numpy", "mean", 1),
    det("Numpy", "std", 1),
    det("Numpy.Linalg", "solve", 2),
    det("Json", "dumps", 1),
]
USED = [det("Numpy", "mean", 1, "lib/stats.ex", 4), det("Json", "dumps", 1, "lib/io.ex", 9)]
TESTS = [det("Numpy", "std", 1, "test/stats_test.exs", 12)]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pristine")
    generate(root, ALL)
    return root


@pytest.fixture
def root(pristine: Path, tmp_path: Path) -> Path:
    target = tmp_path / "app"
    shutil.copytree(pristine, target)
    return target


def keys(root: Path) -> list[str]:
    return list(manifest.read(root / ".snakebridge/manifest.json").symbols)


def test_analyze_text(root: Path) -> None:
    reply, out = cmd(
        root,
        "analyze",
        detections=[*USED, det("Numpy", "zeros", 1, "lib/z.ex", 2)],
        test_detections=TESTS,
    )
    assert reply.exit_code == 0
    assert "numpy: 3 generated, 1 used, 2 unused" in out.text
    assert "unused  Numpy.Linalg.solve/1,2,3  (numpy.linalg.solve)" in out.text
    assert (
        "unused  Numpy.std/1,2,3,4,5,6,7  (numpy.std)  used in test/: test/stats_test.exs:12"
        in out.text
    )
    assert "missing Numpy.zeros/1  (lib/z.ex:2)" in out.text
    assert "json: 1 generated, 1 used, 0 unused" in out.text


def test_analyze_json(root: Path) -> None:
    _, out = cmd(
        root,
        "analyze",
        "--format",
        "json",
        "--library",
        "numpy",
        detections=USED,
        test_detections=TESTS,
    )
    data = json.loads(out.text)["libraries"]
    assert list(data) == ["numpy"]
    assert [e["elixir"] for e in data["numpy"]["unused"]] == ["Numpy.Linalg.solve", "Numpy.std"]
    assert data["numpy"]["test_only"][0]["sites"] == ["test/stats_test.exs:12"]


def test_dry_run_changes_nothing(root: Path) -> None:
    before = snapshot(root)
    reply, out = cmd(root, "prune", "--dry-run", detections=USED)
    assert reply.data["pruned"] == ["Numpy.Linalg.solve", "Numpy.std"]
    assert "would prune Numpy.std/1,2,3,4,5,6,7 (numpy.std)" in out.text
    assert snapshot(root) == before
    assert not (root / ".snakebridge/backups").exists()


def test_prune_warns_about_test_usage_backs_up_and_rerenders(root: Path, tmp_path: Path) -> None:
    before = snapshot(root)
    reply, out = cmd(root, "prune", detections=USED, test_detections=TESTS)
    assert reply.exit_code == 0, out.text
    assert "Numpy.std is still called from test/ (test/stats_test.exs:12)" in out.logged("warning")
    assert keys(root) == ["Json.dumps", "Numpy.mean"]
    # The re-rendered file is byte-identical to a fresh generation of what remains.
    fresh = tmp_path / "fresh"
    generate(fresh, USED)
    assert snapshot(root) == snapshot(fresh)
    # restore brings the previous bytes back, and can itself be undone.
    reply, out = cmd(root, "restore")
    assert reply.exit_code == 0, out.text
    assert snapshot(root) == before
    # Restoring is idempotent: a second run restores nothing and says so.
    reply, out = cmd(root, "restore")
    assert reply.exit_code == 0, out.text
    assert "nothing to restore" in out.text and reply.data["changed"] == []
    assert snapshot(root) == before
    # The state the restore replaced stays reachable by id.
    undo = reply.data["undo"]
    reply, out = cmd(root, "restore", "--id", undo)
    assert reply.exit_code == 0, out.text
    assert snapshot(root) == snapshot(fresh)


def test_library_pattern_and_keep_filters(root: Path) -> None:
    reply, _ = cmd(root, "prune", "--dry-run", "--library", "json", detections=[])
    assert reply.data["pruned"] == ["Json.dumps"]
    reply, _ = cmd(root, "prune", "--dry-run", "--pattern", "numpy.linalg.*", detections=[])
    assert reply.data["pruned"] == ["Numpy.Linalg.solve"]
    reply, _ = cmd(root, "prune", "--dry-run", "--keep", "Numpy.std,Json.*", detections=[])
    assert reply.data["pruned"] == ["Numpy.Linalg.solve", "Numpy.mean"]


def test_pruning_a_whole_library_removes_its_file(root: Path) -> None:
    reply, out = cmd(root, "prune", "--library", "json", detections=[])
    assert reply.exit_code == 0, out.text
    assert not (root / "lib/snakebridge_generated/json.ex").exists()
    assert "Json.dumps" not in keys(root)
    assert cmd(root, "verify")[0].exit_code == 0


def test_nothing_to_prune(root: Path) -> None:
    reply, out = cmd(root, "prune", detections=ALL)
    assert reply.data["pruned"] == [] and "nothing to prune" in out.text


def test_restore_without_backups_says_there_is_nothing_to_restore(root: Path) -> None:
    before = snapshot(root)
    reply, out = cmd(root, "restore")
    assert reply.exit_code == 0
    assert "nothing to restore" in out.text and reply.data["changed"] == []
    assert snapshot(root) == before


def test_restore_list_and_unknown_id(root: Path) -> None:
    reply, out = cmd(root, "restore", "--list")
    assert reply.data["backups"] == [] and "no backups yet" in out.text
    cmd(root, "prune", "--library", "json", detections=[])
    reply, out = cmd(root, "restore", "--list")
    assert len(reply.data["backups"]) == 1 and "prune: Json.dumps" in out.text
    with pytest.raises(Exception, match="no backup 'nope'; known backups"):
        cmd(root, "restore", "--id", "nope")


def test_bad_argument_is_a_clear_error(root: Path) -> None:
    with pytest.raises(Exception, match=r"mix snakebridge.prune: unrecognized arguments: --frob"):
        cmd(root, "prune", "--frob")


# ------------------------------------------------------------- variants follow their symbol

ITERTOOLS = {
    "name": "itertools",
    "stdlib": True,
    "module_name": "Itertools",
    "python_module": "itertools",
    "streaming": ["count"],
}
LIBS = [*NUMPY_JSON, ITERTOOLS]
WITH_VARIANTS = [
    *ALL,
    det("Numpy.Ndarray", "shape", 1),
    det("Numpy.Ndarray", "tolist", 1),
    det("Itertools", "count", 1),
]


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("variants")
    generate(root, WITH_VARIANTS, libraries=LIBS)
    return root


@pytest.fixture
def vroot(variants: Path, tmp_path: Path) -> Path:
    target = tmp_path / "app"
    shutil.copytree(variants, target)
    return target


def unused(root: Path, *detections: dict[str, object], **extra: object) -> list[str]:
    reply, _ = cmd(
        root, "analyze", "--format", "json", libraries=LIBS, detections=list(detections), **extra
    )
    return sorted(e["elixir"] for u in reply.data["libraries"].values() for e in u["unused"])


def test_a_setter_is_used_with_its_getter(vroot: Path) -> None:
    assert "Numpy.Ndarray.put_shape" in keys(vroot)
    for called in ("shape", "put_shape"):
        left = unused(vroot, det("Numpy.Ndarray", called, 1))
        assert "Numpy.Ndarray.shape" not in left and "Numpy.Ndarray.put_shape" not in left
    both = unused(vroot, det("Numpy", "mean", 1))
    assert {"Numpy.Ndarray.shape", "Numpy.Ndarray.put_shape"} <= set(both)


def test_bang_and_stream_variants_count_as_their_symbol(vroot: Path) -> None:
    left = unused(vroot, det("Numpy", "mean!", 1), det("Itertools", "count_stream", 1))
    assert "Numpy.mean" not in left and "Itertools.count" not in left


def test_prune_removes_exactly_what_it_reports_setters_too(vroot: Path) -> None:
    reply, out = cmd(vroot, "prune", libraries=LIBS, detections=[det("Numpy", "mean", 1)])
    assert reply.exit_code == 0, out.text
    pruned = reply.data["pruned"]
    assert "Numpy.Ndarray.put_shape" in pruned and "Numpy.Ndarray.shape" in pruned
    assert f"pruned {len(pruned)} symbol(s)" in out.text
    for key in pruned:
        assert f"pruned {key}/" in out.text
    assert keys(vroot) == ["Numpy.mean"]
    source = (vroot / "lib/snakebridge_generated/numpy.ex").read_text()
    assert "def put_shape(" not in source and "def shape(" not in source
    assert cmd(vroot, "verify", libraries=LIBS)[0].exit_code == 0


def test_keep_and_pattern_name_a_whole_group(vroot: Path) -> None:
    none = [det("Numpy", "mean", 1)]
    reply, _ = cmd(
        vroot, "prune", "--dry-run", "--pattern", "*.put_shape", libraries=LIBS, detections=none
    )
    assert reply.data["pruned"] == ["Numpy.Ndarray.put_shape", "Numpy.Ndarray.shape"]
    reply, _ = cmd(
        vroot,
        "prune",
        "--dry-run",
        "--keep",
        "Numpy.Ndarray.put_shape,Numpy.std!,Itertools.count_stream",
        libraries=LIBS,
        detections=none,
    )
    assert not {
        "Numpy.Ndarray.shape",
        "Numpy.Ndarray.put_shape",
        "Numpy.std",
        "Itertools.count",
    } & set(reply.data["pruned"])


def test_promoted_and_ledger_symbols_are_not_unused(vroot: Path) -> None:
    path = vroot / ".snakebridge/manifest.json"
    manifest.write(path, manifest.with_promoted(manifest.read(path), {"Numpy.std": "numpy.std/1"}))
    ledger.merge_records(vroot / ".snakebridge/ledger.json", {("json", "json", "dumps", 1): 2})
    reply, out = cmd(vroot, "analyze", libraries=LIBS, detections=[det("Numpy", "mean", 1)])
    assert "dynamic Numpy.std/1,2,3,4,5,6,7  (numpy.std; promoted from numpy.std/1)" in out.text
    assert "dynamic Json.dumps/1,2  (json.dumps; seen in the ledger)" in out.text
    assert "json: 1 generated, 0 used, 1 called dynamically, 0 unused" in out.text
    reply, _ = cmd(
        vroot, "prune", "--dry-run", libraries=LIBS, detections=[det("Numpy", "mean", 1)]
    )
    assert "Numpy.std" not in reply.data["pruned"] and "Json.dumps" not in reply.data["pruned"]
    # Named explicitly, a promoted symbol can be pruned (with a warning).
    reply, out = cmd(vroot, "prune", "--pattern", "Numpy.std", libraries=LIBS, detections=[])
    assert reply.data["pruned"] == ["Numpy.std"]
    assert "Numpy.std is called dynamically" in out.logged("warning")
    assert "Numpy.std" not in keys(vroot)
