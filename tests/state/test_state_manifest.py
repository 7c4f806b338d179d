"""The manifest: exact bytes, round trips, merge-friendliness, clear errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from snakebridge.state import manifest
from snakebridge.state.errors import StateError
from snakebridge.state.manifest import Manifest, SymbolEntry


def entry(
    module: str, name: str, arities: tuple[int, ...] = (1,), lib: str = "numpy"
) -> SymbolEntry:
    return SymbolEntry(
        library=lib,
        elixir_module=module,
        name=name,
        arities=arities,
        python=f"{module.lower()}.{name}",
        kind="function",
        checksum=f"sha256:{name}",
    )


def test_key() -> None:
    assert manifest.key("Numpy.Linalg", "solve") == "Numpy.Linalg.solve"


def test_missing_file_is_empty(tmp_path: Path) -> None:
    assert manifest.read(tmp_path / "nope.json") == Manifest()


def test_render_exact_bytes() -> None:
    m = manifest.build([entry("Numpy", "mean", (2, 1)), entry("Numpy.Linalg", "solve", (2,))])
    expected = (
        "{\n"
        '"snakebridge_manifest": 1,\n'
        '"symbols": {\n'
        '"Numpy.Linalg.solve": {"arities": [2], "checksum": "sha256:solve", '
        '"elixir_module": "Numpy.Linalg", "kind": "function", "library": "numpy", '
        '"name": "solve", "python": "numpy.linalg.solve"},\n'
        '"Numpy.mean": {"arities": [1, 2], "checksum": "sha256:mean", '
        '"elixir_module": "Numpy", "kind": "function", "library": "numpy", '
        '"name": "mean", "python": "numpy.mean"},\n'
        '"~": "end of symbols"\n'
        "}\n"
        "}\n"
    )
    assert manifest.render(m).decode() == expected
    json.loads(expected)  # valid JSON


def test_write_then_read_round_trip_and_skip_unchanged(tmp_path: Path) -> None:
    path = tmp_path / ".snakebridge" / "manifest.json"
    m = manifest.build([entry("Numpy", "mean"), entry("Json", "dumps", lib="json")])
    assert manifest.write(path, m) is True
    assert manifest.read(path) == m
    assert manifest.write(path, m) is False


_names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
_modules = st.sampled_from(["Numpy", "Numpy.Linalg", "Numpy.Fft", "Sympy.Symbol"])


@given(st.lists(st.tuples(_modules, _names, st.lists(st.integers(0, 6), min_size=1)), max_size=20))
def test_same_symbols_any_order_same_bytes(items: list[tuple[str, str, list[int]]]) -> None:
    unique = {(m, n): a for m, n, a in items}  # one entry per key, as the generator gives
    entries = [entry(m, n, tuple(a)) for (m, n), a in unique.items()]
    forward = manifest.build(entries)
    backward = manifest.build(reversed(entries))
    assert manifest.render(forward) == manifest.render(backward)
    assert manifest.parse(manifest.render(forward).decode()) == forward


def test_build_rejects_two_different_entries_for_one_key() -> None:
    with pytest.raises(ValueError, match=r"Numpy\.mean"):
        manifest.build([entry("Numpy", "mean", (1,)), entry("Numpy", "mean", (2,))])
    same = manifest.build([entry("Numpy", "mean"), entry("Numpy", "mean")])
    assert list(same.symbols) == ["Numpy.mean"]


def test_with_entries_and_without() -> None:
    m = manifest.build([entry("Numpy", "mean")])
    m2 = manifest.with_entries(m, [entry("Numpy", "std"), entry("Numpy", "mean", (1, 2))])
    assert list(m2.symbols) == ["Numpy.mean", "Numpy.std"]
    assert m2.symbols["Numpy.mean"].arities == (1, 2)
    assert m2.has("Numpy", "mean", 2) and not m2.has("Numpy", "mean", 3)
    assert list(manifest.without(m2, ["Numpy.mean"]).symbols) == ["Numpy.std"]
    assert m2.for_library("numpy") == (m2.symbols["Numpy.mean"], m2.symbols["Numpy.std"])


def test_no_timestamps_or_machine_specific_text(tmp_path: Path) -> None:
    text = manifest.render(manifest.build([entry("Numpy", "mean")])).decode()
    assert str(tmp_path) not in text
    assert "20" + "26" not in text  # no year, no date


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "invalid JSON at line 1"),
        ('{"snakebridge_manifest": 1}', 'no "symbols"'),
        ('{"snakebridge_manifest": 9, "symbols": {}}', "unsupported format 9"),
        ('{"snakebridge_manifest": 1, "symbols": {"A.b": {"library": "x"}}}', "lacks"),
        (
            '{"snakebridge_manifest": 1, "symbols": {"A.b": {"library": "x", '
            '"elixir_module": "A", "name": "c", "arities": [1], "python": "a.c", '
            '"kind": "function", "checksum": ""}}}',
            "the key must be elixir_module.name",
        ),
        (
            '{"snakebridge_manifest": 1, "symbols": {"A.b": {"library": "x", '
            '"elixir_module": "A", "name": "b", "arities": ["1"], "python": "a.b", '
            '"kind": "function", "checksum": ""}}}',
            "arities must be a list",
        ),
    ],
)
def test_corrupt_manifest_names_path_and_fix(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(content)
    with pytest.raises(StateError) as err:
        manifest.read(path)
    message = str(err.value)
    assert needle in message
    assert str(path) in message
    assert "mix snakebridge.repair" in message
    assert path.read_text() == content  # nothing lost


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env={
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@e",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@e",
            "HOME": str(cwd),
            "PATH": "/usr/bin:/bin",
        },
    ).stdout


def test_two_branches_adding_symbols_merge_cleanly_with_union(tmp_path: Path) -> None:
    """The .gitattributes line setup writes (merge=union) plus one-line-per-symbol
    gives a valid manifest holding both branches' symbols, with no conflict."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / ".gitattributes").write_text(".snakebridge/manifest.json merge=union\n")
    path = repo / ".snakebridge" / "manifest.json"
    base = manifest.build([entry("Numpy", "mean"), entry("Numpy", "zeros")])
    manifest.write(path, base)
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "checkout", "-q", "-b", "feature")
    manifest.write(path, manifest.with_entries(base, [entry("Numpy", "std")]))
    _git(repo, "commit", "-q", "-am", "std")
    _git(repo, "checkout", "-q", "main")
    manifest.write(path, manifest.with_entries(base, [entry("Numpy", "sum")]))
    _git(repo, "commit", "-q", "-am", "sum")
    _git(repo, "merge", "-q", "--no-edit", "feature")
    merged = manifest.read(path)
    assert list(merged.symbols) == ["Numpy.mean", "Numpy.std", "Numpy.sum", "Numpy.zeros"]


def test_conflicting_duplicate_after_union_merge_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    a = manifest.render(manifest.build([entry("Numpy", "mean", (1,))])).decode().splitlines()
    b = manifest.render(manifest.build([entry("Numpy", "mean", (2,))])).decode().splitlines()
    path.write_text("\n".join([*a[:3], a[3], b[3], *a[4:]]) + "\n")
    with pytest.raises(StateError, match=r"two different entries for Numpy\.mean"):
        manifest.read(path)
    identical = "\n".join([*a[:3], a[3], a[3], *a[4:]]) + "\n"
    path.write_text(identical)
    assert list(manifest.read(path).symbols) == ["Numpy.mean"]
