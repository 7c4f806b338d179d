"""The Elixir examples of the documentation, as the docs test runs them.

A page is the README or a guide (``docs/guides/*.md``). Every fenced block whose info
string is ``elixir`` is an example; the HTML comment on the line right above its fence
(blank lines between are allowed; several comments may stack) says how it is checked,
as docs/guides/README.md explains to writers:

* no marker: the block runs (``run``);
* ``<!-- mix.exs -->``: a ``def project do ... end`` fragment whose ``snakebridge:``
  entry must load (``mix.exs``);
* ``<!-- illustrative: why -->``: not run, only parsed; the reason is required.

Other comments (``<!-- example: minimize -->``, which names a block for another test)
do not change how it runs.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)[^`]*$")
_COMMENT = re.compile(r"^\s*<!--\s*(?P<body>.*?)\s*-->\s*$")
_ILLUSTRATIVE = re.compile(r"^illustrative(?::\s*(?P<why>.*))?$")

KINDS = ("run", "mix.exs", "illustrative")


class SnippetError(ValueError):
    """A page's Markdown cannot be read as examples (an unclosed fence, a marker without
    its reason)."""


@dataclasses.dataclass(frozen=True)
class Block:
    page: str  # repo-relative path of the Markdown file
    line: int  # line of the opening fence (1-based)
    kind: str  # one of KINDS
    code: str  # the block's text, its indentation removed
    reason: str = ""  # why an illustrative block is not run

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def pages(repo: Path = REPO) -> list[Path]:
    """The documentation whose examples must run: the README, then each guide."""
    return [repo / "README.md", *sorted((repo / "docs" / "guides").glob("*.md"))]


def blocks(path: Path, repo: Path = REPO) -> list[Block]:
    """The Elixir blocks of one Markdown file, in order."""
    page = path.resolve().relative_to(repo).as_posix()
    return list(parse(path.read_text(), page))


def parse(text: str, page: str) -> Iterable[Block]:
    lines = text.splitlines()
    markers: list[tuple[str, int]] = []  # the comments right above, with their lines
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence is None:
            comment = _COMMENT.match(line)
            if comment is not None:
                markers.append((comment.group("body"), i + 1))
            elif line.strip():
                markers = []
            i += 1
            continue
        end = _closing(lines, i, fence.group("indent"), fence.group("fence"))
        if end is None:
            raise SnippetError(f"{page}:{i + 1}: this code fence is never closed")
        if fence.group("info").lower() == "elixir":
            body = _dedent(lines[i + 1 : end], len(fence.group("indent")))
            kind, reason = _kind(markers, page)
            yield Block(page=page, line=i + 1, kind=kind, code=body, reason=reason)
        markers = []
        i = end + 1


def _closing(lines: list[str], start: int, indent: str, fence: str) -> int | None:
    closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
    for j in range(start + 1, len(lines)):
        if closing.match(lines[j]):
            return j
    return None


def _dedent(lines: list[str], width: int) -> str:
    # Inside a list item the fence and its lines are indented alike; keep what is deeper.
    out = [line[width:] if line[:width].strip() == "" else line.lstrip() for line in lines]
    return "\n".join(out) + "\n"


def _kind(markers: list[tuple[str, int]], page: str) -> tuple[str, str]:
    found: list[tuple[str, str]] = []
    for body, line in markers:
        if body == "mix.exs":
            found.append(("mix.exs", ""))
        elif (illustrative := _ILLUSTRATIVE.match(body)) is not None:
            why = (illustrative.group("why") or "").strip()
            if not why:
                raise SnippetError(
                    f"{page}:{line}: an illustrative example says why it is not run: "
                    "<!-- illustrative: the reason -->"
                )
            found.append(("illustrative", why))
    if len(found) > 1:
        raise SnippetError(f"{page}:{markers[0][1]}: one example, two markers: {found}")
    return found[0] if found else ("run", "")


def scanner_source(page_blocks: list[Block]) -> str:
    """One page's runnable blocks as one .exs file for the pre-pass to scan, in page
    order, so an alias in one block covers the calls of the next as it does when run."""
    parts = [f"# {b.id}\n{b.code}" for b in page_blocks if b.kind == "run"]
    return "\n".join(parts)
