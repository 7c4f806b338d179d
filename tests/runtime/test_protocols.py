"""Python's protocols as the ``protocol`` call type runs them (runtime.protocols)."""

from __future__ import annotations

import collections
import collections.abc
import os
from collections.abc import Iterator
from typing import Any

import pytest

from snakebridge.runtime import protocols
from snakebridge.runtime.callbacks import ElixirError


def run(name: str, *args: Any) -> Any:
    return protocols.operation(name, list(args), {})(*args)


def test_operators_follow_python_semantics_including_reflection() -> None:
    assert run("add", 1, 2) == 3
    assert run("mul", 2, [1]) == [1, 1]  # int.__mul__ -> NotImplemented -> list.__rmul__
    assert run("truediv", 1, 2) == 0.5
    assert run("floordiv", -1, 3) == -1
    assert run("mod", -1, 3) == 2
    assert run("pow", 2, 10) == 1024
    assert run("neg", 3) == -3
    assert run("invert", 0) == -1
    assert run("and", 6, 3) == 2
    assert run("lt", 1, 2) is True
    assert run("contains", [1, 2], 2) is True


def test_getitem_reads_named_fields_by_name() -> None:
    point = collections.namedtuple("Point", "x y")(1, 2)
    assert run("getitem", point, "y") == 2
    assert run("getitem", point, 0) == 1
    with pytest.raises(TypeError):
        run("getitem", point, "_asdict")  # private names are not fields
    with pytest.raises(TypeError):
        run("getitem", point, "__class__")


def test_iterate_gives_dict_pairs_and_iter_for_everything_else() -> None:
    counter = collections.Counter("aab")
    assert sorted(protocols.iterate(counter)) == [("a", 2), ("b", 1)]
    ordered = collections.OrderedDict([("b", 1), ("a", 2)])
    assert list(protocols.iterate(ordered)) == [("b", 1), ("a", 2)]
    assert list(protocols.iterate(collections.defaultdict(int, a=1))) == [("a", 1)]
    assert list(protocols.iterate([3, 4])) == [3, 4]

    # A Mapping that is not a dict iterates as Python's iter() does: its keys.
    class Env(collections.abc.Mapping[str, str]):
        def __getitem__(self, key: str) -> str:
            return {"HOME": "/root"}[key]

        def __iter__(self) -> Iterator[str]:
            return iter(["HOME"])

        def __len__(self) -> int:
            return 1

    assert list(protocols.iterate(Env())) == ["HOME"]
    assert list(protocols.iterate(os.environ)) == list(os.environ)


def test_member_agrees_with_iterate() -> None:
    counter = collections.Counter("aab")
    assert protocols.member(counter, ("a", 2))
    assert not protocols.member(counter, ("a", 1))
    assert not protocols.member(counter, "a")  # a key alone is not an enumerated pair
    assert not protocols.member(counter, ("zz", 0))  # no invented Counter zero
    assert not protocols.member(counter, ([1], 0))  # an unhashable key
    lazy = collections.defaultdict(list)
    assert not protocols.member(lazy, ("k", []))
    assert dict(lazy) == {}  # nothing inserted
    assert protocols.member([3, 4], 4)
    assert protocols.member(collections.ChainMap({"a": 1}), "a")  # not a dict: Python's in


def test_to_elixir_materializes_subclasses() -> None:
    assert protocols.to_elixir(collections.OrderedDict(a=1)) == {"a": 1}
    assert type(protocols.to_elixir(collections.defaultdict(int, a=1))) is dict
    assert protocols.to_elixir(collections.namedtuple("P", "x y")(1, 2)) == (1, 2)
    with pytest.raises(TypeError, match="no plain Elixir value"):
        protocols.to_elixir(object())


class Manager:
    def __init__(self, suppress: bool) -> None:
        self.suppress = suppress
        self.seen: list[Any] = []

    def __enter__(self) -> str:
        return "v"

    def __exit__(self, et: Any, ev: Any, tb: Any) -> bool:
        self.seen.append((et, ev))
        return self.suppress


def test_exit_receives_the_exception_and_reports_suppression() -> None:
    manager = Manager(suppress=True)
    assert run("enter", manager) == "v"
    assert run("exit", manager, {"python_type": "KeyError", "message": "k"}) is True
    et, ev = manager.seen[-1]
    assert et is KeyError and isinstance(ev, KeyError)
    manager.suppress = False
    assert run("exit", manager, {"elixir_type": "ArgumentError", "message": "bad"}) is False
    et, ev = manager.seen[-1]
    assert et is ElixirError and str(ev) == "ArgumentError: bad"
    # A Python type that is not a builtin exception becomes an ElixirError, never an import.
    run("exit", manager, {"python_type": "os.system", "message": "x"})
    assert manager.seen[-1][0] is ElixirError
    assert run("exit", manager) is False
    assert manager.seen[-1] == (None, None)


def test_enter_refuses_objects_without_the_protocol() -> None:
    with pytest.raises(TypeError, match="context manager protocol"):
        run("enter", object())


@pytest.mark.parametrize(
    ("name", "args", "kwargs"),
    [
        ("__getitem__", [1, 2], {}),
        ("getattr", [1, "x"], {}),
        ("getitem", [1], {}),
        ("len", [1, 2], {}),
        ("add", [1, 2], {"x": 1}),
    ],
)
def test_unknown_operations_and_bad_arity_are_refused(
    name: str, args: list[Any], kwargs: dict[str, Any]
) -> None:
    with pytest.raises(protocols.ProtocolError):
        protocols.operation(name, args, kwargs)
