"""Reading a generated file back: each symbol's text, as its checksum was computed.

``verify`` compares the committed file with the manifest through this, so the layout
the text writer produces (``text.py``) and the one read here must agree; ``TAIL`` is the
line they share.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from snakebridge.codegen.names import EXCEPTION_FUNCTION

# First line after a module's symbols; never inside a symbol's text (outside heredocs).
TAIL = "  # Discovery: answered offline from this module's data, by SnakeBridge.Discovery."
# After a promoted symbol's descriptor: where its binding came from. The manifest says
# the same; this copy lets a lost manifest be rebuilt with its promoted marks.
PROMOTED_MARK = "  # Promoted from the dynamic call {origin} (mix snakebridge.promote)."
_PROMOTED = re.compile(
    "^" + re.escape(PROMOTED_MARK).replace(re.escape("{origin}"), r"(\S+)") + "$"
)
# First line of a symbol: its Elixir name (the key ``symbol_texts`` reads) and what it binds.
SYMBOL_MARK = "  # {name} binds Python {python}"
_SYMBOL = re.compile("^  # (\\S+) binds Python \\S.*$")
# First line of an exception module's symbol (``exception/1`` with its defexception).
EXCEPTION_MARK = "  # The Elixir exception raised for the Python class {python} (or a subclass)."
_EXCEPTION = re.compile(
    "^" + re.escape(EXCEPTION_MARK).replace(re.escape("{python}"), r"\S+") + "$"
)
# The module's typespec block, after the tail: every symbol's specs, one group per symbol,
# each group from its mark to the blank line before the next (``text.spec_block``).
SPEC_INDENT = "      "
SPEC_GROUP_MARK = SPEC_INDENT + "# {name}"
_SPEC_GROUP = re.compile("^" + re.escape(SPEC_INDENT) + r"# (\S+)$")
SPEC_BLOCK_HEAD = (
    "  # The typespecs of the functions above, grouped by function: one statement of the",
    "  # module body for all of them, since its compile time grows faster than linearly",
    "  # with its statements.",
    "  {:__block__, _, specs} =",
    "    quote do",
)
SPEC_BLOCK_TAIL = (
    "    end",
    "",
    "  for {:@, _, [{:spec, _, [spec]}]} <- specs, do: @spec(unquote(spec))",
)
_MODULE_HEAD = re.compile(r"^defmodule (\S+) do$")
_HEREDOC_OPEN = re.compile(r'^\s*@\w+ """$')


def symbol_texts(source: str) -> dict[tuple[str, str], str]:
    """Each symbol's text in a generated file, keyed by (Elixir module, name), exactly as
    ``RenderedSymbol.checksum`` hashed it when the file was rendered: its definitions,
    then (after a newline) its group of the module's typespec block.

    A symbol's text starts at its first line (``SYMBOL_MARK``, or ``EXCEPTION_MARK`` for
    an exception module's ``exception``, after a blank line) and runs to the blank line
    before the next symbol or before the module's tail (``TAIL``, then discovery and
    helpers). Heredoc bodies (docs) are skipped, so no docstring can fake a boundary. A
    hand-edited or damaged file gives whatever text is there (its checksum then
    differs); a symbol whose first line is gone is absent.
    """
    lines = source.split("\n")
    out: dict[tuple[str, str], str] = {}
    specs: dict[tuple[str, str], str] = {}
    module: str | None = None
    current: tuple[str, str] | None = None
    start = 0
    tail = False  # past the module's symbols: only spec groups follow

    def close(end: int) -> None:
        if current is not None:
            (specs if tail else out)[current] = "\n".join(lines[start:end])

    for i, line in _code_lines(lines):
        head = _MODULE_HEAD.match(line)
        if head:
            module, current, tail = head.group(1), None, False
            continue
        if module is None:
            continue
        if tail:
            group = _SPEC_GROUP.match(line)
            if group or not line.startswith(SPEC_INDENT):
                close(i - 1 if not lines[i - 1] else i)
                current = None
            if group:
                current, start = (module, group.group(1)), i
            if line == "end":
                module = None
            continue
        if line == "end" or line == TAIL:
            close(i - 1 if line == TAIL else i)
            current = None
            tail = line == TAIL
            module = module if tail else None
            continue
        name = _symbol_start(line)
        if name is not None and i > 0 and not lines[i - 1]:
            close(i - 1)
            current, start = (module, name), i
    return {key: text + "\n" + specs[key] if key in specs else text for key, text in out.items()}


def _symbol_start(line: str) -> str | None:
    """The Elixir name of the symbol whose first line ``line`` is, if it is one."""
    if not line.startswith("  # "):
        return None
    mark = _SYMBOL.match(line)
    if mark:
        return mark.group(1)
    return EXCEPTION_FUNCTION if _EXCEPTION.match(line) else None


def promoted_marks(source: str) -> dict[str, str]:
    """The ``PROMOTED_MARK`` lines of a generated file: symbol key -> the recorded dynamic
    call it was promoted from (``{"Numpy.median": "numpy.median/1"}``). Heredocs skipped."""
    out: dict[str, str] = {}
    module: str | None = None
    symbol: str | None = None
    for _, line in _code_lines(source.split("\n")):
        head = _MODULE_HEAD.match(line)
        if head:
            module, symbol = head.group(1), None
            continue
        name = _symbol_start(line)
        if name is not None:
            symbol = name
            continue
        mark = _PROMOTED.match(line)
        if mark and module is not None and symbol is not None:
            out[f"{module}.{symbol}"] = mark.group(1)
    return out


def _code_lines(lines: list[str]) -> Iterator[tuple[int, str]]:
    """The lines outside heredocs, with their index: no docstring can fake a boundary."""
    in_heredoc = False
    for i, line in enumerate(lines):
        if in_heredoc:
            in_heredoc = line.strip() != '"""'
        elif _HEREDOC_OPEN.match(line):
            in_heredoc = True
        else:
            yield i, line
