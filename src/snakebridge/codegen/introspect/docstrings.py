"""Docstring text → ``model.Doc`` (parent side), using ``docstring_parser`` from PyPI.

The style is detected here rather than by the parser's AUTO mode, because the
libraries we care about bend the conventions: numpy puts a signature line first,
sympy underlines numpydoc sections with ``=`` instead of ``-``. Examples are taken as
doctest blocks (``>>>`` runs and their output) wherever they appear, which is
style-independent and exactly what the generator renders as iex-like blocks.
"""

from __future__ import annotations

import functools
import keyword
import re
from dataclasses import replace
from typing import Any, Literal

import docstring_parser as dp

from snakebridge.codegen import model
from snakebridge.codegen.introspect import signatures as G
from snakebridge.codegen.introspect import sourcecode as SC
from snakebridge.codegen.introspect import types as T
from snakebridge.codegen.introspect.objects import HOOKED_ATTRIBUTE_DOC, is_dunder
from snakebridge.codegen.introspect.signatures import parse_signature_line
from snakebridge.codegen.model import (
    Doc,
    DocParam,
    DocRaise,
    Param,
    ParamKind,
    Signature,
    TypeKind,
    TypeRef,
)

_NUMPY_SECTIONS = (
    "Parameters|Other Parameters|Returns|Yields|Receives|Raises|Warns|Warnings|See Also|"
    "Notes|References|Examples|Attributes|Methods"
)
_NUMPY_HEADER = re.compile(
    rf"^[ \t]*({_NUMPY_SECTIONS})[ \t]*\n[ \t]*([-=~])\2{{2,}}[ \t]*$", re.M | re.I
)
_GOOGLE_HEADER = re.compile(
    r"^[ \t]*(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Returns|Return|"
    r"Raises|Yields|Examples?|Attributes|Notes?|See Also|Todo):[ \t]*\n[ \t]+\S",
    re.M,
)
_REST_FIELD = re.compile(
    r"^[ \t]*:(param|parameter|arg|argument|key|keyword|type|returns?|"
    r"rtype|raises?|except|exception)\b[^:]*:",
    re.M,
)
_SIGNATURE_LINE = re.compile(r"^\s*[A-Za-z_][\w.]*\s*\(.*\)\s*(->.*)?$")


DocStyle = Literal["numpydoc", "google", "rest", "plain", "none"]


def detect_style(text: str) -> DocStyle:
    if not text.strip():
        return "none"
    if _NUMPY_HEADER.search(text):
        return "numpydoc"
    if _REST_FIELD.search(text):
        return "rest"
    if _GOOGLE_HEADER.search(text):
        return "google"
    return "plain"


def _strip_signature_line(text: str) -> str:
    lines = text.split("\n")
    if lines and _SIGNATURE_LINE.match(lines[0]) and (len(lines) == 1 or not lines[1].strip()):
        return "\n".join(lines[1:]).lstrip("\n")
    return text


_CANONICAL = {name.lower(): name for name in _NUMPY_SECTIONS.split("|")}


def _normalize_numpy(text: str) -> str:
    """Canonical section headers for docstring_parser: sympy underlines with '=' and
    scipy sometimes writes "See also"; the parser expects "See Also" over dashes."""
    return re.sub(
        rf"^([ \t]*)({_NUMPY_SECTIONS})([ \t]*\n[ \t]*)([-=~]{{3,}})[ \t]*$",
        lambda m: m.group(1) + _CANONICAL[m.group(2).lower()] + m.group(3) + "-" * len(m.group(4)),
        text,
        flags=re.M | re.I,
    )


def examples(text: str) -> tuple[str, ...]:
    """Doctest blocks: a ``>>>`` line, its continuations and output, up to a blank line."""
    blocks: list[str] = []
    current: list[str] = []
    indent = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith(">>>"):
            if not current:
                indent = len(line) - len(line.lstrip())
            current.append(line[indent:] if len(line) >= indent else stripped)
        elif current and stripped:
            current.append(line[indent:] if line[:indent].strip() == "" else stripped)
        elif current:
            blocks.append("\n".join(current).rstrip())
            current = []
    if current:
        blocks.append("\n".join(current).rstrip())
    return tuple(blocks)


_STYLES: dict[str, dp.Style] = {
    "numpydoc": dp.Style.NUMPYDOC,
    "google": dp.Style.GOOGLE,
    "rest": dp.Style.REST,
}


def parse(raw: str) -> Doc:
    """Parse one docstring; never raises (an unparseable docstring stays plain text)."""
    text = raw.strip("\n")
    if not text.strip():
        return model.EMPTY_DOC
    body = _strip_signature_line(text)
    style = detect_style(body)
    doc = Doc(raw=raw, style=style, examples=examples(body))
    parsed = _parsed(body, style)
    if parsed is None:  # docstring_parser.ParseError and friends: keep the raw text
        summary, _, rest = body.partition("\n\n")
        return replace(
            doc, style="plain", summary=" ".join(summary.split()), description=rest.strip()
        )
    params: list[DocParam] = []
    returns: list[DocParam] = []
    raises: list[DocRaise] = []
    notes: list[str] = []
    see_also: list[str] = []
    for meta in parsed.meta:
        key = meta.args[0] if meta.args else ""
        if isinstance(meta, dp.DocstringParam) and key in _NOT_PARAMETERS:
            # A class's documented attributes (and method listings) are parsed as
            # params too; attributes reach their getters through documented_attributes().
            continue
        if isinstance(meta, dp.DocstringParam):
            for name in _split_names(meta.arg_name, keep_stars=True):
                if name == "None" and not meta.type_name and not meta.description:
                    continue  # numpydoc's way to say there are none (numpy's LinAlgError)
                params.append(
                    DocParam(
                        name=name,
                        type=meta.type_name,
                        description=(meta.description or "").strip(),
                        default=meta.default,
                    )
                )
        elif isinstance(meta, dp.DocstringReturns):
            returns.append(
                DocParam(
                    name=meta.return_name or "",
                    type=meta.type_name,
                    description=(meta.description or "").strip(),
                )
            )
        elif isinstance(meta, dp.DocstringRaises):
            raises.append(
                DocRaise(type=meta.type_name, description=(meta.description or "").strip())
            )
        elif key in ("notes", "note"):
            notes.append((meta.description or "").strip())
        elif key == "see_also":
            see_also.extend(_see_also(meta.description or ""))
    if style == "plain" or parsed.short_description is None:
        summary, _, rest = body.partition("\n\n")
        summary_text, description = " ".join(summary.split()), rest.strip()
    else:
        summary_text = " ".join((parsed.short_description or "").split())
        description = (parsed.long_description or "").strip()
    return replace(
        doc,
        summary=summary_text,
        description=description,
        params=tuple(params),
        returns=tuple(returns),
        raises=tuple(raises),
        notes="\n\n".join(n for n in notes if n),
        see_also=tuple(see_also),
    )


@functools.lru_cache(maxsize=1024)
def _parsed(body: str, style: str) -> dp.Docstring | None:
    """docstring_parser's result (cached: a class docstring is read twice, for the class
    and for its attributes); None when it cannot parse the text. Not to be mutated."""
    try:
        return dp.parse(
            _normalize_numpy(body) if style == "numpydoc" else body,
            style=_STYLES.get(style, dp.Style.AUTO),
        )
    except Exception:
        return None


_ATTRIBUTE_KEYS = ("attribute", "ivar", "cvar", "var")
_NOT_PARAMETERS = (*_ATTRIBUTE_KEYS, "method", "methods")


def documented_attributes(raw: str) -> dict[str, DocParam]:
    """The attributes a class docstring documents (numpydoc/Google ``Attributes``
    sections, reST ``:ivar x:`` / ``:cvar x:``), by name."""
    text = raw.strip("\n")
    if not text.strip():
        return {}
    body = _strip_signature_line(text)
    parsed = _parsed(body, detect_style(body))
    if parsed is None:
        return {}
    out: dict[str, DocParam] = {}
    for meta in parsed.meta:
        if not meta.args or meta.args[0] not in _ATTRIBUTE_KEYS:
            continue
        if isinstance(meta, dp.DocstringParam):
            arg_name, type_name = meta.arg_name, meta.type_name
        else:  # reST :ivar x: is a plain meta
            arg_name, type_name = meta.args[-1], None
        for name in _split_names(arg_name):
            out.setdefault(name, DocParam(name, type_name, (meta.description or "").strip()))
    return out


def _document_attributes(cls: model.Class) -> model.Class:
    """Attributes with no doc of their own (plain values, ``__slots__``, those found in
    ``__init__`` or answered by ``__getattr__``) take their description from the class
    docstring. A class whose instances answer attributes through ``__getattr__``
    (``attribute_hook``) also gets a getter for every attribute its docstring documents:
    they are set per instance, so the docstring is the only place that names them."""
    if not cls.doc.raw or not (cls.attributes or cls.attribute_hook):
        return cls
    documented = documented_attributes(cls.doc.raw)
    if not documented:
        return cls
    attributes = []
    for attr in cls.attributes:
        entry = documented.get(attr.name)
        noted = attr.doc.raw.startswith((SC.INSTANCE_ATTRIBUTE_PREFIX, _HOOKED_PREFIX))
        if entry is None or not (attr.doc == model.EMPTY_DOC or noted):
            attributes.append(attr)
            continue
        parts = [entry.description or f"The `{attr.name}` attribute."]
        if entry.type:
            parts.append(f"Documented type: `{entry.type}`.")
        if noted:
            parts.append(attr.doc.raw)
        attributes.append(replace(attr, doc=parse("\n\n".join(parts))))
    if cls.attribute_hook:
        taken = {a.name for a in cls.attributes} | {m.name for m in cls.methods}
        attributes.extend(
            _document_attributes_entry(name, entry)
            for name, entry in documented.items()
            if name not in taken
            and name.isidentifier()
            and not keyword.iskeyword(name)
            # pydantic's BaseModel documents its __pydantic_fields__ & co.: machinery,
            # and a getter the resolver could not bind again (it refuses dunders)
            and not is_dunder(name)
        )
        attributes.sort(key=lambda a: a.name)
    return replace(cls, attributes=tuple(attributes))


_HOOKED_PREFIX = HOOKED_ATTRIBUTE_DOC.split("`", 1)[0]


def _document_attributes_entry(name: str, entry: DocParam) -> model.Attribute:
    """The getter of a documented attribute that only ``__getattr__`` answers."""
    parts = [entry.description or f"The `{name}` attribute.", "Set per instance."]
    if entry.type:
        parts.insert(1, f"Documented type: `{entry.type}`.")
    return model.Attribute(name, "data", doc=parse("\n\n".join(parts)))


def _split_names(arg_name: str, *, keep_stars: bool = False) -> list[str]:
    """numpydoc allows ``x1, x2 : array_like``. A parameter keeps the stars of
    ``*args`` / ``**kwargs`` (reST escapes them: ``\\*args``), which say what it is."""
    names = [n.strip().replace("\\", "") for n in arg_name.split(",") if n.strip()]
    return names if keep_stars else [n.lstrip("*") for n in names]


def _see_also(text: str) -> list[str]:
    out: list[str] = []
    for line in text.split("\n"):
        if not line.strip() or line.startswith((" ", "\t")):
            continue
        # "name : description" (numpydoc) or "name: description" (sympy)
        head = re.split(r"\s*:\s", line, maxsplit=1)[0]
        out.extend(n.strip().strip("`:~") for n in head.split(",") if n.strip())
    return [n for n in out if n]


# ------------------------------------------------------------- model post-processing


# The model fields that can hold a Doc (directly or further down); nothing below a
# Signature holds one, so the walk never descends into parameters or types.
_DOC_FIELDS: dict[type, tuple[str, ...]] = {
    model.Library: ("root",),
    model.Module: ("doc", "functions", "classes", "attributes", "submodules"),
    model.Class: ("doc", "methods", "attributes"),
    model.Function: ("doc",),
    model.Attribute: ("doc",),
}


def parse_all(value: Any) -> Any:
    """Replace every raw ``Doc`` inside a model value with its parsed form, then let the
    parsed docs complete what the runtime could not say (see ``complete``)."""
    if isinstance(value, Doc):
        return parse(value.raw) if value.raw and value.style == "plain" else value
    if isinstance(value, tuple):
        return tuple(parse_all(v) for v in value)
    names = _DOC_FIELDS.get(type(value))
    if names is None:
        return value
    changes = {}
    for name in names:
        current = getattr(value, name)
        new = parse_all(current)
        if new is not current:
            changes[name] = new
    out = replace(value, **changes) if changes else value
    if isinstance(out, model.Function):
        out = replace(out, signature=complete(out.signature, out.doc))
    elif isinstance(out, model.Class):
        out = _document_attributes(replace(out, constructor=complete(out.constructor, out.doc)))
    return out


def complete(sig: Signature, doc: Doc) -> Signature:
    """The last cascade step, which needs a parsed doc.

    - a fallback or ``(*args, **kwargs)`` signature takes the documented parameter list
      (source "docstring"), keeping a real ``**kwargs`` so no keyword is refused;
    - a missing return type takes the type named in the Returns section;
    - a parameter without annotation takes its documented type, when that type is one
      the type model knows (``array_like`` → ARRAY, ``int or None``, ``{'a', 'b'}``).
    """
    # ``(**params)`` alone is no mystery (keywords only, as sklearn's set_params): only
    # a signature that also takes any positional is completed from the docs.
    takes_any = sig.is_fallback or any(p.kind is ParamKind.VAR_POSITIONAL for p in sig.params)
    if G.is_generic(sig) and takes_any:
        documented = signature_from_doc(doc)
        if documented is not None:
            extra = [
                p
                for p in sig.params
                if not sig.is_fallback
                and p.kind is ParamKind.VAR_KEYWORD
                and all(q.kind is not ParamKind.VAR_KEYWORD for q in documented.params)
                and all(q.name != p.name for q in documented.params)
            ]
            sig = replace(
                sig,
                params=documented.params + tuple(extra),
                source="docstring",
                returns=sig.returns or documented.returns,
                returns_source=sig.returns_source or documented.returns_source,
            )
    if sig.returns is None and doc.returns:
        refs = [doc_type(r.type) for r in doc.returns]
        if all(r is not None for r in refs):
            known = [r for r in refs if r is not None]
            returns = known[0] if len(known) == 1 else TypeRef(TypeKind.TUPLE, tuple(known))
            sig = replace(sig, returns=returns, returns_source="docstring")
    if any(p.annotation is None for p in sig.params) and doc.params:
        documented_types = {p.name.lstrip("*"): p.type for p in doc.params}
        params = []
        for p in sig.params:
            if p.annotation is None and documented_types.get(p.name):
                ref = doc_type(documented_types[p.name])
                if ref is not None:
                    p = replace(p, annotation=ref, annotation_source="docstring")
            params.append(p)
        sig = replace(sig, params=tuple(params))
    return sig


_DOC_TYPES: dict[str, TypeKind] = {
    "array_like": TypeKind.ARRAY,
    "array-like": TypeKind.ARRAY,
    "arraylike": TypeKind.ARRAY,
    "ndarray": TypeKind.ARRAY,
    "array": TypeKind.ARRAY,
    "matrix": TypeKind.ARRAY,
    "numpy.ndarray": TypeKind.ARRAY,
    "np.ndarray": TypeKind.ARRAY,
    "sparse matrix": TypeKind.ARRAY,
    "sparse array": TypeKind.ARRAY,
    "int": TypeKind.INT,
    "integer": TypeKind.INT,
    "ints": TypeKind.INT,
    "float": TypeKind.FLOAT,
    "floats": TypeKind.FLOAT,
    "real": TypeKind.FLOAT,
    "complex": TypeKind.COMPLEX,
    "bool": TypeKind.BOOL,
    "boolean": TypeKind.BOOL,
    "str": TypeKind.STR,
    "string": TypeKind.STR,
    "none": TypeKind.NONE,
    "dtype": TypeKind.DTYPE,
    "data-type": TypeKind.DTYPE,
    "data type": TypeKind.DTYPE,
    "dtype_like": TypeKind.DTYPE,
    "callable": TypeKind.CALLABLE,
    "function": TypeKind.CALLABLE,
    "dict": TypeKind.DICT,
    "mapping": TypeKind.DICT,
    "list": TypeKind.LIST,
    "sequence": TypeKind.LIST,
    "tuple": TypeKind.TUPLE,
    "set": TypeKind.SET,
    "bytes": TypeKind.BYTES,
    "iterator": TypeKind.ITERATOR,
    "generator": TypeKind.ITERATOR,
    "iterable": TypeKind.ITERATOR,
    "numpy.matrix": TypeKind.ARRAY,
    "np.matrix": TypeKind.ARRAY,
    "numpy array": TypeKind.ARRAY,
    "sparse": TypeKind.ARRAY,
    "sparse array/matrix": TypeKind.ARRAY,
    "scalar": TypeKind.ANY,
    "number": TypeKind.ANY,
    "object": TypeKind.ANY,
    "any": TypeKind.ANY,
}
# "bool (default: False)", "int, default 3": a default stated in the type
_DEFAULT_IN_TYPE = re.compile(r"\bdefaults?\b", re.I)
_CLASS_NAME = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Z]\w*$")
_SHAPE_PREFIX = re.compile(r"^\s*[({][^)}]*[)}]\s*,?\s*(?=[A-Za-z])")
_OF = re.compile(r"^(list|tuple|sequence|set|ndarray|array|iterator|iterable|dict)\s+of\s+.*$")


def doc_type(text: str | None) -> TypeRef | None:
    """A documented type ("int or None, optional") in the type model, or None if unsure."""
    if not text:
        return None
    t = text.strip().rstrip(".")
    t = re.sub(r",?\s*(optional|default[:=]?\s*.*)$", "", t, flags=re.I).strip()
    if t.startswith("{") and t.endswith("}") and ("'" in t or '"' in t):
        values = [v.strip() for v in t[1:-1].split(",") if v.strip()]
        if all(v[:1] in "'\"" or v in ("None", "True", "False") or _is_number(v) for v in values):
            return TypeRef(TypeKind.LITERAL, values=tuple(values))
        return None
    t = _SHAPE_PREFIX.sub("", t)
    # shapes are not types: "ndarray, shape (N, K)", "array of shape (M,)", "(M, N) ndarray"
    t = re.sub(r",?\s*(?:of\s+)?shape\b.*$", "", t, flags=re.I)
    t = re.sub(r"\([^()]*\)", "", t).strip(" ,")
    parts = [p.strip() for p in re.split(r"\s+or\s+|\s*\|\s*|,\s*", t) if p.strip()]
    if not parts:
        return None
    refs: list[TypeRef] = []
    for part in parts:
        low = part.lower().strip("`")
        m = _OF.match(low)
        if m:
            low = m.group(1)
        kind = _DOC_TYPES.get(low)
        if kind is None and re.fullmatch(r"[a-z]+_(array|matrix)", low):
            kind = TypeKind.ARRAY  # scipy.sparse formats: coo_array, csr_matrix, ...
        if kind is not None:
            refs.append(TypeRef(kind))
        elif len(parts) == 1 and _CLASS_NAME.match(part.strip("`~")):
            # "res : OptimizeResult": a class named by the docs; at the Elixir boundary
            # any such object is a ref, which is what CLASS maps to.
            refs.append(TypeRef(TypeKind.CLASS, name=part.strip("`~")))
        else:
            return None
    return T.union(refs)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def signature_from_doc(doc: Doc) -> Signature | None:
    """A parameter list from a signature line or the documented parameters."""
    first = doc.raw.strip().split("\n", 1)[0] if doc.raw else ""
    if first:
        names = (first.split("(", 1)[0].rsplit(".", 1)[-1].strip(),)
        line_sig = parse_signature_line(first, names)
        if line_sig is not None and not G.is_generic(line_sig):
            return line_sig
    if not doc.params:
        return None
    params: list[Param] = []
    var_keyword: Param | None = None
    seen: set[str] = set()
    keyword_only = False
    for p in doc.params:
        raw = p.name.strip()
        name = raw.lstrip("*")
        if not name.isidentifier() or keyword.iskeyword(name) or name in seen:
            continue  # "None", "Methods", prose: not parameters
        seen.add(name)
        if raw.startswith("**"):
            var_keyword = Param(name, ParamKind.VAR_KEYWORD)
            continue
        if raw.startswith("*"):
            params.append(Param(name, ParamKind.VAR_POSITIONAL))
            keyword_only = True
            continue
        optional = (
            p.default is not None
            or "optional" in (p.type or "").lower()
            or _DEFAULT_IN_TYPE.search(p.type or "") is not None
        )
        if optional:
            keyword_only = True
        kind = ParamKind.KEYWORD_ONLY if keyword_only else ParamKind.POSITIONAL_OR_KEYWORD
        params.append(
            Param(
                name,
                kind,
                has_default=optional,
                default=p.default,
                annotation=doc_type(p.type),
                annotation_source="docstring" if doc_type(p.type) is not None else None,
            )
        )
    if var_keyword is not None:
        params.append(var_keyword)
    if not params:
        return None
    return Signature(params=tuple(params), source="docstring")
