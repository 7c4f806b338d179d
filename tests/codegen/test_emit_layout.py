"""Line-length edge cases: long names, many parameters, long keyword lists and paths.

The emitter writes already-formatted code by reproducing the formatter's line shapes
(``emit/layout.py``); these libraries push every shape across the 98-column boundary
and the real ``mix format --check-formatted`` judges the result.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.codegen.elixir_harness import ElixirProject
from tests.codegen.fixtures import spec
from tests.codegen.test_emit_safety import NO_SHRINK, SLOW_OK

from snakebridge.codegen import model
from snakebridge.codegen.emit import render_library
from snakebridge.codegen.model import Param, ParamKind, Signature, TypeKind, TypeRef

ident = st.from_regex(r"[a-z][a-z0-9_]{0,70}", fullmatch=True)
long_type = TypeRef(
    TypeKind.UNION,
    (TypeRef(TypeKind.INT), TypeRef(TypeKind.FLOAT), TypeRef(TypeKind.STR), TypeRef(TypeKind.NONE)),
)
types = st.sampled_from(
    [
        None,
        long_type,
        TypeRef(TypeKind.LIST, (long_type,)),
        TypeRef(TypeKind.DICT, (TypeRef(TypeKind.STR), long_type)),
    ]
)


@st.composite
def function(draw: st.DrawFn, module: str) -> model.Function:
    name = draw(ident)
    required = draw(st.lists(ident, max_size=7, unique=True))
    keywords = draw(
        st.lists(ident, max_size=8, unique=True).map(
            lambda ks: [k for k in ks if k not in required]
        )
    )
    params = [Param(p, ParamKind.POSITIONAL_OR_KEYWORD, annotation=draw(types)) for p in required]
    if draw(st.booleans()):
        params.append(Param("args", ParamKind.VAR_POSITIONAL))
    params += [Param(k, ParamKind.KEYWORD_ONLY, True, "None") for k in keywords]
    return model.Function(
        name=name,
        qualname=name,
        module=module,
        kind="function",
        signature=Signature(tuple(params), returns=draw(types)),
        doc=model.Doc(summary=draw(st.text(max_size=300)), style="numpydoc"),
    )


@st.composite
def library(draw: st.DrawFn, index: int) -> tuple[model.Library, tuple[str, ...]]:
    long_module = f"lib{index}." + ".".join(draw(st.lists(ident, min_size=1, max_size=3)))
    functions = draw(
        st.lists(function(f"lib{index}"), min_size=4, max_size=10, unique_by=lambda f: f.name)
    )
    nested = draw(
        st.lists(function(long_module), min_size=1, max_size=5, unique_by=lambda f: f.name)
    )
    # Shapes random draws rarely reach: a broken argument list with a ``| args`` tail,
    # string values (module path, summary) too long for their ``key: value`` line.
    edge_params = (
        *(Param(f"parameter_number_{k}", ParamKind.POSITIONAL_OR_KEYWORD) for k in range(8)),
        Param("rest", ParamKind.VAR_POSITIONAL),
    )
    deep = f"lib{index}." + ".".join(["a_rather_long_module_segment_name"] * 3)
    edge = model.Function(
        name="edge_" + "x" * 40,
        qualname="edge_" + "x" * 40,
        module=deep,
        kind="function",
        signature=Signature(edge_params),
        doc=model.Doc(summary="A summary " + "that goes on " * 12 + ".", style="numpydoc"),
    )
    functions = [f for f in functions if f.name != edge.name] + [edge]
    streaming = tuple(f.name for f in functions[:3])
    lib = model.Library(
        name=f"lib{index}",
        version="1.0",
        python_module=f"lib{index}",
        elixir_module=f"Lay{index}",
        root=model.Module(
            name=f"lib{index}",
            functions=tuple(functions),
            submodules=(model.Module(name=long_module, functions=tuple(nested)),),
        ),
    )
    return lib, streaming


@settings(
    max_examples=6, deadline=None, derandomize=True, phases=NO_SHRINK, suppress_health_check=SLOW_OK
)
@given(st.tuples(*[library(i) for i in range(2)]))
def test_long_shapes_are_formatted(
    elixir_project: ElixirProject, libs: tuple[tuple[model.Library, tuple[str, ...]], ...]
) -> None:
    files = {}
    for lib, streaming in libs:
        lib_spec = spec(lib.name, lib.elixir_module, streaming=streaming)
        files[f"{lib.name}.ex"] = render_library(lib, lib_spec, tool_version="0.1.0").source
    elixir_project.check(files)
