"""The introspection model of one library → the text of ``lib/snakebridge_generated/<lib>.ex``.

Shape of the file: a header comment (tool and library version, no timestamp), then one
top-level ``defmodule`` per Python module and per class, sorted by Elixir module name
(``Numpy``, ``Numpy.Linalg``, ``Numpy.Ndarray``). Modules are written flat rather than
lexically nested so that no generated name can shadow an alias used by generated code.

Wrapper rules (documented for users in the moduledoc of every module, and here):

* Arguments. Required positional parameters (positional-only or positional-or-keyword,
  no default) become Elixir parameters, in order. Everything else is passed by name in
  the last parameter, ``opts \\\\ []``: optional positional-or-keyword and keyword-only
  parameters (required keyword-only ones too), ``**kwargs``, and optional
  positional-only parameters (listed in the descriptor's ``optional_positional``; the
  runtime moves them into place). Runtime options sit under ``opts[:snakebridge]``.
* Arities. Each Python callable gets exactly one wrapper ``f(p1, ..., pn, opts \\\\ [])``,
  so it accepts arities ``n`` and ``n + 1``; overloads are documented, not emitted.
  The one exception is ``*args`` (and callables with no real signature): the wrapper
  has one clause per arity from ``n`` to ``n + MAX_VARARGS + 1``, each extra Elixir
  argument is one more Python positional, and a trailing keyword list (``[]``
  included) is ``opts`` — so ``Sympy.diff(expr, x, y, evaluate: false)`` reads like
  Python. Each Elixir name belongs to exactly one Python symbol, whatever the arity:
  when two symbols meet on one name (after ``names.function_name``, or on a generated
  name such as ``put_x`` / ``x_stream``) generation fails, naming both and the
  ``exclude:`` entry that resolves it.
* Variants. ``f!`` returns the value or raises; ``f_stream`` (for names declared in
  ``streaming:``) returns an Elixir ``Stream``.
* Classes. ``new`` wraps the constructor; instance methods take the ref first; static
  and class methods are plain functions; attributes get a getter taking the ref and,
  when writable, ``put_<name>(ref, value)`` (``put_``, not ``set_``: Python classes
  often have ``set_<name>`` methods of their own, e.g. pandas ``DataFrame.set_index``);
  enum members are zero-arity getters; the module declares ``@type t`` for the refs.
* Discovery. Every module defines ``__functions__/0``, ``__classes__/0``,
  ``__search__/1`` and ``doc/1``, answered from data written into the module.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from snakebridge.codegen import markdown, model, names
from snakebridge.codegen.emit import layout, literals, typespecs
from snakebridge.codegen.model import ParamKind
from snakebridge.project import LibrarySpec

RESULT_TYPE = "result"
# A Python ``*args`` becomes up to this many extra Elixir parameters (one clause per
# arity). More than that: ``SnakeBridge.call/4``.
MAX_VARARGS = 8
MAX_OVERLOADS = 4


class GenerationError(ValueError):
    """The library cannot be rendered as asked; the message names the symbols and the fix."""


@dataclass(frozen=True)
class RenderedSymbol:
    elixir_module: str
    name: str
    arities: tuple[int, ...]
    python: str
    kind: str
    checksum: str


@dataclass(frozen=True)
class Rendered:
    source: str
    symbols: tuple[RenderedSymbol, ...]


# ------------------------------------------------------------------------- planning


@dataclass
class _Wrapper:
    name: str  # Elixir name
    python: str  # dotted Python path, for docs, metadata and the manifest
    python_name: str  # the bare Python name ("N"), for doc/1 lookups
    kind: str
    call_type: str
    python_module: str
    function: str
    params: list[str]  # Elixir variables of the required positionals (ref first)
    param_types: list[str]
    rest: str | None  # the Python *args name, when there is one (see MAX_VARARGS)
    kwargs: list[str] | None  # None: any keyword (real **kwargs or no real signature)
    optional_positional: list[str]
    idempotent: bool
    returns: str
    doc: str
    summary: str
    streaming: bool = False
    manifest: bool = True  # setters are recorded under their own name too

    @property
    def arity(self) -> int:
        """The smallest arity: the required positionals (ref included)."""
        return len(self.params)

    @property
    def arities(self) -> tuple[int, ...]:
        extra = MAX_VARARGS + 1 if self.rest else 1
        return tuple(range(self.arity, self.arity + extra + 1))


@dataclass
class _Module:
    name: str  # Elixir module
    python: str  # dotted Python module or class path
    doc: str  # moduledoc Markdown
    is_class: bool
    wrappers: list[_Wrapper] = field(default_factory=list)
    classes: list[tuple[str, str, str]] = field(default_factory=list)  # (module, python, summary)
    nested: list[str] = field(default_factory=list)


@dataclass
class _Context:
    library: model.Library
    spec: LibrarySpec
    tool_version: str
    classes: dict[str, str]  # Python class name → Elixir module
    modules: dict[str, _Module] = field(default_factory=dict)
    module_origin: dict[str, str] = field(default_factory=dict)

    def relative(self, python: str) -> str:
        root = self.library.python_module
        return python[len(root) + 1 :] if python.startswith(root + ".") else python

    def _matches(self, names_: Iterable[str], python: str, bare: str) -> bool:
        wanted = set(names_)
        return bool(wanted & {python, self.relative(python), bare})

    def idempotent(self, python: str, qualname: str) -> bool:
        candidates = {python, self.relative(python), qualname, qualname.rsplit(".", 1)[-1]}
        return any(self.spec.is_idempotent(c) for c in sorted(candidates))

    def streaming(self, python: str, qualname: str) -> bool:
        return self._matches(self.spec.streaming, python, qualname) or (
            qualname.rsplit(".", 1)[-1] in self.spec.streaming
        )


def _collect_classes(module: model.Module, elixir: str, out: dict[str, str]) -> None:
    for cls in module.classes:
        target = f"{elixir}.{_class_segments(cls.qualname)}"
        out.setdefault(f"{cls.module}.{cls.qualname}", target)
        if cls.defined_in:
            out.setdefault(f"{cls.defined_in}.{cls.qualname}", target)
    for sub in module.submodules:
        _collect_classes(sub, _submodule_name(module, sub, elixir), out)


def _class_segments(qualname: str) -> str:
    return ".".join(names.module_segment(part) for part in qualname.split("."))


def _submodule_name(parent: model.Module, sub: model.Module, parent_elixir: str) -> str:
    relative = sub.name
    if parent.name and sub.name.startswith(parent.name + "."):
        relative = sub.name[len(parent.name) + 1 :]
    return f"{parent_elixir}.{names.elixir_module(relative)}"


def _register_module(ctx: _Context, mod: _Module) -> None:
    if mod.name in ctx.module_origin:
        raise GenerationError(
            f"Python {ctx.module_origin[mod.name]} and {mod.python} both map to Elixir module "
            f"{mod.name}; add one of them ({ctx.relative(mod.python)!r}) to `exclude:` of "
            f"library {ctx.spec.name!r} in mix.exs"
        )
    ctx.module_origin[mod.name] = mod.python
    ctx.modules[mod.name] = mod


# ----------------------------------------------------------------- signatures → params


@dataclass
class _Params:
    required: list[tuple[str, model.Param]]
    rest: tuple[str, model.Param] | None
    kwargs: list[str] | None
    optional_positional: list[str]
    keyword_docs: list[str]


def _plan_params(sig: model.Signature, taken: set[str]) -> _Params:
    required: list[tuple[str, model.Param]] = []
    rest: tuple[str, model.Param] | None = None
    kwargs: list[str] | None = []
    optional_positional: list[str] = []
    keyword_docs: list[str] = []
    for p in sig.params:
        if p.kind in (ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL_OR_KEYWORD):
            if not p.has_default and rest is None:
                required.append((names.variable_name(p.name, taken), p))
            elif p.kind == ParamKind.POSITIONAL_ONLY:
                optional_positional.append(p.name)
                keyword_docs.append(p.name)
            else:
                if kwargs is not None:
                    kwargs.append(p.name)
                keyword_docs.append(p.name)
        elif p.kind == ParamKind.VAR_POSITIONAL:
            rest = (names.variable_name(p.name, taken), p)
        elif p.kind == ParamKind.KEYWORD_ONLY:
            if kwargs is not None:
                kwargs.append(p.name)
            keyword_docs.append(p.name + ("" if p.has_default else " (required)"))
        elif p.kind == ParamKind.VAR_KEYWORD:
            kwargs = None
    if sig.is_fallback:
        kwargs = None
    return _Params(required, rest, kwargs, optional_positional, keyword_docs)


def _drop_receiver(sig: model.Signature, receivers: tuple[str, ...]) -> model.Signature:
    params = sig.params
    if (
        params
        and params[0].name in receivers
        and params[0].kind
        in (
            ParamKind.POSITIONAL_ONLY,
            ParamKind.POSITIONAL_OR_KEYWORD,
        )
    ):
        params = params[1:]
    return model.Signature(params=params, returns=sig.returns, source=sig.source)


def python_signature(display: str, sig: model.Signature) -> str:
    """``mean(a, axis=None, *, where=<no value>)`` as Python would print it."""
    parts: list[str] = []
    saw_star = False
    for k, p in enumerate(sig.params):
        if p.kind == ParamKind.KEYWORD_ONLY and not saw_star:
            parts.append("*")
            saw_star = True
        if p.kind == ParamKind.VAR_POSITIONAL:
            parts.append("*" + p.name)
            saw_star = True
        elif p.kind == ParamKind.VAR_KEYWORD:
            parts.append("**" + p.name)
        else:
            # A default the introspection could not show (a stub's `...`) is still a
            # default: `keepdims=...`, not `keepdims`, which would read as required.
            default = (p.default or "...") if p.has_default else None
            parts.append(p.name + (f"={default}" if default is not None else ""))
        nxt = sig.params[k + 1] if k + 1 < len(sig.params) else None
        if p.kind == ParamKind.POSITIONAL_ONLY and (
            nxt is None or nxt.kind != ParamKind.POSITIONAL_ONLY
        ):
            parts.append("/")
    return f"{display}({', '.join(parts)})"


# ------------------------------------------------------------------------- wrappers


def _callable_wrapper(
    ctx: _Context,
    *,
    elixir_module: str,
    fn: model.Function | None,
    python_name: str,
    elixir_name: str,
    qualname: str,
    python_module: str,
    sig: model.Signature,
    doc: model.Doc,
    kind: str,
    call_type: str,
    receiver: str | None,
    returns: str | None = None,
    deprecated: str | None = None,
) -> _Wrapper:
    taken = {"opts"}
    if receiver is not None:
        taken.add("ref")
    plan = _plan_params(sig, taken)
    params = (["ref"] if receiver else []) + [var for var, _ in plan.required]
    param_types = ([receiver] if receiver else []) + [
        typespecs.typespec(p.annotation, ctx.classes, elixir_module, argument=True)
        for _, p in plan.required
    ]
    python = f"{python_module}.{qualname}"
    ret = returns or typespecs.typespec(sig.returns, ctx.classes, elixir_module)
    overloads = fn.overloads if fn is not None else ()
    body = _function_doc(doc, python, sig, plan, kind, deprecated, overloads, elixir_name)
    return _Wrapper(
        name=elixir_name,
        python=python,
        python_name=python_name,
        kind=kind,
        call_type=call_type,
        python_module=python_module,
        function=qualname,
        params=params,
        param_types=param_types,
        rest=plan.rest[1].name if plan.rest else None,
        kwargs=plan.kwargs,
        optional_positional=plan.optional_positional,
        idempotent=ctx.idempotent(python, qualname),
        returns=ret,
        doc=body,
        summary=markdown.summary(doc),
        streaming=call_type == "call" and ctx.streaming(python, qualname),
    )


def _function_doc(
    doc: model.Doc,
    python: str,
    sig: model.Signature,
    plan: _Params,
    kind: str,
    deprecated: str | None,
    overloads: Sequence[model.Signature],
    elixir_name: str,
) -> str:
    display = python.rsplit(".", 1)[-1]
    text = markdown.render_doc(
        doc,
        signature=None if sig.is_fallback else python_signature(display, sig),
        signature_source=sig.source,
        deprecated=deprecated,
        defaults={p.name: p.default for p in sig.params if p.has_default and p.default},
    )
    lines = [text] if text else [f"Calls Python `{python}`."]
    shown = list(dict.fromkeys(python_signature(display, o) for o in overloads))
    if len(shown) > 1:
        more = len(shown) - MAX_OVERLOADS
        listed = "\n".join(shown[:MAX_OVERLOADS]) + (f"\n# ... {more} more" if more > 0 else "")
        lines.append(
            "Overloads declared in the library's type stubs:\n\n```python\n" + listed + "\n```"
        )
    usage = [f"Wraps Python `{python}` ({kind})."]
    if plan.kwargs is None:
        usage.append("Keyword arguments go in `opts` (any name is passed through).")
    elif plan.keyword_docs:
        listed = ", ".join(f"`{k}`" for k in plan.keyword_docs)
        usage.append(f"Keyword arguments in `opts`: {listed}.")
    if plan.rest:
        usage.append(
            f"Extra positional arguments (`*{plan.rest[1].name}`) follow the required ones, "
            f"up to {MAX_VARARGS}; a trailing keyword list (`[]` included) is `opts`."
        )
    usage.append("Runtime options (`timeout`, `session`, `pool`) go under `opts[:snakebridge]`.")
    lines.append("## Elixir\n\n" + " ".join(usage))
    return "\n\n".join(lines)


def _attribute_wrappers(
    ctx: _Context,
    *,
    elixir_module: str,
    attr: model.Attribute,
    python_module: str,
    owner_qualname: str | None,
    receiver: str | None,
) -> list[_Wrapper]:
    qualname = f"{owner_qualname}.{attr.name}" if owner_qualname else attr.name
    python = f"{python_module}.{qualname}"
    getter = names.function_name(attr.name)
    kind = "property" if attr.kind == "property" else "attribute"
    value_type = typespecs.typespec(attr.type, ctx.classes, elixir_module)
    function = attr.name if receiver else qualname
    doc_text = markdown.render_doc(attr.doc) or f"The Python attribute `{python}`."
    if attr.value_repr and not receiver:
        doc_text += f"\n\nValue at generation time: `{_one_line(attr.value_repr)}`."
    summary = markdown.summary(attr.doc) or f"The Python attribute `{python}`."
    wrappers = [
        _Wrapper(
            name=getter,
            python=python,
            python_name=attr.name,
            kind=kind,
            call_type="get_attr",
            python_module=python_module,
            function=function,
            params=["ref"] if receiver else [],
            param_types=[receiver] if receiver else [],
            rest=None,
            kwargs=[],
            optional_positional=[],
            idempotent=True,
            returns=value_type,
            doc=doc_text + f"\n\n## Elixir\n\nReads Python `{python}` ({kind}). Runtime "
            "options go under `opts[:snakebridge]`.",
            summary=summary,
        )
    ]
    if attr.writable and receiver:
        setter_name = names.setter(getter)
        wrappers.append(
            _Wrapper(
                name=setter_name,
                python=python,
                python_name=attr.name,
                kind="setter",
                call_type="set_attr",
                python_module=python_module,
                function=function,
                params=["ref", "value"],
                param_types=[
                    receiver,
                    typespecs.typespec(attr.type, ctx.classes, elixir_module, argument=True),
                ],
                rest=None,
                kwargs=[],
                optional_positional=[],
                idempotent=False,
                returns="term()",
                doc=f"Sets Python `{python}` on `ref` to `value`.\n\n## Elixir\n\nRuntime options "
                "go under `opts[:snakebridge]`.",
                summary=f"Sets {python}.",
            )
        )
    return wrappers


def _one_line(text: str) -> str:
    return " ".join(text.replace("`", "'").split())[:200]


# ------------------------------------------------------------------------ modules


def _plan_module(ctx: _Context, module: model.Module, elixir: str) -> None:
    version = ctx.library.version
    python = module.name or ctx.library.python_module
    mod = _Module(
        name=elixir,
        python=python,
        doc=_module_doc(ctx, elixir, python, module.doc, version),
        is_class=False,
    )
    _register_module(ctx, mod)
    for fn in module.functions:
        kind = fn.kind if fn.kind in ("ufunc", "class") else "function"
        mod.wrappers.append(
            _callable_wrapper(
                ctx,
                elixir_module=elixir,
                fn=fn,
                python_name=fn.name,
                elixir_name=names.function_name(fn.name),
                qualname=fn.qualname,
                python_module=fn.module or python,
                sig=fn.signature,
                doc=fn.doc,
                kind=kind,
                call_type="call",
                receiver=None,
                deprecated=fn.deprecated,
            )
        )
    for attr in module.attributes:
        mod.wrappers += _attribute_wrappers(
            ctx,
            elixir_module=elixir,
            attr=attr,
            python_module=python,
            owner_qualname=None,
            receiver=None,
        )
    for cls in module.classes:
        target = f"{elixir}.{_class_segments(cls.qualname)}"
        mod.classes.append((target, f"{cls.module}.{cls.qualname}", markdown.summary(cls.doc)))
        mod.nested.append(target)
        _plan_class(ctx, cls, target)
    for sub in module.submodules:
        target = _submodule_name(module, sub, elixir)
        mod.nested.append(target)
        _plan_module(ctx, sub, target)
    mod.classes.sort()
    mod.nested.sort()


def _plan_class(ctx: _Context, cls: model.Class, elixir: str) -> None:
    python = f"{cls.module}.{cls.qualname}"
    mod = _Module(
        name=elixir, python=python, doc=_class_doc(ctx, elixir, python, cls), is_class=True
    )
    _register_module(ctx, mod)
    if cls.constructor_requested:
        ctor = _drop_receiver(cls.constructor, ("self", "cls"))
        mod.wrappers.append(
            _callable_wrapper(
                ctx,
                elixir_module=elixir,
                fn=None,
                python_name=cls.name,
                elixir_name="new",
                qualname=cls.qualname,
                python_module=cls.module,
                sig=ctor,
                doc=cls.doc,
                kind="constructor",
                call_type="new",
                receiver=None,
                returns="t()",
                deprecated=cls.deprecated,
            )
        )
    for m in cls.methods:
        qualname = f"{cls.qualname}.{m.name}"
        if m.kind == "staticmethod":
            sig, call_type, receiver = m.signature, "call", None
        elif m.kind == "classmethod":
            sig, call_type, receiver = _drop_receiver(m.signature, ("cls",)), "call", None
        else:
            sig, call_type, receiver = _drop_receiver(m.signature, ("self",)), "method", "t()"
        mod.wrappers.append(
            _callable_wrapper(
                ctx,
                elixir_module=elixir,
                fn=m,
                python_name=m.name,
                elixir_name=names.function_name(m.name),
                qualname=qualname,
                python_module=cls.module,
                sig=sig,
                doc=m.doc,
                kind=m.kind if m.kind in ("staticmethod", "classmethod") else "method",
                call_type=call_type,
                receiver=receiver,
                deprecated=m.deprecated,
            )
        )
    for attr in cls.attributes:
        mod.wrappers += _attribute_wrappers(
            ctx,
            elixir_module=elixir,
            attr=attr,
            python_module=cls.module,
            owner_qualname=cls.qualname,
            receiver="t()",
        )
    for member in cls.enum_members:
        mod.wrappers += _attribute_wrappers(
            ctx,
            elixir_module=elixir,
            attr=model.Attribute(
                name=member, kind="constant", type=model.TypeRef(model.TypeKind.CLASS, name=python)
            ),
            python_module=cls.module,
            owner_qualname=cls.qualname,
            receiver=None,
        )


def _header_version(ctx: _Context) -> str:
    return _source_of(ctx.spec, ctx.library.version)


def _source_of(spec: LibrarySpec, version: str) -> str:
    """``numpy 2.4.6``; for ``:stdlib`` the version is Python's."""
    if spec.stdlib:
        return f"the Python {version} standard library".strip()
    return f"{spec.name} {version}".strip()


def _discovery_doc(elixir: str) -> str:
    return (
        "## Discovering functions\n\n"
        "Only the functions your code calls are generated (calling a new one and running "
        "`mix compile` adds it). "
        f"`{elixir}.__functions__()` lists the generated functions with their Python names, "
        f"`{elixir}.__classes__()` the wrapped classes, "
        f'`{elixir}.__search__("text")` searches names and summaries here and in nested '
        f"modules, and `{elixir}.doc(:name)` returns one function's documentation; all of "
        "them answer offline, from data in this module. `SnakeBridge.call/4` reaches any "
        "function of an allowed library dynamically.\n\n"
        "Every wrapper `f` returns `{:ok, value}` or `{:error, %SnakeBridge.Error{}}`, and "
        "`f!` returns the value or raises. Required Python arguments are positional; "
        "keyword arguments go in the last argument, `opts`; runtime options "
        "(`timeout`, `session`, `pool`) sit under `opts[:snakebridge]`. A Python `*args` "
        "becomes extra arguments (a trailing keyword list is `opts`). Python names that "
        "are not plain Elixir function names get the prefix `py_` (`N` is `py_N`, `end` "
        "is `py_end`, non-ASCII names are hex-encoded after `py_u_`); `doc/1` accepts "
        "either name."
    )


def _module_doc(ctx: _Context, elixir: str, python: str, doc: model.Doc, version: str) -> str:
    head = (
        f"Bindings for the Python module `{python}` ({_header_version(ctx)}), generated by "
        f"SnakeBridge {ctx.tool_version}."
    )
    body = markdown.render_doc(doc)
    return "\n\n".join(x for x in (head, body, _discovery_doc(elixir)) if x)


def _class_doc(ctx: _Context, elixir: str, python: str, cls: model.Class) -> str:
    head = (
        f"Bindings for the Python class `{python}` ({_header_version(ctx)}), generated by "
        f"SnakeBridge {ctx.tool_version}.\n\n"
        "Instances live in Python and are held here as refs (`t:t/0`): "
        + (
            "create one with `new`, then pass it"
            if cls.constructor_requested
            else "refs returned by other calls are passed"
        )
        + " as the first argument of the instance methods and attribute getters below."
    )
    if cls.flavor != "class":
        head += f" The Python class is a {cls.flavor}."
    if cls.bases:
        head += " Bases: " + ", ".join(f"`{b}`" for b in cls.bases) + "."
    body = markdown.render_doc(cls.doc, deprecated=cls.deprecated)
    return "\n\n".join(x for x in (head, body, _discovery_doc(elixir)) if x)


# ------------------------------------------------------------------------ collisions


def _check_names(ctx: _Context, mod: _Module) -> None:
    owner: dict[str, _Wrapper] = {}

    def claim(name: str, w: _Wrapper, what: str) -> None:
        other = owner.get(name)
        if other is not None and other is not w:
            raise GenerationError(
                f"{mod.name}.{name} would wrap both {other.python} ({other.kind}) and "
                f"{w.python} ({what}); resolve it in mix.exs by adding "
                f"{ctx.relative(w.python)!r} (or {ctx.relative(other.python)!r}) to "
                f"`exclude:` of library {ctx.spec.name!r}"
                + (
                    f", or by removing {w.python_name!r} from `streaming:`"
                    if what == "streaming variant"
                    else ""
                )
            )
        owner[name] = w

    for w in mod.wrappers:
        claim(w.name, w, w.kind)
    for w in mod.wrappers:
        if w.streaming:
            claim(names.stream_variant(w.name), w, "streaming variant")


# ------------------------------------------------------------------------- rendering


def _descriptor(ctx: _Context, w: _Wrapper, call_type: str, attr: str) -> list[str]:
    ind = "    "
    kwargs = (
        [f"{ind}kwargs: :any,"]
        if w.kwargs is None
        else layout.keyword_list_entry("kwargs", [literals.string(k) for k in w.kwargs], ind, ",")
    )
    entries = [
        [f"{ind}call_type: :{call_type},"],
        layout.keyword_entry("library", literals.string(ctx.spec.name), ind, ","),
        layout.keyword_entry("python_module", literals.string(w.python_module), ind, ","),
        layout.keyword_entry("function", literals.string(w.function), ind, ","),
        kwargs,
        layout.keyword_list_entry(
            "optional_positional", [literals.string(k) for k in w.optional_positional], ind, ","
        ),
        [f"{ind}idempotent: {'true' if w.idempotent else 'false'}"],
    ]
    lines = layout.multiline_map(entries, "  ")
    lines[0] = f"  @{attr} %{{"
    return lines


def _wrapper_text(ctx: _Context, w: _Wrapper) -> str:
    if w.rest is not None:
        return _varargs_text(ctx, w)
    attr = "d_" + w.name
    params = [*w.params, *([w.rest] if w.rest else []), "opts \\\\ []"]
    types = [*w.param_types, "keyword()"]
    args = (
        layout.ListArg(tuple(w.params), w.rest)
        if w.rest and w.params
        else (w.rest if w.rest else layout.ListArg(tuple(w.params)))
    )
    arity = w.arity + 1
    out = _descriptor(ctx, w, w.call_type, attr)
    out.append("  @doc " + literals.heredoc(w.doc, "  "))
    out += layout.spec(w.name, types, f"{RESULT_TYPE}({w.returns})")
    out += layout.def_head("def", w.name, params)
    out += layout.call("SnakeBridge.Runtime.call", [f"@{attr}", args, "opts"])
    out.append("  end")
    out.append("")
    bang_doc = f"Like `{w.name}/{arity}`, but returns the value or raises `SnakeBridge.Error`."
    out.append("  @doc " + literals.heredoc(bang_doc, "  "))
    out += layout.spec(names.bang(w.name), types, w.returns)
    out += layout.def_head("def", names.bang(w.name), params)
    out += layout.call("SnakeBridge.Runtime.call!", [f"@{attr}", args, "opts"])
    out.append("  end")
    if w.streaming:
        stream = names.stream_variant(w.name)
        stream_attr = "d_" + stream
        out.append("")
        out += _descriptor(ctx, w, "stream", stream_attr)
        stream_doc = (
            f"Like `{w.name}/{arity}`, but returns an Elixir `Stream` over the items the "
            f"Python call yields (`{w.python}` is declared in `streaming:`). Items are "
            "fetched lazily as the stream is consumed; errors raise `SnakeBridge.Error`."
        )
        out.append("  @doc " + literals.heredoc(stream_doc, "  "))
        out += layout.spec(stream, types, "Enumerable.t()")
        out += layout.def_head("def", stream, params)
        out += layout.call("SnakeBridge.Runtime.stream", [f"@{stream_attr}", args, "opts"])
        out.append("  end")
    return "\n".join(out)


_VARIANTS = (
    ("", "call", "SnakeBridge.Runtime.call"),
    (names.BANG, "call!", "SnakeBridge.Runtime.call!"),
    (names.STREAM_SUFFIX, "stream", "SnakeBridge.Runtime.stream"),
)


def _varargs_text(ctx: _Context, w: _Wrapper) -> str:
    """One clause per arity: each Elixir argument is one Python positional, and a
    trailing keyword list is ``opts`` (decided at run time by ``SnakeBridge.Runtime.varargs/4``)."""
    taken = set(w.params) | {"opts"}
    extras = [names.variable_name(f"arg{k}", taken) for k in range(1, MAX_VARARGS + 2)]
    out: list[str] = []
    attr = "d_" + w.name
    out += _descriptor(ctx, w, w.call_type, attr)
    for suffix, fun, _runtime in _VARIANTS:
        if suffix == names.STREAM_SUFFIX and not w.streaming:
            continue
        name = w.name + suffix
        if suffix == names.STREAM_SUFFIX:
            attr = "d_" + name
            out.append("")
            out += _descriptor(ctx, w, "stream", attr)
        returns = {
            "": f"{RESULT_TYPE}({w.returns})",
            names.BANG: w.returns,
            names.STREAM_SUFFIX: "Enumerable.t()",
        }[suffix]
        for k in range(MAX_VARARGS + 2):
            arity = w.arity + k
            if suffix == "" and k == 0:
                doc = w.doc
            elif k == 0:
                what = (
                    "returns the value or raises `SnakeBridge.Error`"
                    if suffix == names.BANG
                    else "returns an Elixir `Stream` over the items the Python call yields"
                )
                doc = f"Like `{w.name}/{arity}`, but {what}."
            else:
                # Documented once, on the lowest arity; a doc per extra arity would cost
                # compile time (every @doc is an entry in the docs chunk) and say nothing new.
                doc = None
            if k or suffix:
                out.append("")
            out.append("  @doc " + (literals.heredoc(doc, "  ") if doc is not None else "false"))
            params = [*w.params, *extras[:k]]
            out += layout.spec(name, [*w.param_types, *["term()"] * k], returns)
            out += layout.def_head("def", name, params)
            out += layout.call(
                "SnakeBridge.Runtime.varargs",
                [
                    f":{fun}",
                    f"@{attr}",
                    layout.ListArg(tuple(w.params)),
                    layout.ListArg(tuple(extras[:k])),
                ],
            )
            out.append("  end")
    return "\n".join(out)


def _metadata(mod: _Module) -> list[str]:
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


_DISCOVERY = '''  @doc """
  The functions this module wraps: Elixir name, arities, Python name, kind and summary.

  Bang (`name!`) and streaming (`name_stream`) variants are not listed separately.
  """
  @spec __functions__() :: [map()]
  def __functions__, do: @sb_functions

  @doc """
  The Python classes wrapped under this module, each its own Elixir module.
  """
  @spec __classes__() :: [map()]
  def __classes__, do: @sb_classes

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


def _module_text(ctx: _Context, mod: _Module) -> tuple[str, list[tuple[_Wrapper, str]]]:
    out = [f"defmodule {mod.name} do", "  @moduledoc " + literals.heredoc(mod.doc, "  "), ""]
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
    # Each symbol's text runs from its descriptor to the blank line before the next
    # symbol's descriptor or before the tail (discovery functions, helpers): the shape
    # `symbol_texts` reads back.
    rendered: list[tuple[_Wrapper, str]] = []
    for w in mod.wrappers:
        text = _wrapper_text(ctx, w)
        rendered.append((w, text))
        out.append("")
        out.append(text)
    out.append("")
    out.append(_TAIL)
    out.append(_DISCOVERY)
    out.append("end")
    return "\n".join(out), rendered


# First line after a module's symbols; never inside a symbol's text (outside heredocs).
_TAIL = "  # Discovery: answered offline from this module's data, by SnakeBridge.Discovery."
_MODULE_HEAD = re.compile(r"^defmodule (\S+) do$")
_DESCRIPTOR_HEAD = re.compile(r"^  @d_(\S+) %\{$")
_HEREDOC_OPEN = re.compile(r'^\s*@\w+ """$')


def symbol_texts(source: str) -> dict[tuple[str, str], str]:
    """Each symbol's text in a generated file, keyed by (Elixir module, name), exactly as
    ``RenderedSymbol.checksum`` hashed it when the file was rendered.

    A symbol's text starts at its descriptor (``  @d_<name> %{`` after a blank line)
    and runs to the blank line before the next symbol's descriptor or before the
    module's tail (``_TAIL``, then discovery and helpers). A streaming variant's
    descriptor (``call_type: :stream``) belongs to the symbol before it. Heredoc
    bodies (docs) are skipped, so no docstring can fake a boundary. A hand-edited or
    damaged file gives whatever text is there (its
    checksum then differs); a symbol whose descriptor is gone is absent.
    """
    lines = source.split("\n")
    out: dict[tuple[str, str], str] = {}
    module: str | None = None
    current: tuple[str, str] | None = None
    start = 0
    in_heredoc = False

    def close(end: int) -> None:
        if current is not None:
            out[current] = "\n".join(lines[start:end])

    for i, line in enumerate(lines):
        if in_heredoc:
            in_heredoc = line.strip() != '"""'
            continue
        if _HEREDOC_OPEN.match(line):
            in_heredoc = True
            continue
        head = _MODULE_HEAD.match(line)
        if head:
            module, current = head.group(1), None
            continue
        if module is not None and (line == "end" or line == _TAIL):
            close(i - 1 if line == _TAIL else i)
            current = None
            module = module if line == _TAIL else None
            continue
        descriptor = _DESCRIPTOR_HEAD.match(line)
        if (
            descriptor
            and module is not None
            and i > 0
            and not lines[i - 1]
            and (i + 1 >= len(lines) or lines[i + 1].strip() != "call_type: :stream,")
        ):
            close(i - 1)
            current, start = (module, descriptor.group(1)), i
    return out


def _comment_safe(text: str) -> str:
    return "".join(ch if 0x20 <= ord(ch) < 0x7F else "?" for ch in text)


def render_library(library: model.Library, spec: LibrarySpec, *, tool_version: str) -> Rendered:
    """Render one library's file. Pure: same inputs, same bytes (inputs are sorted here)."""
    root_elixir = spec.module_name or library.elixir_module
    classes: dict[str, str] = {}
    root = _sorted_module(library.root)
    if not root.name:
        root = dataclasses.replace(root, name=library.python_module)
    _collect_classes(root, root_elixir, classes)
    ctx = _Context(library=library, spec=spec, tool_version=tool_version, classes=classes)
    _plan_module(ctx, root, root_elixir)
    texts: list[str] = []
    symbols: list[RenderedSymbol] = []
    for name in sorted(ctx.modules):
        mod = ctx.modules[name]
        mod.wrappers.sort(key=lambda w: w.name)
        _check_names(ctx, mod)
        text, rendered = _module_text(ctx, mod)
        texts.append(text)
        for w, wtext in rendered:
            symbols.append(
                RenderedSymbol(
                    elixir_module=mod.name,
                    name=w.name,
                    arities=w.arities,
                    python=w.python,
                    kind=w.kind,
                    checksum=hashlib.sha256(wtext.encode("utf-8")).hexdigest(),
                )
            )
    header = [
        f"# Generated by SnakeBridge {_comment_safe(tool_version)} from "
        f"{_comment_safe(_source_of(spec, library.version))} "
        f"(Python module {_comment_safe(library.python_module)}).",
        "# Do not edit: `mix snakebridge.generate` rewrites this file; "
        "`mix snakebridge.prune` removes symbols.",
    ]
    source = "\n".join(header) + "\n\n" + "\n\n".join(texts) + "\n"
    symbols.sort(key=lambda s: (s.elixir_module, s.name))
    return Rendered(source=source, symbols=tuple(symbols))


def _sorted_module(module: model.Module) -> model.Module:
    """The same module with every collection in a fixed order (discovery order is noise)."""
    return dataclasses.replace(
        module,
        functions=tuple(sorted(module.functions, key=lambda f: (f.qualname, f.name))),
        classes=tuple(sorted((_sorted_class(c) for c in module.classes), key=lambda c: c.qualname)),
        attributes=tuple(sorted(module.attributes, key=lambda a: a.name)),
        submodules=tuple(
            sorted((_sorted_module(s) for s in module.submodules), key=lambda s: s.name)
        ),
    )


def _sorted_class(cls: model.Class) -> model.Class:
    return dataclasses.replace(
        cls,
        methods=tuple(sorted(cls.methods, key=lambda m: m.name)),
        attributes=tuple(sorted(cls.attributes, key=lambda a: a.name)),
        enum_members=tuple(sorted(cls.enum_members)),
    )
