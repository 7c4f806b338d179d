"""Pure pieces of the introspector: type normalization, docstrings, signature text, stubs."""

from __future__ import annotations

import ast
import enum
import types
import typing
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from snakebridge.codegen.introspect import docstrings, stubs
from snakebridge.codegen.introspect import signatures as G
from snakebridge.codegen.introspect import types as T
from snakebridge.codegen.model import ANY, ParamKind, TypeKind, TypeRef

INT, STR, NONE, FLOAT = (
    TypeRef(TypeKind.INT),
    TypeRef(TypeKind.STR),
    TypeRef(TypeKind.NONE),
    TypeRef(TypeKind.FLOAT),
)
ARRAY, DTYPE = TypeRef(TypeKind.ARRAY), TypeRef(TypeKind.DTYPE)


class Thing:
    pass


def test_runtime_annotations() -> None:
    assert T.from_runtime(int) == INT
    assert T.from_runtime(list[int]) == TypeRef(TypeKind.LIST, (INT,))
    assert T.from_runtime(typing.Optional[str]) == TypeRef(TypeKind.UNION, (STR, NONE))  # noqa: UP045
    assert T.from_runtime(int | None) == TypeRef(TypeKind.UNION, (INT, NONE))
    assert T.from_runtime(tuple[int, ...]) == TypeRef(TypeKind.TUPLE, (INT,), variadic=True)
    assert T.from_runtime(tuple[int, str]) == TypeRef(TypeKind.TUPLE, (INT, STR))
    assert T.from_runtime(typing.Dict[str, int]) == TypeRef(TypeKind.DICT, (STR, INT))  # noqa: UP006
    assert T.from_runtime(typing.Any) == ANY
    assert T.from_runtime(typing.Literal["a", 1]) == TypeRef(TypeKind.LITERAL, values=("'a'", "1"))
    assert T.from_runtime(typing.Annotated[int, "meta"]) == INT
    assert T.from_runtime(Thing) == TypeRef(TypeKind.CLASS, name=f"{__name__}.Thing")
    assert T.from_runtime(int | typing.Any) == ANY
    bound = typing.TypeVar("bound", bound=float)
    assert T.from_runtime(bound) == FLOAT


def test_numpy_aliases() -> None:
    import numpy as np
    import numpy.typing as npt

    assert T.from_runtime(npt.ArrayLike) == ARRAY
    assert T.from_runtime(npt.DTypeLike) == DTYPE
    assert T.from_runtime(npt.NDArray[np.float64]) == ARRAY
    assert T.from_runtime(np.ndarray) == ARRAY
    assert T.from_runtime(np.float64) == FLOAT
    assert T.from_source("_ArrayLikeFloat_co") == ARRAY
    assert T.from_source("npt.NDArray[np.intp]") == ARRAY


def test_source_annotations_never_evaluate() -> None:
    ns = T.runtime_namespace({"Thing": Thing})
    assert T.from_source("Thing | None", ns) == TypeRef(
        TypeKind.UNION, (TypeRef(TypeKind.CLASS, name=f"{__name__}.Thing"), NONE)
    )
    assert T.from_source("'list[Thing]'", ns) == TypeRef(
        TypeKind.LIST, (TypeRef(TypeKind.CLASS, name=f"{__name__}.Thing"),)
    )
    assert T.from_source("Optional[int]") == TypeRef(TypeKind.UNION, (INT, NONE))
    assert T.from_source("__import__('os').system('false')") == ANY
    assert T.from_source("Unknown.Name") == TypeRef(TypeKind.CLASS, name="Unknown.Name")
    assert T.from_source("not valid (") == ANY


def test_safe_repr() -> None:
    class Color(enum.Enum):
        RED = 1

    assert G.safe_repr(None) == "None"
    assert G.safe_repr(Color.RED) == "Color.RED"
    assert G.safe_repr(float("nan")) == "nan"
    assert G.safe_repr((1,)) == "(1,)"
    assert G.safe_repr({"a": 1}) == "{...}"
    assert G.safe_repr(object()) == "<object>"
    assert G.safe_repr(int) == "int"


class Loud:
    def __repr__(self) -> str:  # a library's repr must never run
        raise AssertionError("repr called")


@given(
    st.recursive(
        st.none() | st.integers() | st.floats() | st.text() | st.binary() | st.builds(Loud),
        lambda inner: st.lists(inner) | st.tuples(inner, inner) | st.dictionaries(st.text(), inner),
        max_leaves=20,
    )
)
def test_safe_repr_is_total_and_short(value: object) -> None:
    text = G.safe_repr(value)
    assert isinstance(text, str) and len(text) < 2000


@given(st.text())
def test_signature_line_parser_is_total(line: str) -> None:
    G.parse_signature_line(line, ("f",))


def test_signature_line_forms() -> None:
    sig = G.parse_signature_line(
        "arange([start,] stop[, step,], dtype=None, *, like=None)", ("arange",)
    )
    assert sig is not None and sig.source == "docstring"
    assert [(p.name, p.has_default, p.kind) for p in sig.params] == [
        ("start", True, ParamKind.POSITIONAL_OR_KEYWORD),
        ("stop", False, ParamKind.POSITIONAL_OR_KEYWORD),
        ("step", True, ParamKind.POSITIONAL_OR_KEYWORD),
        ("dtype", True, ParamKind.POSITIONAL_OR_KEYWORD),
        ("like", True, ParamKind.KEYWORD_ONLY),
    ]
    tup = G.parse_signature_line("concatenate((a1, a2, ...), axis=0)", ("concatenate",))
    assert tup is not None and [p.name for p in tup.params] == ["arg0", "axis"]
    cpy = G.parse_signature_line("product(*iterables, repeat=1) --> product object", ("product",))
    assert cpy is not None and [p.kind for p in cpy.params] == [
        ParamKind.VAR_POSITIONAL,
        ParamKind.KEYWORD_ONLY,
    ]
    assert G.parse_signature_line("other(a)", ("f",)) is None


def test_text_signature() -> None:
    c = types.SimpleNamespace(__text_signature__="($self, /, axis=None, *, out=None)")
    sig = G.text_signature(c)
    assert sig is not None and [p.name for p in sig.params] == ["axis", "out"]


def test_docstring_numpydoc_with_signature_line() -> None:
    doc = docstrings.parse(
        "solve(a, b)\n\nSolve it.\n\nLonger.\n\nParameters\n----------\n"
        "a, b : array_like\n    Inputs.\n\nReturns\n-------\nx : ndarray\n    Out.\n\n"
        "Raises\n------\nLinAlgError\n    If singular.\n\nNotes\n-----\nA note.\n\n"
        "See Also\n--------\nlstsq : Least squares.\n\nExamples\n--------\n"
        ">>> solve(1, 2)\n3\n\n>>> x = 1\n"
    )
    assert doc.style == "numpydoc" and doc.summary == "Solve it."
    assert doc.description == "Longer."
    assert [(p.name, p.type) for p in doc.params] == [("a", "array_like"), ("b", "array_like")]
    assert doc.returns[0].name == "x" and doc.returns[0].type == "ndarray"
    assert doc.raises[0].type == "LinAlgError"
    assert doc.notes == "A note." and doc.see_also == ("lstsq",)
    assert doc.examples == (">>> solve(1, 2)\n3", ">>> x = 1")


def test_a_parameters_section_saying_none_has_no_parameters() -> None:
    import numpy

    doc = docstrings.parse(typing.cast(str, numpy.linalg.LinAlgError.__doc__))
    assert doc.style == "numpydoc" and doc.params == ()
    assert doc.summary == "Generic Python-exception-derived object raised by linalg functions."
    assert docstrings.parse("F.\n\nParameters\n----------\nNone : int\n    Odd.\n").params


def test_doc_types() -> None:
    assert docstrings.doc_type("array_like") == ARRAY
    assert docstrings.doc_type("(M, N) ndarray") == ARRAY
    assert docstrings.doc_type("int or None, optional") == TypeRef(TypeKind.UNION, (INT, NONE))
    assert docstrings.doc_type("{'fro', 'nuc'}") == TypeRef(
        TypeKind.LITERAL, values=("'fro'", "'nuc'")
    )
    assert docstrings.doc_type("list of int") == TypeRef(TypeKind.LIST)
    assert docstrings.doc_type("ndarray, shape (N, NRHS) or (..., N)") == ARRAY
    assert docstrings.doc_type("array of shape (M,)") == ARRAY
    assert docstrings.doc_type("coo_array or scalar") == ANY
    assert docstrings.doc_type("sparse array/matrix") == ARRAY
    assert docstrings.doc_type("some words here") is None
    assert docstrings.doc_type(None) is None


def test_stub_index_resolves_relative_reexports(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pkg = tmp_path / "stubpkg_sb"
    (pkg / "_impl").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "__init__.pyi").write_text("from ._impl.core import f as f\nfrom ._impl.core import *\n")
    (pkg / "_impl" / "__init__.pyi").write_text("")
    (pkg / "_impl" / "core.pyi").write_text(
        "from typing import TypeAlias, TypeVar\nimport numpy as np\n"
        "_T = TypeVar('_T', bound=int)\nIntList: TypeAlias = list[int]\n"
        "def f(__x: _T, y: IntList = ..., *, z: np.ndarray) -> IntList: ...\n"
        "def g() -> None: ...\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    index = stubs.StubIndex()
    hit = index.lookup("stubpkg_sb", "f")
    assert hit is not None and hit.module.name == "stubpkg_sb._impl.core"
    node = hit.nodes[0]
    assert isinstance(node, ast.FunctionDef)
    sig = stubs.signature_of(node, index.namespace(hit.module), drop_first=False)
    assert [(p.name, p.kind, p.annotation) for p in sig.params] == [
        ("x", ParamKind.POSITIONAL_ONLY, INT),
        ("y", ParamKind.POSITIONAL_OR_KEYWORD, TypeRef(TypeKind.LIST, (INT,))),
        ("z", ParamKind.KEYWORD_ONLY, ARRAY),
    ]
    assert sig.returns == TypeRef(TypeKind.LIST, (INT,))
    assert index.lookup("stubpkg_sb", "g") is not None  # through the star re-export
    assert index.lookup("stubpkg_sb", "missing") is None


def test_names_mean_what_their_module_says() -> None:
    assert T._classify_dotted("numpy.random._generator.Generator") == TypeRef(
        TypeKind.CLASS, name="numpy.random._generator.Generator"
    )
    assert T._classify_dotted("collections.abc.Generator") == TypeRef(TypeKind.ITERATOR)
    assert T._classify_dotted("numpy.float64") == FLOAT


def test_section_headers_are_normalized() -> None:
    doc = docstrings.parse(
        "Minimize.\n\nReturns\n-------\nres : OptimizeResult\n    Result.\n\n"
        "See also\n--------\nroot : Find roots.\n"
    )
    assert [r.type for r in doc.returns] == ["OptimizeResult"]
    assert doc.see_also == ("root",)
    assert docstrings.doc_type("OptimizeResult") == TypeRef(TypeKind.CLASS, name="OptimizeResult")


def test_see_also_both_spellings() -> None:
    doc = docstrings.parse(
        "Solve.\n\nSee Also\n========\n\nrsolve: For recurrences\n"
        "sympy.solvers.ode.dsolve: For ODEs\nnsolve, linsolve\n"
    )
    assert doc.see_also == ("rsolve", "sympy.solvers.ode.dsolve", "nsolve", "linsolve")


def test_compiled_class_takes_its_stub_beside_the_extension() -> None:
    """pandas.Interval says its module is "pandas"; its stub is pandas/_libs/interval.pyi."""
    import pandas

    from snakebridge.codegen.introspect.objects import Describer

    sig, _ = Describer().constructor(pandas.Interval, module="pandas", qualname="Interval")
    assert sig.source == "stub"
    assert [(p.name, p.has_default) for p in sig.params] == [
        ("left", False),
        ("right", False),
        ("closed", True),
    ]
