"""The introspection model of one library → a plan: modules, and in each the wrappers.

Planning decides everything about a symbol except its text: its Elixir name, kind,
call type, descriptor fields, call shape (the arity rule, ``shape.py``), types and
docs (``document.py``). The text writer (``text.py``) only lays the plan out. Rules
that apply to single symbols live in the ``_plan_*`` functions below, one place each;
name collisions are checked per module, after planning (``check_names``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from snakebridge.codegen import markdown, model, names
from snakebridge.codegen.emit import document, shape, typespecs
from snakebridge.codegen.emit.shape import CallShape
from snakebridge.codegen.model import ParamKind
from snakebridge.project import LibrarySpec


class GenerationError(ValueError):
    """The library cannot be rendered as asked; the message names the symbols and the fix."""


@dataclass
class Wrapper:
    name: str  # Elixir name
    python: str  # dotted Python path, for docs, metadata and the manifest
    python_name: str  # the bare Python name ("N"), for doc/1 lookups
    kind: str
    call_type: str
    python_module: str
    function: str
    params: list[str]  # Elixir variables of the required positionals (ref first)
    param_types: list[str]
    shape: CallShape  # how Elixir arguments map onto the Python call (shape.py)
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
        return self.shape.arities


@dataclass
class Module:
    name: str  # Elixir module
    python: str  # dotted Python module or class path
    doc: str  # moduledoc Markdown
    is_class: bool
    wrappers: list[Wrapper] = field(default_factory=list)
    classes: list[tuple[str, str, str]] = field(default_factory=list)  # (module, python, summary)
    nested: list[str] = field(default_factory=list)
    # A class named as an exception: its Python MRO (model.Class.exception_mro); the
    # module is then a defexception too, raised for the first class of the MRO.
    exception: tuple[str, ...] = ()


@dataclass
class Context:
    library: model.Library
    spec: LibrarySpec
    tool_version: str
    classes: dict[str, str]  # Python class name → Elixir module
    # symbol key ("Numpy.median") → the recorded dynamic call it was promoted from
    promoted: Mapping[str, str] = field(default_factory=dict)
    modules: dict[str, Module] = field(default_factory=dict)
    module_origin: dict[str, str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """``numpy 2.4.6``, as headers and moduledocs say where the bindings come from."""
        return document.source_of(self.spec, self.library.version)

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


def collect_classes(module: model.Module, elixir: str, out: dict[str, str]) -> None:
    for cls in module.classes:
        target = f"{elixir}.{_class_segments(cls.qualname)}"
        out.setdefault(f"{cls.module}.{cls.qualname}", target)
        if cls.defined_in:
            out.setdefault(f"{cls.defined_in}.{cls.qualname}", target)
    for sub in module.submodules:
        collect_classes(sub, _submodule_name(module, sub, elixir), out)


def _class_segments(qualname: str) -> str:
    return ".".join(names.module_segment(part) for part in qualname.split("."))


def _submodule_name(parent: model.Module, sub: model.Module, parent_elixir: str) -> str:
    relative = sub.name
    if parent.name and sub.name.startswith(parent.name + "."):
        relative = sub.name[len(parent.name) + 1 :]
    return f"{parent_elixir}.{names.elixir_module(relative)}"


def _register_module(ctx: Context, mod: Module) -> Module:
    """Records ``mod`` under its Elixir name and returns the module its wrappers go in.

    A class and a submodule that share an Elixir name (``numpy.polynomial.Polynomial``
    and ``numpy.polynomial.polynomial``, ``arrow.Arrow`` and ``arrow.arrow``: a module
    named after the class it defines) are one Elixir module, the class's, holding the
    submodule's functions as well; ``check_names`` refuses any name both define. Any
    other two Python objects of one Elixir name are refused.
    """
    other = ctx.modules.get(mod.name)
    if other is None:
        ctx.module_origin[mod.name] = mod.python
        ctx.modules[mod.name] = mod
        return mod
    if other.is_class != mod.is_class and not (other.exception or mod.exception):
        cls, sub = (other, mod) if other.is_class else (mod, other)
        other.python, other.is_class = cls.python, True
        other.doc = (
            f"{cls.doc}\n\nThe functions of the Python module `{sub.python}`, which shares "
            "this Elixir name, are here too."
        )
        return other
    raise GenerationError(
        f"Python {ctx.module_origin[mod.name]} and {mod.python} both map to Elixir module "
        f"{mod.name}; add one of them ({ctx.relative(mod.python)!r}) to `exclude:` of "
        f"library {ctx.spec.name!r} in mix.exs"
    )


# ---------------------------------------------------------------------- signatures


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
    return dataclasses.replace(sig, params=params)


# ------------------------------------------------------------------------- wrappers


def _callable_wrapper(
    ctx: Context,
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
) -> Wrapper:
    overloads = fn.overloads if fn is not None else ()
    # Forms read from stubs or docs spell the receiver (``fit(cls, x, ...)``); the
    # primary signature has it dropped already.
    receivers = ("self",) if receiver is not None else ("cls",) if kind == "classmethod" else ()
    forms = [sig, *(_drop_receiver(o, receivers) for o in overloads)]
    call = shape.union(forms, receiver=receiver is not None)
    taken = {"opts"}
    if receiver is not None:
        taken.add("ref")
    params = (["ref"] if receiver else []) + [
        names.variable_name(p.name, taken) for p in call.required
    ]
    param_types = ([receiver] if receiver else []) + [
        typespecs.typespec(p.annotation, ctx.classes, elixir_module, argument=True)
        for p in call.required
    ]
    python = f"{python_module}.{qualname}"
    ret = returns or typespecs.typespec(sig.returns, ctx.classes, elixir_module)
    body = document.function_doc(doc, python, sig, call, kind, deprecated, overloads)
    return Wrapper(
        name=elixir_name,
        python=python,
        python_name=python_name,
        kind=kind,
        call_type=call_type,
        python_module=python_module,
        function=qualname,
        params=params,
        param_types=param_types,
        shape=call,
        idempotent=ctx.idempotent(python, qualname),
        returns=ret,
        doc=body,
        summary=markdown.summary(doc),
        streaming=call_type == "call" and ctx.streaming(python, qualname),
    )


def _attribute_wrappers(
    ctx: Context,
    *,
    elixir_module: str,
    attr: model.Attribute,
    python_module: str,
    owner_qualname: str | None,
    receiver: str | None,
) -> list[Wrapper]:
    part = names.path_part(attr.name)
    qualname = f"{owner_qualname}.{part}" if owner_qualname else part
    python = f"{python_module}.{qualname}"
    getter = names.function_name(attr.name)
    kind = "property" if attr.kind == "property" else "attribute"
    value_type = typespecs.typespec(attr.type, ctx.classes, elixir_module)
    function = part if receiver else qualname
    doc_text = markdown.render_doc(attr.doc) or f"The Python attribute `{python}`."
    if attr.value_repr and not receiver:
        doc_text += f"\n\nValue at generation time: `{_one_line(attr.value_repr)}`."
    summary = markdown.summary(attr.doc) or f"The Python attribute `{python}`."
    wrappers = [
        Wrapper(
            name=getter,
            python=python,
            python_name=attr.name,
            kind=kind,
            call_type="get_attr",
            python_module=python_module,
            function=function,
            params=["ref"] if receiver else [],
            param_types=[receiver] if receiver else [],
            shape=shape.accessor(receiver=receiver is not None),
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
            Wrapper(
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
                shape=shape.accessor(receiver=True, value=True),
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


def plan_module(ctx: Context, module: model.Module, elixir: str) -> None:
    python = module.name or ctx.library.python_module
    mod = Module(
        name=elixir,
        python=python,
        doc=document.module_doc(elixir, python, module.doc, ctx.source, ctx.tool_version),
        is_class=False,
    )
    mod = _register_module(ctx, mod)
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
        plan_module(ctx, sub, target)
    mod.classes.sort()
    mod.nested.sort()


def _plan_class(ctx: Context, cls: model.Class, elixir: str) -> None:
    python = f"{cls.module}.{cls.qualname}"
    mod = Module(
        name=elixir,
        python=python,
        doc=document.class_doc(elixir, python, cls, ctx.source, ctx.tool_version),
        is_class=True,
        exception=cls.exception_mro,
    )
    mod = _register_module(ctx, mod)
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
    if cls.value_requested:
        mod.wrappers.append(_class_value_wrapper(cls, python))
    for m in cls.methods:
        qualname = f"{cls.qualname}.{names.path_part(m.name)}"
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


def _class_value_wrapper(cls: model.Class, python: str) -> Wrapper:
    """``class/0``: the Python class itself, read from its module like any module
    attribute, as a ref to pass where Python code passes the class."""
    return Wrapper(
        name=names.CLASS_VALUE_FUNCTION,
        python=python,
        python_name=cls.name,
        kind="class_value",
        call_type="get_attr",
        python_module=cls.module,
        function=".".join(names.path_part(p) for p in cls.qualname.split(".")),
        params=[],
        param_types=[],
        shape=shape.accessor(receiver=False),
        idempotent=True,
        returns="SnakeBridge.Ref.t()",
        doc=f"The Python class `{python}` itself, as a ref: pass it where Python code "
        f"passes the class (`defaultdict({cls.name})`, `isinstance(x, {cls.name})`, "
        f"`dtype={cls.name}`). To make an instance, call `new`.\n\n## Elixir\n\nReads "
        f"Python `{python}`. Runtime options go under `opts[:snakebridge]`.",
        summary=f"The Python class `{python}` itself, as a value.",
    )


# ------------------------------------------------------------------------ collisions


def exception_registry(ctx: Context) -> dict[str, str]:
    """Python exception class -> the one Elixir module raised for it (the registry the
    runtime reads). Two modules for one class (``Sympy.PolynomialError`` and
    ``Sympy.Polys.Polyerrors.PolynomialError``) cannot both be raised: refused."""
    registry: dict[str, str] = {}
    for name in sorted(ctx.modules):
        mod = ctx.modules[name]
        if not mod.exception:
            continue
        python = mod.exception[0]
        other = registry.get(python)
        if other is not None:
            raise GenerationError(
                f"{other} and {name} are both named as exceptions, but they are the same "
                f"Python class {python}, and a raised error can be only one of them: use "
                f"one name for it in `rescue`, `raise` and structs"
            )
        registry[python] = name
    return registry


def check_names(ctx: Context, mod: Module) -> None:
    owner: dict[str, Wrapper] = {}

    def claim(name: str, w: Wrapper, what: str) -> None:
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

    if mod.exception:
        for w in mod.wrappers:
            if w.name in names.EXCEPTION_NAMES:
                raise GenerationError(
                    f"{mod.name}.{w.name} would wrap {w.python} ({w.kind}), but {mod.name} is "
                    f"an Elixir exception (the code names it in `rescue`, `raise` or a "
                    f"struct), and every exception module defines {w.name}/1 itself; reach "
                    f"the Python member at run time with SnakeBridge.attr(ref, "
                    f"{w.python_name!r}) or SnakeBridge.method/4 instead"
                )
    for w in mod.wrappers:
        claim(w.name, w, w.kind)
    for w in mod.wrappers:
        if w.streaming:
            claim(names.stream_variant(w.name), w, "streaming variant")
