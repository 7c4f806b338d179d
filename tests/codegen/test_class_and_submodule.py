"""A module named after the class it defines: ``numpy.polynomial.polynomial`` and
``numpy.polynomial.Polynomial``, ``arrow.arrow`` and ``arrow.Arrow``. Both are the one
Elixir module ``Pkg.Poly``: the library's docs call ``Polynomial([1, 2, 3])`` and
``polynomial.polyval(2, c)`` in one program, so the binding holds the class and the
submodule's functions together, each call resolved by the function it names."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from snakebridge.codegen.emit import render_library
from snakebridge.codegen.introspect import introspect
from snakebridge.project import Detection, LibrarySpec, Project

LIB = LibrarySpec("sbpoly", ">= 0", "Sbpoly", "sbpoly")

PACKAGE = {
    "__init__.py": "from . import poly\nfrom .poly import Poly\n",
    "poly.py": '''
        def polyval(x, c):
            """Evaluate a polynomial at x."""
            return sum(k * x**i for i, k in enumerate(c))


        def degree(c):
            """A module function and a method of the same name."""
            return len(c) - 1


        class Poly:
            """A polynomial."""

            def __init__(self, coef):
                self.coef = list(coef)

            def degree(self):
                return len(self.coef) - 1
        ''',
}


def _introspect(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: list[Detection]):  # type: ignore[no-untyped-def]
    pkg = tmp_path / "sbpoly"
    pkg.mkdir()
    for name, text in PACKAGE.items():
        (pkg / name).write_text(textwrap.dedent(text))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    project = Project(tmp_path, (LIB,), tmp_path / "lib" / "snakebridge_generated", "")
    return introspect(project, {"sbpoly": calls})["sbpoly"]


def test_class_and_submodule_of_one_elixir_name_are_one_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _introspect(
        tmp_path,
        monkeypatch,
        [Detection("Sbpoly.Poly", "new", 1), Detection("Sbpoly.Poly", "polyval", 2)],
    )
    assert not result.unresolved, [u.message for u in result.unresolved]
    assert result.resolved == {
        ("Sbpoly.Poly", "new"): "sbpoly.Poly.__init__",
        ("Sbpoly.Poly", "polyval"): "sbpoly.poly.polyval",
    }
    rendered = render_library(result.library, LIB, tool_version="0.1.0")
    assert rendered.source.count("defmodule Sbpoly.Poly do") == 1
    by_name = {(s.elixir_module, s.name): s.python for s in rendered.symbols}
    assert by_name[("Sbpoly.Poly", "new")] == "sbpoly.Poly"
    assert by_name[("Sbpoly.Poly", "polyval")] == "sbpoly.poly.polyval"
    assert "A ref to an instance of the Python class `sbpoly.Poly`." in rendered.source
    assert "The functions of the Python module `sbpoly.poly`, which shares" in rendered.source


def test_a_function_both_offer_goes_to_the_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # degree is a method of Poly and a function of poly: the exact spelling, the class,
    # is the one bound (a ref first); one Elixir name is never bound twice.
    result = _introspect(tmp_path, monkeypatch, [Detection("Sbpoly.Poly", "degree", 1)])
    assert result.resolved == {("Sbpoly.Poly", "degree"): "sbpoly.Poly.degree"}
    rendered = render_library(result.library, LIB, tool_version="0.1.0")
    (degree,) = [s for s in rendered.symbols if s.name == "degree"]
    assert degree.arities[0] == 1  # the ref


def test_classmethod_forms_from_stubs_do_not_count_cls() -> None:
    """A stub writes a classmethod's overloads with ``cls`` first
    (numpy's ``Polynomial.fit(cls, x, y, deg, ...)``); the binding's arities are the
    call's, ``Poly.fit(x, y, deg)``, with no extra positional for ``cls``."""
    from snakebridge.codegen import model
    from snakebridge.codegen.model import Param, Signature

    pk = model.ParamKind.POSITIONAL_OR_KEYWORD
    call = (Param("x", pk), Param("y", pk), Param("deg", pk), Param("w", pk, True, "None"))
    fit = model.Function(
        name="fit",
        qualname="Poly.fit",
        module="sbpoly",
        kind="classmethod",
        signature=Signature(call),
        overloads=(Signature((Param("cls", pk), *call)),),
    )
    cls = model.Class(
        name="Poly",
        qualname="Poly",
        module="sbpoly",
        constructor=Signature(()),
        constructor_requested=False,
        methods=(fit,),
    )
    library = model.Library(
        name="sbpoly",
        version="1.0",
        python_module="sbpoly",
        elixir_module="Sbpoly",
        root=model.Module(name="sbpoly", classes=(cls,)),
    )
    rendered = render_library(library, LIB, tool_version="0.1.0")
    (symbol,) = [s for s in rendered.symbols if s.name == "fit"]
    # x, y, deg (y and deg may be left to opts, x too: fit(opts)); then w; then opts
    assert symbol.arities == (1, 2, 3, 4, 5)
