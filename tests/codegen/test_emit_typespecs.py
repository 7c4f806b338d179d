"""Type model → typespecs: the issue's mapping, and never an invalid spec (compiled)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.codegen.elixir_harness import ElixirProject
from tests.codegen.fixtures import spec
from tests.codegen.test_emit_safety import NO_SHRINK, SLOW_OK

from snakebridge.codegen import model
from snakebridge.codegen.emit import render_library, typespecs
from snakebridge.codegen.model import Param, ParamKind, Signature, TypeKind, TypeRef

T = TypeRef
K = TypeKind
CLASSES = {"lib.Thing": "Lib.Thing"}


@pytest.mark.parametrize(
    ("ref", "spec_text"),
    [
        (T(K.INT), "integer()"),
        (T(K.FLOAT), "float()"),
        (T(K.STR), "String.t()"),
        (T(K.BOOL), "boolean()"),
        (T(K.BYTES), "binary()"),
        (T(K.NONE), "nil"),
        (T(K.ANY), "term()"),
        (T(K.LIST, (T(K.INT),)), "[integer()]"),
        (T(K.LIST, (T(K.ANY),)), "list()"),
        (T(K.TUPLE, (T(K.INT), T(K.STR))), "{integer(), String.t()}"),
        (T(K.TUPLE, (T(K.INT),), variadic=True), "tuple()"),
        (T(K.DICT, (T(K.STR), T(K.FLOAT))), "%{optional(String.t()) => float()}"),
        (T(K.UNION, (T(K.INT), T(K.NONE))), "integer() | nil"),
        (T(K.UNION, (T(K.INT), T(K.UNION, (T(K.FLOAT), T(K.INT))))), "integer() | float()"),
        (T(K.UNION, (T(K.INT), T(K.ANY))), "term()"),
        (T(K.LITERAL, values=("1", "-2", "True", "None")), "1 | -2 | true | nil"),
        (T(K.LITERAL, values=("'a'", '"b"')), "String.t()"),
        (T(K.LITERAL, values=("1.5",)), "term()"),
        (T(K.CLASS, name="lib.Thing"), "Lib.Thing.t()"),
        (T(K.CLASS, name="other.Unknown"), "SnakeBridge.Ref.t()"),
        (T(K.ARRAY), "term()"),
        (T(K.CALLABLE), "term()"),
    ],
)
def test_mapping(ref: TypeRef, spec_text: str) -> None:
    assert typespecs.typespec(ref, CLASSES) == spec_text


def test_class_typed_parameters_accept_any_term() -> None:
    thing = T(K.UNION, (T(K.CLASS, name="lib.Thing"), T(K.NONE)))
    assert typespecs.typespec(thing, CLASSES) == "Lib.Thing.t() | nil"
    assert typespecs.typespec(thing, CLASSES, argument=True) == "term()"
    listed = T(K.LIST, (T(K.CLASS, name="lib.Thing"),))
    assert typespecs.typespec(listed, CLASSES, argument=True) == "list()"


def test_float_parameters_take_any_number_float_returns_stay_float() -> None:
    floats = T(K.UNION, (T(K.FLOAT), T(K.INT), T(K.NONE)))
    assert typespecs.typespec(T(K.FLOAT), CLASSES, argument=True) == "number()"
    assert typespecs.typespec(floats, CLASSES, argument=True) == "number() | nil"
    assert typespecs.typespec(floats, CLASSES) == "float() | integer() | nil"
    listed = T(K.LIST, (T(K.FLOAT),))
    assert typespecs.typespec(listed, CLASSES, argument=True) == "[number()]"
    assert typespecs.typespec(listed, CLASSES) == "[float()]"
    assert typespecs.typespec(T(K.INT), CLASSES, argument=True) == "integer()"


def test_own_class_is_t_and_long_specs_fall_back_to_term() -> None:
    assert typespecs.typespec(T(K.CLASS, name="lib.Thing"), CLASSES, "Lib.Thing") == "t()"
    wide = T(K.UNION, tuple(T(K.LITERAL, values=(str(n),)) for n in range(10**6, 10**6 + 20)))
    assert typespecs.typespec(wide, CLASSES) == "term()"


leaves = st.sampled_from(
    [T(k) for k in (K.ANY, K.NONE, K.INT, K.FLOAT, K.COMPLEX, K.STR, K.BOOL, K.BYTES,
                    K.CALLABLE, K.ARRAY, K.DTYPE)]
    + [T(K.CLASS, name="lib.Thing"), T(K.CLASS, name="x.Y"), T(K.CLASS)]
    + [T(K.LITERAL, values=v) for v in (("1",), ("'s'",), ("True", "None"), ("x",), ())]
)  # fmt: skip
types = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(lambda a: T(K.LIST, (a,)), inner),
        st.builds(lambda a: T(K.SET, (a,)), inner),
        st.builds(lambda a: T(K.ITERATOR, (a,)), inner),
        st.builds(lambda xs, v: T(K.TUPLE, tuple(xs), variadic=v),
                  st.lists(inner, max_size=3), st.booleans()),
        st.builds(lambda a, b: T(K.DICT, (a, b)), inner, inner),
        st.builds(lambda xs: T(K.UNION, tuple(xs)), st.lists(inner, max_size=4)),
        st.builds(lambda xs: T(K.LIST, tuple(xs)), st.lists(inner, max_size=2)),  # malformed
    ),
    max_leaves=8,
)  # fmt: skip


@settings(max_examples=3, deadline=None, derandomize=True, phases=NO_SHRINK,
          suppress_health_check=SLOW_OK)  # fmt: skip
@given(st.lists(st.tuples(types, types), min_size=30, max_size=30))
def test_random_types_always_compile(
    elixir_project: ElixirProject, annotations: list[tuple[TypeRef, TypeRef]]
) -> None:
    functions = tuple(
        model.Function(
            name=f"f{k}", qualname=f"f{k}", module="lib", kind="function",
            signature=Signature((Param("a", ParamKind.POSITIONAL_OR_KEYWORD, annotation=a),),
                                returns=r),
        )
        for k, (a, r) in enumerate(annotations)
    )  # fmt: skip
    thing = model.Class(name="Thing", qualname="Thing", module="lib", constructor=Signature(()))
    lib = model.Library(
        name="lib", version="1", python_module="lib", elixir_module="Lib",
        root=model.Module(name="lib", functions=functions, classes=(thing,)),
    )  # fmt: skip
    source = render_library(lib, spec("lib", "Lib"), tool_version="0.1.0").source
    elixir_project.check({"lib.ex": source})


def test_the_typespec_block_gives_every_public_function_its_spec(
    elixir_project: ElixirProject,
) -> None:
    """A module's specs are one statement (the typespec block after its discovery
    functions), yet each function and variant has its spec in the compiled module (on
    its full arity: the shorter ones are default-argument clauses), with the types its
    group writes."""
    x = Param("x", ParamKind.POSITIONAL_OR_KEYWORD, annotation=T(K.INT))
    y = Param("y", ParamKind.POSITIONAL_OR_KEYWORD, has_default=True, default="1")
    rest = Param("rest", ParamKind.VAR_POSITIONAL)
    functions = (
        model.Function(name="f", qualname="f", module="lib", kind="function",
                       signature=Signature((x, y), returns=T(K.STR))),
        model.Function(name="g", qualname="g", module="lib", kind="function",
                       signature=Signature((x, rest))),
    )  # fmt: skip
    thing = model.Class(name="Thing", qualname="Thing", module="lib", constructor=Signature(()))
    lib = model.Library(
        name="lib", version="1", python_module="lib", elixir_module="Lib",
        root=model.Module(name="lib", functions=functions, classes=(thing,)),
    )  # fmt: skip
    source = render_library(lib, spec("lib", "Lib"), tool_version="0.1.0").source
    assert "  for {:@, _, [{:spec, _, [spec]}]} <- specs, do: @spec(unquote(spec))" in source
    elixir_project.check({"lib.ex": source})
    result = elixir_project.evaluate(
        """
        for mod <- [Lib, Lib.Thing] do
          {:ok, specs} = Code.Typespec.fetch_specs(mod)
          with_spec = specs |> Enum.map(&elem(&1, 0)) |> Enum.sort()
          full = Enum.group_by(mod.__info__(:functions), &elem(&1, 0), &elem(&1, 1))
          full = full |> Enum.map(fn {name, arities} -> {name, Enum.max(arities)} end)
          {with_spec == Enum.sort(full), length(with_spec)}
        end ++
          [
            Code.Typespec.fetch_specs(Lib)
            |> elem(1)
            |> Enum.find(&(elem(&1, 0) == {:f, 3}))
            |> then(fn {_, [s]} -> Macro.to_string(Code.Typespec.spec_to_quoted(:f, s)) end)
          ]
        """
    )
    assert isinstance(result, list)
    (lib_ok, lib_count), (thing_ok, thing_count), f_spec = result
    assert lib_ok and thing_ok and lib_count > 0 and thing_count > 0
    assert f_spec == "f(integer(), term(), keyword()) :: result(String.t())"
