"""Elixir source emitter: the introspection model of a library → one ``.ex`` file.

``render_library`` is the entry point the generation pipeline calls; the rules it
follows (argument mapping, arities, naming, classes, discovery) are documented in
``render.py``'s module docstring and in every generated moduledoc.
"""

from __future__ import annotations

from pathlib import Path

from snakebridge.codegen.emit.render import (
    GenerationError,
    Rendered,
    RenderedSymbol,
    render_library,
    symbol_texts,
)

_CODEGEN = Path(__file__).resolve().parent.parent

# The files whose content defines the generated text; the lock hashes them so a
# generator change regenerates every library (seed decision 4).
GENERATOR_FILES: tuple[Path, ...] = tuple(
    sorted(
        [
            *sorted(Path(__file__).resolve().parent.glob("*.py")),
            _CODEGEN / "markdown.py",
            _CODEGEN / "model.py",
            _CODEGEN / "names.py",
        ]
    )
)

__all__ = [
    "GENERATOR_FILES",
    "GenerationError",
    "Rendered",
    "RenderedSymbol",
    "render_library",
    "symbol_texts",
]
