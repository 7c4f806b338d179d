"""The model's plain-data form: ``from_data`` inverts ``to_data`` for any model value,
and refuses data that does not fit the type it is read as."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from snakebridge.codegen import model

names = st.text(min_size=1, max_size=8)
maybe = st.none() | names

type_refs = st.recursive(
    st.builds(model.TypeRef, kind=st.sampled_from(model.TypeKind), name=maybe),
    lambda inner: st.builds(
        model.TypeRef,
        kind=st.sampled_from(model.TypeKind),
        args=st.tuples(inner) | st.tuples(inner, inner) | st.just(()),
        name=maybe,
        values=st.lists(names, max_size=2).map(tuple),
        variadic=st.booleans(),
    ),
    max_leaves=6,
)
params = st.builds(
    model.Param,
    name=names,
    kind=st.sampled_from(model.ParamKind),
    has_default=st.booleans(),
    default=maybe,
    annotation=st.none() | type_refs,
    annotation_source=st.none() | st.sampled_from(["annotation", "stub", "docstring"]),
)
signatures = st.builds(
    model.Signature,
    params=st.lists(params, max_size=3).map(tuple),
    returns=st.none() | type_refs,
    source=st.sampled_from(["inspect", "stub", "docstring", "fallback"]),
)
docs = st.builds(
    model.Doc,
    summary=st.text(max_size=10),
    params=st.lists(st.builds(model.DocParam, name=names, type=maybe), max_size=2).map(tuple),
    raises=st.lists(st.builds(model.DocRaise, type=maybe), max_size=1).map(tuple),
)
functions = st.builds(
    model.Function,
    name=names,
    qualname=names,
    module=names,
    kind=st.sampled_from(["function", "builtin", "method"]),
    signature=signatures,
    doc=docs,
    overloads=st.lists(signatures, max_size=2).map(tuple),
    defined_in=maybe,
)
libraries = st.builds(
    model.Library,
    name=names,
    version=names,
    python_module=names,
    elixir_module=names,
    root=st.builds(
        model.Module,
        name=names,
        functions=st.lists(functions, max_size=3).map(tuple),
        classes=st.lists(
            st.builds(
                model.Class,
                name=names,
                qualname=names,
                module=names,
                constructor=signatures,
                methods=st.lists(functions, max_size=2).map(tuple),
            ),
            max_size=2,
        ).map(tuple),
    ),
)


@given(libraries)
def test_from_data_inverts_to_data_through_json(library: model.Library) -> None:
    data = json.loads(json.dumps(model.to_data(library)))
    assert model.from_data(model.Library, data) == library


def test_a_value_read_back_is_a_real_instance_of_its_frozen_type() -> None:
    ref = model.from_data(model.TypeRef, {"kind": "list", "args": [{"kind": "int"}]})
    assert ref == model.TypeRef(model.TypeKind.LIST, (model.TypeRef(model.TypeKind.INT),))
    assert type(ref.args) is tuple and ref.args[0].kind is model.TypeKind.INT
    assert hash(ref) == hash(
        model.TypeRef(model.TypeKind.LIST, (model.TypeRef(model.TypeKind.INT),))
    )
    with pytest.raises(AttributeError):
        ref.name = "x"


def test_an_unknown_field_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="Param has no field colour"):
        model.from_data(model.Param, {"name": "x", "kind": "keyword_only", "colour": 1})


def test_a_missing_required_field_is_refused_by_name() -> None:
    with pytest.raises(KeyError, match="kind"):
        model.from_data(model.Param, {"name": "x"})
