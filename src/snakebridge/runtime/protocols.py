"""Python's protocols on the objects a worker holds: indexing, operators, ``len``,
``in``, ``bool``, ``hash``, ``str``/``repr``, iteration, context managers.

Elixir reaches them through the ``protocol`` call type with an operation name from
``OPERATIONS``, never with a method name: each operation does what Python's own
syntax does (``operator.getitem(a, k)`` is ``a[k]``, reflected operands and
``NotImplemented`` included), so no protocol dunder has to be callable by name.
"""

from __future__ import annotations

import builtins
import datetime as dt
import operator
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from snakebridge.runtime.callbacks import ElixirError


class ProtocolError(Exception):
    """The request named no operation this module knows, or gave it the wrong arguments."""


def fields(obj: Any) -> tuple[str, ...]:
    """The field names of a named tuple: a namedtuple's (scipy's results add extra ones),
    a struct sequence's (``torch.return_types.max``, ``time.struct_time``)."""
    cls = type(obj)
    names = tuple(getattr(cls, "_fields", ())) + tuple(getattr(cls, "_extra_fields", ()))
    if not names:
        names = tuple(getattr(cls, "__match_args__", ()))
    return tuple(n for n in names if isinstance(n, str) and not n.startswith("_"))


def getitem(obj: Any, key: Any) -> Any:
    """``obj[key]``; a named tuple (``TtestResult``) also answers its field names."""
    if isinstance(obj, tuple) and isinstance(key, str) and key in fields(obj):
        return getattr(obj, key)
    return operator.getitem(obj, key)


def iterate(obj: Any) -> Iterator[Any]:
    """What ``Enum`` sees: a dict's ``(key, value)`` pairs, else exactly ``iter(obj)``.

    A dict subclass (``Counter``, ``OrderedDict``, ``defaultdict``) would have crossed as
    an Elixir map but for its identity, so it enumerates as that map would. Any other
    object, a ``Mapping`` included (networkx's edge views, ``os.environ``), enumerates
    as Python's ``for`` sees it: ``list(G.edges())`` is ``Enum.to_list(G.edges())``.
    """
    if isinstance(obj, dict):
        return iter(obj.items())
    return iter(obj)


def member(obj: Any, value: Any) -> bool:
    """What ``Enum.member?/2`` asks: whether ``value`` is among what :func:`iterate`
    yields. For a dict that is a ``(key, value)`` pair, as for an Elixir map (its own
    item lookup, so a ``defaultdict`` inserts nothing and a ``Counter`` invents no 0);
    for anything else, Python's ``in``."""
    if isinstance(obj, dict):
        if not (isinstance(value, tuple) and len(value) == 2):
            return False
        key, item = value
        try:
            found = dict.__contains__(obj, key)
        except TypeError:  # an unhashable key is in no dict
            return False
        return found and bool(dict.__getitem__(obj, key) == item)
    return operator.contains(obj, value)


def to_elixir(obj: Any) -> Any:
    """The plain value behind an object that crossed as a ref to keep its identity."""
    if isinstance(obj, Mapping):
        return dict(obj.items())
    if isinstance(obj, tuple):
        return tuple(obj)
    if isinstance(obj, dt.datetime):  # pandas Timestamp: the datetime, to the microsecond
        return dt.datetime(*obj.timetuple()[:6], obj.microsecond, tzinfo=obj.tzinfo, fold=obj.fold)
    if isinstance(obj, dt.date):
        return dt.date(obj.year, obj.month, obj.day)
    if isinstance(obj, dt.timedelta):
        return dt.timedelta(obj.days, obj.seconds, obj.microseconds)
    if isinstance(obj, list):
        return list(obj)
    if isinstance(obj, (set, frozenset)):
        return set(obj)
    tolist = getattr(obj, "tolist", None)
    if callable(tolist):  # numpy arrays and scalars, pandas Series/Index
        return tolist()
    raise TypeError(
        f"a {type(obj).__qualname__} has no plain Elixir value; read what you need from it "
        "with SnakeBridge.attr/2, SnakeBridge.method/4 or Access"
    )


def enter(obj: Any) -> Any:
    cls = type(obj)
    if not hasattr(cls, "__enter__") or not hasattr(cls, "__exit__"):
        raise TypeError(
            f"'{cls.__qualname__}' object does not support the context manager protocol "
            "(no __enter__/__exit__)"
        )
    return cls.__enter__(obj)


def _exception(info: Any) -> BaseException:
    """The Python exception handed to ``__exit__`` for an Elixir failure in the block."""
    if not isinstance(info, dict):
        return ElixirError(str(info))
    message = str(info.get("message") or "")
    python_type = info.get("python_type")
    cls = getattr(builtins, str(python_type), None) if python_type else None
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(message)
        except Exception:  # a builtin that wants other arguments (UnicodeError...)
            pass
    elixir_type = info.get("elixir_type")
    return ElixirError(message, elixir_type=str(elixir_type) if elixir_type else None)


def exit_(obj: Any, info: Any = None) -> bool:
    """``__exit__`` as a ``with`` statement calls it; True when it suppresses the error."""
    exit_fn = type(obj).__exit__
    if info is None:
        exit_fn(obj, None, None, None)
        return False
    exc = _exception(info)
    return bool(exit_fn(obj, type(exc), exc, None))


def _setitem(obj: Any, key: Any, value: Any) -> None:
    operator.setitem(obj, key, value)


def _delitem(obj: Any, key: Any) -> None:
    operator.delitem(obj, key)


OPERATIONS: dict[str, Callable[..., Any]] = {
    "getitem": getitem,
    "setitem": _setitem,
    "delitem": _delitem,
    "len": len,
    "contains": operator.contains,
    "member": member,
    "bool": bool,
    "hash": hash,
    "str": str,
    "repr": repr,
    "to_elixir": to_elixir,
    "enter": enter,
    "exit": exit_,
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
    "mod": operator.mod,
    "pow": operator.pow,
    "matmul": operator.matmul,
    "and": operator.and_,
    "or": operator.or_,
    "xor": operator.xor,
    "lshift": operator.lshift,
    "rshift": operator.rshift,
    "neg": operator.neg,
    "pos": operator.pos,
    "abs": operator.abs,
    "invert": operator.invert,
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}

_ARITY = {
    "len": (1, 1),
    "bool": (1, 1),
    "hash": (1, 1),
    "str": (1, 1),
    "repr": (1, 1),
    "to_elixir": (1, 1),
    "enter": (1, 1),
    "neg": (1, 1),
    "pos": (1, 1),
    "abs": (1, 1),
    "invert": (1, 1),
    "exit": (1, 2),
    "setitem": (3, 3),
}


def operation(name: str, args: list[Any], kwargs: dict[str, Any]) -> Callable[..., Any]:
    """The operation ``name``, once its arguments are checked (``ProtocolError`` if not)."""
    fn = OPERATIONS.get(name)
    if fn is None:
        raise ProtocolError(f"unknown protocol operation {name!r}; known: {', '.join(OPERATIONS)}")
    low, high = _ARITY.get(name, (2, 2))
    if kwargs or not low <= len(args) <= high:
        count = str(low) if low == high else f"{low} or {high}"
        raise ProtocolError(
            f"protocol operation {name!r} takes {count} positional argument(s), no keywords"
        )
    return fn
