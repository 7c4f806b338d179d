"""Signatures read from a callable's own source, for ``(*args, **kwargs)`` wrappers.

Many libraries (sympy above all) define ``def eye(*args, **kwargs): return
Matrix.eye(*args, **kwargs)`` or ``def __new__(cls, *args, **kwargs): evaluate =
kwargs.get('evaluate', ...)``. The runtime signature says nothing, but the source says
exactly what is accepted: the signature of the callable the arguments are forwarded to,
or the keyword names read out of ``**kwargs``. The source is read with ``inspect`` and
parsed with ``ast``; nothing is executed and nothing is imported (a name is resolved
only through the function's globals and modules already loaded).
"""

from __future__ import annotations

import ast
import builtins
import inspect
import sys
import textwrap
import types as pytypes
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from snakebridge.codegen.introspect import types as T
from snakebridge.codegen.model import Param, ParamKind, Signature, TypeKind, TypeRef

_MAX_DEPTH = 4
Describe = Callable[[Any], Signature | None]


def _python_function(obj: Any) -> tuple[pytypes.FunctionType | None, Any, bool]:
    """(function, the object its first parameter is bound to, drop_first)."""
    if isinstance(obj, type):
        for klass in obj.__mro__:
            for special in ("__new__", "__init__"):
                raw = vars(klass).get(special)
                fn = getattr(raw, "__func__", raw)
                if isinstance(fn, pytypes.FunctionType):
                    return fn, obj, True
            if klass is not obj and "__new__" in vars(klass) and "__init__" in vars(klass):
                break
        return None, None, False
    if isinstance(obj, pytypes.MethodType) and isinstance(obj.__func__, pytypes.FunctionType):
        return obj.__func__, obj.__self__, True
    try:
        target = inspect.unwrap(obj)
    except Exception:
        target = obj
    if isinstance(target, pytypes.FunctionType):
        return target, None, False
    return None, None, False


def _parse(fn: pytypes.FunctionType) -> ast.FunctionDef | None:
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError, ValueError):
        return None
    node = tree.body[0] if tree.body else None
    return node if isinstance(node, ast.FunctionDef) else None


def signature_from_source(
    obj: Any,
    describe: Describe,
    namespace_of: Callable[[Any], Mapping[str, Any]],
    _depth: int = 0,
    *,
    unbound_method: bool = False,
) -> Signature | None:
    """``unbound_method``: ``obj`` is a function looked up on a class, whose first
    parameter is the instance."""
    fn, bound, drop_first = _python_function(obj)
    drop_first = drop_first or unbound_method
    if fn is None or _depth > _MAX_DEPTH:
        return None
    node = _parse(fn)
    if node is None:
        return None
    args = node.args
    var_pos = args.vararg.arg if args.vararg else None
    var_kw = args.kwarg.arg if args.kwarg else None
    if var_kw is None and var_pos is None:
        return None
    first = (args.posonlyargs + args.args)[0].arg if (args.posonlyargs + args.args) else None
    forwarded = _forwarded_call(node, var_pos, var_kw)
    if forwarded is not None:
        target = _resolve(forwarded.func, fn, bound if drop_first else None, first, node)
        if target is not None and target is not obj:
            sig = describe(target)
            if sig is None or _generic(sig):
                sig = signature_from_source(target, describe, namespace_of, _depth + 1)
            if sig is not None and not _generic(sig):
                explicit = [a for a in forwarded.args if not isinstance(a, ast.Starred)]
                leading = _leading_explicit(forwarded)
                if leading and isinstance(explicit[0], ast.Name) and explicit[0].id == first:
                    # Base.__new__(cls, *args, **kwargs): the target is unbound
                    sig = replace(sig, params=_drop_positional(sig.params, leading))
                elif leading:
                    sig = replace(sig, params=_drop_positional(sig.params, leading))
                if not _generic(sig):
                    return replace(sig, source="source")
    keywords = _keyword_reads(node, var_kw) if var_kw else []
    if not keywords:
        return None
    base = describe(fn)
    if base is None:
        return None
    params = list(
        base.params[1:]
        if drop_first
        and base.params
        and base.params[0].kind not in (ParamKind.VAR_POSITIONAL, ParamKind.VAR_KEYWORD)
        else base.params
    )
    names = {p.name for p in params}
    extra = [k for k in keywords if k.name not in names]
    at = next((i for i, p in enumerate(params) if p.kind is ParamKind.VAR_KEYWORD), len(params))
    params[at:at] = extra
    return replace(base, params=tuple(params), source="source")


def _generic(sig: Signature) -> bool:
    kinds = [p.kind for p in sig.params]
    return sig.is_fallback or (
        bool(kinds)
        and ParamKind.VAR_KEYWORD in kinds
        and all(k in (ParamKind.VAR_POSITIONAL, ParamKind.VAR_KEYWORD) for k in kinds)
    )


def _leading_explicit(call: ast.Call) -> int:
    n = 0
    for a in call.args:
        if isinstance(a, ast.Starred):
            break
        n += 1
    return n


def _drop_positional(params: tuple[Param, ...], n: int) -> tuple[Param, ...]:
    out = list(params)
    while n and out and out[0].kind in (ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL_OR_KEYWORD):
        out.pop(0)
        n -= 1
    return tuple(out)


def _forwarded_call(
    node: ast.FunctionDef, var_pos: str | None, var_kw: str | None
) -> ast.Call | None:
    """``return target(*args, **kwargs)`` among the function's top-level statements."""
    for stmt in node.body:
        if not isinstance(stmt, ast.Return) or not isinstance(stmt.value, ast.Call):
            continue
        call = stmt.value
        passes_pos = var_pos is None or any(
            isinstance(a, ast.Starred) and isinstance(a.value, ast.Name) and a.value.id == var_pos
            for a in call.args
        )
        passes_kw = var_kw is None or any(
            k.arg is None and isinstance(k.value, ast.Name) and k.value.id == var_kw
            for k in call.keywords
        )
        if passes_pos and passes_kw:
            return call
    return None


def _local_imports(node: ast.FunctionDef) -> dict[str, str]:
    found: dict[str, str] = {}
    for stmt in ast.walk(node):
        if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
            for alias in stmt.names:
                found[alias.asname or alias.name] = f"{stmt.module}.{alias.name}"
    return found


def _resolve(
    func: ast.expr, fn: pytypes.FunctionType, bound: Any, first: str | None, node: ast.FunctionDef
) -> Any:
    parts: list[str] = []
    cur = func
    while isinstance(cur, ast.Attribute):
        parts.append(cur.attr)
        cur = cur.value
    if not isinstance(cur, ast.Name):
        return None
    parts.append(cur.id)
    parts.reverse()
    head = parts[0]
    if head == first and bound is not None:
        obj: Any = bound
    elif head in fn.__globals__:
        obj = fn.__globals__[head]
    elif head in _local_imports(node):
        module, _, attr = _local_imports(node)[head].rpartition(".")
        loaded = sys.modules.get(module)  # never import here
        if loaded is None or not hasattr(loaded, attr):
            return None
        obj = getattr(loaded, attr)
    elif hasattr(builtins, head):
        obj = getattr(builtins, head)
    else:
        return None
    for part in parts[1:]:
        try:
            obj = (
                inspect.getattr_static(obj, part)
                if part in ("__new__", "__init__")
                else getattr(obj, part)
            )
        except AttributeError:
            return None
        obj = getattr(obj, "__func__", obj) if isinstance(obj, staticmethod) else obj
    return obj


def _keyword_reads(node: ast.FunctionDef, var_kw: str) -> list[Param]:
    """``kwargs.get('x', d)`` / ``kwargs.pop('x', d)`` / ``kwargs['x']``, in source order."""
    found: dict[str, Param] = {}
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and isinstance(sub.func.value, ast.Name)
            and sub.func.value.id == var_kw
            and sub.func.attr in ("get", "pop", "setdefault")
            and sub.args
            and isinstance(sub.args[0], ast.Constant)
            and isinstance(sub.args[0].value, str)
        ):
            name = sub.args[0].value
            default = ast.unparse(sub.args[1]) if len(sub.args) > 1 else "None"
            if name.isidentifier() and name not in found:
                found[name] = Param(name, ParamKind.KEYWORD_ONLY, has_default=True, default=default)
        elif (
            isinstance(sub, ast.Subscript)
            and isinstance(sub.value, ast.Name)
            and sub.value.id == var_kw
            and isinstance(sub.slice, ast.Constant)
            and isinstance(sub.slice.value, str)
        ):
            name = sub.slice.value
            if name.isidentifier() and name not in found:
                found[name] = Param(name, ParamKind.KEYWORD_ONLY, has_default=True, default=None)
    return sorted(found.values(), key=lambda p: p.name)


# ------------------------------------------------------------ instance attributes


# The doc of an attribute found only in ``__init__``; the parent recognizes it to add
# the class docstring's description of that attribute (``docstrings.parse_all``).
INSTANCE_ATTRIBUTE_DOC = "Instance attribute, assigned in `{}`."
INSTANCE_ATTRIBUTE_PREFIX = INSTANCE_ATTRIBUTE_DOC.split("`", 1)[0]


@dataclass(frozen=True)
class InstanceAttribute:
    """A public attribute that ``__init__`` assigns on the instance (``self.x = ...``)."""

    name: str
    type: TypeRef | None  # None: unknown (no annotation, or assignments disagree)
    assigned_in: str  # qualname of the ``__init__`` that assigns it ("Shape.__init__")


def init_attributes(cls: type) -> dict[str, InstanceAttribute]:
    """Public instance attributes assigned in the ``__init__`` (or a dataclass's
    ``__post_init__``) of ``cls`` or its bases, and the fitted attributes of estimators
    (classes with a ``fit`` method, scikit-learn's convention followed by many libraries):
    those assigned by ``fit*`` methods, or by any method when their name ends with an
    underscore (``coef_``, ``labels_`` exist once ``fit`` ran).

    Such attributes exist on instances only, so neither ``dir(cls)`` nor annotations
    reveal them; the source of ``__init__`` does. Only Python ``__init__`` functions
    whose source is available are read (C types and generated ``__init__`` such as a
    dataclass's have none). The most derived ``__init__`` that assigns a name describes
    it. Assignments inside nested functions, lambdas and classes are not counted: they
    may never run, or bind another ``self``.
    """
    found: dict[str, InstanceAttribute] = {}
    estimator = any(_FIT in vars(k) for k in cls.__mro__)
    for klass in cls.__mro__:
        if klass is object:
            continue
        own = vars(klass)
        # an estimator's fitted attributes (trailing underscore) may be set by any of
        # its methods (``intercept_`` by ``_set_intercept``)
        fitting = sorted(n for n in own if estimator and n not in _CONSTRUCTION)
        for special in (*_CONSTRUCTION, *fitting):
            raw = own.get(special)
            try:
                fn = inspect.unwrap(raw) if raw is not None else None
            except Exception:
                fn = None
            if not isinstance(fn, pytypes.FunctionType):
                continue
            node = _parse(fn)
            if node is None:
                continue
            where = f"{klass.__qualname__}.{special}"
            for name, type_ref in _self_assignments(node, fn).items():
                fitted = special.startswith(_FIT) or name.endswith("_")
                if name not in found and (special in _CONSTRUCTION or fitted):
                    found[name] = InstanceAttribute(name, type_ref, where)
    return found


# ``__post_init__`` finishes a dataclass's generated ``__init__`` (which has no source).
_CONSTRUCTION = ("__init__", "__post_init__")
_FIT = "fit"


_UNKNOWN = TypeRef(TypeKind.ANY)


def _self_assignments(node: ast.FunctionDef, fn: pytypes.FunctionType) -> dict[str, TypeRef | None]:
    positional = node.args.posonlyargs + node.args.args
    if not positional:
        return {}
    me = positional[0].arg
    annotated: dict[str, TypeRef] = {}
    inferred: dict[str, set[TypeRef]] = {}
    for stmt in _same_scope(node):
        annotation: ast.expr | None = None
        value: ast.expr | None
        if isinstance(stmt, ast.Assign):
            targets, value = list(stmt.targets), stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            targets, value, annotation = [stmt.target], stmt.value, stmt.annotation
        elif isinstance(stmt, ast.AugAssign):
            targets, value = [stmt.target], None
        else:
            continue
        for target in targets:
            direct = isinstance(target, ast.Attribute)
            for t in _unpacked(target):
                if not (
                    isinstance(t, ast.Attribute)
                    and isinstance(t.value, ast.Name)
                    and t.value.id == me
                    and not t.attr.startswith("_")
                ):
                    continue
                if annotation is not None and t.attr not in annotated:
                    annotated[t.attr] = T.from_source(
                        ast.unparse(annotation), T.runtime_namespace(fn.__globals__)
                    )
                guess = _value_type(value, fn) if direct and value is not None else None
                inferred.setdefault(t.attr, set()).add(guess or _UNKNOWN)
    result: dict[str, TypeRef | None] = {}
    for name, guesses in inferred.items():
        if name in annotated:
            result[name] = annotated[name]
        elif len(guesses) == 1 and _UNKNOWN not in guesses:
            result[name] = next(iter(guesses))
        else:
            result[name] = None
    return result


def _same_scope(node: ast.FunctionDef) -> list[ast.AST]:
    out: list[ast.AST] = []
    stack: list[ast.AST] = list(node.body)
    while stack:
        current = stack.pop()
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        out.append(current)
        stack.extend(ast.iter_child_nodes(current))
    return out


def _unpacked(target: ast.expr) -> list[ast.expr]:
    if isinstance(target, ast.Tuple | ast.List):
        return [t for elt in target.elts for t in _unpacked(elt)]
    if isinstance(target, ast.Starred):
        return _unpacked(target.value)
    return [target]


def _value_type(value: ast.expr, fn: pytypes.FunctionType) -> TypeRef | None:
    """The type of ``self.x = value`` when it is evident: a literal, or a parameter
    copied unchanged whose annotation says it."""
    if isinstance(value, ast.Constant) and value.value is not None and value.value is not ...:
        return T.from_runtime(type(value.value))
    if isinstance(value, ast.Name):
        annotation = getattr(fn, "__annotations__", {}).get(value.id)
        if annotation is not None:
            return T.from_runtime(annotation, fn.__globals__)
    return None
