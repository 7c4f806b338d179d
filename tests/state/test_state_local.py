"""Project-local modules (``tools: :local`` with ``python_path:``) in the lock: found in
python_path: the way Python's import finds them, versioned by content hash, and stale by
the same rule as a library version change."""

from __future__ import annotations

from pathlib import Path

import pytest

from snakebridge.project import Project, ProjectError, project_from_payload
from snakebridge.state import lock

from .conftest import make_payload

TOOLS = {"name": "tools", "local": True, "module_name": "Tools", "python_module": "tools"}


def local_project(
    root: Path, *libraries: dict[str, object], path: tuple[str, ...] = ("priv/python",)
) -> Project:
    return project_from_payload(
        make_payload(root, libraries=list(libraries or [TOOLS]), python_path=list(path))
    )


def write(root: Path, rel: str, text: str) -> Path:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


def test_local_module_is_locked_by_content_and_an_edit_regenerates_only_it(tmp_path: Path) -> None:
    write(tmp_path, "priv/python/tools.py", "def double(x):\n    return 2 * x\n")
    project = local_project(tmp_path, TOOLS, make_payload(tmp_path)["libraries"][1])
    before = lock.current(project)
    entry = before.libraries["tools"]
    assert entry.requested == lock.LOCAL_REQUESTED == "local"
    assert entry.files_hash.startswith("sha256:") and len(entry.files_hash) == 7 + 64
    assert entry.resolved == entry.files_hash[:23]
    assert lock.current(project) == before  # deterministic
    assert lock.staleness(before, lock.current(project)).fresh

    write(tmp_path, "priv/python/tools.py", "def double(x):\n    return x + x\n")
    after = lock.current(project)
    stale = lock.staleness(before, after)
    assert stale.libraries == frozenset({"tools"}) and not stale.everything
    assert (
        f"tools changed {entry.resolved} -> {after.libraries['tools'].resolved}"
        in (stale.reasons[0])
    )
    rendered = lock.render(after).decode()
    assert '"requested": "local"' in rendered
    assert lock.read(write(tmp_path, "snakebridge.lock", rendered)) == after


def test_package_hash_covers_every_file_but_bytecode(tmp_path: Path) -> None:
    write(tmp_path, "priv/python/tools/__init__.py", "from .core import double\n")
    core = write(tmp_path, "priv/python/tools/core.py", "def double(x):\n    return 2 * x\n")
    project = local_project(tmp_path)
    assert project.local_source(project.libraries[0]) == tmp_path / "priv/python/tools"
    first = lock.current(project).libraries["tools"].resolved
    write(tmp_path, "priv/python/tools/__pycache__/core.cpython-311.pyc", "junk")
    assert lock.current(project).libraries["tools"].resolved == first
    core.write_text("def double(x):\n    return x * 2\n")
    assert lock.current(project).libraries["tools"].resolved != first
    write(tmp_path, "priv/python/tools/data.json", "{}")
    assert lock.installed_version(project.libraries[0], project) != first


def test_first_python_path_directory_wins_like_import(tmp_path: Path) -> None:
    write(tmp_path, "a/tools.py", "X = 1\n")
    write(tmp_path, "b/tools.py", "X = 2\n")
    project = local_project(tmp_path, path=("a", "b"))
    assert project.local_source(project.libraries[0]) == tmp_path / "a/tools.py"


def test_missing_local_module_names_python_path_and_fix(tmp_path: Path) -> None:
    (tmp_path / "priv/python").mkdir(parents=True)
    with pytest.raises(ProjectError) as err:
        lock.current(local_project(tmp_path))
    message = str(err.value)
    assert "library 'tools' is declared :local" in message
    assert "python_path: (priv/python) holds tools.py or a package tools/" in message
    assert "Fix:" in message


def test_stdlib_declaration_of_a_local_module_is_refused_with_the_fix(tmp_path: Path) -> None:
    write(tmp_path, "priv/python/tools.py", "X = 1\n")
    as_stdlib = {"name": "tools", "stdlib": True, "module_name": "Tools", "python_module": "tools"}
    with pytest.raises(ProjectError) as err:
        lock.current(local_project(tmp_path, as_stdlib))
    assert "priv/python/tools.py in python_path: is what `import tools` loads" in str(err.value)
    assert "declare it `tools: :local` in mix.exs" in str(err.value)
