"""Already-formatted Elixir for the few statement shapes the emitter writes.

The generated file must pass ``mix format --check-formatted`` without running the
formatter, so each shape below reproduces what ``Code.format_string!/1`` (Elixir 1.14,
line length 98) prints for it: a one-line form when it fits and the formatter's broken
form otherwise. Every string literal is pure ASCII (``literals.string``), so ``len()``
is the formatter's width. The tests check these shapes against the real formatter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 98


def fits(line: str) -> bool:
    return len(line) <= WIDTH


def def_head(keyword: str, name: str, params: Sequence[str], indent: str = "  ") -> list[str]:
    """``def name(a, b, opts \\\\ []) do`` — the formatter measures the head without ``do``."""
    head = f"{indent}{keyword} {name}({', '.join(params)})"
    if fits(head) or not params:
        return [head + " do"]
    inner = indent + " " * 6
    return [
        f"{indent}{keyword} {name}(",
        *[f"{inner}{p}," for p in params[:-1]],
        f"{inner}{params[-1]}",
        f"{indent}    ) do",
    ]


@dataclass(frozen=True, slots=True)
class ListArg:
    """A ``[a, b | rest]`` argument, kept in parts so it can be broken like the formatter."""

    items: tuple[str, ...]
    tail: str | None = None

    @property
    def text(self) -> str:
        return "[" + ", ".join(self.items) + (f" | {self.tail}" if self.tail else "") + "]"


@dataclass(frozen=True, slots=True)
class Block:
    """An argument that is already laid out over several lines (a multi-line map, see
    :func:`multiline_map`), at the indent of the arguments of a broken call."""

    lines: tuple[str, ...]


def call(function: str, args: Sequence[str | ListArg | Block], indent: str = "    ") -> list[str]:
    """``Mod.fun(a, b, c)`` as a statement; arguments one per line when it does not fit
    (always, when one of them is a multi-line ``Block``)."""
    if not any(isinstance(a, Block) for a in args):
        texts = [a.text if isinstance(a, ListArg) else a for a in args if not isinstance(a, Block)]
        line = f"{indent}{function}({', '.join(texts)})"
        if fits(line):
            return [line]
    inner = indent + "  "
    out = [f"{indent}{function}("]
    for k, arg in enumerate(args):
        comma = "," if k < len(args) - 1 else ""
        if isinstance(arg, ListArg):
            out += _list_lines(arg, inner, comma)
        elif isinstance(arg, Block):
            out += [*arg.lines[:-1], arg.lines[-1] + comma]
        else:
            out.append(f"{inner}{arg}{comma}")
    out.append(f"{indent})")
    return out


def _list_lines(arg: ListArg, indent: str, comma: str) -> list[str]:
    line = f"{indent}{arg.text}{comma}"
    if fits(line) or not arg.items:
        return [line]
    inner = indent + "  "
    out = [f"{indent}["]
    for k, item in enumerate(arg.items):
        last = k == len(arg.items) - 1 and arg.tail is None
        out.append(f"{inner}{item}{'' if last else ','}")
    if arg.tail is not None:
        out[-1] = out[-1].removesuffix(",")
        out.append(f"{inner}| {arg.tail}")
    out.append(f"{indent}]{comma}")
    return out


def spec(name: str, arg_types: Sequence[str], returns: str, indent: str = "  ") -> list[str]:
    """``@spec name(T) :: R`` in the formatter's three shapes (types are width-capped)."""
    head = f"{indent}@spec {name}({', '.join(arg_types)})"
    if fits(f"{head} :: {returns}"):
        return [f"{head} :: {returns}"]
    if fits(head) or not arg_types:
        return [f"{head} ::", f"{indent}        {returns}"]
    inner = indent + " " * 8
    return [
        f"{indent}@spec {name}(",
        *[f"{inner}{t}," for t in arg_types[:-1]],
        f"{inner}{arg_types[-1]}",
        f"{indent}      ) :: {returns}",
    ]


def keyword_entry(key: str, value: str, indent: str, comma: str) -> list[str]:
    """``key: value,`` inside a multi-line map; the formatter moves a long value down."""
    line = f"{indent}{key}: {value}{comma}"
    if fits(line):
        return [line]
    return [f"{indent}{key}:", f"{indent}  {value}{comma}"]


def keyword_list_entry(key: str, items: Sequence[str], indent: str, comma: str) -> list[str]:
    """``key: [a, b],`` inside a multi-line map; one item per line when it does not fit."""
    line = f"{indent}{key}: [{', '.join(items)}]{comma}"
    if fits(line) or not items:
        return [line]
    inner = indent + "  "
    return [
        f"{indent}{key}: [",
        *[f"{inner}{item}," for item in items[:-1]],
        f"{inner}{items[-1]}",
        f"{indent}]{comma}",
    ]


def multiline_map(entries: Sequence[list[str]], indent: str) -> list[str]:
    """``%{`` ... ``}`` with a newline after the brace, which the formatter preserves."""
    out = [f"{indent}%{{"]
    for entry in entries:
        out += entry
    out.append(f"{indent}}}")
    return out
