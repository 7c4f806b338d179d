"""The naming rule: plain names unchanged, everything else escaped, exactly reversible."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from snakebridge.codegen import names

ELIXIR_FUNCTION = re.compile(r"[a-z_][A-Za-z0-9_]*\Z")


@pytest.mark.parametrize(
    ("python", "elixir"),
    [
        ("mean", "mean"),
        ("ix_", "ix_"),
        ("float64", "float64"),
        ("camelCase", "camelCase"),
        ("end", "py_end"),
        ("do", "py_do"),
        ("fn", "py_fn"),
        ("when", "py_when"),
        ("and", "py_and"),
        ("nil", "py_nil"),
        ("true", "py_true"),
        ("rescue", "py_rescue"),
        ("module_info", "py_module_info"),
        ("new", "py_new"),
        ("doc", "py_doc"),
        ("N", "py_N"),
        ("S", "py_S"),
        ("Matrix", "py_Matrix"),
        ("__call__", "py___call__"),
        ("_private", "py__private"),
        ("py_x", "py_py_x"),
        ("π", "py_u_cf80"),
        ("café", "py_u_636166c3a9"),
    ],
)
def test_rule_examples(python: str, elixir: str) -> None:
    assert names.function_name(python) == elixir
    assert names.python_name(elixir) == python


@given(st.text(min_size=1, max_size=40))
def test_reversible_and_always_a_valid_elixir_name(python: str) -> None:
    elixir = names.function_name(python)
    assert ELIXIR_FUNCTION.match(elixir)
    assert elixir not in names.RESERVED
    assert names.python_name(elixir) == python


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_injective(a: str, b: str) -> None:
    if a != b:
        assert names.function_name(a) != names.function_name(b)


def test_too_long_names_fail_clearly() -> None:
    with pytest.raises(names.NamingError, match="limited to"):
        names.function_name("é" * 200)


def test_empty_name_fails() -> None:
    with pytest.raises(names.NamingError):
        names.function_name("")


@pytest.mark.parametrize(
    ("python", "segment"),
    [
        ("linalg", "Linalg"),
        ("csr_matrix", "CsrMatrix"),
        ("Symbol", "Symbol"),
        ("DataFrame", "DataFrame"),
        ("π", "PyUcf80"),
        ("_2d", "PyU5f3264"),
    ],
)
def test_module_segments(python: str, segment: str) -> None:
    assert names.module_segment(python) == segment
    assert re.match(r"[A-Z][A-Za-z0-9_]*\Z", names.module_segment(python))


@given(st.text(min_size=1, max_size=30))
def test_module_segment_is_always_a_valid_alias(python: str) -> None:
    assert re.match(r"[A-Z][A-Za-z0-9_]*\Z", names.module_segment(python))


def test_variable_names_are_valid_and_unique() -> None:
    taken = {"opts"}
    got = [names.variable_name(n, taken) for n in ("A", "a", "_x", "opts", "end", "π", "π")]
    assert got == ["a", "a_2", "x", "opts_2", "arg", "arg_2", "arg_3"]


@pytest.mark.parametrize(
    ("name", "part"),
    [("tolist", "tolist"), ("dotted.name", "dotted%2Ename"), ("100%", "100%25"), ("%2E", "%252E")],
)
def test_path_part_examples(name: str, part: str) -> None:
    assert names.path_part(name) == part
    assert names.path_parts(f"Box.{part}") == ["Box", name]


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=4))
def test_dotted_paths_round_trip_any_attribute_names(parts: list[str]) -> None:
    path = ".".join(names.path_part(p) for p in parts)
    assert names.path_parts(path) == parts
