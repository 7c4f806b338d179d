"""ETF codec: round trips (hypothesis), the worker's decoder hooks, and a cross-check
against the real Erlang ``term_to_binary`` / ``binary_to_term``."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from snakebridge import etf
from snakebridge.etf import Atom, Binary, DecodeError, EncodeError, Opaque

scalars = (
    st.integers(min_value=-(2**300), max_value=2**300)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.binary().filter(lambda b: not _utf8(b))
    | st.booleans()
    | st.none()
    | st.text(max_size=20).map(Atom).filter(lambda a: a not in ("nil", "true", "false"))
)


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


hashable = st.integers() | st.text() | st.text(max_size=10).map(lambda s: Atom("k" + s))
terms = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=6)
        | st.lists(inner, max_size=6).map(tuple)
        | st.dictionaries(hashable, inner, max_size=6)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(terms)
def test_round_trip(value: Any) -> None:
    assert etf.decode(etf.encode(value)) == value


@settings(max_examples=100, deadline=None)
@given(terms)
def test_decoding_is_exact_about_types(value: Any) -> None:
    decoded = etf.decode(etf.encode(value))
    assert type(decoded) is type(value) or (isinstance(value, bool) and decoded is value)


def test_special_floats_encode_as_atoms() -> None:
    assert etf.decode(etf.encode([math.nan, math.inf, -math.inf])) == [
        Atom("nan"),
        Atom("infinity"),
        Atom("neg_infinity"),
    ]


def test_subclasses_of_containers_keep_their_shape() -> None:
    from collections import OrderedDict, namedtuple

    point = namedtuple("point", "x y")
    assert etf.decode(etf.encode([point(1, 2), OrderedDict(a=1)])) == [(1, 2), {"a": 1}]


def test_default_hook_and_errors() -> None:
    with pytest.raises(EncodeError, match="cannot encode object"):
        etf.encode(object())
    assert etf.decode(etf.encode({1, 2} and [object()], default=lambda _o: "obj")) == ["obj"]
    with pytest.raises(EncodeError, match="atom too long"):
        etf.encode(Atom("a" * 300))


def test_bytes_hook_and_binary() -> None:
    encode = etf.make_encoder(bytes_hook=lambda raw: ("bytes", Binary(raw)))
    assert etf.decode(encode([b"\xff", "x"])) == [("bytes", b"\xff"), "x"]


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00", b"\x83", b"\x83\x6d\x00\x00\x00\x05ab", b"\x83\x61\x01\x61", b"\x83\x63"],
)
def test_malformed_input_is_a_decode_error(data: bytes) -> None:
    with pytest.raises(DecodeError):
        etf.decode(data)


def test_struct_hook_numeric_hook_and_atom_values() -> None:
    seen: list[Any] = []

    def numeric(tag: int, count: int, buf: bytes, start: int) -> Any:
        seen.append((tag, count))
        return ("numeric", tag, count)

    decode = etf.make_decoder(
        struct_hook=lambda m: ("struct", m[Atom("__struct__")]),
        numeric_list=numeric,
        atom_values={"nan": "NaN!"},
    )
    term = [
        {Atom("__struct__"): Atom("Elixir.X"), Atom("a"): 1},
        [1.0, 2.0, 3.0],
        [1, 300],
        [70000, 80000],
        [1.0, "mixed"],
        Atom("nan"),
    ]
    assert decode(etf.encode(term)) == [
        ("struct", "Elixir.X"),
        ("numeric", 70, 3),
        [1, 300],
        ("numeric", 98, 2),
        [1.0, "mixed"],
        "NaN!",
    ]


# `make test` installs Erlang first; the cross-check is part of the contract.
ERL = shutil.which("erl") or "erl"


def test_cross_check_with_erlang(tmp_path: Path) -> None:
    """Python encodes, Erlang decodes and re-encodes, Python decodes: values survive."""
    values = [
        0, 255, 256, -1, 2**31 - 1, -(2**31), 2**31, 2**64 + 5, -(2**200),
        1.5, -0.0, 1e308, "", "héllo wörld ✓", b"\xff\xfe", [], [1, [2, [3]]],
        (), (1, "a"), tuple(range(300)), {"k": [None, True, False]}, {1: 2, (1,): "t"},
        Atom("ok"), Atom("élan"), list(range(1000)), [0.5] * 20,
    ]  # fmt: skip
    source = tmp_path / "in.bin"
    target = tmp_path / "out.bin"
    source.write_bytes(etf.encode(values))
    expr = (
        f'{{ok, B}} = file:read_file("{source}"), T = binary_to_term(B), '
        f'ok = file:write_file("{target}", term_to_binary(T)), halt().'
    )
    subprocess.run([ERL, "-noshell", "-eval", expr], check=True, timeout=60)
    assert etf.decode(target.read_bytes()) == values


def test_opaque_terms_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "pid.bin"
    term = "{self(), make_ref(), fun erlang:now/0}"
    expr = f'ok = file:write_file("{target}", term_to_binary({term})), halt().'
    subprocess.run([ERL, "-noshell", "-eval", expr], check=True, timeout=60)
    data = target.read_bytes()
    kinds: list[str] = []
    decoded = etf.make_decoder(opaque_seen=lambda o: kinds.append(o.kind))(data)
    assert all(isinstance(x, Opaque) for x in decoded)
    assert kinds == ["pid", "reference", "function"]
    assert etf.encode(decoded) == data


def test_list_hook_and_large_binaries_stay_uncopied() -> None:
    encode = etf.make_parts_encoder(
        list_hook=lambda items: etf.encode(["replaced"])[1:] if items[0] == 0 else None,
        list_hook_min=3,
    )
    assert etf.decode(b"".join(encode([[0, 1, 2], [1, 2, 3], [0, 1]]))) == [
        ["replaced"],
        [1, 2, 3],
        [0, 1],
    ]
    blob = bytes(range(256)) * 1024
    parts = encode(("x", blob))
    assert any(part is blob for part in parts)
    assert etf.decode(b"".join(parts)) == ("x", blob)


def _export_fun(module: str, function: str, arity: int) -> Opaque:
    """An EXPORT_EXT term (``fun module:function/arity``), byte for byte."""
    data = bytes([113]) + etf.encode(Atom(module))[1:] + etf.encode(Atom(function))[1:]
    return Opaque(113, data + etf.encode(arity)[1:])


_FUN_MARK = Atom("fun_here")
_tree = st.recursive(
    st.one_of(st.integers(), st.text(max_size=5), st.just(_FUN_MARK)),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.dictionaries(st.text(max_size=4), children, max_size=4),
    ),
    max_leaves=30,
)


@given(_tree)
def test_fun_hook_sees_funs_in_depth_first_order(tree: Any) -> None:
    """The index the worker gives each fun is its depth-first position: what the
    Elixir caller's walk of its own request reproduces (lists and tuples in order,
    maps key then value in encoding order)."""
    counter = iter(range(10_000))
    expected: list[int] = []

    def place(node: Any) -> Any:
        if node == _FUN_MARK:
            expected.append(next(counter))
            return _export_fun("Elixir.M", f"f{expected[-1]}", 1)
        if isinstance(node, list):
            return [place(x) for x in node]
        if isinstance(node, tuple):
            return tuple(place(x) for x in node)
        if isinstance(node, dict):
            return {k: place(v) for k, v in node.items()}
        return node

    data = etf.encode(place(tree))
    seen: list[tuple[str, str | None, int]] = []
    etf.make_decoder(fun_hook=lambda o: seen.append(etf.fun_info(o)))(data)
    assert seen == [("Elixir.M", f"f{i}", 1) for i in expected]
