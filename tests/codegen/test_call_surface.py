"""Signatures read from text never make a call impossible that Python accepts, and one
hostile object does not take a module's introspection down."""

from __future__ import annotations

import sys
from pathlib import Path

from snakebridge.codegen import model
from snakebridge.codegen.emit import shape
from snakebridge.codegen.introspect import docstrings, introspect_surface
from snakebridge.codegen.introspect import signatures as G
from snakebridge.codegen.model import ParamKind

HOSTILE = '''
class Expr:
    def __bool__(self):
        raise TypeError("the truth value of an Expr is ambiguous")

class Col:
    """Like polars.col: every attribute is an Expr."""
    def __getattr__(self, name):
        return Expr()
    def __call__(self, name):
        return Expr()

col = Col()

def fine(x, y=1):
    """A plain function."""
    return x
'''


def test_a_hostile_object_is_described_or_skipped_and_the_rest_generates(tmp_path: Path) -> None:
    (tmp_path / "sbhostile.py").write_text(HOSTILE)
    sys.path.insert(0, str(tmp_path))
    try:
        import os

        old = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = str(tmp_path)
        result = introspect_surface(sys.executable, "sbhostile")
    finally:
        sys.path.remove(str(tmp_path))
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old
    names = {getattr(e, "name", None) for e in result.entries}
    assert "fine" in names
    assert "col" in names or any("col" in s for s in result.stats["skipped"])


def _doc(raw: str) -> model.Doc:
    return docstrings.parse(raw)


def test_documented_star_args_and_kwargs_stay_variadic() -> None:
    doc = _doc(
        "Select columns.\n\nParameters\n----------\n*exprs\n    Columns.\n"
        "**named_exprs\n    Named columns.\n"
    )
    sig = docstrings.signature_from_doc(doc)
    assert sig is not None
    assert [(p.name, p.kind) for p in sig.params] == [
        ("exprs", ParamKind.VAR_POSITIONAL),
        ("named_exprs", ParamKind.VAR_KEYWORD),
    ]


def test_attributes_and_prose_names_never_become_parameters() -> None:
    doc = _doc(
        "A result.\n\nAttributes\n----------\nx : ndarray\n    The solution.\n"
        "success : bool\n    Whether it worked.\n"
    )
    assert doc.params == ()
    doc = _doc("Offset.\n\nParameters\n----------\nNone : int\n    Odd.\nn : int, default 1\n")
    sig = docstrings.signature_from_doc(doc)
    assert sig is not None and [p.name for p in sig.params] == ["n"]
    assert sig.params[0].has_default  # "int, default 1"
    doc = _doc(
        "Solve.\n\nParameters\n----------\nc : array\n    C.\nmaximize : bool (default: False)\n"
    )
    sig = docstrings.signature_from_doc(doc)
    assert sig is not None and [p.has_default for p in sig.params] == [False, True]


def test_every_documented_form_is_accepted() -> None:
    class Builtin:
        __doc__ = "int([x]) -> integer\nint(x, base=10) -> integer\n\nConvert a number."

    forms = G.docstring_forms(Builtin(), ("int",))
    assert len(forms) == 2
    call = shape.union(forms, receiver=False)
    assert call.min_arity == 0 and call.kwargs is None  # read from text: permissive
    assert {1, 2, 3} <= set(call.arities)


def test_a_return_tuple_after_the_parameters_is_not_a_parameter() -> None:
    sig = G.parse_signature_line(
        "max(input, dim, keepdim=False, *, out=None) -> (Tensor, LongTensor)", ("max",)
    )
    assert sig is not None
    assert [p.name for p in sig.params] == ["input", "dim", "keepdim", "out"]
    assert sig.params[2].has_default and sig.params[3].kind == ParamKind.KEYWORD_ONLY


def test_overloads_union_accepts_every_form() -> None:
    short = G.parse_signature_line("sum(input, *, dtype=None) -> Tensor", ("sum",))
    long = G.parse_signature_line("sum(input, dim, keepdim=False, *, dtype=None)", ("sum",))
    assert short is not None and long is not None
    real = [model.Signature(s.params, source="stub") for s in (short, long)]
    call = shape.union(real, receiver=False)
    assert [p.name for p in call.required] == ["input"]
    assert call.optional == ("dim", "keepdim")
    assert call.kwargs is not None and {"dim", "keepdim", "dtype"} <= set(call.kwargs)
