"""Every relative link of the README, the guides and bench/README.md points at a file
that exists (a renamed guide or results file would otherwise leave a dead link)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = [
    REPO / "README.md",
    REPO / "bench" / "README.md",
    REPO / "docs" / "internals.md",
    REPO / "docs" / "security.md",
    *sorted((REPO / "docs" / "guides").glob("*.md")),
]
_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(page: Path) -> None:
    dead = []
    for match in _LINK.finditer(page.read_text()):
        target = match.group("target").split("#", 1)[0]
        if not target or re.match(r"^[a-z]+:", target):
            continue
        if not (page.parent / target).exists():
            dead.append(match.group("target"))
    assert not dead, f"{page.relative_to(REPO)} links to missing files: {dead}"
