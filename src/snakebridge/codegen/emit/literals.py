"""Elixir literals from untrusted text: every string the generator writes goes through here.

Docstrings, names and versions come from the library being wrapped, so they are data:
nothing in them may end a string, start an interpolation, or otherwise become code.

* ``string`` writes a one-line ``"..."`` literal: backslash, quote and ``#{`` are
  escaped; control characters and every non-ASCII character are written as
  ``\\u{...}`` escapes, so the literal is pure ASCII and the formatter's width
  measure equals ``len()``.
* ``heredoc`` writes a ``\"\"\"`` block for ``@doc``: backslash, ``#{`` and
  ``\"\"\"`` are escaped, control characters except newline and tab become ``\\u{...}``
  escapes, and every line is indented to the closing delimiter (an outdented line
  would warn). Non-ASCII text stays readable; the formatter never reflows heredocs.
* Lone surrogates (not encodable in UTF-8) become U+FFFD; that is the only lossy case.
"""

from __future__ import annotations

import re

_UNSAFE_ONE_LINE = re.compile(r'[\\"]|#\{|[^\x20-\x7e]')
# Bidirectional controls are escaped too: Elixir rejects them in source (Trojan Source).
# One character class first, so the regex engine skips safe text at C speed; `#` and `"`
# are unsafe only as `#{` and `"""`, which the optional tail takes (``_heredoc``
# returns a lone `#` or `"` unchanged).
_UNSAFE_HEREDOC = re.compile(
    r'[\\#"\x00-\x08\x0b-\x1f\x7f\u0080-\u009f\u2028\u2029'
    r"\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
    r'(?:(?<=#)\{|(?<=")"")?'
)
_IDENT = re.compile(r"[a-z_][A-Za-z0-9_]*[?!]?\Z")


def _codepoint(ch: str) -> str:
    if 0xD800 <= ord(ch) <= 0xDFFF:
        return "\\u{FFFD}"
    return f"\\u{{{ord(ch):X}}}"


def _one_line(match: re.Match[str]) -> str:
    text = match.group(0)
    if text in ("\\", '"'):
        return "\\" + text
    if text == "#{":
        return "\\#{"
    if text == "\n":
        return "\\n"
    if text == "\t":
        return "\\t"
    return _codepoint(text)


def string(text: str) -> str:
    """A double-quoted, pure-ASCII Elixir string literal whose value is ``text``."""
    return '"' + _UNSAFE_ONE_LINE.sub(_one_line, text) + '"'


def _heredoc(match: re.Match[str]) -> str:
    text = match.group(0)
    if text in ("#", '"'):
        return text
    if text == "\\":
        return "\\\\"
    if text == "#{":
        return "\\#{"
    if text == '"""':
        return '\\"""'
    return _codepoint(text)


def _visible_blanks(line: str) -> str:
    """``line`` with its trailing spaces and tabs as escapes: the formatter would strip
    them, and the doc text must keep them."""
    kept = line.rstrip(" \t")
    if len(kept) == len(line):
        return line
    return kept + "".join(_codepoint(ch) for ch in line[len(kept) :])


def heredoc(text: str, indent: str) -> str:
    """A ``\"\"\"`` heredoc whose value is exactly ``text`` plus a final newline.

    Returns the lines from the opening delimiter to the closing one; the caller puts
    ``@doc `` (or similar) in front.
    """
    # The pattern spans no newline, so one pass over the whole text is per-line exact.
    escaped = _UNSAFE_HEREDOC.sub(_heredoc, text)
    lines = escaped.split("\n")
    body = "\n".join((indent + _visible_blanks(line)) if line else "" for line in lines)
    return f'"""\n{body}\n{indent}"""'


def atom(name: str) -> str:
    """``:name`` for an identifier-shaped name, otherwise a quoted atom ``:"..."``."""
    if _IDENT.match(name):
        return ":" + name
    return ":" + string(name)


def comment_safe(text: str) -> str:
    """``text`` for a ``#`` comment: printable ASCII only (anything else is ``?``)."""
    return "".join(ch if 0x20 <= ord(ch) < 0x7F else "?" for ch in text)
