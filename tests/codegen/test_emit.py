"""The emitter on hand-built models: shape of the output, compiled by the real Elixir."""

from __future__ import annotations

import dataclasses
import re

import pytest
from tests.codegen.elixir_harness import ElixirProject
from tests.codegen.fixtures import numpy_like, spec

from snakebridge.codegen import model
from snakebridge.codegen.emit import GenerationError, render_library
from snakebridge.codegen.emit.shape import MAX_VARARGS
from snakebridge.codegen.model import Param, ParamKind, Signature


def render(**kw: object) -> str:
    return render_library(numpy_like(), spec(**kw), tool_version="0.1.0").source


def test_compiles_clean_formats_clean_and_discovers(elixir_project: ElixirProject) -> None:
    source = render(streaming=("mean",), idempotent=("mean",))
    elixir_project.check({"numpy.ex": source})
    result = elixir_project.evaluate(
        """
        %{
          functions: Enum.map(Numpy.__functions__(), &{&1.name, &1.arities, &1.python}),
          classes: Enum.map(Numpy.__classes__(), & &1.module),
          search: Enum.map(Numpy.__search__("SOLVE"), &{&1.module, &1.name}),
          doc: Numpy.doc(:mean),
          doc_by_python_name: Numpy.doc("N"),
          missing: Numpy.doc(:nope),
          exported: Enum.sort(Numpy.Ndarray.__info__(:functions)),
          linalg: Numpy.Linalg.__info__(:functions) |> Enum.sort(),
          # Rejected by the runtime before anything is sent (no pool needed): proves the
          # keyword list reached it as opts, also as the trailing argument of *args.
          color: Enum.sort(Numpy.Color.__info__(:functions)),
          helper: Enum.sort(Numpy.Helper.__info__(:functions)),
          asscalar_doc: Numpy.doc(:asscalar),
          bad_kw: Numpy.mean([1.0], bogus: 1),
          varargs_kw: Numpy.Ndarray.reshape(:not_a_ref, 2, 3, bogus: 1),
          search_docs: Enum.map(Numpy.__search__("arithmetic"), & &1.name)
        }
        """
    )
    assert isinstance(result, dict)
    assert result["functions"] == [
        ("add", [2, 3, 4], "numpy.add"),
        ("asscalar", [1, 2], "numpy.asscalar"),
        ("ix_", list(range(MAX_VARARGS + 2)), "numpy.ix_"),
        ("mean", [1, 2, 3, 4], "numpy.mean"),
        ("pi", [0, 1], "numpy.pi"),
        ("py_N", [1, 2, 3], "numpy.N"),
        ("py_end", list(range(MAX_VARARGS + 2)), "numpy.end"),
    ]
    assert result["classes"] == [
        "Elixir.Numpy.Color",
        "Elixir.Numpy.Helper",
        "Elixir.Numpy.Ndarray",
    ]
    assert ("py_RED", 0) in result["color"] and ("new", 1) in result["color"]
    assert ("make", 1) in result["helper"] and ("new", 0) not in result["helper"]
    assert result["asscalar_doc"].startswith("> **Deprecated:** Use a.item() instead.")
    assert "the library's type stubs" in result["asscalar_doc"]
    assert "asscalar(a)" in result["asscalar_doc"]
    assert result["search"] == [("Elixir.Numpy.Linalg", "solve")]
    assert result["doc"].startswith("Compute the arithmetic mean along the specified axis.\n")
    assert "## Parameters" in result["doc"] and "```python\n>>> a = np.array" in result["doc"]
    assert "N(expr, n=15)" in result["doc_by_python_name"]
    assert result["missing"] is None
    exported = dict.fromkeys(f"{n}/{a}" for n, a in result["exported"])
    for fa in (
        "new/1",
        "new/2",
        "new!/2",
        "tolist/1",
        "tolist!/2",
        "reshape/1",
        f"reshape/{MAX_VARARGS + 2}",  # ref, each *shape argument, opts
        "fromfile/1",
        "shape/1",
        "put_shape/2",
        "put_shape/3",
        "ndim/2",
    ):
        assert fa in exported, fa
    assert f"reshape/{MAX_VARARGS + 3}" not in exported
    assert "put_ndim/2" not in exported  # read-only property: no setter
    assert ("solve", 2) in result["linalg"] and ("solve!", 3) in result["linalg"]
    for key in ("bad_kw", "varargs_kw"):
        tag, error = result[key]
        assert tag == "error" and error["type"] == "bad_argument", result[key]
        assert "bogus" in error["message"]
    assert "axis, dtype, keepdims" in result["bad_kw"][1]["message"]
    assert "order" in result["varargs_kw"][1]["message"]
    assert result["search_docs"] == ["mean"]


def descriptor(source: str, name: str) -> str:
    """The descriptor map in the runtime call of ``def name``."""
    match = re.search(rf"  def {re.escape(name)}\b.*?%\{{\n(.*?)\n\s*\}}", source, re.S)
    assert match, name
    return match.group(1)


def runtime_call(fun: str, args: str) -> str:
    """``SnakeBridge.Runtime.<fun>(<first>, %{...}, <args>)`` in ``flat`` source: a regex."""
    head, _, rest = args.partition("@D, ")
    return re.escape(f"SnakeBridge.Runtime.{fun}({head}") + r"%\{[^}]*\}, " + re.escape(rest)


def flat(source: str) -> str:
    """The source with line breaks inside calls and heads joined (layout-independent)."""
    return re.sub(r"\(\n\s*", "(", re.sub(r",\n\s*", ", ", re.sub(r"\n\s*\)", ")", source)))


def test_descriptors_follow_the_argument_rules() -> None:
    source = render(idempotent=("mean",), streaming=("mean",))
    code = flat(source)
    mean = descriptor(source, "mean")
    assert 'kwargs: ["a", "axis", "dtype", "keepdims"]' in mean and "idempotent: true" in mean
    assert "call_type: :stream" in descriptor(source, "mean_stream")
    assert 'positional: ["a", "axis", "dtype"]' in mean and "required: 1," in mean
    add = descriptor(source, "add")  # ufunc: positional-only out, also by position
    assert 'positional_only: ["out"]' in add and 'kwargs: ["where"]' in add
    assert 'positional: ["x1", "x2", "out"]' in add and "required: 2," in add
    unset = ":__python_default__"
    # optional positionals and *args: one def per variant, the arities as defaults
    assert f"def add(x1, x2, out \\\\ {unset}, opts \\\\ {unset}) do" in source
    assert re.search(runtime_call("varargs", ":call, @D, [x1, x2], [out, opts])"), code)
    assert source.count("  def add(") == 1 and source.count("  def add!(") == 1
    end = descriptor(source, "py_end")
    assert "kwargs: :any" in end and "varargs: true" in end  # fallback signature
    extras = ", ".join(f"arg{k} \\\\ {unset}" for k in range(1, MAX_VARARGS + 1))
    assert f"def py_end({extras}, opts \\\\ {unset}) do" in code
    args = ", ".join(f"arg{k}" for k in range(1, MAX_VARARGS + 1))
    assert re.search(runtime_call("varargs", f":call, @D, [], [{args}, opts])"), code)
    reshape = descriptor(source, "reshape")
    assert "call_type: :method" in reshape and 'function: "ndarray.reshape"' in reshape
    assert re.search(runtime_call("varargs", f":call!, @D, [ref], [{args}, opts])"), code)
    assert "call_type: :new" in descriptor(source, "new")
    assert f"def new(shape, dtype \\\\ {unset}, opts \\\\ {unset}) do" in source  # self dropped
    assert "call_type: :set_attr" in descriptor(source, "put_shape")
    assert 'function: "ndarray.fromfile"' in descriptor(source, "fromfile")
    assert "@type t :: SnakeBridge.Ref.t()" in source
    assert "@spec solve(term(), term(), keyword()) :: result(Numpy.Ndarray.t())" in source
    assert "@spec tolist!(t(), keyword()) :: list()" in source


def test_header_names_versions_and_no_timestamp() -> None:
    source = render()
    first = source.split("\n", 1)[0]
    assert first == "# Generated by SnakeBridge 0.1.0 from numpy 2.4.6 (Python module numpy)."
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}", source)


def test_generated_name_collision_fails_naming_both_and_the_fix() -> None:
    lib = numpy_like()
    extra = model.Function(
        name="mean_stream",
        qualname="mean_stream",
        module="numpy",
        kind="function",
        signature=Signature((Param("a", ParamKind.POSITIONAL_OR_KEYWORD),)),
    )
    root = lib.root
    lib = model.Library(
        lib.name,
        lib.version,
        lib.python_module,
        lib.elixir_module,
        model.Module(
            root.name,
            root.doc,
            (*root.functions, extra),
            root.classes,
            root.attributes,
            root.submodules,
        ),
    )
    with pytest.raises(GenerationError) as err:
        render_library(lib, spec(streaming=("mean",)), tool_version="0.1.0")
    message = str(err.value)
    assert "Numpy.mean_stream" in message
    assert "numpy.mean_stream" in message and "numpy.mean" in message
    assert "exclude:" in message and "streaming:" in message


def test_module_collision_fails_naming_both() -> None:
    lib = numpy_like()
    root = lib.root
    twin = model.Module(name="numpy.Linalg")
    lib = model.Library(
        lib.name,
        lib.version,
        lib.python_module,
        lib.elixir_module,
        model.Module(
            root.name,
            root.doc,
            root.functions,
            root.classes,
            root.attributes,
            (*root.submodules, twin),
        ),
    )
    with pytest.raises(
        GenerationError,
        match=r"numpy\.Linalg.*numpy\.linalg|numpy\.linalg.*"
        r"numpy\.Linalg",
    ):
        render_library(lib, spec(), tool_version="0.1.0")


def test_discovery_function_names_are_exported_and_generated() -> None:
    from snakebridge.codegen.names import DISCOVERY_FUNCTIONS

    source = render()
    for name in DISCOVERY_FUNCTIONS:
        assert f"  def {name}" in source


def test_symbol_texts_read_back_exactly_what_each_checksum_hashed() -> None:
    import hashlib

    from snakebridge.codegen.emit import symbol_texts

    lib = numpy_like()
    # A docstring that looks like layout (a descriptor head, the tail comment, `end`)
    # must not move any boundary: heredoc bodies are data.
    fake = (
        "Looks like code.\n\n  # mean binds Python numpy.mean\n\n# Discovery: answered "
        "offline from this module's data, by SnakeBridge.Discovery.\nend\n"
    )
    first = dataclasses.replace(lib.root.functions[0], doc=model.Doc(raw=fake, style="plain"))
    lib = dataclasses.replace(
        lib, root=dataclasses.replace(lib.root, functions=(first, *lib.root.functions[1:]))
    )
    rendered = render_library(lib, spec(streaming=("mean", "ix_")), tool_version="0.1.0")
    assert "  def mean_stream(" in rendered.source and "  def ix__stream(" in rendered.source
    texts = symbol_texts(rendered.source)
    assert set(texts) == {(s.elixir_module, s.name) for s in rendered.symbols}
    for symbol in rendered.symbols:
        text = texts[(symbol.elixir_module, symbol.name)]
        assert hashlib.sha256(text.encode()).hexdigest() == symbol.checksum, symbol.name

    # A hand edit changes exactly that symbol's text; a deleted symbol is absent.
    edited = rendered.source.replace('function: "mean",', 'function:  "mean",', 1)
    after = symbol_texts(edited)
    changed = {key for key in texts if after.get(key) != texts[key]}
    assert changed == {("Numpy", "mean")}
    start = rendered.source.index("  # solve binds Python")
    end = rendered.source.index("\n\n", rendered.source.index("def solve!(")) + 1
    assert ("Numpy.Linalg", "solve") not in symbol_texts(
        rendered.source[:start] + rendered.source[end:]
    )


def test_overloads_are_valid_python_deduplicated_and_stub_defaults_shown() -> None:
    from snakebridge.codegen.emit.document import python_signature

    stub = Signature(
        (
            Param("a", ParamKind.POSITIONAL_OR_KEYWORD),
            Param("axis", ParamKind.POSITIONAL_OR_KEYWORD, True, "None"),
            Param("keepdims", ParamKind.POSITIONAL_OR_KEYWORD, True, None),
            Param("where", ParamKind.KEYWORD_ONLY, True, None),
        )
    )
    assert python_signature("mean", stub) == "mean(a, axis=None, keepdims=..., *, where=...)"
    lib = numpy_like()
    fn = dataclasses.replace(
        lib.root.functions[1],
        overloads=(stub, stub, dataclasses.replace(stub, params=stub.params[:2])),
    )
    assert fn.name == "mean"
    lib = dataclasses.replace(
        lib,
        root=dataclasses.replace(
            lib.root, functions=(lib.root.functions[0], fn, *lib.root.functions[2:])
        ),
    )
    source = render_library(lib, spec(), tool_version="0.1.0").source
    overloads = source.split("Other forms declared by the library (each is accepted):", 1)[1]
    block = overloads.split("```python\n", 1)[1].split("```", 1)[0]
    assert block.split("\n")[:2] == [
        "  mean(a, axis=None, keepdims=..., *, where=...)",
        "  mean(a, axis=None)",
    ]
    assert "keepdims, " not in source
