"""What generated modules and functions say: moduledocs, ``@doc`` bodies, signatures.

Docstrings become Markdown in ``markdown``; this module adds what the Elixir side of a
symbol needs said: the Python signature as Python prints it, other declared forms, and
the call shape in words (the rule itself is ``shape.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from snakebridge.codegen import markdown, model
from snakebridge.codegen.emit import shape
from snakebridge.codegen.emit.shape import CallShape
from snakebridge.codegen.model import ParamKind
from snakebridge.project import LibrarySpec

# Other forms (overloads) listed in a function's doc, at most.
MAX_OVERLOADS = 4


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


def function_doc(
    doc: model.Doc,
    python: str,
    sig: model.Signature,
    call: CallShape,
    kind: str,
    deprecated: str | None,
    overloads: Sequence[model.Signature],
) -> str:
    """The ``@doc`` of a callable: the Python docs, its other forms, and how to call it
    from Elixir (the call shape, in words)."""
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
            "Other forms declared by the library (each is accepted):\n\n```python\n"
            + listed
            + "\n```"
        )
    lines.append("## Elixir\n\n" + " ".join(usage(python, kind, call)))
    return "\n\n".join(lines)


def usage(python: str, kind: str, call: CallShape) -> list[str]:
    """How the call shape reads to a user, sentence by sentence."""
    out = [f"Wraps Python `{python}` ({kind})."]
    # one by name (the last required one) adds no arity; the moduledoc states the rule
    if call.by_keyword > 1:
        named = [p.name for p in call.required[len(call.required) - call.by_keyword :]]
        out.append(f"By name in `opts` too, any trailing run: `{'`, `'.join(named)}`.")
    if call.optional:
        listed = ", ".join(f"`{n}`" for n in call.optional)
        out.append(
            f"Optional positional arguments may follow the required ones, in order: {listed}; "
            "one left out takes Python's default."
        )
    if call.rest is not None:
        what = (
            f"Extra positional arguments (`*{call.rest}`)"
            if not call.optional
            else f"Then extra positional arguments (`*{call.rest}`)"
        )
        out.append(
            f"{what}, up to {shape.MAX_VARARGS}; any number as a list in "
            "`SnakeBridge.splat/1`, the last positional argument "
            "(`SnakeBridge.splat([a, b, c])` is Python's `*[a, b, c]`)."
        )
    if call.flexible:
        out.append(
            "A trailing keyword list (`[]` included) is `opts`; "
            "giving a parameter both positionally and in `opts` is an error."
        )
    if call.kwargs is None:
        out.append("Keyword arguments go in `opts` (any name is passed through to Python).")
    elif call.keyword_docs:
        listed = ", ".join(f"`{k}`" for k in call.keyword_docs)
        out.append(f"Keyword arguments in `opts`: {listed}.")
    out.append("Runtime options (`timeout`, `session`, `pool`) go under `opts[:snakebridge]`.")
    return out


def source_of(spec: LibrarySpec, version: str) -> str:
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
        "`f!` returns the value or raises. Required Python arguments are positional "
        "(a trailing run of those Python also takes by name may instead be given by name "
        "in `opts`); optional positional ones may follow in order, each one more arity, "
        "and a Python "
        "`*args` becomes extra arguments (any number of them as "
        "`SnakeBridge.splat(list)`, the last positional); keyword arguments go in the last "
        "argument, "
        "`opts` (where arguments may follow, a trailing keyword list, `[]` included, is "
        "`opts`); runtime options (`timeout`, `session`, `pool`) sit under "
        "`opts[:snakebridge]`. Python names that "
        "are not plain Elixir function names get the prefix `py_` (`N` is `py_N`, `end` "
        "is `py_end`, non-ASCII names are hex-encoded after `py_u_`); `doc/1` accepts "
        "either name."
    )


def module_doc(elixir: str, python: str, doc: model.Doc, source: str, tool_version: str) -> str:
    head = (
        f"Bindings for the Python module `{python}` ({source}), generated by "
        f"SnakeBridge {tool_version}."
    )
    body = markdown.render_doc(doc)
    return "\n\n".join(x for x in (head, body, _discovery_doc(elixir)) if x)


def class_doc(elixir: str, python: str, cls: model.Class, source: str, tool_version: str) -> str:
    kind = "exception class" if cls.exception_mro else "class"
    head = (
        f"Bindings for the Python {kind} `{python}` ({source}), generated by "
        f"SnakeBridge {tool_version}.\n\n"
    )
    refs = (
        "create one with `new`, then pass it"
        if cls.constructor_requested
        else "refs returned by other calls are passed"
    ) + " as the first argument of the instance methods and attribute getters below."
    if not cls.exception_mro:
        head += "Instances live in Python and are held here as refs (`t:t/0`): " + refs
    else:
        head += (
            f"A Python exception: a call that raises it raises the Elixir exception `{elixir}` "
            "(see Exception below)."
        )
        if cls.constructor_requested or cls.methods or cls.attributes:
            head += " An instance held in Python is a ref (`t:t/0`): " + refs
    if cls.flavor != "class":
        head += f" The Python class is a {cls.flavor}."
    if cls.bases:
        head += " Bases: " + ", ".join(f"`{b}`" for b in cls.bases) + "."
    body = markdown.render_doc(cls.doc, deprecated=cls.deprecated)
    return "\n\n".join(
        x for x in (head, _exception_doc(elixir, cls), body, _discovery_doc(elixir)) if x
    )


def _exception_doc(elixir: str, cls: model.Class) -> str:
    if not cls.exception_mro:
        return ""
    python = cls.exception_mro[0]
    base = next((b for b in cls.exception_mro[1:] if "." not in b), "BaseException")
    return (
        f"## Exception\n\n`{elixir}` is also an Elixir exception: bang variants raise it "
        f"when Python raises `{python}` or a subclass of it that has no module of its "
        f"own (`rescue {elixir} -> ...`). `message` is the Python message with the call, "
        f"`error` the full `%SnakeBridge.Error{{}}`. The Python classes it is matched by, "
        f"most specific first: {', '.join(f'`{c}`' for c in cls.exception_mro)}.\n\n"
        f"Elixir's `rescue` matches one module exactly, so while this module exists the "
        f"builtin exception modules (`SnakeBridge.ValueError` and the others) no longer "
        f"catch `{python}`. To rescue a whole family, rescue "
        f"`SnakeBridge.Error.family/1` of a builtin exception module "
        f"(`rescue e in SnakeBridge.Error.family(SnakeBridge.ValueError)`, after "
        f"`require SnakeBridge.Error`), which lists this module when it derives from it; "
        f"to test any Python class, use the guard "
        f'`catch :error, e when SnakeBridge.Error.is_python_error(e, "{base}")` or, after '
        f'a plain rescue, `SnakeBridge.Error.python_class?(e, "{base}")`.'
    )
