"""Naming rules between Python and Elixir: one place, used by the resolver and the emitter.

Module segments: each dotted Python segment becomes an Elixir alias segment by
capitalizing the parts between underscores (``linalg`` → ``Linalg``,
``csr_matrix`` → ``CsrMatrix``, ``Symbol`` → ``Symbol``).
"""

from __future__ import annotations


def module_segment(python_name: str) -> str:
    """The Elixir alias segment for one Python module or class name."""
    return "".join(part[:1].upper() + part[1:] for part in python_name.split("_") if part)


def elixir_module(python_dotted: str) -> str:
    """``numpy.linalg`` → ``Numpy.Linalg``."""
    return ".".join(module_segment(seg) for seg in python_dotted.split("."))


def function_name(python_name: str) -> str:
    """The Elixir function name for a Python callable or attribute name."""
    return python_name
