"""Naming rules between Python and Elixir: one place, used by the resolver and the emitter.

Module segments
---------------
Each dotted Python segment (module or class name) becomes an Elixir alias segment by
capitalizing the parts between underscores (``linalg`` → ``Linalg``, ``csr_matrix`` →
``CsrMatrix``, ``Symbol`` → ``Symbol``). A segment that would still not be a valid
ASCII alias (non-ASCII letters, a leading digit, nothing left) becomes ``PyU`` plus the
hex of its UTF-8 bytes. This rule is not injective (``csr_matrix`` and ``CsrMatrix``
meet); the emitter detects such meetings and fails with a message naming both.

Function names — the one reversible rule
----------------------------------------
A Python name is *plain* when it matches ``[a-z][A-Za-z0-9_]*``, does not start with
``py_`` and is not in :data:`RESERVED`. Plain names are used unchanged
(``mean`` → ``mean``, ``ix_`` → ``ix_``). Every other name is escaped with the prefix
``py_``:

* an ASCII identifier (leading uppercase, leading underscore, dunder, reserved word,
  or already ``py_``-prefixed) keeps its spelling after the prefix:
  ``N`` → ``py_N``, ``end`` → ``py_end``, ``__call__`` → ``py___call__``,
  ``py_foo`` → ``py_py_foo``;
* anything else (non-ASCII, characters Python allows but Elixir does not) becomes
  ``py_u_`` followed by the lowercase hex of its UTF-8 bytes: ``π`` → ``py_u_cf80``.

The escaped body never starts with ``u_`` in the first case (such a name would have
been plain), so :func:`python_name` inverts :func:`function_name` exactly.
"""

from __future__ import annotations

import re
from collections.abc import Collection

# Elixir's reserved words, names Erlang/Elixir define in every module, and names the
# generator itself defines in generated modules (constructor ``new``, discovery ``doc``).
RESERVED: frozenset[str] = frozenset(
    {
        # reserved words
        "true", "false", "nil", "when", "and", "or", "not", "in", "fn", "do", "end",
        "catch", "rescue", "after", "else",
        # defined automatically by Erlang / Elixir in every module
        "module_info", "behaviour_info",
        # defined by the generator in generated modules
        "new", "doc",
    }
)  # fmt: skip

ESCAPE_PREFIX = "py_"
_HEX_MARK = "u_"
_PLAIN = re.compile(r"[a-z][A-Za-z0-9_]*\Z")
_ASCII_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ALIAS = re.compile(r"[A-Z][A-Za-z0-9_]*\Z")
# Elixir atoms are limited to 255 characters; a bang or suffix needs room too.
MAX_NAME = 240


class NamingError(ValueError):
    """A Python name cannot be given an Elixir name; the message says why."""


def module_segment(python_name: str) -> str:
    """The Elixir alias segment for one Python module or class name."""
    segment = "".join(part[:1].upper() + part[1:] for part in python_name.split("_") if part)
    if _ALIAS.match(segment):
        return segment
    return "PyU" + python_name.encode("utf-8").hex()


def elixir_module(python_dotted: str) -> str:
    """``numpy.linalg`` → ``Numpy.Linalg``."""
    return ".".join(module_segment(seg) for seg in python_dotted.split("."))


def is_plain(python_name: str) -> bool:
    return (
        _PLAIN.match(python_name) is not None
        and not python_name.startswith(ESCAPE_PREFIX)
        and python_name not in RESERVED
    )


def function_name(python_name: str) -> str:
    """The Elixir function name for a Python callable or attribute name (module docstring)."""
    if not python_name:
        raise NamingError("an empty Python name has no Elixir name")
    if is_plain(python_name):
        name = python_name
    elif _ASCII_IDENT.match(python_name):
        name = ESCAPE_PREFIX + python_name
    else:
        name = ESCAPE_PREFIX + _HEX_MARK + python_name.encode("utf-8", "surrogatepass").hex()
    if len(name) > MAX_NAME:
        raise NamingError(
            f"Python name {python_name[:60]!r}... maps to an Elixir name of {len(name)} "
            f"characters; Elixir names are limited to {MAX_NAME}"
        )
    return name


def python_name(elixir_name: str) -> str:
    """Inverse of :func:`function_name` (``py_N`` → ``N``, ``py_u_cf80`` → ``π``)."""
    if not elixir_name.startswith(ESCAPE_PREFIX):
        return elixir_name
    body = elixir_name[len(ESCAPE_PREFIX) :]
    if body.startswith(_HEX_MARK):
        return bytes.fromhex(body[len(_HEX_MARK) :]).decode("utf-8", "surrogatepass")
    return body


_VAR_OK = re.compile(r"[a-z][A-Za-z0-9_]*\Z")


def variable_name(python_name: str, taken: set[str]) -> str:
    """A valid, unused Elixir variable for a Python parameter; adds it to ``taken``.

    Variables are not part of the API, so this is not reversible: it lowercases the first
    letter and drops leading underscores (an underscored variable that is used warns).
    """
    base = python_name.lstrip("_")
    base = base[:1].lower() + base[1:]
    if not _VAR_OK.match(base) or base in RESERVED or len(base) > 60:
        base = "arg"
    candidate = base
    n = 2
    while candidate in taken:
        candidate = f"{base}_{n}"
        n += 1
    taken.add(candidate)
    return candidate


# Dotted paths
# ------------
# A binding names its Python object by a dotted path inside its module ("ndarray.tolist",
# "norm.pdf"), and the worker walks it part by part. Python accepts any string as an
# attribute name (``setattr``, ``globals()[...]``), so inside one part "." is written
# ``%2E`` and "%" ``%25``; every ordinary name is its own part unchanged.

_PART_ESCAPE = re.compile(r"%(25|2E)")


def path_part(name: str) -> str:
    """One attribute name as a part of a dotted path: ``dotted.name`` → ``dotted%2Ename``."""
    if "." not in name and "%" not in name:
        return name
    return name.replace("%", "%25").replace(".", "%2E")


def path_parts(path: str) -> list[str]:
    """The attribute names of a dotted path (inverse of joining :func:`path_part` s)."""
    parts = path.split(".")
    if "%" not in path:
        return parts
    return [_PART_ESCAPE.sub(lambda m: "%" if m.group(1) == "25" else ".", p) for p in parts]


# Generated variants of one symbol
# --------------------------------
# Every reader of generated code (generation, verify, repair, analyze, prune) maps a
# generated or called Elixir name back to its symbol with these rules, so they live here.

BANG = "!"
STREAM_SUFFIX = "_stream"
SETTER_PREFIX = "put_"
# Defined in every generated module, answered from generated data: not library symbols.
DISCOVERY_FUNCTIONS: tuple[str, ...] = ("__classes__", "__functions__", "__search__", "doc")
# An exception module's symbol: the ``exception/1`` every Elixir exception defines (with
# ``message/1``, which defexception defines). The scanner asks for it when the code
# names a class as an exception.
EXCEPTION_FUNCTION = "exception"
# A class module's ``class/0``: the Python class itself as a value (``defaultdict(int)``,
# ``isinstance(x, int)``). ``class`` is a Python keyword, so no Python member has it.
CLASS_VALUE_FUNCTION = "class"
EXCEPTION_NAMES: tuple[str, ...] = (EXCEPTION_FUNCTION, "message")


def exception_registry(root_module: str) -> str:
    """``Numpy`` → ``SnakeBridge.Exceptions.Numpy``: the module mapping a library's Python
    exception classes to their generated modules (``SnakeBridge.Error`` reads it)."""
    return f"SnakeBridge.Exceptions.{root_module}"


def bang(name: str) -> str:
    """``mean`` → ``mean!``: returns the value or raises."""
    return name + BANG


def stream_variant(name: str) -> str:
    """``mean`` → ``mean_stream``: the lazy ``Stream`` variant of a ``streaming:`` name."""
    return name + STREAM_SUFFIX


def setter(getter: str) -> str:
    """``shape`` → ``put_shape``: the setter of a writable attribute, by its getter's name."""
    return SETTER_PREFIX + getter


def getter(name: str) -> str | None:
    """``put_shape`` → ``shape``: the getter a setter belongs to, if ``name`` is spelled
    like a setter (whether it is one, and not a function called ``put_x``, the caller
    decides: a setter binds the same Python attribute as its getter)."""
    stem = name.removeprefix(SETTER_PREFIX)
    return stem if stem != name and stem else None


def symbol_name(function: str, streaming: Collection[str]) -> str | None:
    """The symbol an Elixir function name belongs to: ``mean!`` and (when ``mean`` is
    declared streaming) ``mean_stream`` are ``mean``; None for discovery functions and
    private helpers, which are not symbols."""
    if function.startswith("_") or function in DISCOVERY_FUNCTIONS:
        return None
    base = function.removesuffix(BANG)
    stem = base.removesuffix(STREAM_SUFFIX)
    return stem if stem != base and stem in streaming else base
