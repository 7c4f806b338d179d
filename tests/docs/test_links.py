"""Every relative link of the README, the guides and bench/README.md points at a file
that exists, and a `#fragment` into a Markdown file at one of its headings (a renamed
guide, results file or section would otherwise leave a dead link)."""

from __future__ import annotations

import re
from functools import cache
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
_HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def slug(title: str) -> str:
    """A heading's anchor as GitHub renders it: lower case, punctuation dropped (``-``
    and ``_`` kept), spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in path.read_text().splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and (heading := _HEADING.match(line)) is not None:
            base = slug(heading.group("title"))
            # A repeated heading gets -1, -2, ... as on GitHub.
            found.add(f"{base}-{seen[base]}" if base in seen else base)
            seen[base] = seen.get(base, 0) + 1
    return frozenset(found)


def test_slugs_follow_github() -> None:
    assert slug("Circuits: a function that keeps crashing is refused") == (
        "circuits-a-function-that-keeps-crashing-is-refused"
    )
    assert slug("`:worker_crash`") == "worker_crash"
    assert slug("Retries: idempotent calls") == "retries-idempotent-calls"


def _has_anchor(path: Path, fragment: str) -> bool:
    return not fragment or path.suffix != ".md" or fragment in anchors(path.resolve())


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(page: Path) -> None:
    dead = []
    for match in _LINK.finditer(page.read_text()):
        target, _, fragment = match.group("target").partition("#")
        if re.match(r"^[a-z]+:", target):
            continue
        path = (page.parent / target) if target else page
        if not path.exists() or not _has_anchor(path, fragment):
            dead.append(match.group("target"))
    assert not dead, f"{page.relative_to(REPO)} links to missing files or headings: {dead}"
