"""bench/README.md shows every benchmark: each committed results file is linked from it
and each committed plot is shown in it, so a bench that lands (or a plot that is drawn)
without its section fails here instead of going missing from the one page of figures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench"
PAGE = BENCH / "README.md"
_RESULTS = re.compile(r"^(results|RESULTS|callpath)\.md$")


def _targets(pattern: str) -> set[str]:
    return {m.group(1) for m in re.finditer(pattern, PAGE.read_text())}


def results_files() -> list[str]:
    found = [p for p in BENCH.glob("*/*.md") if _RESULTS.match(p.name)]
    return sorted(p.relative_to(BENCH).as_posix() for p in found)


def plots() -> list[str]:
    return sorted(p.relative_to(BENCH).as_posix() for p in BENCH.glob("*/*.png"))


@pytest.mark.parametrize("path", results_files())
def test_every_results_file_is_linked(path: str) -> None:
    assert path in _targets(r"\]\(([^)#\s]+)"), f"bench/README.md does not link bench/{path}"


@pytest.mark.parametrize("path", plots())
def test_every_plot_is_shown(path: str) -> None:
    assert path in _targets(r"!\[[^\]]*\]\(([^)\s]+)\)"), (
        f"bench/README.md does not show bench/{path} (![...]({path}))"
    )


def test_the_lists_are_not_empty() -> None:
    assert len(results_files()) >= 9
    assert len(plots()) >= 9
