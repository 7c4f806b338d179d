"""A guide or README paragraph that names a benchmark (`bench/<name>`) quotes that
benchmark's figures as its committed results write them, and so does the table such a
paragraph introduces (a paragraph ending in ":"). A rerun that changes a results file
fails here until the prose follows it, as bench/README.md's own check does for that page:
guides copy figures, they never round or recompute them."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from tests.docs.figures import figures

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench"
PAGES = [REPO / "README.md", *sorted((REPO / "docs" / "guides").glob("*.md"))]
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_BENCH = re.compile(r"bench/([\w-]+)")


def citing_blocks(text: str) -> list[tuple[frozenset[str], str]]:
    """Each prose block (code fences left out) that names a bench directory, with the
    table it introduces appended, paired with the benches it names."""
    blocks = [b for b in re.split(r"\n\s*\n", _FENCE.sub("", text)) if b.strip()]
    found = []
    for i, block in enumerate(blocks):
        names = frozenset(n for n in _BENCH.findall(block) if (BENCH / n).is_dir())
        if not names:
            continue
        quoted = block
        introduces = block.rstrip().endswith(":") and i + 1 < len(blocks)
        if introduces and blocks[i + 1].lstrip().startswith("|"):
            quoted += "\n" + blocks[i + 1]
        found.append((names, quoted))
    return found


def cases() -> list[tuple[str, frozenset[str], str]]:
    return [
        (page.relative_to(REPO).as_posix(), names, block)
        for page in PAGES
        for names, block in citing_blocks(page.read_text())
    ]


def results(name: str) -> set[Decimal]:
    found: set[Decimal] = set()
    for path in (BENCH / name).glob("*.md"):
        if path.name != "README.md":
            found |= figures(path.read_text())
    return found


CASES = cases()


def test_guides_cite_benches() -> None:
    assert len(CASES) >= 5


@pytest.mark.parametrize(
    ("page", "names", "block"), CASES, ids=[f"{p}:{b[:40]}" for p, _, b in CASES]
)
def test_a_cited_figure_is_in_the_bench_results(
    page: str, names: frozenset[str], block: str
) -> None:
    found: set[Decimal] = set()
    for name in names:
        found |= results(name)
    stale = sorted(str(n) for n in figures(block) - found)
    assert not stale, (
        f"{page} quotes {stale} beside bench/{', bench/'.join(sorted(names))}, which its "
        f"results do not contain; copy them as the results file now writes them:\n{block}"
    )
