"""Fixtures for generator tests: one real Mix project per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.codegen.elixir_harness import ElixirProject


@pytest.fixture(scope="session")
def elixir_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ElixirProject]:
    project = ElixirProject(tmp_path_factory.mktemp("gencheck") / "gen_check")
    project.mix("deps.compile")
    yield project
