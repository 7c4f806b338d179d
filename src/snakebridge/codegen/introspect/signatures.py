"""The signature cascade: the first source that yields a real parameter list wins.

Order (most faithful first): runtime ``inspect.signature`` → ``__text_signature__`` → ``.pyi`` stubs
→ the signature line at the top of the docstring (numpy style) → ufunc metadata →
a variadic fallback flagged ``source="fallback"``. A source that only yields
``(*args, **kwargs)`` is kept as a last resort but does not stop the search, since a
later source often knows better (a C function's stub, a wrapper's docstring).

Whatever source wins, stubs still enrich it: return types, missing parameter
annotations and ``@overload`` sets come from the stub when one exists.
"""

from __future__ import annotations

import ast
import enum
import inspect
import math
import re
import types as pytypes
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from snakebridge.codegen import model
from snakebridge.codegen.introspect import stubs as S
from snakebridge.codegen.introspect import types as T
from snakebridge.codegen.model import Param, ParamKind, Signature, TypeKind, TypeRef

_KIND = {
    inspect.Parameter.POSITIONAL_ONLY: ParamKind.POSITIONAL_ONLY,
    inspect.Parameter.POSITIONAL_OR_KEYWORD: ParamKind.POSITIONAL_OR_KEYWORD,
    inspect.Parameter.VAR_POSITIONAL: ParamKind.VAR_POSITIONAL,
    inspect.Parameter.KEYWORD_ONLY: ParamKind.KEYWORD_ONLY,
    inspect.Parameter.VAR_KEYWORD: ParamKind.VAR_KEYWORD,
}
_VARIADIC = (ParamKind.VAR_POSITIONAL, ParamKind.VAR_KEYWORD)
_REPR_LIMIT = 80

# The keywords every numpy ufunc accepts after its inputs (numpy "ufuncs" reference).
UFUNC_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("where", "True"),
    ("casting", "'same_kind'"),
    ("order", "'K'"),
    ("dtype", "None"),
    ("subok", "True"),
    ("signature", "None"),
)


def is_generic(sig: Signature) -> bool:
    """``(*args, **kwargs)``-shaped: says nothing about what the callable accepts."""
    if sig.source == "fallback":
        return True
    kinds = [p.kind for p in sig.params]
    return bool(kinds) and all(k in _VARIADIC for k in kinds) and ParamKind.VAR_KEYWORD in kinds


# ------------------------------------------------------------------------ defaults


def safe_repr(value: Any, _depth: int = 0) -> str:
    """A printable default that never runs a library's ``__repr__`` on unknown objects."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        text = repr(value)
        return text if len(text) <= _REPR_LIMIT else "<int>"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value)
    if isinstance(value, complex):
        return repr(value)
    if isinstance(value, str | bytes):
        text = repr(value)
        return text if len(text) <= _REPR_LIMIT else text[: _REPR_LIMIT - 4] + "...'"
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if value is Ellipsis:
        return "..."
    if isinstance(value, tuple | list | frozenset | set) and _depth < 2:
        if isinstance(value, frozenset | set):
            # set order follows the per-process hash seed: sort, so output is reproducible
            items = sorted(safe_repr(v, _depth + 1) for v in value)[:8]
        else:
            items = [safe_repr(v, _depth + 1) for v in list(value)[:8]]
        more = ", ..." if len(value) > 8 else ""
        if isinstance(value, tuple):
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + more + ")"
        if isinstance(value, list):
            return "[" + ", ".join(items) + more + "]"
        return "{" + ", ".join(items) + more + "}" if items else "set()"
    if isinstance(value, dict) and _depth < 2:
        if not value:
            return "{}"
        return "{...}"
    if isinstance(value, type):
        module = value.__module__
        return value.__qualname__ if module == "builtins" else f"{module}.{value.__qualname__}"
    if isinstance(value, pytypes.FunctionType | pytypes.BuiltinFunctionType | pytypes.ModuleType):
        return getattr(value, "__qualname__", None) or value.__name__
    cls = type(value)
    module = getattr(cls, "__module__", "") or ""
    if module.split(".")[0] == "numpy" and hasattr(value, "dtype") and hasattr(value, "item"):
        try:  # numpy scalars: their repr is plain data ("np.float64(1.0)")
            return repr(value.item())
        except Exception:
            pass
    if cls.__name__ in ("_NoValueType", "_NoDefault", "NoDefault", "_NotGiven"):
        return "<no value>"
    return f"<{cls.__name__}>"


# ------------------------------------------------------------------------ sources


def from_inspect(
    sig: inspect.Signature,
    namespace: Mapping[str, Any],
    *,
    drop_first: bool = False,
    source: model.SignatureSource = "inspect",
) -> Signature:
    params: list[Param] = []
    for index, p in enumerate(sig.parameters.values()):
        if (
            drop_first
            and index == 0
            and p.kind
            in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        ):
            continue
        has_default = p.default is not inspect.Parameter.empty
        params.append(
            Param(
                name=p.name,
                kind=_KIND[p.kind],
                has_default=has_default,
                default=safe_repr(p.default) if has_default else None,
                annotation=None
                if p.annotation is inspect.Parameter.empty
                else T.from_runtime(p.annotation, namespace),
                annotation_source=None if p.annotation is inspect.Parameter.empty else "annotation",
            )
        )
    returns = None
    if sig.return_annotation is not inspect.Signature.empty:
        returns = T.from_runtime(sig.return_annotation, namespace)
    return Signature(
        params=tuple(params),
        returns=returns,
        source=source,
        returns_source="annotation" if returns is not None else None,
    )


def runtime_signature(obj: Any, namespace: Mapping[str, Any], drop_first: bool) -> Signature | None:
    try:
        sig = inspect.signature(obj)
    except (ValueError, TypeError, RuntimeError, AttributeError, NameError):
        return None
    except Exception:  # a library's __signature__ property can raise anything
        return None
    return from_inspect(sig, namespace, drop_first=drop_first)


def text_signature(obj: Any) -> Signature | None:
    text = getattr(obj, "__text_signature__", None)
    if not isinstance(text, str) or not text.startswith("("):
        return None
    # "$self"/"$module"/"$type" mark the bound first parameter of a C function.
    bound = re.match(r"\(\s*\$\w+\s*,?\s*", text)
    body = "(" + text[bound.end() :] if bound else text
    if body.startswith("(/"):  # only the bound parameter was positional-only
        body = "(" + body[2:].lstrip(", ")
    node = _parse_def(body)
    if node is None:
        return None
    return replace(S.signature_of(node, lambda _n: None, drop_first=False), source="text_signature")


def _parse_def(params_text: str) -> ast.FunctionDef | None:
    try:
        tree = ast.parse(f"def _sb{params_text}: pass")
    except (SyntaxError, ValueError):
        return None
    node = tree.body[0]
    return node if isinstance(node, ast.FunctionDef) else None


# "name(" at the start of a line (after an optional ".. function::" directive).
_DOC_SIG_HEAD = re.compile(
    r"^\s*(?:\.\.\s+(?:py:)?(?:function|method)::\s*)?([A-Za-z_][\w.]*)\s*\("
)
# after the parameters: "-> type" or CPython's "--> description"
_DOC_SIG_TAIL = re.compile(r"^\s*(?:(--?>)\s*(.+?))?\s*$")


def docstring_signature(obj: Any, names: tuple[str, ...]) -> Signature | None:
    """numpy-style ``name(a, b[, c], axis=0)`` on the first line of the docstring."""
    doc = _own_doc(obj)
    if not doc:
        return None
    first = next((line for line in doc.splitlines() if line.strip()), "")
    return parse_signature_line(first, names)


def docstring_forms(obj: Any, names: tuple[str, ...]) -> list[Signature]:
    """Every signature line the docstring shows for ``names`` (``int([x])`` and
    ``int(x, base=10)``; torch's ``.. function:: sum(input, dim, ...)``), in order."""
    doc = _own_doc(obj)
    if not doc:
        return []
    forms = []
    for line in doc.splitlines():
        sig = parse_signature_line(line, names) if "(" in line else None
        if sig is not None and sig not in forms:
            forms.append(sig)
    return forms


def _split_line(line: str) -> tuple[str, str, str] | None:
    """(name, parameter text, rest) of ``name(params) rest``: the parameters end at
    the parenthesis matching the first one, so ``-> (Tensor, Tensor)`` stays outside."""
    head = _DOC_SIG_HEAD.match(line)
    if head is None:
        return None
    depth = 0
    quote: str | None = None
    for i in range(head.end() - 1, len(line)):
        ch = line[i]
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return head.group(1), line[head.end() : i], line[i + 1 :]
    return None


def parse_signature_line(line: str, names: tuple[str, ...]) -> Signature | None:
    parts = _split_line(line)
    if parts is None or parts[0].rsplit(".", 1)[-1] not in names:
        return None
    tail = _DOC_SIG_TAIL.match(parts[2])
    if tail is None:
        return None
    tokens = _split_params(parts[1])
    if tokens is None:
        return None
    params: list[Param] = []
    keyword_only = False
    seen: set[str] = set()
    for index, (token, optional) in enumerate(tokens):
        if token in ("", "...", "…"):
            continue
        if token == "/":
            params = [
                replace(p, kind=ParamKind.POSITIONAL_ONLY)
                if p.kind is ParamKind.POSITIONAL_OR_KEYWORD
                else p
                for p in params
            ]
            continue
        if token == "*":
            keyword_only = True
            continue
        if token.startswith("**"):
            params.append(Param(_ident(token[2:], index, seen), ParamKind.VAR_KEYWORD))
            continue
        if token.startswith("*"):
            params.append(Param(_ident(token[1:], index, seen), ParamKind.VAR_POSITIONAL))
            keyword_only = True
            continue
        name, eq, default = token.partition("=")
        kind = ParamKind.KEYWORD_ONLY if keyword_only else ParamKind.POSITIONAL_OR_KEYWORD
        has_default = bool(eq) or optional
        params.append(
            Param(
                _ident(name, index, seen),
                kind,
                has_default=has_default,
                default=default.strip() or None if eq else None,
            )
        )
    arrow, returned = tail.group(1), tail.group(2)
    returns = T.from_source(returned) if arrow == "->" and returned else None
    return Signature(
        params=tuple(params),
        returns=returns,
        source="docstring",
        returns_source="docstring" if returns is not None else None,
    )


def _ident(raw: str, index: int, seen: set[str]) -> str:
    name = raw.strip()
    if not name.isidentifier():
        name = f"arg{index}"
    base, n = name, 2
    while name in seen:
        name = f"{base}{n}"
        n += 1
    seen.add(name)
    return name


def _split_params(text: str) -> list[tuple[str, bool]] | None:
    out: list[tuple[str, bool]] = []
    buf: list[str] = []
    optional = False
    nest = 0  # () {} inside one parameter, e.g. a tuple default
    bracket = 0  # [ ] marking optional parameters
    quote: str | None = None
    for ch in text:
        if quote:
            buf.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
            buf.append(ch)
        elif ch in "({":
            nest += 1
            buf.append(ch)
        elif ch in ")}":
            nest -= 1
            buf.append(ch)
        elif ch == "[" and nest == 0:
            bracket += 1
        elif ch == "]" and nest == 0:
            bracket -= 1
        elif ch == "," and nest == 0:
            out.append(("".join(buf).strip(), optional))
            buf, optional = [], False
        else:
            if bracket > 0 and not ch.isspace():
                optional = True
            buf.append(ch)
        if nest < 0 or bracket < 0:
            return None
    out.append(("".join(buf).strip(), optional))
    return out


def _own_doc(obj: Any) -> str | None:
    try:
        doc = obj.__doc__
    except Exception:
        return None
    return doc if isinstance(doc, str) else None


def is_ufunc(obj: Any) -> bool:
    cls = type(obj)
    return cls.__name__ == "ufunc" and hasattr(obj, "nin") and hasattr(obj, "nout")


def ufunc_returns(obj: Any) -> TypeRef:
    nout = int(getattr(obj, "nout", 1) or 1)
    array = TypeRef(TypeKind.ARRAY)
    return array if nout == 1 else TypeRef(TypeKind.TUPLE, tuple([array] * nout))


def ufunc_signature(obj: Any) -> Signature | None:
    if not is_ufunc(obj):
        return None
    nin = int(obj.nin)
    names = [f"x{i + 1}" for i in range(nin)] if nin > 1 else ["x"]
    params = [
        Param(
            n,
            ParamKind.POSITIONAL_ONLY,
            annotation=TypeRef(TypeKind.ARRAY),
            annotation_source="ufunc",
        )
        for n in names
    ]
    params.append(Param("out", ParamKind.POSITIONAL_OR_KEYWORD, has_default=True, default="None"))
    params.extend(
        Param(n, ParamKind.KEYWORD_ONLY, has_default=True, default=d) for n, d in UFUNC_KEYWORDS
    )
    return Signature(
        params=tuple(params), returns=ufunc_returns(obj), source="ufunc", returns_source="ufunc"
    )


# ------------------------------------------------------------------------ stubs


def stub_signatures(
    hit: S.StubHit | None, index: S.StubIndex, *, constructor: bool, drop_first: bool
) -> tuple[Signature | None, tuple[Signature, ...]]:
    """(primary, overloads) declared by a stub hit, or (None, ())."""
    if hit is None:
        return None, ()
    nodes: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    if constructor:
        cls = next((n for n in hit.nodes if isinstance(n, ast.ClassDef)), None)
        if cls is None:
            return None, ()
        body = S._flatten(cls.body)
        for special in ("__init__", "__new__"):
            nodes = [
                s
                for s in body
                if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef) and s.name == special
            ]
            if nodes:
                break
        drop_first = True
    else:
        nodes = [n for n in hit.nodes if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if not nodes:
        return None, ()
    ns = index.namespace(hit.module)
    sigs = []
    for node in nodes:
        decorators = S.decorator_names(node)
        first = drop_first and "staticmethod" not in decorators
        sigs.append(S.signature_of(node, ns, first))
    overloaded = [s for s, n in zip(sigs, nodes, strict=True) if S.is_overload(n)]
    implementation = [s for s, n in zip(sigs, nodes, strict=True) if not S.is_overload(n)]
    if implementation:
        return implementation[-1], tuple(overloaded)
    if len(overloaded) == 1:
        return overloaded[0], ()
    return merge_overloads(overloaded), tuple(overloaded)


def merge_overloads(overloaded: list[Signature]) -> Signature:
    """One signature covering every overload: the widest parameter list, each parameter
    annotated with the union of its annotations across overloads, and the union of the
    return types."""
    widest = max(overloaded, key=lambda s: (len(s.params), -overloaded.index(s)))
    params = []
    for p in widest.params:
        anns = [
            q.annotation
            for s in overloaded
            for q in s.params
            if q.name == p.name and q.annotation is not None
        ]
        optional = any(q.has_default for s in overloaded for q in s.params if q.name == p.name)
        absent = any(all(q.name != p.name for q in s.params) for s in overloaded)
        has_default = p.has_default or optional or (absent and p.kind not in _VARIADIC)
        params.append(
            replace(
                p,
                annotation=T.union(anns) if anns else None,
                annotation_source="stub" if anns else None,
                has_default=has_default,
            )
        )
    returns = (
        T.union([s.returns for s in overloaded if s.returns is not None])
        if all(s.returns is not None for s in overloaded)
        else None
    )
    return replace(
        widest,
        params=tuple(params),
        returns=returns,
        returns_source="stub" if returns is not None else None,
    )


def enrich(sig: Signature, stub: Signature | None) -> Signature:
    """Fill what the runtime signature lacks (return type, annotations) from the stub."""
    if stub is None or sig.source == "stub":
        return sig
    by_name = {p.name: p for p in stub.params}
    params = tuple(
        replace(p, annotation=by_name[p.name].annotation, annotation_source="stub")
        if p.annotation is None and p.name in by_name and by_name[p.name].annotation
        else p
        for p in sig.params
    )
    if sig.returns is None and stub.returns is not None:
        return replace(sig, params=params, returns=stub.returns, returns_source="stub")
    return replace(sig, params=params)


# ------------------------------------------------------------------------ cascade


def cascade(sources: list[Callable[[], Signature | None]]) -> Signature:
    """The first real signature; else the first generic one; else the fallback."""
    generic: Signature | None = None
    for source in sources:
        try:
            sig = source()
        except Exception:  # one broken source must not hide the next
            sig = None
        if sig is None:
            continue
        if not is_generic(sig):
            return sig
        generic = generic or sig
    return generic or model.FALLBACK_SIGNATURE
