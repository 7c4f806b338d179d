"""Only real structs are special: look-alikes are plain maps, malformed structs are bad
requests that name the argument, and the worker survives all of them."""

from __future__ import annotations

from typing import Any

import pytest

from snakebridge.etf import Atom

from .conftest import BYTES, REF, Worker, error, ok

STRUCT = Atom("__struct__")


def bytes_struct(**fields: Any) -> dict[Any, Any]:
    term: dict[Any, Any] = {STRUCT: BYTES, Atom("dtype"): None, Atom("shape"): None}
    term.update({Atom(k): v for k, v in fields.items()})
    return term


def test_string_keyed_look_alikes_are_plain_maps(worker: Worker) -> None:
    fake_bytes = {"__struct__": "Elixir.SnakeBridge.Bytes", "data": 2**70}
    fake_ref = {"__struct__": "Elixir.SnakeBridge.Ref", "id": "x", "session": "s1"}
    assert ok(worker.call("operator", "itemgetter", 0)) is not None
    for term in (fake_bytes, fake_ref):
        assert ok(worker.call("json", "dumps", term, sort_keys=True)).startswith('{"__struct__"')
    # A string struct name under the atom key is not a struct either.
    named = {STRUCT: "Elixir.SnakeBridge.Bytes", Atom("data"): 5}
    assert ok(worker.call("operator", "getitem", named, Atom("data"))) == 5


@pytest.mark.parametrize(
    ("term", "problem"),
    [
        (bytes_struct(data=2**70), "data must be a binary, got int of 71 bits"),
        (bytes_struct(data=10**13), "data must be a binary, got int 10000000000000"),
        (bytes_struct(data=b"\x00" * 3, dtype="float64"), "ValueError"),
        (bytes_struct(data=b"\x00" * 8, dtype="float64", shape=(2**70,)), "ValueError"),
        (bytes_struct(data=b"\x00" * 8, dtype=[1]), "dtype must be a string"),
        ({STRUCT: REF, Atom("id"): 10**5000}, "id must be a string, got int of"),
    ],
)
def test_malformed_structs_are_bad_requests(worker: Worker, term: Any, problem: str) -> None:
    pid = ok(worker.call("operator", "add", 1, 1))
    failure = error(worker.call("operator", "add", 1, [term]))
    assert failure["type"] == "bad_request"
    assert failure["message"].startswith("argument 2: %SnakeBridge."), failure["message"]
    assert problem in failure["message"]
    failure = error(worker.call("operator", "add", 1, 2, x={"k": term}))
    assert "keyword argument x" in failure["message"]
    assert ok(worker.call("operator", "add", 1, 1)) == pid  # still serving
    assert worker.proc.poll() is None
