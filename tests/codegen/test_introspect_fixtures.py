"""Every kind and every cascade source, on fixture packages, through the real child."""

from __future__ import annotations

from pathlib import Path

import pytest

from snakebridge.codegen import model
from snakebridge.codegen.introspect import (
    IntrospectionError,
    IntrospectionResult,
    IntrospectionTimeout,
    LibraryImportError,
    introspect,
    introspect_surface,
)
from snakebridge.codegen.model import ParamKind, TypeKind, TypeRef
from snakebridge.project import Detection, LibrarySpec, Project

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
D = Detection
SBFIX = LibrarySpec("sbfix", ">= 0", "Sbfix", "sbfix")


def project(*libs: LibrarySpec) -> Project:
    return Project(
        Path("/tmp/sb-fixture-app"),
        tuple(libs),
        Path("/tmp/sb-fixture-app/lib/snakebridge_generated"),
        "",
    )


@pytest.fixture(scope="module")
def marker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("marker") / "imports.txt"


@pytest.fixture(scope="module")
def fixture_env(marker: Path):  # type: ignore[no-untyped-def]
    mp = pytest.MonkeyPatch()
    mp.setenv("PYTHONPATH", str(FIXTURES))
    mp.setenv("SBFIX_IMPORT_MARKER", str(marker))
    yield
    mp.undo()


CALLS = [
    ("Sbfix", "annotated", 1),
    ("Sbfix", "defaults", 0),
    ("Sbfix", "forward", 2),
    ("Sbfix", "gen_numbers", 1),
    ("Sbfix", "old_function", 1),
    ("Sbfix", "pep702", 1),
    ("Sbfix", "deprecated_usage", 1),
    ("Sbfix", "google_doc", 1),
    ("Sbfix", "rest_doc", 2),
    ("Sbfix", "sympy_style", 1),
    ("Sbfix", "text_sig", 2),
    ("Sbfix", "stubbed", 1),
    ("Sbfix", "doc_line", 2),
    ("Sbfix", "no_signature", 0),
    ("Sbfix", "documented_only", 1),
    ("Sbfix", "divmod_like", 2),
    ("Sbfix", "with_stub_return", 1),
    ("Sbfix", "wrapper", 1),
    ("Sbfix", "reads_keywords", 0),
    ("Sbfix", "py_PI", 0),
    ("Sbfix", "py_DATA", 0),
    ("Sbfix", "py_NAME", 1),
    ("Sbfix", "nope", 0),
    ("Sbfix", "py_Shape", 1),
    ("Sbfix.Shape", "new", 1),
    ("Sbfix.Shape", "area", 1),
    ("Sbfix.Shape", "unit_square", 0),
    ("Sbfix.Shape", "from_name", 1),
    ("Sbfix.Shape", "name", 1),
    ("Sbfix.Shape", "perimeter", 1),
    ("Sbfix.Shape", "cached", 1),
    ("Sbfix.Shape", "py_UNIT", 0),
    ("Sbfix.Color", "new", 1),
    ("Sbfix.Point", "new", 2),
    ("Sbfix.Point", "x", 1),
    ("Sbfix.Pair", "new", 2),
    ("Sbfix.Pair", "left", 1),
    ("Sbfix.SbError", "new", 1),
    ("Sbfix.CsrMatrix", "area", 1),
    ("Sbfix.Sub", "helper", 1),
    ("Sbfix.Missing", "f", 0),
    ("Sbfix.Frame", "copy", 1),
    ("Sbfix.Frame", "columns", 1),
    ("Sbfix.Ruler", "measure", 1),
    ("Sbfix.Ruler", "tune", 1),
]


@pytest.fixture(scope="module")
def result(fixture_env: None) -> IntrospectionResult:
    return introspect(project(SBFIX), {"sbfix": [D(m, f, a) for m, f, a in CALLS]})["sbfix"]


def fn(result: IntrospectionResult, qualname: str) -> model.Function:
    return next(f for f in result.library.root.functions if f.qualname == qualname)


def cls(result: IntrospectionResult, qualname: str) -> model.Class:
    return next(c for c in result.library.root.classes if c.qualname == qualname)


def names(sig: model.Signature) -> list[str]:
    return [p.name for p in sig.params]


def test_prints_on_import_do_not_corrupt_and_only_used_modules_load(
    result: IntrospectionResult, marker: Path
) -> None:
    assert result.library.version == "unknown" or result.library.version
    assert "sbfix prints on import" in result.output
    assert "and writes to sys.stdout" in result.output
    assert "file descriptor 1 directly" in result.output
    loaded = marker.read_text().split()
    assert "sbfix" in loaded and "sbfix.sub" in loaded
    assert "sbfix.unused" not in loaded


def test_inspect_source_kinds_defaults_annotations(result: IntrospectionResult) -> None:
    f = fn(result, "annotated")
    assert f.kind == "function" and f.signature.source == "inspect"
    kinds = {p.name: p.kind for p in f.signature.params}
    assert kinds == {
        "a": ParamKind.POSITIONAL_ONLY,
        "b": ParamKind.POSITIONAL_OR_KEYWORD,
        "rest": ParamKind.VAR_POSITIONAL,
        "mode": ParamKind.KEYWORD_ONLY,
        "cb": ParamKind.KEYWORD_ONLY,
        "kind": ParamKind.KEYWORD_ONLY,
        "opts": ParamKind.KEYWORD_ONLY,
        "extra": ParamKind.VAR_KEYWORD,
    }
    p = {p.name: p for p in f.signature.params}
    assert p["a"].annotation == TypeRef(TypeKind.INT)
    assert p["b"].annotation == TypeRef(
        TypeKind.UNION, (TypeRef(TypeKind.LIST, (TypeRef(TypeKind.INT),)), TypeRef(TypeKind.NONE))
    )
    assert p["mode"].default == "Mode.FAST"
    assert p["mode"].annotation == TypeRef(TypeKind.CLASS, name="sbfix.Mode")
    assert p["cb"].annotation == TypeRef(
        TypeKind.UNION,
        (TypeRef(TypeKind.CALLABLE, (TypeRef(TypeKind.STR),)), TypeRef(TypeKind.NONE)),
    )
    assert p["kind"].annotation == TypeRef(TypeKind.LITERAL, values=("'x'", "'y'"))
    assert p["opts"].annotation == TypeRef(
        TypeKind.UNION,
        (
            TypeRef(TypeKind.DICT, (TypeRef(TypeKind.STR), TypeRef(TypeKind.FLOAT))),
            TypeRef(TypeKind.NONE),
        ),
    )
    assert f.signature.returns == TypeRef(TypeKind.TUPLE, (TypeRef(TypeKind.INT),), variadic=True)
    assert f.signature.returns_source == "annotation"
    assert {p.annotation_source for p in f.signature.params} == {"annotation"}
    assert f.doc.style == "numpydoc" and f.doc.examples == (">>> annotated(1)\n(1,)",)


def test_safe_defaults(result: IntrospectionResult) -> None:
    p = {p.name: p for p in fn(result, "defaults").signature.params}
    assert p["x"].default == "<object>"
    assert p["y"].default is not None and len(p["y"].default) <= 80
    assert p["z"].default == "(1, 2.5, None)"
    assert p["w"].default == "float"
    assert p["v"].default == "-1"
    assert p["u"].default == "{'w', 'x', 'y', 'z'}"


def test_same_inputs_same_model(fixture_env: None, result: IntrospectionResult) -> None:
    # A second child has another hash seed and another import order; the model must not
    # change (generated files are content-addressed).
    again = introspect(project(SBFIX), {"sbfix": [D(m, f, a) for m, f, a in reversed(CALLS)]})
    assert model.to_data(again["sbfix"].library) == model.to_data(result.library)
    assert again["sbfix"].resolved == result.resolved


def test_forward_refs_generator_deprecation(result: IntrospectionResult) -> None:
    f = fn(result, "forward")
    shape = TypeRef(TypeKind.CLASS, name="sbfix.Shape")
    assert [p.annotation for p in f.signature.params] == [shape, TypeRef(TypeKind.LIST, (shape,))]
    assert f.signature.returns == TypeRef(TypeKind.ITERATOR, (shape,))
    assert fn(result, "gen_numbers").is_generator
    assert fn(result, "old_function").deprecated == "1.2 Use `annotated` instead."
    assert fn(result, "pep702").deprecated == "pep702 is deprecated; use annotated"
    assert fn(result, "annotated").deprecated is None
    assert fn(result, "deprecated_usage").deprecated is None


def test_doc_styles(result: IntrospectionResult) -> None:
    g = fn(result, "google_doc").doc
    assert g.style == "google" and g.summary == "Fetch a thing."
    assert [(p.name, p.type) for p in g.params] == [("path", "str"), ("retries", "int")]
    assert g.returns[0].type == "bytes" and g.raises[0].type == "OSError"
    r = fn(result, "rest_doc").doc
    assert r.style == "rest" and [p.name for p in r.params] == ["a", "b"]
    assert r.params[0].type == "int" and r.raises[0].type == "ValueError"
    s = fn(result, "sympy_style").doc
    assert s.style == "numpydoc" and [p.name for p in s.params] == ["expr"]
    assert s.examples == (">>> sympy_style(1)\n1",)


def test_cascade_sources(result: IntrospectionResult) -> None:
    t = fn(result, "text_sig").signature
    assert t.source == "text_signature" and names(t) == ["a", "b", "c"]
    assert [p.kind for p in t.params] == [
        ParamKind.POSITIONAL_ONLY,
        ParamKind.POSITIONAL_ONLY,
        ParamKind.KEYWORD_ONLY,
    ]
    stubbed = fn(result, "stubbed")
    assert stubbed.signature.source == "stub" and names(stubbed.signature) == ["x", "flag"]
    assert len(stubbed.overloads) == 2
    assert stubbed.signature.returns == TypeRef(
        TypeKind.UNION, (TypeRef(TypeKind.INT), TypeRef(TypeKind.STR))
    )
    line = fn(result, "doc_line").signature
    assert line.source == "docstring" and names(line) == ["a", "b", "c", "axis", "out"]
    assert [p.has_default for p in line.params] == [False, False, True, True, True]
    assert line.params[-1].kind is ParamKind.KEYWORD_ONLY
    documented = fn(result, "documented_only").signature
    assert documented.source == "docstring" and names(documented) == ["alpha", "beta"]
    assert documented.returns == TypeRef(TypeKind.ARRAY)
    assert documented.returns_source == "docstring"
    assert [(p.annotation, p.annotation_source) for p in documented.params] == [
        (TypeRef(TypeKind.FLOAT), "docstring"),
        (TypeRef(TypeKind.INT), "docstring"),
    ]
    u = fn(result, "divmod_like")
    assert u.kind == "ufunc" and u.signature.source == "ufunc"
    assert names(u.signature)[:3] == ["x1", "x2", "out"]
    assert "casting" in names(u.signature)
    assert u.signature.returns == TypeRef(TypeKind.TUPLE, (TypeRef(TypeKind.ARRAY),) * 2)
    fb = fn(result, "no_signature").signature
    assert fb.source == "fallback" and fb.is_fallback


def test_stub_enrichment_follows_reexported_alias(result: IntrospectionResult) -> None:
    f = fn(result, "with_stub_return").signature
    vector = TypeRef(TypeKind.LIST, (TypeRef(TypeKind.FLOAT),))
    assert f.source == "inspect" and f.params[0].annotation == vector
    assert f.params[0].annotation_source == "stub"
    assert f.returns == vector and f.returns_source == "stub"


def test_source_read_wrappers(result: IntrospectionResult) -> None:
    w = fn(result, "wrapper").signature
    assert w.source == "source" and names(w)[:2] == ["a", "b"]
    k = fn(result, "reads_keywords").signature
    assert k.source == "source" and names(k) == ["args", "name", "scale", "strict", "options"]
    assert {p.name: p.default for p in k.params}["scale"] == "1.0"


def test_attributes_and_getters(result: IntrospectionResult) -> None:
    attrs = {a.name: a for a in result.library.root.attributes}
    assert attrs["PI"].kind == "constant" and attrs["PI"].value_repr == "3.14"
    assert attrs["DATA"].kind == "data" and attrs["DATA"].type == TypeRef(TypeKind.LIST)
    assert "NAME" not in attrs  # NAME/1 is not a getter call
    messages = {(u.module, u.function): u.message for u in result.unresolved}
    assert "not callable" in messages[("Sbfix", "py_NAME")]
    assert "closest existing names" in messages[("Sbfix", "nope")] or messages[("Sbfix", "nope")]
    assert "Missing" in messages[("Sbfix.Missing", "f")]


def test_class_members_by_kind(result: IntrospectionResult) -> None:
    shape = cls(result, "Shape")
    assert shape.constructor_requested and names(shape.constructor) == ["sides", "name"]
    assert shape.constructor.returns == TypeRef(TypeKind.CLASS, name="sbfix.Shape")
    methods = {m.name: m for m in shape.methods}
    assert methods["area"].kind == "method" and names(methods["area"].signature) == ["scale"]
    assert methods["unit_square"].kind == "staticmethod"
    assert methods["from_name"].kind == "classmethod"
    assert names(methods["from_name"].signature) == ["name"]
    attrs = {a.name: a for a in shape.attributes}
    assert (attrs["name"].kind, attrs["name"].writable) == ("property", True)
    assert (attrs["perimeter"].kind, attrs["perimeter"].writable) == ("property", False)
    assert attrs["perimeter"].type == TypeRef(TypeKind.FLOAT)
    assert attrs["cached"].kind == "property" and attrs["cached"].writable
    assert attrs["UNIT"].kind == "constant" and attrs["UNIT"].value_repr == "'cm'"
    assert result.resolved[("Sbfix.Shape", "new")] == "sbfix.Shape.__init__"
    assert result.resolved[("Sbfix.CsrMatrix", "area")] == "sbfix.csr_matrix.area"
    as_call = fn(result, "Shape")
    assert as_call.kind == "class" and names(as_call.signature) == ["sides", "name"]


def test_enum_dataclass_namedtuple_exception(result: IntrospectionResult) -> None:
    color = cls(result, "Color")
    assert color.flavor == "enum" and color.enum_members == ("RED", "GREEN")
    point = cls(result, "Point")
    assert point.flavor == "dataclass" and names(point.constructor) == ["x", "y"]
    (x,) = point.attributes
    assert (x.name, x.writable, x.type) == ("x", False, TypeRef(TypeKind.FLOAT))
    pair = cls(result, "Pair")
    assert pair.flavor == "namedtuple" and names(pair.constructor) == ["left", "right"]
    (left,) = pair.attributes
    assert left.type == TypeRef(TypeKind.INT) and not left.writable
    err = cls(result, "SbError")
    assert names(err.constructor) == ["args"] and err.bases == ("Exception",)


def test_submodule(result: IntrospectionResult) -> None:
    (sub,) = result.library.root.submodules
    assert sub.name == "sbfix.sub" and [f.name for f in sub.functions] == ["helper"]
    assert result.resolved[("Sbfix.Sub", "helper")] == "sbfix.sub.helper"


def test_include_exclude(fixture_env: None) -> None:
    lib = LibrarySpec(
        "sbfix",
        ">= 0",
        "Sbfix",
        "sbfix",
        include=("annotated", "Shape*", "sub"),
        exclude=("Shape.area", "sub.helper"),
    )
    res = introspect(
        project(lib),
        {
            "sbfix": [
                D("Sbfix", "annotated", 1),
                D("Sbfix", "defaults", 0),
                D("Sbfix.Shape", "area", 1),
                D("Sbfix.Shape", "new", 1),
                D("Sbfix.Sub", "helper", 1),
            ]
        },
    )["sbfix"]
    messages = {(u.module, u.function): u.message for u in res.unresolved}
    assert set(res.resolved) == {("Sbfix", "annotated"), ("Sbfix.Shape", "new")}
    assert "excluded in mix.exs" in messages[("Sbfix.Shape", "area")]
    assert "excluded in mix.exs" in messages[("Sbfix.Sub", "helper")]
    assert "include" in messages[("Sbfix", "defaults")]


def test_stub_only_package(fixture_env: None) -> None:
    lib = LibrarySpec("sbstubbed", ">= 0", "Sbstubbed", "sbstubbed")
    res = introspect(project(lib), {"sbstubbed": [D("Sbstubbed", "compute", 1)]})["sbstubbed"]
    (compute,) = res.library.root.functions
    assert compute.signature.source == "stub"
    assert names(compute.signature) == ["values", "scale"]
    assert compute.signature.returns == TypeRef(TypeKind.FLOAT)


def test_import_failure_and_timeout(fixture_env: None) -> None:
    crash = LibrarySpec("sbcrash", ">= 0", "Sbcrash", "sbcrash")
    with pytest.raises(LibraryImportError, match="sbcrash refuses to import"):
        introspect(project(crash), {"sbcrash": [D("Sbcrash", "f", 0)]})
    slow = LibrarySpec("sbslow", ">= 0", "Sbslow", "sbslow")
    with pytest.raises(IntrospectionTimeout) as info:
        introspect(project(slow), {"sbslow": [D("Sbslow", "f", 0)]}, timeout=1.0)
    assert "sbslow" in str(info.value) and "SNAKEBRIDGE_INTROSPECT_TIMEOUT" in str(info.value)
    assert isinstance(info.value, IntrospectionError)


def test_surface_of_fixture(fixture_env: None) -> None:
    surface = introspect_surface("", "sbfix")
    kinds = {type(e).__name__ for e in surface.entries}
    assert kinds == {"Function", "Class", "Attribute", "Module"}
    by_name = {getattr(e, "name", None): e for e in surface.entries}
    shape = by_name["Shape"]
    assert isinstance(shape, model.Class) and shape.methods == ()  # constructor only
    assert surface.stats["callables"] > 20
    assert "no_signature" in surface.stats["not_real"]
    assert surface.stats["baseline"]["callables"] == surface.stats["callables"]


def test_self_and_custom_descriptors(result: IntrospectionResult) -> None:
    frame = cls(result, "Frame")
    (copy,) = frame.methods
    assert copy.signature.returns == TypeRef(TypeKind.CLASS, name="sbfix.Frame")
    (columns,) = frame.attributes
    assert (columns.kind, columns.readable, columns.writable) == ("property", True, True)


def test_source_read_methods_drop_the_instance(result: IntrospectionResult) -> None:
    methods = {m.name: m.signature for m in cls(result, "Ruler").methods}
    assert methods["measure"].source == "source"
    assert names(methods["measure"]) == ["unit", "precision"]
    assert methods["tune"].source == "source"
    assert names(methods["tune"]) == ["args", "gain", "options"]
