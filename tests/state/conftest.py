"""Shared fixtures for the state-layer tests: a project context on a temp directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from snakebridge.project import Project, project_from_payload


def make_payload(root: Path, **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "root": str(root),
        "libraries": [
            {
                "name": "numpy",
                "version": "~> 2.0",
                "module_name": "Numpy",
                "python_module": "numpy",
            },
            {"name": "json", "stdlib": True, "module_name": "Json", "python_module": "json"},
        ],
        "generated_dir": "lib/snakebridge_generated",
        "python": "",
        "mix_env": "dev",
    }
    payload.update(extra)
    return payload


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return project_from_payload(make_payload(tmp_path))
