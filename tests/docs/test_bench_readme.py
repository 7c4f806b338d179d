"""bench/README.md shows every benchmark: each committed results file is linked from it
and each committed plot is shown in it, so a bench that lands (or a plot that is drawn)
without its section fails here instead of going missing from the one page of figures.

Every figure a section quotes must also be in the files that section names as its source,
as written there, so a rerun that changes a results file fails here until the page
follows it: the page copies figures, it never computes or rounds them."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from tests.docs.figures import figures

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


_SOURCE = re.compile(r"\]\(([\w./-]+\.md)\)")


def sections() -> list[tuple[str, str]]:
    parts = re.split(r"^## ", PAGE.read_text(), flags=re.MULTILINE)[1:]
    return [(part.splitlines()[0], part) for part in parts]


@pytest.mark.parametrize(("title", "text"), sections(), ids=[t for t, _ in sections()])
def test_every_quoted_figure_is_in_the_section_source(title: str, text: str) -> None:
    sources = sorted(set(_SOURCE.findall(text)))
    if not sources:
        assert "|" not in text, f"bench/README.md section {title!r} has a table but no source"
        return
    found: set[Decimal] = set()
    for source in sources:
        found |= figures((BENCH / source).read_text())
    stale = sorted(str(n) for n in figures(text) - found)
    assert not stale, (
        f"bench/README.md section {title!r} quotes {stale}, which none of {sources} contains: "
        "copy the figures from the results file as it now stands (rerun benches change them)"
    )
