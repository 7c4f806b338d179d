"""A plan → Elixir source text, laid out exactly as ``mix format`` would print it.

Every wrapper is one ``def`` per variant (``f``, ``f!``, ``f_stream``): its optional
arguments are default arguments, so the arities of a symbol share one body (each
extra arity is a one-line clause Elixir generates), and its ``@doc`` and ``@spec``
are written once; the ``@spec``s of a module sit together in its typespec block
(``spec_block``), one group per symbol, so that they are one module-body statement.
A flexible wrapper (``shape.CallShape.flexible``) defaults every argument after the
required ones to :data:`PYTHON_DEFAULT` and hands them to
``SnakeBridge.Runtime.varargs/4``, where ``SnakeBridge.Runtime.Args`` drops the
trailing defaults and takes a trailing keyword list as ``opts``; any other wrapper
ends in ``opts \\\\ []`` and calls ``SnakeBridge.Runtime.call/3`` directly. The call's
descriptor is a map literal in that call.

Layout inside a module: moduledoc, types, discovery data (``@sb_*``), the symbols
(each from its first line, ``readback.SYMBOL_MARK`` or ``readback.EXCEPTION_MARK``, to
the blank line before the next one: the shape ``readback.symbol_texts`` reads), then
``readback.TAIL``, the discovery functions and the typespec block.
"""

from __future__ import annotations

from snakebridge.codegen import names
from snakebridge.codegen.emit import layout, literals
from snakebridge.codegen.emit.plan import Context, Module, Wrapper
from snakebridge.codegen.emit.readback import (
    EXCEPTION_MARK,
    PROMOTED_MARK,
    SPEC_BLOCK_HEAD,
    SPEC_BLOCK_TAIL,
    SPEC_GROUP_MARK,
    SPEC_INDENT,
    SYMBOL_MARK,
    TAIL,
)

RESULT_TYPE = "result"
# What an argument left out is, until SnakeBridge.Runtime.Args drops it: Python's own
# default applies. The same atom is @python_default in Args.
PYTHON_DEFAULT = ":__python_default__"

# Compiler passes skipped for generated modules. A wrapper only builds two lists and makes
# one remote call, so the SSA optimizations (type inference over thousands of small
# functions, binary matching, boolean, receive and sharing passes) find nothing to
# improve, yet cost about an eighth of the compile time of a large module. Elixir
# compiles its own module bodies with `no_ssa_opt` for the same reason.
COMPILE_OPTIONS = (
    "no_ssa_opt",
    "no_bsm_opt",
    "no_bool_opt",
    "no_share_opt",
    "no_recv_opt",
    "no_throw_opt",
)

COMPILE_LINE = "  @compile [" + ", ".join(f":{o}" for o in COMPILE_OPTIONS) + "]"

# (name suffix, runtime function, return type given the value's type)
_VARIANTS: tuple[tuple[str, str, str], ...] = (
    ("", "call", f"{RESULT_TYPE}({{}})"),
    (names.BANG, "call!", "{}"),
    (names.STREAM_SUFFIX, "stream", "Enumerable.t()"),
)


def descriptor(ctx: Context, w: Wrapper, call_type: str) -> layout.Block:
    """The call's descriptor: a map literal written into the runtime call itself (a
    module attribute per descriptor would add a statement to the module body, whose
    compile cost grows faster than linearly with its statements)."""
    ind = _ARG_INDENT + "  "
    call = w.shape
    kwargs = (
        [f"{ind}kwargs: :any,"]
        if call.kwargs is None
        else layout.keyword_list_entry(
            "kwargs", [literals.string(k) for k in call.kwargs], ind, ","
        )
    )
    entries = [
        [f"{ind}call_type: :{call_type},"],
        layout.keyword_entry("library", literals.string(ctx.spec.name), ind, ","),
        layout.keyword_entry("python_module", literals.string(w.python_module), ind, ","),
        layout.keyword_entry("function", literals.string(w.function), ind, ","),
        kwargs,
    ]
    if w.kind not in ("attribute", "property", "setter", "class_value"):
        strings = [literals.string(k) for k in call.positional_names]
        entries += [
            layout.keyword_list_entry("positional", strings, ind, ","),
            [f"{ind}required: {len(call.required)},"],
            layout.keyword_list_entry(
                "positional_only", [literals.string(k) for k in call.positional_only], ind, ","
            ),
            [f"{ind}varargs: {'true' if call.rest is not None else 'false'},"],
        ]
    entries.append([f"{ind}idempotent: {'true' if w.idempotent else 'false'}"])
    return layout.Block(tuple(layout.multiline_map(entries, _ARG_INDENT)))


# Where the arguments of the runtime call in a wrapper's body start.
_ARG_INDENT = "      "


def wrapper_text(ctx: Context, module: str, w: Wrapper) -> tuple[str, list[str]]:
    """The symbol's text (its variants' docs and definitions) and its ``@spec`` lines,
    which go in the module's typespec block (``spec_block``)."""
    call = w.shape
    # Required parameters after the first of the trailing run Python takes by name default
    # too (the arities down to `min_arity` share the body), and `opts` defaults to the
    # left-out marker, so that Args tells an `opts` given at the full arity (every
    # argument what it stands for) from one left out (the last argument may be `opts`).
    named = call.by_keyword
    cut = len(w.params) - max(named - 1, 0)
    required = [*w.params[:cut], *(f"{p} \\\\ {PYTHON_DEFAULT}" for p in w.params[cut:])]
    if call.flexible:
        taken = set(w.params) | {"opts"}
        extras = [names.variable_name(n, taken) for n in call.optional]
        if call.rest is not None:
            extras += [
                names.variable_name(f"arg{k}", taken) for k in range(1, call.extra - len(extras))
            ]
        extras.append("opts")
        params = [*required, *(f"{e} \\\\ {PYTHON_DEFAULT}" for e in extras)]
        last = "term()" if call.rest is not None else "keyword()"
        types = [*w.param_types, *["term()"] * (len(extras) - 1), last]
    else:
        extras = []
        params = [*required, f"opts \\\\ {PYTHON_DEFAULT if named else '[]'}"]
        types = [*w.param_types, "keyword()"]
    full = f"{w.name}/{len(params)}"
    out = [SYMBOL_MARK.format(name=w.name, python=literals.comment_safe(w.python))]
    specs = [SPEC_GROUP_MARK.format(name=w.name)]
    origin = ctx.promoted.get(f"{module}.{w.name}")
    if origin is not None:
        out.append(PROMOTED_MARK.format(origin=origin))
    descriptors: dict[str, layout.Block] = {}  # by call type: the variants share one
    for suffix, fun, returns in _VARIANTS:
        if suffix == names.STREAM_SUFFIX and not w.streaming:
            continue
        name = w.name + suffix
        call_type = "stream" if suffix == names.STREAM_SUFFIX else w.call_type
        desc = descriptors.get(call_type)
        if desc is None:
            desc = descriptors[call_type] = descriptor(ctx, w, call_type)
        if suffix:
            out.append("")
        if not suffix:
            doc = w.doc
        elif suffix == names.BANG:
            doc = f"Like `{full}`, but returns the value or raises `SnakeBridge.Error`."
        else:
            doc = (
                f"Like `{full}`, but returns an Elixir `Stream` over the items the "
                f"Python call yields (`{w.python}` is declared in `streaming:`). Items are "
                "fetched lazily as the stream is consumed; errors raise `SnakeBridge.Error`."
            )
        out.append("  @doc " + literals.heredoc(doc, "  "))
        specs += layout.spec(name, types, returns.format(w.returns), SPEC_INDENT)
        out += layout.def_head("def", name, params)
        if call.flexible:
            out += layout.call(
                "SnakeBridge.Runtime.varargs",
                [
                    f":{fun}",
                    desc,
                    layout.ListArg(tuple(w.params)),
                    layout.ListArg(tuple(extras)),
                ],
            )
        else:
            out += layout.call(
                f"SnakeBridge.Runtime.{fun}", [desc, layout.ListArg(tuple(w.params)), "opts"]
            )
        out.append("  end")
    return "\n".join(out), specs


def spec_block(groups: list[list[str]]) -> list[str]:
    """The module's ``@spec``s as one statement of the module body, grouped by symbol
    (each group starts with ``readback.SPEC_GROUP_MARK``). Written one ``@spec`` per
    statement, each would be one more statement, and compiling a module body costs time
    quadratic in its statements (bench/generate/README.md): a third of a large module's
    statements were specs. ``Code.Typespec`` and ``h`` see the same specs."""
    out = [*SPEC_BLOCK_HEAD]
    for k, group in enumerate(groups):
        if k:
            out.append("")
        out += group
    return [*out, *SPEC_BLOCK_TAIL]


def _metadata(mod: Module) -> list[str]:
    out: list[str] = []
    entries = []
    for w in mod.wrappers:
        entries.append(
            [
                f"      name: {literals.atom(w.name)},",
                *layout.keyword_list_entry("arities", [str(a) for a in w.arities], "      ", ","),
                *layout.keyword_entry("python", literals.string(w.python), "      ", ","),
                *layout.keyword_entry("python_name", literals.string(w.python_name), "      ", ","),
                f"      kind: :{w.kind},",
                f"      streaming: {'true' if w.streaming else 'false'},",
                *layout.keyword_entry("summary", literals.string(w.summary), "      ", ""),
            ]
        )
    out += _attr_list("sb_functions", entries)
    classes = []
    for module, python, summary in mod.classes:
        classes.append(
            [
                f"      module: {module},",
                *layout.keyword_entry("python", literals.string(python), "      ", ","),
                *layout.keyword_entry("summary", literals.string(summary), "      ", ""),
            ]
        )
    out += _attr_list("sb_classes", classes)
    if mod.nested:
        out.append("  @sb_nested [")
        out += [f"    {n}," for n in mod.nested[:-1]] + [f"    {mod.nested[-1]}"]
        out.append("  ]")
    else:
        out.append("  @sb_nested []")
    return out


def _attr_list(attr: str, maps: list[list[str]]) -> list[str]:
    if not maps:
        return [f"  @{attr} []"]
    out = [f"  @{attr} ["]
    for k, entry in enumerate(maps):
        out.append("    %{")
        out += entry
        out.append("    }" + ("," if k < len(maps) - 1 else ""))
    out.append("  ]")
    return out


_DISCOVERY = '''  # The data reaches the functions below as binaries: a literal list of maps in a
  # function body costs Elixir's type inference time quadratic in its length (a tenth
  # of a large module's compile).
  @sb_functions_etf :erlang.term_to_binary(@sb_functions)
  @sb_classes_etf :erlang.term_to_binary(@sb_classes)

  @doc """
  The functions this module wraps: Elixir name, arities, Python name, kind and summary.

  Bang (`name!`) and streaming (`name_stream`) variants are not listed separately.
  """
  @spec __functions__() :: [map()]
  def __functions__, do: :erlang.binary_to_term(@sb_functions_etf)

  @doc """
  The Python classes wrapped under this module, each its own Elixir module.
  """
  @spec __classes__() :: [map()]
  def __classes__, do: :erlang.binary_to_term(@sb_classes_etf)

  @doc """
  Searches Elixir names, Python names and summaries of the functions of this module and
  of the modules nested under it, case-insensitively, offline.
  """
  @spec __search__(String.t()) :: [map()]
  def __search__(query), do: SnakeBridge.Discovery.search(__MODULE__, @sb_nested, query)

  @doc """
  The Markdown documentation of one generated function, by Elixir or Python name.

  Returns `nil` when this module generated no such function.
  """
  @spec doc(atom() | String.t()) :: String.t() | nil
  def doc(name), do: SnakeBridge.Discovery.doc(__MODULE__, name)'''


def exception_text(mod: Module) -> str:
    """The exception symbol of a class module named as an exception: the contract
    ``SnakeBridge.Error`` documents for generated exception modules."""
    return "\n".join(
        [
            EXCEPTION_MARK.format(python=literals.comment_safe(mod.exception[0])),
            "  defexception [:message, :error]",
            "",
            "  @impl true",
            "  def exception(opts), do: struct!(__MODULE__, "
            "SnakeBridge.Error.exception_fields(opts))",
        ]
    )


def registry_text(ctx: Context, registry: dict[str, str]) -> str:
    """``SnakeBridge.Exceptions.<root module>``: the generated exception modules of this
    library by Python class, which ``SnakeBridge.Error`` reads to choose what to raise."""
    root = ctx.spec.module_name or ctx.library.elixir_module
    entries = []
    for k, (python, module) in enumerate(sorted(registry.items())):
        comma = "," if k < len(registry) - 1 else ""
        line = f"    {literals.string(python)} => {module}{comma}"
        entries.append(
            [line]
            if layout.fits(line)
            else [f"    {literals.string(python)} =>", f"      {module}{comma}"]
        )
    doc = (
        f"The exception modules generated for library `{ctx.spec.name}`, by the Python "
        "class each is raised for. `SnakeBridge.Error` reads it to choose the exception a "
        "bang variant raises."
    )
    table = layout.multiline_map(entries, "  ")
    table[0] = "  @modules %{"
    modules = sorted(registry.values())
    mro_entries = []
    for k, module in enumerate(modules):
        comma = "," if k < len(modules) - 1 else ""
        classes = [literals.string(c) for c in ctx.modules[module].exception]
        line = f"    {module} => [{', '.join(classes)}]{comma}"
        mro_entries.append(
            [line]
            if layout.fits(line)
            else [
                f"    {module} => [",
                *(f"      {c}," for c in classes[:-1]),
                f"      {classes[-1]}",
                f"    ]{comma}",
            ]
        )
    mro_table = layout.multiline_map(mro_entries, "  ")
    mro_table[0] = "  @mro %{"
    return "\n".join(
        [
            f"defmodule {names.exception_registry(root)} do",
            "  @moduledoc " + literals.heredoc(doc, "  "),
            "",
            *table,
            "",
            '  @doc "Python exception class -> the exception module generated for it."',
            "  @spec __exceptions__() :: %{String.t() => module()}",
            "  def __exceptions__, do: @modules",
            "",
            *mro_table,
            "",
            "  @doc "
            + literals.heredoc(
                "Generated exception module -> its Python MRO, most specific first (the "
                "names `SnakeBridge.Error` `mro` uses). `SnakeBridge.Error.family/1` reads "
                "it at compile time.",
                "  ",
            ),
            "  @spec __exception_mro__() :: %{module() => [String.t()]}",
            "  def __exception_mro__, do: @mro",
            "end",
        ]
    )


def module_text(ctx: Context, mod: Module) -> tuple[str, list[tuple[str, str]]]:
    out = [f"defmodule {mod.name} do", "  @moduledoc " + literals.heredoc(mod.doc, "  "), ""]
    out += [COMPILE_LINE, ""]
    if mod.is_class:
        out.append(
            "  @typedoc "
            + literals.heredoc(f"A ref to an instance of the Python class `{mod.python}`.", "  ")
        )
        out.append("  @type t :: SnakeBridge.Ref.t()")
        out.append("")
    out.append('  @typedoc "A call\'s outcome: the value, or the Python error as a struct."')
    out.append(
        f"  @type {RESULT_TYPE}(value) :: {{:ok, value}} | {{:error, SnakeBridge.Error.t()}}"
    )
    out.append("")
    out += _metadata(mod)
    # Each symbol's text runs from its first line (a descriptor, or the exception mark)
    # to the blank line before the next symbol or before the tail (discovery functions,
    # helpers): the shape `symbol_texts` reads back. Returned by Elixir name.
    # A symbol's checksum covers its text and its group of specs (``readback`` reads the
    # two back the same way).
    rendered: list[tuple[str, str]] = []
    if mod.exception:
        rendered.append((names.EXCEPTION_FUNCTION, exception_text(mod)))
        out += ["", rendered[-1][1]]
    groups: list[list[str]] = []
    for w in mod.wrappers:
        wtext, specs = wrapper_text(ctx, mod.name, w)
        out += ["", wtext]
        groups.append(specs)
        rendered.append((w.name, wtext + "\n" + "\n".join(specs)))
    out.append("")
    out.append(TAIL)
    out.append(_DISCOVERY)
    if groups:
        out.append("")
        out += spec_block(groups)
    out.append("end")
    return "\n".join(out), rendered
