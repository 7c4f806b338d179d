"""Elixir source emitter: the introspection model of a library → one ``.ex`` file.

``render_library`` is the entry point the generation pipeline calls; the rules it
follows are documented in ``render.py`` (the file, classes, variants, discovery) and
``shape.py`` (arguments and arities), and in every generated moduledoc.
"""

from __future__ import annotations

from pathlib import Path

from snakebridge.codegen.emit.plan import GenerationError
from snakebridge.codegen.emit.readback import promoted_marks, symbol_texts
from snakebridge.codegen.emit.render import Rendered, RenderedSymbol, render_library

_CODEGEN = Path(__file__).resolve().parent.parent

# The files whose content defines the generated text; the lock hashes them so a
# generator change regenerates every library.
GENERATOR_FILES: tuple[Path, ...] = tuple(
    sorted(
        [
            *Path(__file__).resolve().parent.glob("*.py"),
            # introspection decides signatures, types and docs: the text depends on it
            *_CODEGEN.joinpath("introspect").glob("*.py"),
            _CODEGEN / "markdown.py",
            _CODEGEN / "model.py",
            _CODEGEN / "names.py",
            # what may be generated at all: the rule the worker applies to calls
            _CODEGEN.parent / "runtime" / "policy.py",
            # which protocol methods classes bind (ALLOWED_DUNDERS)
            _CODEGEN.parent / "runtime" / "allowlist.py",
            # how a raised error names its classes: the keys of the exception registry
            _CODEGEN.parent / "runtime" / "errors.py",
        ]
    )
)

__all__ = [
    "GENERATOR_FILES",
    "GenerationError",
    "Rendered",
    "RenderedSymbol",
    "promoted_marks",
    "render_library",
    "symbol_texts",
]
