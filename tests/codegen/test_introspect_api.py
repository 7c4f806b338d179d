"""introspect() against the real numpy, sympy and json, through real child processes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from snakebridge.codegen import model
from snakebridge.codegen.introspect import (
    IntrospectionError,
    IntrospectionResult,
    LibraryNotInstalled,
    introspect,
    introspect_surface,
)
from snakebridge.codegen.model import ParamKind, TypeKind
from snakebridge.project import Detection, LibrarySpec, Project

D = Detection


def project(*libs: LibrarySpec, python: str = "") -> Project:
    return Project(
        Path("/tmp/sb-introspect-test"),
        tuple(libs),
        Path("/tmp/sb-introspect-test/lib/snakebridge_generated"),
        python,
    )


NUMPY = LibrarySpec("numpy", "~> 2.0", "Numpy", "numpy")
SYMPY = LibrarySpec("sympy", "~> 1.13", "Sympy", "sympy")
JSON = LibrarySpec("json", None, "Json", "json")


@pytest.fixture(scope="module")
def results() -> dict[str, IntrospectionResult]:
    return introspect(
        project(NUMPY, SYMPY, JSON),
        {
            "numpy": [
                D("Numpy", "mean", 1),
                D("Numpy", "mean", 2),
                D("Numpy.Linalg", "solve", 2),
                D("Numpy", "add", 2),
                D("Numpy", "pi", 0),
                D("Numpy", "meen", 1),
                D("Numpy", "float64", 1),
                D("Numpy.Fft", "fft", 1),
                D("Numpy.Ndarray", "sum", 1),
                D("Numpy.Ndarray", "shape", 1),
            ],
            "sympy": [
                D("Sympy.Symbol", "new", 1),
                D("Sympy.Symbol", "simplify", 1),
                D("Sympy", "py_N", 1),
                D("Sympy", "sympify", 1),
            ],
            "json": [
                D("Json", "dumps", 1),
                D("Json", "loads", 1),
                D("Json.JSONDecoder", "new", 0),
                D("Json.JSONDecoder", "decode", 2),
            ],
        },
    )


def fn(module: model.Module, qualname: str) -> model.Function:
    return next(f for f in module.functions if f.qualname == qualname)


def sub(module: model.Module, name: str) -> model.Module:
    return next(m for m in module.submodules if m.name == name)


def test_versions_and_resolved_paths(results: dict[str, IntrospectionResult]) -> None:
    import numpy
    import sympy

    assert results["numpy"].library.version == numpy.__version__
    assert results["sympy"].library.version == sympy.__version__
    assert results["json"].library.version == ".".join(map(str, sys.version_info[:3]))
    assert results["numpy"].resolved[("Numpy.Linalg", "solve")] == "numpy.linalg.solve"
    assert results["sympy"].resolved[("Sympy.Symbol", "new")] == "sympy.Symbol.__init__"
    assert results["sympy"].resolved[("Sympy.Symbol", "simplify")] == "sympy.Symbol.simplify"
    assert results["sympy"].resolved[("Sympy", "py_N")] == "sympy.N"
    assert results["json"].resolved[("Json.JSONDecoder", "decode")] == "json.JSONDecoder.decode"


def test_unresolved_names_closest(results: dict[str, IntrospectionResult]) -> None:
    (miss,) = results["numpy"].unresolved
    assert (miss.module, miss.function) == ("Numpy", "meen")
    assert "mean" in miss.message and "median" in miss.message


def test_numpy_function_signature_types_and_doc(results: dict[str, IntrospectionResult]) -> None:
    root = results["numpy"].library.root
    assert root.name == "numpy"
    mean = fn(root, "mean")
    assert mean.kind == "function"
    names = [p.name for p in mean.signature.params]
    assert names[:4] == ["a", "axis", "dtype", "out"]
    assert mean.signature.params[0].annotation == model.TypeRef(TypeKind.ARRAY)
    assert mean.signature.params[1].default == "None"
    assert mean.overloads, "numpy's stub declares overloads for mean"
    assert mean.doc.style == "numpydoc"
    assert mean.doc.summary.startswith("Compute the arithmetic mean")
    assert [p.name for p in mean.doc.params][:2] == ["a", "axis"]
    assert mean.doc.examples and mean.doc.examples[0].startswith(">>>")
    # only what was asked: numpy root holds exactly these
    assert {f.qualname for f in root.functions} == {"add", "float64", "mean"}
    solve = fn(sub(root, "numpy.linalg"), "solve")
    assert [p.name for p in solve.signature.params] == ["a", "b"]
    assert solve.signature.returns == model.TypeRef(TypeKind.ARRAY)
    assert any(r.type == "LinAlgError" for r in solve.doc.raises)


def test_numpy_ufunc_constant_class_call(results: dict[str, IntrospectionResult]) -> None:
    root = results["numpy"].library.root
    add = fn(root, "add")
    assert add.kind == "ufunc"
    params = {p.name: p for p in add.signature.params}
    assert params["x1"].kind is ParamKind.POSITIONAL_ONLY
    assert params["casting"].kind is ParamKind.KEYWORD_ONLY
    assert params["casting"].default == "'same_kind'"
    assert add.signature.returns == model.TypeRef(TypeKind.ARRAY)
    (pi,) = root.attributes
    assert (pi.name, pi.kind, pi.type) == ("pi", "constant", model.TypeRef(TypeKind.FLOAT))
    assert pi.value_repr is not None and pi.value_repr.startswith("3.14159")
    f64 = fn(root, "float64")
    assert f64.kind == "class"
    assert f64.signature.returns == model.TypeRef(TypeKind.CLASS, name="numpy.float64")


def test_numpy_ndarray_method_and_property(results: dict[str, IntrospectionResult]) -> None:
    root = results["numpy"].library.root
    (nd,) = root.classes
    assert nd.qualname == "ndarray" and not nd.constructor_requested
    (summ,) = nd.methods
    assert summ.kind == "method"
    assert "self" not in [p.name for p in summ.signature.params]
    assert "axis" in [p.name for p in summ.signature.params]
    (shape,) = nd.attributes
    assert shape.kind == "property" and shape.readable


def test_sympy_class_constructor_and_method(results: dict[str, IntrospectionResult]) -> None:
    root = results["sympy"].library.root
    (symbol,) = root.classes
    assert symbol.constructor_requested
    assert [p.name for p in symbol.constructor.params] == ["name", "assumptions"]
    assert symbol.constructor.returns == model.TypeRef(
        TypeKind.CLASS, name="sympy.core.symbol.Symbol"
    )
    assert symbol.doc.summary
    (simplify,) = symbol.methods
    assert simplify.kind == "method"
    assert (simplify.defined_in, simplify.defined_qualname) == (
        "sympy.core.basic",
        "Basic.simplify",
    )
    n = fn(root, "N")
    assert [p.name for p in n.signature.params] == ["x", "n", "options"]


def test_json_stdlib(results: dict[str, IntrospectionResult]) -> None:
    root = results["json"].library.root
    dumps = fn(root, "dumps")
    kinds = {p.name: p.kind for p in dumps.signature.params}
    assert kinds["obj"] is ParamKind.POSITIONAL_OR_KEYWORD
    assert kinds["indent"] is ParamKind.KEYWORD_ONLY
    (decoder,) = root.classes
    assert "object_hook" in [p.name for p in decoder.constructor.params]
    assert [m.name for m in decoder.methods] == ["decode"]


def test_model_round_trips_through_plain_data(results: dict[str, IntrospectionResult]) -> None:
    for result in results.values():
        data = model.to_data(result.library)
        assert json.loads(json.dumps(data)) == data
        assert model.from_data(model.Library, data) == result.library


def test_not_installed_names_package_interpreter_and_setup() -> None:
    lib = LibrarySpec("no-such-lib", ">= 0", "NoSuchLib", "no_such_lib_sb")
    with pytest.raises(LibraryNotInstalled) as info:
        introspect(project(lib), {"no-such-lib": [D("NoSuchLib", "f", 0)]})
    message = str(info.value)
    assert "no-such-lib" in message and "mix snakebridge.setup" in message
    assert sys.prefix in message or sys.executable in message
    assert isinstance(info.value, ValueError)


SCIPY = LibrarySpec("scipy", ">= 1.13", "Scipy", "scipy")
PANDAS = LibrarySpec("pandas", "~> 2.2", "Pd", "pandas", exclude=("eval",))


@pytest.fixture(scope="module")
def scipy_pandas() -> dict[str, IntrospectionResult]:
    return introspect(
        project(SCIPY, PANDAS),
        {
            "scipy": [
                D("Scipy.Linalg", "solve", 2),
                D("Scipy.Stats", "norm", 0),
                D("Scipy.Stats.Norm", "pdf", 1),
                D("Scipy.Optimize", "minimize", 2),
                D("Scipy.Sparse.CsrMatrix", "new", 1),
                D("Scipy.Sparse.CsrMatrix", "toarray", 1),
            ],
            "pandas": [
                D("Pd", "read_csv", 1),
                D("Pd", "eval", 1),
                D("Pd.DataFrame", "new", 1),
                D("Pd.DataFrame", "head", 2),
                D("Pd.DataFrame", "shape", 1),
                D("Pd.DataFrame", "columns", 1),
                # pandas.core.window has both a class Rolling and a submodule rolling
                D("Pd.Core.Window.Rolling", "mean", 1),
                D("Pd.Core.Window.Rolling.Rolling", "sum", 1),
            ],
        },
    )


def test_scipy(scipy_pandas: dict[str, IntrospectionResult]) -> None:
    import scipy

    result = scipy_pandas["scipy"]
    assert result.library.version == scipy.__version__ and not result.unresolved
    subs = {m.name: m for m in result.library.root.submodules}
    solve = fn(subs["scipy.linalg"], "solve")
    assert [p.name for p in solve.signature.params][:2] == ["a", "b"]
    assert solve.signature.returns == model.TypeRef(TypeKind.ARRAY)  # from its docs
    stats = subs["scipy.stats"]
    norm = fn(stats, "norm")  # a distribution object: called, it freezes
    assert [(p.name, p.default) for p in norm.signature.params] == [("loc", "0"), ("scale", "1")]
    # the object reads like a module of functions; calls go to scipy.stats "norm.pdf"
    (norm_obj,) = stats.submodules
    assert norm_obj.name == "scipy.stats.norm" and norm_obj.doc.summary
    pdf = fn(norm_obj, "norm.pdf")
    assert (pdf.module, pdf.name) == ("scipy.stats", "pdf")
    assert pdf.signature.params[0].name == "x"
    assert result.resolved[("Scipy.Stats.Norm", "pdf")] == "scipy.stats.norm.pdf"
    minimize = fn(subs["scipy.optimize"], "minimize")
    assert minimize.signature.returns == model.TypeRef(TypeKind.CLASS, name="OptimizeResult")
    (csr,) = subs["scipy.sparse"].classes
    assert csr.constructor_requested and csr.constructor.params[0].name == "arg1"
    assert [m.name for m in csr.methods] == ["toarray"]


def test_pandas(scipy_pandas: dict[str, IntrospectionResult]) -> None:
    result = scipy_pandas["pandas"]
    (excluded,) = result.unresolved
    assert excluded.function == "eval" and "excluded in mix.exs" in excluded.message
    read_csv = fn(result.library.root, "read_csv")
    assert read_csv.signature.params[0].name == "filepath_or_buffer"
    assert read_csv.deprecated is None  # a deprecated *parameter* is not the function
    # One Elixir segment, two Python names: the segment after it picks the submodule.
    assert result.resolved[("Pd.Core.Window.Rolling", "mean")] == "pandas.core.window.Rolling.mean"
    assert (
        result.resolved[("Pd.Core.Window.Rolling.Rolling", "sum")]
        == "pandas.core.window.rolling.Rolling.sum"
    )
    (frame,) = result.library.root.classes
    frame_type = model.TypeRef(TypeKind.CLASS, name="pandas.DataFrame")
    (head,) = frame.methods
    assert [p.name for p in head.signature.params] == ["n"]
    assert head.signature.returns == frame_type  # typing.Self, made concrete
    attrs = {a.name: a for a in frame.attributes}
    assert attrs["shape"].kind == "property" and not attrs["shape"].writable
    assert attrs["columns"].kind == "property" and attrs["columns"].writable


def test_numpy_linalg_surface_is_complete() -> None:
    surface = introspect_surface("", "numpy.linalg")
    assert surface.stats["callables"] == surface.stats["real"] > 20
    assert surface.stats["with_returns"] == surface.stats["callables"]


def test_interpreter_that_cannot_run_snakebridge(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 3.9.1\n")
    fake.chmod(0o755)
    with pytest.raises(IntrospectionError, match=r"3\.9\.1.*Python >= 3\.11.*setup"):
        introspect(project(JSON, python=str(fake)), {"json": [D("Json", "dumps", 1)]})
    with pytest.raises(IntrospectionError, match=r"mix snakebridge\.setup"):
        introspect(
            project(JSON, python=str(tmp_path / "missing")), {"json": [D("Json", "dumps", 1)]}
        )


def test_child_needs_only_the_standard_library(tmp_path: Path) -> None:
    # The project's managed venv need not contain snakebridge or docstring_parser: the
    # child imports only the stdlib and this package, which the parent puts on its path.
    import venv

    venv.create(tmp_path / "venv", with_pip=False)
    bare = str(tmp_path / "venv" / "bin" / "python")
    result = introspect(project(JSON, python=bare), {"json": [D("Json", "dumps", 1)]})["json"]
    (dumps,) = result.library.root.functions
    assert dumps.signature.params[0].name == "obj" and dumps.doc.summary
    with pytest.raises(LibraryNotInstalled, match=str(tmp_path)):
        introspect(project(NUMPY, python=bare), {"numpy": [D("Numpy", "mean", 1)]})
