"""Python docstrings (already parsed into ``model.Doc``) → Markdown for ``@doc``.

ExDoc and IEx render Markdown, so numpydoc / Google / reST sections become ``##``
headings and bullet lists, ``>>>`` sessions become fenced ``python`` blocks, reST
roles (``:func:`x```) become inline code, ``.. math::`` becomes a fenced ``math``
block and ``:math:`x``` inline code, so formulas stay readable as plain text.

The output is data, not code: the emitter escapes it into an Elixir string literal.
Everything here is a pure function of its input (no locale, no environment).
"""

from __future__ import annotations

import contextlib
import inspect
import re
import textwrap
from collections.abc import Iterable, Iterator, Mapping

from snakebridge.codegen import model

_ROLE = re.compile(r":(?:[a-zA-Z0-9_+-]+:)*([a-zA-Z0-9_+-]+):`([^`]*)`")
_DOUBLE_BACKTICK = re.compile(r"``([^`]+?)``")
_LINK = re.compile(r"`([^`<>]+?)\s*<((?:https?|ftp)://[^<>`\s]+)>`__?")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)]|#\.)\s")
_DIRECTIVE = re.compile(r"^(\s*)\.\. ([a-zA-Z0-9_-]+)::\s*(.*)$")
_PROMPT = re.compile(r"^\s*(>>>|\.\.\.)( |$)")
_FENCE = re.compile(r"^\s*(```|~~~)")
_UNDERLINE = re.compile(r"^([=\-~^*+#])\1{2,}$")
_UNDERLINE_CHARS = frozenset("=-~^*+#")
# What a line opening a fence, a doctest or a directive starts with (after its indent).
_BLOCK_STARTS = ("```", "~~~", ">>>", ".. ")
_EXPLICIT_TARGET = re.compile(r"^(.*?)\s*<([^<>]+)>$")
_BACKTICKS = re.compile(r"`+")
_DOTTED_NAME = re.compile(r"[\w.]+")
_JOINED_TITLE = re.compile(r"^(.*\S)\s+([=\-~^*+#])\2{2,}$")

_ADMONITIONS = {
    "note": "Note",
    "warning": "Warning",
    "attention": "Attention",
    "caution": "Caution",
    "danger": "Danger",
    "important": "Important",
    "tip": "Tip",
    "hint": "Hint",
    "seealso": "See also",
    "admonition": "Note",
}
_VERSIONS = {
    "versionadded": "New in version",
    "versionchanged": "Changed in version",
    "deprecated": "Deprecated since version",
}


def inline(text: str) -> str:
    """reST inline markup → Markdown inline code (``:func:`np.mean``` → `` `np.mean` ``)."""

    def role(match: re.Match[str]) -> str:
        target = match.group(2)
        # :func:`title <target>` shows the target, which is what a reader can look up.
        explicit = _EXPLICIT_TARGET.match(target)
        if explicit:
            target = explicit.group(2)
        return "`" + target.lstrip("~!") + "`"

    if "`" not in text:  # every form below has one; most lines of prose have none
        return text
    text = _DOUBLE_BACKTICK.sub(lambda m: "`" + m.group(1) + "`", text)
    # `the NumPy homepage <https://numpy.org>`_ → [the NumPy homepage](https://numpy.org)
    text = _LINK.sub(lambda m: f"[{m.group(1)}]({m.group(2)})", text)
    return _ROLE.sub(role, text)


def _fence_for(lines: Iterable[str]) -> str:
    longest = 2
    for line in lines:
        if "`" in line:
            for run in _BACKTICKS.findall(line):
                longest = max(longest, len(run))
    return "`" * (longest + 1)


def _fenced(lang: str, lines: list[str]) -> list[str]:
    body = textwrap.dedent("\n".join(lines)).strip("\n").split("\n")
    fence = _fence_for(body)
    return [fence + lang, *body, fence]


# Results of ``free_text`` while a ``memo()`` is open: a library repeats many texts
# (numpy's ufuncs share their ``out``, ``where`` and ``**kwargs`` descriptions), and a
# third of a render went to converting them again. Scoped to one render, so a render
# costs the same however many came before it.
_MEMO: dict[str, str] | None = None


@contextlib.contextmanager
def memo() -> Iterator[None]:
    """Within this block, ``free_text`` converts each distinct text once."""
    global _MEMO
    outer = _MEMO
    _MEMO = {} if outer is None else outer
    try:
        yield
    finally:
        _MEMO = outer


def free_text(text: str) -> str:
    """A docstring section's free text → Markdown (directives, doctests, inline roles)."""
    table = _MEMO
    if table is None:
        return _free_text(text)
    found = table.get(text)
    if found is None:
        found = table[text] = _free_text(text)
    return found


def _free_text(text: str) -> str:
    # cleandoc, not dedent: a docstring's first line carries no indentation.
    lines = inspect.cleandoc(text.expandtabs(4)).split("\n")
    out: list[str] = []
    i = 0
    count = len(lines)
    while i < count:
        line = lines[i]
        stripped = line.lstrip()
        # Most lines are prose: only a line starting with one of these marks can open a
        # fence, a doctest or a directive, so the others skip those three patterns.
        if stripped.startswith(_BLOCK_STARTS) and _FENCE.match(line):
            # already Markdown: copy the fenced block untouched
            marker = _FENCE.match(line).group(1)  # type: ignore[union-attr]
            out.append(line)
            i += 1
            while i < len(lines):
                out.append(lines[i])
                i += 1
                if lines[i - 1].strip().startswith(marker):
                    break
            continue
        if stripped.startswith(">>>") and _PROMPT.match(line):
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i])
                i += 1
            out += ["", *_fenced("python", block), ""]
            continue
        directive = _DIRECTIVE.match(line) if stripped.startswith(".. ") else None
        if directive:
            indent, name, arg = directive.groups()
            i += 1
            body: list[str] = []
            while i < len(lines) and (
                not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > len(indent)
            ):
                body.append(lines[i])
                i += 1
            while body and not body[-1].strip():
                body.pop()
            out += ["", *_directive(name.lower(), arg, body), ""]
            continue
        if line.rstrip().endswith("::") and not line.strip().startswith(".."):
            # reST literal block marker: the indented block after it is code.
            stripped = line.rstrip()[:-2].rstrip()
            out.append(inline(stripped + ":") if stripped else "")
            i += 1
            block = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
                block.append(lines[i])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            if block:
                first = next(b for b in block if b.strip())
                lang = "python" if first.lstrip().startswith(">>>") else ""
                out += ["", *_fenced(lang, block), ""]
            continue
        underline = lines[i + 1].strip() if i + 1 < count else ""
        if (
            underline[:1] in _UNDERLINE_CHARS
            and stripped
            and _UNDERLINE.match(underline)
            and len(underline) >= len(line.strip())
        ):
            # A reST section title ("Notes\n-----"): an ExDoc-friendly heading.
            out += ["", "### " + inline(line.strip()), ""]
            i += 2
            continue
        item = _definition(lines, i)
        if item is not None:
            entry, i = item
            out.append(entry)
            continue
        out.append(inline(line))
        i += 1
    return _squeeze(out)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _definition(lines: list[str], i: int) -> tuple[str, int] | None:
    """A reST definition-list item ("lib\\n    Basic functions ...", as in numpy's module
    docstring) → one Markdown bullet, and the index after it; None when ``lines[i]``
    starts no such item. Markdown would join the term and its indented definition
    into one run-on paragraph."""
    term = lines[i]
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    previous = lines[i - 1] if i > 0 else ""
    if (
        not term.strip()
        or not nxt.strip()
        or _indent(nxt) <= _indent(term)
        or len(term.strip()) > 60
        or term.rstrip().endswith((".", ",", ":", ";"))
        or _LIST_ITEM.match(term)
        or _LIST_ITEM.match(nxt)
        or _PROMPT.match(nxt)
        # A definition list starts after a blank line (or a title) or continues one.
        or not (
            not previous.strip()
            or _UNDERLINE.match(previous.strip())
            or _indent(previous) > _indent(term)
        )
    ):
        return None
    if term.lstrip().startswith(".."):  # a directive or comment, however spaced
        return None
    body: list[str] = []
    j = i + 1
    while j < len(lines) and lines[j].strip() and _indent(lines[j]) > _indent(term):
        body.append(lines[j].strip())
        j += 1
    if any(b.startswith(("..", ">>>", "```")) for b in body):
        return None  # markup inside: the generic path renders it as a block
    text = term.strip()
    head = f"`{text}`" if _DOTTED_NAME.fullmatch(text) else f"**{inline(text)}**"
    return f"  * {head} - {inline(' '.join(body))}", j


_SILENT_DIRECTIVES = {"module", "currentmodule", "index", "toctree", "plot", "only", "testsetup"}
_OPTION = re.compile(r"^\s*:[\w-]+:(\s.*)?$")


def _directive(name: str, arg: str, body: list[str]) -> list[str]:
    # Directive options (":toctree: generated/") configure Sphinx, not the reader.
    while body and (not body[0].strip() or _OPTION.match(body[0])):
        body = body[1:]
    if name in _SILENT_DIRECTIVES:
        return []
    if name == "autosummary":
        rows = [line.split(None, 1) for line in body if line.strip()]
        return [f"  * `{r[0]}`" + (f" - {inline(r[1])}" if len(r) > 1 else "") for r in rows]
    content = free_text("\n".join(body)) if body else ""
    if name == "math":
        return _fenced("math", [arg, *body] if arg else body)
    if name in ("code-block", "code", "sourcecode", "doctest"):
        lang = "python" if name == "doctest" else arg.strip()
        return _fenced(lang, body)
    if name in _VERSIONS:
        version, _, rest = arg.partition(" ")
        head = f"*{_VERSIONS[name]} {version}.*"
        tail = " ".join(x for x in (inline(rest), content) if x)
        return [f"{head} {tail}".rstrip()]
    if name in _ADMONITIONS:
        title = _ADMONITIONS[name]
        text = " ".join(x for x in (inline(arg), content) if x)
        return [
            f"> **{title}:** " + line if k == 0 else "> " + line
            for k, line in enumerate(text.split("\n"))
        ]
    # Unknown directive (autosummary, plot, ...): keep what it says, drop the markup.
    return [x for x in (inline(arg), content) if x]


def _squeeze(lines: list[str]) -> str:
    """Trim trailing spaces, collapse runs of blank lines, drop leading/trailing blanks."""
    result: list[str] = []
    for line in lines:
        line = line.rstrip()
        if not line and (not result or not result[-1]):
            continue
        result.append(line)
    while result and not result[-1]:
        result.pop()
    return "\n".join(result)


def _item(head: str, description: str) -> list[str]:
    text = free_text(description) if description.strip() else ""
    if not text:
        return [f"  * {head}"]
    first, *rest = text.split("\n")
    return [f"  * {head} - {first}", *[("    " + r) if r else "" for r in rest]]


def _param_head(p: model.DocParam, defaults: Mapping[str, str]) -> str:
    head = f"`{p.name}`" if p.name else ""
    if p.type:
        head += f" (`{_one_line(p.type)}`)" if head else f"`{_one_line(p.type)}`"
    # Defaults come from the signature: docstring parsers guess them from prose
    # ("The default is to ...") and guess wrong.
    default = defaults.get(p.name)
    if default:
        head += f", default: `{_one_line(default)}`"
    return head or "value"


def _one_line(text: str) -> str:
    return " ".join(text.replace("`", "'").split())


def _prompt_lines(text: str) -> set[str]:
    return {line.strip() for line in text.split("\n") if _PROMPT.match(line)}


def summary(doc: model.Doc) -> str:
    """One line for listings (``__functions__``, search results)."""
    # The first line of the stripped text is never blank.
    text = doc.summary or doc.raw.strip().split("\n", 1)[0]
    text = " ".join(inline(text).split())
    return text if len(text) <= 200 else text[:197] + "..."


def render_doc(
    doc: model.Doc,
    *,
    signature: str | None = None,
    signature_source: str | None = None,
    deprecated: str | None = None,
    defaults: Mapping[str, str] | None = None,
) -> str:
    """The full Markdown for one symbol's ``@doc`` (or a module's ``@moduledoc`` body)."""
    parts: list[str] = []
    if deprecated:
        parts.append(f"> **Deprecated:** {_one_line(inline(deprecated))}")
    parsed = doc.style not in ("plain", "none") or bool(doc.summary or doc.params)
    if parsed:
        summary_text = doc.summary.strip()
        title = _JOINED_TITLE.match(summary_text)
        if title:  # "NumPy\n=====" joined into one line by the docstring parser
            summary_text = "### " + title.group(1)
        head = "\n\n".join(x for x in (summary_text, doc.description.strip()) if x)
        if head:
            parts.append(free_text(head))
    elif doc.raw.strip():
        parts.append(free_text(doc.raw))
    if signature:
        parts.append("Python signature:\n\n" + "\n".join(_fenced("python", [signature])))
    if signature_source == "fallback":
        parts.append(
            "> **Note:** Python did not reveal a signature for this callable, so the "
            "binding accepts positional arguments as a list and passes every option in "
            "`opts` through unchecked."
        )
    elif signature_source in ("docstring", "stub", "text_signature"):
        where = {
            "docstring": "the first line of its docstring",
            "stub": "the library's type stubs (`.pyi`)",
            "text_signature": "its `__text_signature__`",
        }[signature_source]
        parts.append(f"*Signature taken from {where}.*")
    if parsed:
        if doc.params:
            section = ["## Parameters", ""]
            for p in doc.params:
                section += _item(_param_head(p, defaults or {}), p.description)
            parts.append("\n".join(section))
        if doc.returns:
            section = ["## Returns", ""]
            for r in doc.returns:
                section += _item(_param_head(r, {}), r.description)
            parts.append("\n".join(section))
        if doc.raises:
            section = ["## Raises", ""]
            for e in doc.raises:
                section += _item(f"`{_one_line(e.type)}`" if e.type else "error", e.description)
            parts.append("\n".join(section))
        if doc.see_also:
            section = ["## See also", ""]
            section += [f"  * {inline(_one_line(s))}" for s in doc.see_also]
            parts.append("\n".join(section))
        if doc.notes.strip():
            parts.append("## Notes\n\n" + free_text(doc.notes))
        # A parser may lift `>>>` lines out of the free text the head already shows.
        shown = _prompt_lines(doc.description) if not doc.params else set()
        examples = [e for e in doc.examples if not _prompt_lines(e) <= shown]
        if examples:
            section = ["## Examples", ""]
            for example in examples:
                section += [
                    free_text(example)
                    if not example.lstrip().startswith(">>>")
                    else "\n".join(_fenced("python", example.split("\n"))),
                    "",
                ]
            parts.append(_squeeze(section))
    return _squeeze("\n\n".join(p for p in parts if p.strip()).split("\n"))
