"""Python values that have an Elixir struct or atom of the same meaning, both ways.

``OUT`` maps an exact Python type to the function that builds its Elixir term (a
struct as a dict with atom keys); ``IN`` maps a struct module to the function that
builds the Python value from the decoded struct. One table each way, so the rule for
a type lives in one place; the README's "Values" section documents them.
Exact types only: a subclass keeps its identity as a ref (``Codec._to_ref``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from snakebridge.etf import Atom

STRUCT = Atom("__struct__")
SLICE = Atom("Elixir.SnakeBridge.Slice")
K_START, K_STOP, K_STEP = Atom("start"), Atom("stop"), Atom("step")
ELLIPSIS = Atom("...")


def _slice_out(value: slice) -> dict[Any, Any]:
    return {STRUCT: SLICE, K_START: value.start, K_STOP: value.stop, K_STEP: value.step}


def _slice_in(term: dict[Any, Any]) -> slice:
    return slice(term.get(K_START), term.get(K_STOP), term.get(K_STEP))


OUT: dict[type, Callable[[Any], Any]] = {
    slice: _slice_out,
    type(...): lambda _value: ELLIPSIS,
}

IN: dict[str, Callable[[dict[Any, Any]], Any]] = {
    SLICE: _slice_in,
}
