"""How examples are read from Markdown (tests/docs/snippets.py), without running them."""

from __future__ import annotations

import pytest
from tests.docs import snippets
from tests.docs.snippets import Block, SnippetError


def _parse(text: str) -> list[Block]:
    return list(snippets.parse(text, "page.md"))


def test_elixir_fences_only_with_their_lines() -> None:
    text = "intro\n\n```elixir\na = 1\n```\n\n```sh\nmake test\n```\n\n```elixir\nb = 2\n```\n"
    found = _parse(text)
    assert [(b.line, b.code, b.kind) for b in found] == [
        (3, "a = 1\n", "run"),
        (11, "b = 2\n", "run"),
    ]
    assert found[0].id == "page.md:3"


def test_a_fence_inside_a_list_item_loses_its_indentation() -> None:
    text = "1. Step:\n\n   ```elixir\n   def project do\n     []\n   end\n   ```\n"
    (block,) = _parse(text)
    assert block.code == "def project do\n  []\nend\n"


def test_markers_right_above_the_fence_set_the_kind() -> None:
    text = (
        "<!-- mix.exs -->\n```elixir\ndef project, do: []\n```\n"
        "<!-- illustrative: needs a GPU -->\n\n```elixir\nTorch.cuda()\n```\n"
        "<!-- illustrative: shown twice -->\nSome prose in between.\n```elixir\nx = 1\n```\n"
        "<!-- example: minimize -->\n```elixir\ny = 2\n```\n"
    )
    kinds = [(b.kind, b.reason) for b in _parse(text)]
    assert kinds == [
        ("mix.exs", ""),
        ("illustrative", "needs a GPU"),
        ("run", ""),  # prose between the comment and the fence: the comment is not a marker
        ("run", ""),  # a naming comment does not change how the block runs
    ]


def test_stacked_comments_keep_their_marker() -> None:
    text = "<!-- illustrative: needs a GPU -->\n<!-- example: gpu -->\n```elixir\nx()\n```\n"
    (block,) = _parse(text)
    assert block.kind == "illustrative"


def test_an_illustrative_block_must_say_why() -> None:
    with pytest.raises(SnippetError, match=r"page.md:1: .*says why"):
        _parse("<!-- illustrative -->\n```elixir\nx\n```\n")


def test_two_markers_on_one_block_are_refused() -> None:
    with pytest.raises(SnippetError, match="two markers"):
        _parse("<!-- mix.exs -->\n<!-- illustrative: x -->\n```elixir\nx\n```\n")


def test_an_unclosed_fence_is_an_error() -> None:
    with pytest.raises(SnippetError, match=r"page.md:2: .*never closed"):
        _parse("text\n```elixir\nx = 1\n")


def test_longer_fences_hold_shorter_ones() -> None:
    text = "````markdown\n```elixir\nnot an example\n```\n````\n"
    assert _parse(text) == []


def test_scanner_source_joins_the_runnable_blocks_in_order() -> None:
    found = _parse(
        "```elixir\nalias Numpy.Linalg\n```\n<!-- illustrative: x -->\n```elixir\nNope.f()\n```\n"
        "```elixir\nLinalg.norm([1])\n```\n"
    )
    source = snippets.scanner_source(found)
    assert source == "# page.md:1\nalias Numpy.Linalg\n\n# page.md:8\nLinalg.norm([1])\n"


def test_every_page_reads() -> None:
    for page in snippets.pages():
        snippets.blocks(page)
