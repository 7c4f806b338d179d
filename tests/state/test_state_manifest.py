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

from .conftest import make_payload


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


def sectioned() -> Manifest:
    m = manifest.build([entry("Numpy", "mean"), entry("Numpy", "median")])
    m = manifest.with_promoted(m, {"Numpy.median": "numpy.median/1"})
    return manifest.with_files(m, {"lib/snakebridge_generated/numpy.ex": "sha256:" + "a" * 64})


def test_sections_render_and_round_trip(tmp_path: Path) -> None:
    m = sectioned()
    text = manifest.render(m).decode()
    assert text.endswith(
        '"~": "end of symbols"\n},\n"promoted": {\n"Numpy.median": "numpy.median/1",\n'
        '"~": "end of promoted"\n},\n"files": {\n'
        f'"lib/snakebridge_generated/numpy.ex": "sha256:{"a" * 64}",\n'
        '"~": "end of files"\n}\n}\n'
    )
    path = tmp_path / "manifest.json"
    manifest.write(path, m)
    assert manifest.read(path) == m
    # Replacing a library's entries (what the generator does) keeps the other sections.
    again = manifest.with_entries(manifest.without(m, ["Numpy.median"]), [entry("Numpy", "median")])
    assert again == m
    # A promoted mark is written only while its symbol exists.
    assert "promoted" not in manifest.render(manifest.without(m, ["Numpy.median"])).decode()


@pytest.mark.parametrize(
    ("cut", "needle"),
    [
        (lambda t: t[: len(t) // 2], "invalid JSON"),
        (lambda t: t[:-1], "does not end with a newline"),
        (lambda t: t[: t.rindex("}")], "invalid JSON"),
        (lambda t: "", "invalid JSON"),
        (lambda t: t.replace('"Numpy.mean"', "<<<<<<< HEAD\n" + '"Numpy.mean"'), "line 4"),
        (lambda t: t.replace('"arities": [1]', '"arities": [1,]'), "line 4"),
        (lambda t: t.replace("},\n", "}\n", 1), "invalid JSON"),
        (lambda t: json.dumps(json.loads(t), indent=2) + "\n", "does not start with"),
        (lambda t: t.replace('"promoted": {', '"files": {', 1), "line 10"),
    ],
    ids=[
        "half",
        "last-byte",
        "no-final-brace",
        "empty",
        "conflict",
        "bad-entry",
        "comma",
        "reformatted",
        "section-order",
    ],
)
def test_a_damaged_layout_is_unreadable(tmp_path: Path, cut: object, needle: str) -> None:
    path = tmp_path / "manifest.json"
    text = manifest.render(sectioned()).decode()
    assert callable(cut)
    path.write_text(cut(text))
    with pytest.raises(StateError, match=r"mix snakebridge\.repair") as err:
        manifest.read(path)
    assert needle in str(err.value)


def test_layout_accepts_what_render_writes_with_any_strings() -> None:
    odd = SymbolEntry("numpy", "Numpy", "f", (0, 3), 'numpy."quoted"\\x\u00e9\n', "function", "")
    m = manifest.with_promoted(manifest.build([odd]), {"Numpy.f": "tab\there"})
    text = manifest.render(m).decode()
    assert manifest.layout_problem(text) is None
    assert manifest.parse(text) == m
    assert manifest.layout_problem(manifest.render(Manifest()).decode()) is None


def test_two_digests_for_one_file_after_a_union_merge_read_as_merged(tmp_path: Path) -> None:
    lines = manifest.render(sectioned()).decode().split("\n")
    i = lines.index('"~": "end of files"')
    lines.insert(i, f'"lib/snakebridge_generated/numpy.ex": "sha256:{"b" * 64}",')
    path = tmp_path / "manifest.json"
    path.write_text("\n".join(lines))
    assert manifest.read(path).files == {"lib/snakebridge_generated/numpy.ex": manifest.MERGED}


def test_seal_records_what_a_transaction_wrote_and_keeps_the_rest(tmp_path: Path) -> None:
    from snakebridge.project import project_from_payload
    from snakebridge.state.files import project_lock, remove_file, write_atomic

    project = project_from_payload(make_payload(tmp_path))
    numpy_ex, json_ex = (project.generated_dir / n for n in ("numpy.ex", "json.ex"))
    with project_lock(project):
        manifest.write(project.manifest_path, manifest.build([entry("Numpy", "mean")]))
        write_atomic(numpy_ex, b"numpy v1\n")
        write_atomic(json_ex, b"json v1\n")
    files = manifest.read(project.manifest_path).files
    assert files == {
        "lib/snakebridge_generated/json.ex": manifest.digest(b"json v1\n"),
        "lib/snakebridge_generated/numpy.ex": manifest.digest(b"numpy v1\n"),
    }
    numpy_ex.write_bytes(b"edited by hand\n")
    with project_lock(project):
        write_atomic(json_ex, b"json v1\n")  # unchanged, but vouched for again
        remove_file(project.generated_dir / "gone.ex")
    assert manifest.read(project.manifest_path).files == files  # the hand edit is not sealed
    with project_lock(project):
        remove_file(json_ex)
    assert list(manifest.read(project.manifest_path).files) == [
        "lib/snakebridge_generated/numpy.ex"
    ]
