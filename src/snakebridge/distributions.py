"""Import names of installed distributions: ``scikit-learn`` is imported as ``sklearn``.

A library is declared in mix.exs by its PyPI name. When mix.exs gives no
``python_module:``, SnakeBridge.Config guesses the import name (the declared name, ``-``
as ``_``), and this module corrects the guess where it is not importable, from the
installed distribution's own metadata: ``top_level.txt`` when the installer wrote one,
else the top-level packages and modules its ``RECORD`` lists. Private names
(``_distutils_hack``) and non-identifiers (``scikit_learn.libs``) are not candidates.

Stdlib only, and importing it imports nothing else of snakebridge: setup runs this
inside the managed venv's interpreter through ``-c``, and the worker calls it at start
to find the same import names generation used (the runtime never imports codegen,
which ``snakebridge.project`` does).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from pathlib import PurePosixPath


def top_level_names(dist: importlib.metadata.Distribution) -> tuple[str, ...]:
    """The importable top-level names a distribution installs, sorted."""
    text = dist.read_text("top_level.txt")
    if text:
        names = {line.strip().replace("/", ".").split(".")[0] for line in text.splitlines()}
    else:
        names = set()
        for file in dist.files or ():
            parts = PurePosixPath(str(file)).parts
            if not parts or parts[0] == "..":
                continue
            head = parts[0]
            if len(parts) > 1:
                names.add(head)
            elif head.endswith(".py"):
                names.add(head[:-3])
            elif head.endswith((".so", ".pyd")):
                names.add(head.split(".")[0])
    return tuple(sorted(n for n in names if n.isidentifier() and n != "__pycache__"))


def import_name(distribution: str) -> str | None:
    """The public top-level import name of an installed distribution: its only one, or
    the one spelled like the distribution (``torch`` of torch, functorch, torchgen).

    ``None`` when the distribution is not installed. Raises ``ProjectError`` naming
    ``python_module:`` when that leaves no single choice.
    """
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
    public = [n for n in top_level_names(dist) if not n.startswith("_")]
    spelled = re.sub(r"[-_.]+", "_", distribution).lower()
    if len(public) == 1:
        return public[0]
    if spelled in public:
        return spelled
    from snakebridge.project import ProjectError

    found = ", ".join(public) or "no importable top-level module"
    raise ProjectError(
        f"library {distribution!r}: its installed distribution provides {found}, so the "
        f"import name cannot be chosen for you; declare it in mix.exs, e.g. "
        f'`{distribution}: [version: "...", python_module: "{public[0] if public else "name"}"]`'
    )


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module.split(".")[0]) is not None
    except (ImportError, ValueError):
        return False


def resolve(distribution: str, guess: str) -> str:
    """The import name of the library declared as ``distribution`` without a
    ``python_module:``, in the running interpreter: ``guess`` when importable, else the
    installed distribution's, else ``guess`` (so that a library that is not installed
    gets the usual "not installed" error where it is needed)."""
    if _importable(guess):
        return guess
    return import_name(distribution) or guess
