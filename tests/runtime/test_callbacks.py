"""Callbacks at the protocol level: a real worker, this test playing the Elixir side.

The fun terms are real ones, made by Erlang (``erl``), as the BEAM sends them.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from snakebridge import etf
from snakebridge.etf import Atom, Opaque

from .conftest import REF, Worker, error, ok

ERL = shutil.which("erl") or "erl"
CALLBACK_REPLY = Atom("callback_reply")
OK = Atom("ok")
ERROR = Atom("error")


@pytest.fixture(scope="module")
def funs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Opaque]:
    target = tmp_path_factory.mktemp("funs") / "funs.bin"
    term = "[fun(X) -> X end, fun(A, B) -> A + B end, fun lists:reverse/1]"
    expr = f'ok = file:write_file("{target}", term_to_binary({term})), halt().'
    subprocess.run([ERL, "-noshell", "-eval", expr], check=True, timeout=60)
    one, two, export = etf.decode(Path(target).read_bytes())
    return {"one": one, "two": two, "export": export}


@pytest.fixture
def cw() -> Iterator[Worker]:
    w = Worker(
        {"sbtest": "sbtest", "operator": "operator", "functools": "functools", "numpy": "numpy"},
        callbacks={"MyApp.Tools": "all", "MyApp.Db": ["get"]},
    )
    yield w
    w.close()


def call(w: Worker, module: str, function: str, *args: Any, session: str = "s1") -> int:
    return w.send_request(
        "call",
        session=session,
        library=module,
        python_module=module,
        function=function,
        args=list(args),
    )


def answer(w: Worker, result: Any) -> None:
    w.send((CALLBACK_REPLY, result))


def test_fun_info_of_real_funs(funs: dict[str, Opaque]) -> None:
    assert etf.fun_info(funs["one"])[1:] == (None, 1)
    assert etf.fun_info(funs["two"])[2] == 2
    assert etf.fun_info(funs["export"]) == ("lists", "reverse", 1)


def test_a_callback_round_trip(cw: Worker, funs: dict[str, Opaque]) -> None:
    rid = call(cw, "operator", "call", funs["one"], 21)
    frame = cw.reply()
    assert frame == (Atom("callback"), rid, Atom("fun"), 0, [21])
    answer(cw, (OK, 42))
    assert cw.reply() == (rid, (OK, 42))


def test_indexes_follow_decode_order(cw: Worker, funs: dict[str, Opaque]) -> None:
    structure = [funs["one"], {"k": (funs["export"], funs["one"])}]
    rid = call(cw, "sbtest", "call_nested", structure, 5)
    seen = []
    for _ in range(3):
        tag, cb_rid, kind, index, args = cw.reply()
        assert (tag, cb_rid, kind, args) == ("callback", rid, "fun", [5])
        seen.append(index)
        answer(cw, (OK, index))
    assert seen == [0, 1, 2]
    assert cw.reply() == (rid, (OK, [0, {"k": (1, 2)}]))


def test_a_nested_request_while_waiting(cw: Worker, funs: dict[str, Opaque]) -> None:
    rid = call(cw, "operator", "call", funs["one"], 1)
    assert cw.reply()[0] == "callback"
    # The Elixir function calls Python again, on this worker, before answering.
    nested = call(cw, "operator", "add", 2, 3)
    assert cw.reply() == (nested, (OK, 5))
    answer(cw, (OK, "done"))
    assert cw.reply() == (rid, (OK, "done"))


def test_arity_and_keywords_are_type_errors(cw: Worker, funs: dict[str, Opaque]) -> None:
    rid = call(cw, "operator", "call", funs["two"], 1)
    reply = cw.reply()
    assert reply[0] == rid
    err = error(reply[1])
    assert err["python_type"] == "TypeError"
    assert "takes 2 arguments (arity 2), but was called with 1" in err["message"]
    assert "fn/2 (defined in :" in err["message"]
    rid = call(cw, "sbtest", "with_keywords", funs["export"])
    assert ok(cw.reply()[1]) == [
        "TypeError",
        "Elixir function &:lists.reverse/1 takes positional arguments only; "
        "got keyword argument(s) x",
    ]


def test_elixir_errors_carry_their_token(cw: Worker, funs: dict[str, Opaque]) -> None:
    failure = {
        "type": "exception",
        "kind": "error",
        "module": "ArgumentError",
        "message": "boom",
        "stacktrace": "lib/a.ex:1: A.f/1",
        "token": 7,
    }
    rid = call(cw, "sbtest", "catch_elixir", funs["one"], 1)
    assert cw.reply()[0] == "callback"
    answer(cw, (ERROR, failure))
    caught = ok(cw.reply()[1])
    assert caught["str"] == "ArgumentError: boom"
    assert caught["stacktrace"] == "lib/a.ex:1: A.f/1"
    # Uncaught: the error map names the original for Elixir to re-raise.
    rid = call(cw, "operator", "call", funs["one"], 1)
    assert cw.reply()[0] == "callback"
    answer(cw, (ERROR, failure))
    reply = cw.reply()
    assert reply[0] == rid
    err = error(reply[1])
    assert err["python_type"] == "snakebridge.ElixirError"
    assert err["elixir"]["token"] == 7
    assert err["elixir"]["type"] == "ArgumentError"
    assert "Elixir stacktrace:" in err["traceback"]


def test_callback_results_may_not_hold_functions(cw: Worker, funs: dict[str, Opaque]) -> None:
    rid = call(cw, "operator", "call", funs["one"], 1)
    assert cw.reply()[0] == "callback"
    answer(cw, (OK, [funs["export"]]))
    err = error(cw.reply()[1])
    assert "returned a function" in err["message"]
    assert rid


def test_argument_refs_are_borrowed(cw: Worker, funs: dict[str, Opaque]) -> None:
    array = ok(cw.call("numpy", "zeros", 3))
    assert ok(cw.request("stats"))["refs"] == 1
    rid = call(cw, "operator", "call", funs["one"], array)
    tag, _rid, _kind, _index, [arg] = cw.reply()
    assert tag == "callback"
    assert arg[Atom("__struct__")] == REF
    assert arg[Atom("id")] != array[Atom("id")]
    assert ok(cw.request("stats"))["refs"] == 2  # a nested call sees the borrowed ref
    answer(cw, (OK, arg))  # returning it gives Python the object back
    result = cw.reply()
    assert result[0] == rid
    assert ok(cw.request("stats"))["refs"] == 2  # the result's own ref + the array
    released = error(cw.call("numpy", "sum", arg))
    assert "argument of an Elixir callback" in released["message"]


def test_kept_functions_live_with_their_session(cw: Worker, funs: dict[str, Opaque]) -> None:
    rid = call(cw, "sbtest", "keep", "f", funs["one"])
    reply = cw.reply()
    # {id, result, :callbacks}: Python kept the function.
    assert reply == (rid, (OK, True), Atom("callbacks"))
    later = call(cw, "sbtest", "call_kept", "f", 5)
    assert cw.reply() == (Atom("callback"), rid, Atom("fun"), 0, [5])
    answer(cw, (OK, 6))
    assert cw.reply() == (later, (OK, 6))
    # Another session's call cannot run it.
    other = call(cw, "sbtest", "call_kept", "f", 5, session="s2")
    err = error(cw.reply()[1])
    assert err["python_type"] == "snakebridge.CallbackExpired"
    assert "belongs to session 's1'" in err["message"]
    assert other
    assert ok(cw.request("release_session", session="s1")) == 0
    call(cw, "sbtest", "call_kept", "f", 5)
    err = error(cw.reply()[1])
    assert "can no longer be called" in err["message"]


def test_a_function_not_kept_expires(cw: Worker, funs: dict[str, Opaque]) -> None:
    rid = call(cw, "operator", "call", funs["one"], 1)
    assert cw.reply()[0] == "callback"
    answer(cw, (OK, 1))
    assert cw.reply() == (rid, (OK, 1))  # no :callbacks mark: nothing kept


def test_callbacks_from_threads_are_serialized(cw: Worker, funs: dict[str, Opaque]) -> None:
    rid = call(cw, "sbtest", "in_threads", funs["one"], 6)
    for _ in range(6):
        tag, _rid, _kind, _index, [i] = cw.reply()
        assert tag == "callback"
        answer(cw, (OK, i * 10))
    assert cw.reply() == (rid, (OK, [0, 10, 20, 30, 40, 50]))


def test_call_elixir_and_its_registry(cw: Worker) -> None:
    rid = call(cw, "sbtest", "call_elixir", "MyApp.Tools", "lookup", "k")
    assert cw.reply() == (Atom("callback"), rid, Atom("named"), ("MyApp.Tools", "lookup"), ["k"])
    answer(cw, (OK, "v"))
    assert cw.reply() == (rid, (OK, "v"))
    call(cw, "sbtest", "try_call_elixir", "MyApp.Db", "drop")
    kind, message = ok(cw.reply()[1])
    assert kind == "CallbackNotAllowed"
    assert "MyApp.Db.drop is not registered" in message
    call(cw, "sbtest", "try_call_elixir", "Other", "x")
    assert ok(cw.reply()[1])[0] == "CallbackNotAllowed"
    rid = call(cw, "sbtest", "cast_elixir", "MyApp.Db", "get", [1, b"\xff"])
    assert cw.reply() == (Atom("cast"), "MyApp.Db", "get", [[1, b"\xff"]])
    assert cw.reply() == (rid, (OK, ["ok", None]))
