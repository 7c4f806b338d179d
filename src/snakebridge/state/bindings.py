"""Which bindings the generated source defines: ``{(module, function, arity)}``.

The exact answer comes from Elixir's parser: the Mix shells of verify, repair and doctor
send it as ``"bindings"`` (``SnakeBridge.Scanner.Bindings``). When a command is run
without it (``snakebridge verify --context ctx.json``), ``parse_source`` reads the
generated file itself; that is enough for the emitter's own regular output, which puts
each ``defmodule`` and ``def`` head on its own line. Heredocs (``@doc``, ``@moduledoc``,
any triple-quoted string, sigils included) are skipped: a docstring's code example
(``def sin_cos(x):``) is text, not a definition.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

Binding = tuple[str, str, int]  # ("Numpy.Linalg", "solve", 2)

_DEFMODULE = re.compile(r"^(\s*)defmodule\s+([A-Z][\w.]*)\s+do\s*$")
_END = re.compile(r"^(\s*)end\s*$")
_DEF = re.compile(r"^\s*def\s+([a-z_][\w]*[?!]?)(.*)$")
# A line that ends by opening a heredoc: `@doc """`, `x = ~S'''`; the heredoc ends at the
# first line whose text starts with the same delimiter.
_HEREDOC_OPEN = re.compile(r"\S.*?(\"{3}|'{3})$")


def from_payload(raw: Sequence[Mapping[str, Any]]) -> dict[str, set[Binding]]:
    """``"bindings"`` as the Mix shell sends it: file -> bindings it defines."""
    out: dict[str, set[Binding]] = {}
    for item in raw:
        binding = (str(item["module"]), str(item["function"]), int(item["arity"]))
        out.setdefault(str(item.get("file") or ""), set()).add(binding)
    return out


def _split_params(text: str) -> list[str]:
    """Top-level comma-separated pieces of a def head's argument list."""
    depth = 0
    current: list[str] = []
    pieces: list[str] = []
    in_string = False
    prev = ""
    for ch in text:
        if in_string:
            current.append(ch)
            if ch == '"' and prev != "\\":
                in_string = False
        elif ch == '"':
            in_string = True
            current.append(ch)
        elif ch in "([{":
            depth += 1
            current.append(ch)
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
            current.append(ch)
        elif ch == "," and depth == 0:
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
        prev = ch
    tail = "".join(current).strip()
    if tail:
        pieces.append(tail)
    return [p for p in (piece.strip() for piece in pieces) if p]


def _arities(rest: str) -> list[int]:
    rest = rest.strip()
    if not rest.startswith("("):
        return [0]
    params = _split_params(rest[1:])
    required = sum(1 for p in params if "\\\\" not in p)
    return list(range(required, len(params) + 1))


def parse_source(text: str) -> set[Binding]:
    """Public functions per (nested) module, for the emitter's line-oriented output."""
    stack: list[tuple[int, str]] = []
    found: set[Binding] = set()
    heredoc: str | None = None
    lines = iter(text.splitlines())
    for line in lines:
        if heredoc is not None:
            if line.lstrip().startswith(heredoc):
                heredoc = None
            continue
        opened = _HEREDOC_OPEN.match(line.strip())
        if opened:
            heredoc = opened.group(1)
            continue
        m = _DEFMODULE.match(line)
        if m:
            indent, name = len(m.group(1)), m.group(2)
            full = f"{stack[-1][1]}.{name}" if stack else name
            stack.append((indent, full))
            continue
        m = _END.match(line)
        if m and stack and len(m.group(1)) == stack[-1][0]:
            stack.pop()
            continue
        m = _DEF.match(line)
        if m and stack:
            head = m.group(2)
            # a head too long for one line is broken by the formatter, one parameter a line
            while head.rstrip().endswith("(") or head.rstrip().endswith(","):
                head += next(lines, ")").strip()
            for arity in _arities(head):
                found.add((stack[-1][1], m.group(1), arity))
    return found


def read_files(root: Path, paths: Iterable[Path]) -> dict[str, set[Binding]]:
    out: dict[str, set[Binding]] = {}
    for path in paths:
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:
            rel = str(path)
        out[rel] = parse_source(path.read_text(encoding="utf-8", errors="replace"))
    return out
