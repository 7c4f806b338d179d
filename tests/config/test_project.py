"""``snakebridge.project`` decodes the context SnakeBridge.Config built; it adds no defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from snakebridge.project import ProjectError, library_from_payload, project_from_payload


def test_a_library_decodes_as_sent() -> None:
    lib = library_from_payload(
        {
            "name": "scikit-learn",
            "version": "~> 1.5",
            "stdlib": False,
            "module_name": "ScikitLearn",
            "python_module": "scikit_learn",
            "python_module_declared": False,
            "include": [],
            "exclude": ["b", "a"],
            "streaming": [],
            "idempotent": ["fit"],
        }
    )
    assert (lib.name, lib.requirement, lib.module_name, lib.python_module) == (
        "scikit-learn",
        "~> 1.5",
        "ScikitLearn",
        "scikit_learn",
    )
    assert lib.python_module_declared is False
    assert lib.exclude == ("a", "b")
    assert lib.is_idempotent("fit") and not lib.is_idempotent("predict")


@pytest.mark.parametrize("missing", ["module_name", "version"])
def test_a_context_without_a_normalized_key_is_refused(missing: str, tmp_path: Path) -> None:
    raw = {"name": "numpy", "version": "~> 2.0", "module_name": "Numpy", "python_module": "numpy"}
    del raw[missing]
    with pytest.raises(ProjectError, match=f"has no '{missing}'.*SnakeBridge.Config"):
        project_from_payload({"root": str(tmp_path), "libraries": [raw]})


def test_stdlib_needs_no_version(tmp_path: Path) -> None:
    project = project_from_payload(
        {
            "root": str(tmp_path),
            "libraries": [
                {"name": "json", "stdlib": True, "module_name": "Json", "python_module": "json"}
            ],
        }
    )
    assert project.libraries[0].stdlib
