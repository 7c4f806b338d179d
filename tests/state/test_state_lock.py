"""The lock: what the running interpreter reports, exact bytes, and the invalidation table."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import os
import platform
import sys
import sysconfig
from pathlib import Path
from types import MappingProxyType

import pytest

from snakebridge.project import LibrarySpec, Project, ProjectError, project_from_payload
from snakebridge.state import lock
from snakebridge.state.errors import StateError
from snakebridge.state.lock import LibraryLock, Lock

from .conftest import make_payload


def base_lock(**changes: object) -> Lock:
    libs = {
        "numpy": LibraryLock("~> 2.0", "2.4.6", "sha256:aa"),
        "sympy": LibraryLock("~> 1.13", "1.14.0", "sha256:bb"),
        "json": LibraryLock("stdlib", "3.11.2", ""),
    }
    fields: dict[str, object] = {
        "snakebridge_version": "0.1.0",
        "generator_hash": "sha256:gen",
        "python_version": "3.11.2",
        "platform": "linux-x86_64",
        "interpreter_hash": "sha256:py",
        "libraries": MappingProxyType(libs),
    }
    fields.update(changes)
    return Lock(**fields)  # type: ignore[arg-type]


def with_library(old: Lock, name: str, **changes: str) -> Lock:
    libs = dict(old.libraries)
    libs[name] = dataclasses.replace(libs[name], **changes)
    return dataclasses.replace(old, libraries=MappingProxyType(libs))


def test_current_describes_the_running_interpreter(project: Project) -> None:
    current = lock.current(project)
    assert current.python_version == platform.python_version()
    assert current.platform == sysconfig.get_platform()
    binary = Path(os.path.realpath(sys.executable))
    digests = ["sha256:" + hashlib.sha256(binary.read_bytes()).hexdigest()]
    shared = Path(sysconfig.get_config_var("LIBDIR")) / sysconfig.get_config_var("INSTSONAME")
    # The binary is a stub: hash libpython too. (Debian's python3.11 says Py_ENABLE_SHARED
    # but ships libpython only in another package, with the binary linked statically.)
    if sysconfig.get_config_var("Py_ENABLE_SHARED") and shared.is_file():
        digests.append("sha256:" + hashlib.sha256(shared.read_bytes()).hexdigest())
    expected = (
        digests[0]
        if len(digests) == 1
        else "sha256:" + hashlib.sha256("\0".join(digests).encode()).hexdigest()
    )
    assert current.interpreter_hash == expected
    assert current.snakebridge_version == importlib.metadata.version("snakebridge")
    assert current.generator_hash.startswith("sha256:")
    numpy = current.libraries["numpy"]
    assert numpy.requested == "~> 2.0"
    assert numpy.resolved == importlib.metadata.version("numpy")
    assert numpy.files_hash.startswith("sha256:")
    assert current.libraries["json"] == LibraryLock("stdlib", platform.python_version(), "")


def test_current_is_deterministic(project: Project) -> None:
    assert lock.render(lock.current(project)) == lock.render(lock.current(project))


def test_library_found_by_import_name_when_dist_name_differs(tmp_path: Path) -> None:
    # Declared as the import name; the distribution is called "PyYAML"-style elsewhere.
    payload = make_payload(
        tmp_path,
        libraries=[
            {
                "name": "dateutil",
                "version": ">= 2.0",
                "module_name": "Dateutil",
                "python_module": "dateutil",
            }
        ],
    )
    project = project_from_payload(payload)
    try:
        expected = importlib.metadata.version("python-dateutil")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("python-dateutil not installed")  # installed with pandas
    assert lock.current(project).libraries["dateutil"].resolved == expected


def test_missing_library_is_a_clear_error(tmp_path: Path) -> None:
    payload = make_payload(
        tmp_path,
        libraries=[
            {
                "name": "no_such_lib_xyz",
                "version": "~> 1.0",
                "module_name": "NoSuch",
                "python_module": "no_such_lib_xyz",
            }
        ],
    )
    with pytest.raises(ProjectError, match=r"not installed .*`mix snakebridge.setup`"):
        lock.current(project_from_payload(payload))


def test_generator_hash_changes_with_content_and_name(tmp_path: Path) -> None:
    a = tmp_path / "a.py"
    b = tmp_path / "b.py"
    a.write_text("x = 1\n")
    b.write_text("y = 2\n")
    h1 = lock.generator_hash([a, b])
    assert h1 == lock.generator_hash([a, b])
    a.write_text("x = 2\n")
    assert lock.generator_hash([a, b]) != h1


def test_render_exact_bytes_and_round_trip(tmp_path: Path) -> None:
    lk = base_lock()
    text = lock.render(lk).decode()
    assert text == (
        "{\n"
        '  "environment": {\n'
        '    "generator_hash": "sha256:gen",\n'
        '    "interpreter_hash": "sha256:py",\n'
        '    "python_platform": "linux-x86_64",\n'
        '    "python_version": "3.11.2",\n'
        '    "snakebridge_version": "0.1.0"\n'
        "  },\n"
        '  "libraries": {\n'
        '    "json": {\n      "files_hash": "",\n      "requested": "stdlib",\n'
        '      "resolved": "3.11.2"\n    },\n'
        '    "numpy": {\n      "files_hash": "sha256:aa",\n      "requested": "~> 2.0",\n'
        '      "resolved": "2.4.6"\n    },\n'
        '    "sympy": {\n      "files_hash": "sha256:bb",\n      "requested": "~> 1.13",\n'
        '      "resolved": "1.14.0"\n    }\n'
        "  },\n"
        '  "snakebridge_lock": 1\n'
        "}\n"
    )
    path = tmp_path / "snakebridge.lock"
    assert lock.write(path, lk) is True
    assert lock.read(path) == lk
    assert lock.write(path, lk) is False


def test_read_missing_is_none(tmp_path: Path) -> None:
    assert lock.read(tmp_path / "snakebridge.lock") is None


def test_corrupt_lock_names_path_and_fix(tmp_path: Path) -> None:
    path = tmp_path / "snakebridge.lock"
    path.write_text('{"snakebridge_lock": 1, "environment": {}, "libraries": {}}')
    with pytest.raises(StateError) as err:
        lock.read(path)
    assert str(path) in str(err.value)
    assert "mix snakebridge.lock --rebuild" in str(err.value)


# --------------------------------------------------------------- the invalidation table
# One test per row of the seed's table (decision 4). The end-to-end counterparts, which
# run `mix compile` and look at what was regenerated, are in tests/e2e/test_tasks.py.


def test_rule_no_change_regenerates_nothing() -> None:
    result = lock.staleness(base_lock(), base_lock())
    assert result.fresh and result.reasons == ()


def test_rule_no_lock_regenerates_everything() -> None:
    assert lock.staleness(None, base_lock()).everything


def test_rule_snakebridge_version_regenerates_everything() -> None:
    result = lock.staleness(base_lock(), base_lock(snakebridge_version="0.2.0"))
    assert result.everything
    assert "SnakeBridge version changed (0.1.0 -> 0.2.0)" in result.reasons[0]


def test_rule_generator_hash_regenerates_everything() -> None:
    result = lock.staleness(base_lock(), base_lock(generator_hash="sha256:other"))
    assert result.everything
    assert result.reasons[0].startswith("generator changed")


def test_rule_python_version_regenerates_everything() -> None:
    result = lock.staleness(base_lock(), base_lock(python_version="3.12.1"))
    assert result.everything
    assert "Python version changed (3.11.2 -> 3.12.1)" in result.reasons[0]


def test_rule_platform_regenerates_everything() -> None:
    result = lock.staleness(base_lock(), base_lock(platform="macosx-14.0-arm64"))
    assert result.everything and "platform changed" in result.reasons[0]


def test_rule_library_version_regenerates_only_that_library() -> None:
    result = lock.staleness(base_lock(), with_library(base_lock(), "numpy", resolved="2.5.0"))
    assert not result.everything
    assert result.libraries == frozenset({"numpy"})
    assert result.affects("numpy") and not result.affects("sympy")
    assert result.reasons == ("numpy changed 2.4.6 -> 2.5.0: regenerating numpy",)


def test_changed_binding_options_regenerate_only_that_library() -> None:
    new = with_library(base_lock(), "numpy", options="streaming=mean")
    result = lock.staleness(base_lock(), new)
    assert not result.everything
    assert result.libraries == frozenset({"numpy"})
    assert "binding options" in result.reasons[0]


def test_binding_options_are_canonical_and_survive_the_file(tmp_path: Path) -> None:
    spec = LibrarySpec(
        "pandas",
        "~> 2.2",
        "Pd",
        "pandas",
        exclude=("eval",),
        streaming=("read_csv",),
        idempotent=True,
    )
    assert lock.binding_options(spec) == "exclude=eval; idempotent=all; streaming=read_csv"
    locked = with_library(base_lock(), "numpy", options=lock.binding_options(spec))
    lock.write(tmp_path / "snakebridge.lock", locked)
    assert lock.read(tmp_path / "snakebridge.lock") == locked


def test_rule_newly_declared_library_is_generated() -> None:
    old = base_lock()
    libs = dict(old.libraries)
    del libs["sympy"]
    result = lock.staleness(dataclasses.replace(old, libraries=MappingProxyType(libs)), old)
    assert result.libraries == frozenset({"sympy"}) and not result.everything


@pytest.mark.parametrize(
    "new",
    [
        base_lock(interpreter_hash="sha256:rebuilt"),
        with_library(base_lock(), "numpy", files_hash="sha256:reinstalled"),
        with_library(base_lock(), "numpy", requested=">= 2.1"),
    ],
    ids=["interpreter_hash", "files_hash", "requested"],
)
def test_changes_outside_the_table_regenerate_nothing_but_are_reported(new: Lock) -> None:
    assert lock.staleness(base_lock(), new).fresh
    assert len(lock.drift(base_lock(), new)) == 1


def test_library_no_longer_declared_regenerates_nothing() -> None:
    old = base_lock()
    libs = dict(old.libraries)
    del libs["sympy"]
    new = dataclasses.replace(old, libraries=MappingProxyType(libs))
    assert lock.staleness(old, new).fresh
    assert lock.drift(old, new) == ("sympy: in snakebridge.lock but no longer declared in mix.exs",)


def test_files_hash_ignores_how_a_library_was_installed() -> None:
    base = [
        "numpy/__init__.py,sha256=aaa,100",
        "numpy/core.py,sha256=bbb,200",
        "numpy-2.4.6.dist-info/METADATA,sha256=ccc,300",
    ]
    dev_venv = [
        *base,
        "numpy-2.4.6.dist-info/INSTALLER,sha256=uv1,2",
        "numpy-2.4.6.dist-info/RECORD,,",
        "../../../bin/f2py,sha256=shebang-of-venv-a,310",
        "numpy/__pycache__/core.cpython-311.pyc,,",
    ]
    managed = [
        *reversed(base),
        "numpy-2.4.6.dist-info/INSTALLER,sha256=uv2,2",
        "numpy-2.4.6.dist-info/REQUESTED,sha256=x,0",
        "numpy-2.4.6.dist-info/RECORD,,",
        "../../../bin/f2py,sha256=shebang-of-venv-b,324",
    ]
    norm = lock._normalize_record
    assert norm("\n".join(dev_venv)) == norm("\n".join(managed))
    changed = [line.replace("bbb", "ccc") for line in managed]
    assert norm("\n".join(changed)) != norm("\n".join(managed))
