"""Recompute a generated symbol's checksum from the generated file, for ``verify``.

The emitter (``snakebridge.codegen.emit.render``) records, per symbol, the sha256 of
the text it rendered for it: a block that starts at the symbol's descriptor attribute
(``  @d_<name> %{``) inside its module and runs up to the next symbol's descriptor or
the module's discovery functions. This module finds those blocks again so ``verify``
can tell a hand-edited or merge-damaged binding from an intact one. The text between
the start and the *right* boundary is the block, so the candidates up to the first
few boundaries are tried (a streaming variant adds a second descriptor inside a
symbol's own block).
"""

from __future__ import annotations

import hashlib
import re

_NEXT = re.compile(r"\n\n  @d_[A-Za-z0-9_]+[?!]? %\{|\n\n  @doc \"\"\"\n  The functions this")


def module_text(source: str, module: str) -> str | None:
    header = f"defmodule {module} do\n"
    start = 0 if source.startswith(header) else source.find("\n" + header)
    if start < 0:
        return None
    start = start if source.startswith(header) else start + 1
    end = source.find("\nend\n", start)
    return source[start : (len(source) if end < 0 else end + 1)]


def candidates(module_source: str, name: str, limit: int = 4) -> list[str]:
    marker = f"\n  @d_{name} %{{"
    i = module_source.find(marker)
    if i < 0:
        return []
    start = i + 1
    rest = module_source[start:]
    ends = [m.start() for m in _NEXT.finditer(rest)][:limit]
    if not ends:
        tail = rest.rfind("\nend")
        ends = [tail if tail >= 0 else len(rest)]
    return [rest[:e] for e in ends]


def matches(source: str, module: str, name: str, checksum: str) -> bool:
    text = module_text(source, module)
    if text is None:
        return False
    return any(
        hashlib.sha256(c.encode("utf-8")).hexdigest() == checksum.removeprefix("sha256:")
        for c in candidates(text, name)
    )
