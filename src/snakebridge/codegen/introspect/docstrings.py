"""Docstring text → ``model.Doc`` (parent side), using ``docstring_parser`` from PyPI.

The style is detected here rather than by the parser's AUTO mode, because the
libraries we care about bend the conventions: numpy puts a signature line first,
sympy underlines numpydoc sections with ``=`` instead of ``-``. Examples are taken as
doctest blocks (``>>>`` runs and their output) wherever they appear, which is
style-independent and exactly what the generator renders as iex-like blocks.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Literal

import docstring_parser as dp

from snakebridge.codegen import model
from snakebridge.codegen.introspect.signatures import parse_signature_line
from snakebridge.codegen.model import Doc, DocParam, DocRaise, Param, ParamKind, Signature

_NUMPY_SECTIONS = (
    "Parameters|Other Parameters|Returns|Yields|Receives|Raises|Warns|Warnings|See Also|"
    "Notes|References|Examples|Attributes|Methods"
)
_NUMPY_HEADER = re.compile(rf"^[ \t]*({_NUMPY_SECTIONS})[ \t]*\n[ \t]*([-=~])\2{{2,}}[ \t]*$",
                           re.M)
_GOOGLE_HEADER = re.compile(
    r"^[ \t]*(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Returns|Return|"
    r"Raises|Yields|Examples?|Attributes|Notes?|See Also|Todo):[ \t]*\n[ \t]+\S", re.M)
_REST_FIELD = re.compile(r"^[ \t]*:(param|parameter|arg|argument|key|keyword|type|returns?|"
                         r"rtype|raises?|except|exception)\b[^:]*:", re.M)
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


def _normalize_numpy(text: str) -> str:
    """sympy underlines section headers with '='; docstring_parser expects '-'."""
    return re.sub(
        rf"^([ \t]*(?:{_NUMPY_SECTIONS})[ \t]*\n[ \t]*)([=~]{{3,}})[ \t]*$",
        lambda m: m.group(1) + "-" * len(m.group(2)), text, flags=re.M)


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
    try:
        parsed = dp.parse(_normalize_numpy(body) if style == "numpydoc" else body,
                          style=_STYLES.get(style, dp.Style.AUTO))
    except Exception:  # docstring_parser.ParseError and friends: keep the raw text
        summary, _, rest = body.partition("\n\n")
        return replace(doc, style="plain", summary=" ".join(summary.split()),
                       description=rest.strip())
    params: list[DocParam] = []
    returns: list[DocParam] = []
    raises: list[DocRaise] = []
    notes: list[str] = []
    see_also: list[str] = []
    for meta in parsed.meta:
        key = meta.args[0] if meta.args else ""
        if isinstance(meta, dp.DocstringParam):
            for name in _split_names(meta.arg_name):
                params.append(DocParam(name=name, type=meta.type_name,
                                       description=(meta.description or "").strip(),
                                       default=meta.default))
        elif isinstance(meta, dp.DocstringReturns):
            returns.append(DocParam(name=meta.return_name or "", type=meta.type_name,
                                    description=(meta.description or "").strip()))
        elif isinstance(meta, dp.DocstringRaises):
            raises.append(DocRaise(type=meta.type_name,
                                   description=(meta.description or "").strip()))
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


def _split_names(arg_name: str) -> list[str]:
    """numpydoc allows ``x1, x2 : array_like``; ``*args`` keeps its stars out."""
    return [n.strip().lstrip("*") for n in arg_name.split(",") if n.strip()]


def _see_also(text: str) -> list[str]:
    out: list[str] = []
    for line in text.split("\n"):
        if not line.strip() or line.startswith((" ", "\t")):
            continue
        head = line.split(" : ")[0]
        out.extend(n.strip().strip("`:") for n in head.split(",") if n.strip())
    return [n for n in out if n]


# ------------------------------------------------------------- model post-processing


def parse_all(value: Any) -> Any:
    """Replace every raw ``Doc`` inside a model value with its parsed form.

    Also the last cascade step that needs a doc parser: a callable whose signature is
    still the fallback gets one from its documented parameters (source "docstring").
    """
    from dataclasses import fields, is_dataclass

    if isinstance(value, Doc):
        return parse(value.raw) if value.raw and value.style == "plain" else value
    if isinstance(value, tuple):
        return tuple(parse_all(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in fields(value):
            current = getattr(value, f.name)
            if isinstance(current, Doc | tuple) or (is_dataclass(current)
                                                    and not isinstance(current, type)):
                new = parse_all(current)
                if new is not current:
                    changes[f.name] = new
        out = replace(value, **changes) if changes else value
        if isinstance(out, model.Function) and out.signature.is_fallback:
            out = replace(out, signature=signature_from_doc(out.doc) or out.signature)
        if isinstance(out, model.Class) and out.constructor.is_fallback:
            sig = signature_from_doc(out.doc)
            if sig is not None:
                returns = out.constructor.returns
                out = replace(out, constructor=replace(sig, returns=returns))
        return out
    return value


def signature_from_doc(doc: Doc) -> Signature | None:
    """A parameter list from the documented parameters (or a signature line)."""
    first = doc.raw.strip().split("\n", 1)[0] if doc.raw else ""
    if first:
        names = (first.split("(", 1)[0].rsplit(".", 1)[-1].strip(),)
        line_sig = parse_signature_line(first, names)
        if line_sig is not None:
            return line_sig
    if not doc.params:
        return None
    params: list[Param] = []
    seen: set[str] = set()
    keyword_only = False
    for p in doc.params:
        name = p.name.strip()
        if not name.isidentifier() or name in seen:
            continue
        seen.add(name)
        optional = p.default is not None or "optional" in (p.type or "")
        if optional:
            keyword_only = True
        kind = ParamKind.KEYWORD_ONLY if keyword_only else ParamKind.POSITIONAL_OR_KEYWORD
        params.append(Param(name, kind, has_default=optional, default=p.default))
    if not params:
        return None
    return Signature(params=tuple(params), source="docstring")
