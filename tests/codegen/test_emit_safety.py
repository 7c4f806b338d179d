"""Docstrings and names are data: arbitrary text cannot inject Elixir, and round-trips.

Hypothesis builds libraries from arbitrary identifiers and docstrings; each example is a
batch of libraries compiled in one real ``mix compile --warnings-as-errors`` (plus
``mix format --check-formatted``), then the docs and names are read back from the BEAM
and compared with what Python meant to write.
"""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from tests.codegen.elixir_harness import ElixirProject
from tests.codegen.fixtures import spec

from snakebridge.codegen import markdown, model, names
from snakebridge.codegen.emit import literals, render_library
from snakebridge.codegen.model import Param, ParamKind, Signature

NASTY = [
    '"""',
    '\\"""\n"""\nend\ndefmodule X do',
    "#{System.halt(1)}",
    "\\#{x}",
    "\\",
    "\\\\n",
    "\x00",
    "a\x00b",
    '~S"""\n"""',
    "\r\n",
    "\r",
    "line  ",
    "\t",
    "\u202e evil \u202c",
    "\u2028",
    "é ñ 日本",
    "'''",
    "`",
    "```",
    "@doc false",
    "end",
    "# comment",
    "\ufeff",
]

texts = st.one_of(st.sampled_from(NASTY), st.text(max_size=60))
identifiers = st.one_of(
    st.sampled_from(
        [
            "end",
            "do",
            "fn",
            "N",
            "S",
            "__call__",
            "py_x",
            "π",
            "doc",
            "new",
            "module_info",
            "nil",
            "when",
            "_",
            "a b",
            "x-y",
            "1st",
            "ünï",
        ]
    ),
    st.text(min_size=1, max_size=12),
)


@st.composite
def libraries(draw: st.DrawFn, index: int) -> model.Library:
    fn_names = draw(st.lists(identifiers, min_size=1, max_size=4, unique=True))
    functions = []
    for name in fn_names:
        params = draw(st.lists(identifiers, max_size=3, unique=True))
        functions.append(
            model.Function(
                name=name,
                qualname=name,
                module=f"lib{index}",
                kind="function",
                signature=Signature(
                    tuple(Param(p, ParamKind.POSITIONAL_OR_KEYWORD) for p in params[:2])
                    + tuple(Param(p, ParamKind.KEYWORD_ONLY, True, draw(texts)) for p in params[2:])
                ),
                doc=model.Doc(raw=draw(texts), style="plain"),
            )
        )
    cls_name = draw(identifiers)
    # A Python class namespace holds one member per name, and the setter of attribute
    # ``x`` is ``put_x``: draw names that a real class could have without a clash.
    method_name, attr_name = draw(
        st.lists(identifiers, min_size=2, max_size=2, unique=True).filter(
            lambda pair: names.function_name(pair[0]) != "put_" + names.function_name(pair[1])
        )
    )
    cls = model.Class(
        name=cls_name,
        qualname=cls_name,
        module=f"lib{index}",
        constructor=Signature((Param(draw(identifiers), ParamKind.POSITIONAL_ONLY),)),
        doc=model.Doc(raw=draw(texts), style="plain", summary=draw(texts)),
        methods=(
            model.Function(
                name=method_name,
                qualname=f"{cls_name}.{method_name}",
                module=f"lib{index}",
                kind="method",
                signature=Signature((Param("self", ParamKind.POSITIONAL_ONLY),)),
                doc=model.Doc(
                    summary=draw(texts),
                    style="google",
                    params=(model.DocParam(draw(identifiers), draw(texts), draw(texts)),),
                ),
            ),
        ),
        attributes=(
            model.Attribute(
                attr_name, "property", writable=True, doc=model.Doc(raw=draw(texts), style="plain")
            ),
        ),
    )
    return model.Library(
        name=f"lib{index}",
        version=draw(texts),
        python_module=f"lib{index}",
        elixir_module=f"Hyp{index}",
        root=model.Module(
            name=f"lib{index}",
            doc=model.Doc(raw=draw(texts), style="plain"),
            functions=tuple(functions),
            classes=(cls,),
        ),
    )


BATCH = 6
# Every example is a real Mix compile: shrinking would take minutes, and the failing
# example is printed whole anyway.
NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]
SLOW_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(
    max_examples=4, deadline=None, derandomize=True, phases=NO_SHRINK, suppress_health_check=SLOW_OK
)
@given(st.tuples(*[libraries(i) for i in range(BATCH)]))
def test_arbitrary_names_and_docs_compile_and_round_trip(
    elixir_project: ElixirProject, libs: tuple[model.Library, ...]
) -> None:
    files = {}
    for lib in libs:
        lib_spec = spec(lib.name, lib.elixir_module)
        files[f"{lib.name}.ex"] = render_library(lib, lib_spec, tool_version="0.1.0").source
    elixir_project.check(files)
    back = elixir_project.evaluate(
        f"for i <- 0..{BATCH - 1}, into: %{{}} do\n"
        '  mod = Module.concat(["Hyp#{i}"])\n'
        "  {i, Enum.map(mod.__functions__(), &{&1.name, &1.python_name, mod.doc(&1.name)})}\n"
        "end"
    )
    assert isinstance(back, dict)
    for i, lib in enumerate(libs):
        got = {python_name: (name, doc) for name, python_name, doc in back[i]}
        assert set(got) == {f.name for f in lib.root.functions}
        for fn in lib.root.functions:
            name, doc = got[fn.name]
            assert name == names.function_name(fn.name)
            assert names.python_name(name) == fn.name
            expected = markdown.render_doc(fn.doc)
            assert doc.startswith(expected), (fn.doc.raw, doc)


@settings(
    max_examples=3, deadline=None, derandomize=True, phases=NO_SHRINK, suppress_health_check=SLOW_OK
)
@given(st.lists(texts, min_size=20, max_size=20))
@example(NASTY[:20])
def test_literals_round_trip_exactly(elixir_project: ElixirProject, values: list[str]) -> None:
    lines = ["defmodule LiteralCheck do", '  @moduledoc "Round trip."', ""]
    for k, value in enumerate(values):
        lines += [
            f"  @doc {literals.heredoc(value, '  ')}",
            f"  def s{k}, do: {literals.string(value)}",
            "",
        ]
    lines[-1] = "end"
    # Hand-laid test module (long one-line strings): compiled, not format-checked.
    elixir_project.check({"literal_check.ex": "\n".join(lines) + "\n"}, formatted=False)
    back = elixir_project.evaluate(
        "{:docs_v1, _, _, _, _, _, docs} = Code.fetch_docs(LiteralCheck)\n"
        f"for k <- 0..{len(values) - 1} do\n"
        '  name = String.to_atom("s#{k}")\n'
        '  doc = Enum.find_value(docs, fn {{:function, ^name, 0}, _, _, %{"en" => t}, _} -> t;'
        " _ -> nil end)\n"
        "  {apply(LiteralCheck, name, []), doc}\n"
        "end"
    )
    assert back == [(v, v + "\n") for v in values]


def test_surrogates_are_the_only_lossy_case() -> None:
    assert literals.string("\ud800") == '"\\u{FFFD}"'
    assert dataclasses.is_dataclass(model.Doc)
