"""Attribute accessors: the emitter's ``put_<x>`` setters resolved back to attribute
``x``, getters on refs, and instance attributes that only ``__init__`` assigns.

Through the real child on the ``sbfix.gauges`` fixture and on real pandas, plus a round
trip through the real generator (``render_library``): every accessor it emits must
resolve back to the attribute it was generated for.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from tests.codegen.elixir_harness import ElixirProject

from snakebridge.codegen import model, names
from snakebridge.codegen.emit import render_library
from snakebridge.codegen.introspect import IntrospectionResult, introspect
from snakebridge.codegen.introspect.docstrings import documented_attributes
from snakebridge.codegen.introspect.sourcecode import init_attributes
from snakebridge.codegen.model import TypeKind, TypeRef
from snakebridge.project import Detection, LibrarySpec, Project

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
D = Detection
SBFIX = LibrarySpec("sbfix", ">= 0", "Sbfix", "sbfix")
PANDAS = LibrarySpec("pandas", "~> 3.0", "Pd", "pandas")
GAUGE = "Sbfix.Gauges.Gauge"
DIAL = "Sbfix.Gauges.Dial"


def project(*libs: LibrarySpec) -> Project:
    return Project(
        Path("/tmp/sb-attr-app"), tuple(libs), Path("/tmp/sb-attr-app/lib/generated"), ""
    )


def setter(python_name: str) -> str:
    # the emitter's rule (codegen/emit/render.py): put_ + the getter's Elixir name
    return "put_" + names.function_name(python_name)


CALLS = [
    (GAUGE, "new", 1),
    (GAUGE, "level", 1),  # writable property: getter ...
    (GAUGE, setter("level"), 2),  # ... and setter
    (GAUGE, "peak", 2),  # read-only property; getter with opts
    (GAUGE, setter("peak"), 2),  # no setter
    (GAUGE, "unit", 1),  # plain class attribute
    (GAUGE, setter("unit"), 3),  # setter with opts
    (GAUGE, "put_label", 2),  # a real method wins over label's setter
    (GAUGE, setter("reset"), 2),  # a method: no setter
    (GAUGE, setter("missing"), 2),  # nothing named missing
    (GAUGE, "owner", 1),  # assigned only in __init__
    (GAUGE, setter("owner"), 2),
    (GAUGE, "count", 1),
    (GAUGE, "lo", 1),
    (GAUGE, setter("hi"), 2),
    (GAUGE, "note", 1),
    (GAUGE, "tags", 1),
    (GAUGE, names.function_name("N"), 1),
    (GAUGE, setter("N"), 2),
    (GAUGE, "put_N", 2),  # the setter spelled with the Python name: a hint
    (GAUGE, "never", 1),  # assigned in a nested function only
    (DIAL, "new", 2),
    (DIAL, "angle", 1),
    (DIAL, setter("angle"), 2),
    (DIAL, "owner", 1),
    (DIAL, setter("count"), 2),
    ("Sbfix.Gauges.Range", setter("LOW"), 2),
]


@pytest.fixture(scope="module")
def fixture_env(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    mp = pytest.MonkeyPatch()
    mp.setenv("PYTHONPATH", str(FIXTURES))
    mp.setenv("SBFIX_IMPORT_MARKER", str(tmp_path_factory.mktemp("m") / "imports.txt"))
    yield
    mp.undo()


def run(calls: list[tuple[str, str, int]]) -> IntrospectionResult:
    return introspect(project(SBFIX), {"sbfix": [D(m, f, a) for m, f, a in calls]})["sbfix"]


@pytest.fixture(scope="module")
def result(fixture_env: None) -> IntrospectionResult:
    return run(CALLS)


def klass(result: IntrospectionResult, qualname: str) -> model.Class:
    (gauges,) = result.library.root.submodules
    return next(c for c in gauges.classes if c.qualname == qualname)


def messages(result: IntrospectionResult) -> dict[tuple[str, str], str]:
    return {(u.module, u.function): u.message for u in result.unresolved}


def test_setters_resolve_to_writable_attributes(result: IntrospectionResult) -> None:
    r = result.resolved
    assert r[(GAUGE, "put_level")] == "sbfix.gauges.Gauge.level"
    assert r[(GAUGE, "put_unit")] == "sbfix.gauges.Gauge.unit"
    assert r[(GAUGE, "put_owner")] == "sbfix.gauges.Gauge.owner"
    assert r[(GAUGE, "put_hi")] == "sbfix.gauges.Gauge.hi"
    # names.function_name's escaping is followed: N -> py_N -> put_py_N
    assert r[(GAUGE, "put_py_N")] == "sbfix.gauges.Gauge.N"
    assert r[(DIAL, "put_angle")] == "sbfix.gauges.Dial.angle"
    assert r[(DIAL, "put_count")] == "sbfix.gauges.Dial.count"  # assigned in the base


def test_getters_on_refs(result: IntrospectionResult) -> None:
    r = result.resolved
    assert r[(GAUGE, "level")] == "sbfix.gauges.Gauge.level"
    assert r[(GAUGE, "peak")] == "sbfix.gauges.Gauge.peak"  # arity 2: ref + opts
    assert r[(GAUGE, "unit")] == "sbfix.gauges.Gauge.unit"
    assert r[(GAUGE, "py_N")] == "sbfix.gauges.Gauge.N"


def test_a_real_put_method_wins(result: IntrospectionResult) -> None:
    assert result.resolved[(GAUGE, "put_label")] == "sbfix.gauges.Gauge.put_label"
    gauge = klass(result, "Gauge")
    methods = {m.name: m for m in gauge.methods}
    assert methods["put_label"].kind == "method"
    assert [p.name for p in methods["put_label"].signature.params] == ["text", "loud"]
    assert "label" not in {a.name for a in gauge.attributes}


def test_what_cannot_be_set_is_unresolved_with_the_reason(result: IntrospectionResult) -> None:
    m = messages(result)
    assert "property without a setter" in m[(GAUGE, "put_peak")]
    assert f"{GAUGE}.peak(ref)" in m[(GAUGE, "put_peak")]
    assert "is a method, not an attribute" in m[(GAUGE, "put_reset")]
    assert "no public member named put_missing" in m[(GAUGE, "put_missing")]
    assert "SnakeBridge.set_attr(ref, 'peak', value)" in m[(GAUGE, "put_peak")]
    assert "the setter of attribute N, if it is writable, is put_py_N" in m[(GAUGE, "put_N")]
    assert "read-only" in m[("Sbfix.Gauges.Range", "put_py_LOW")]
    assert "no public member named never" in m[(GAUGE, "never")]
    for key in [(GAUGE, "put_peak"), (GAUGE, "put_reset"), (GAUGE, "never")]:
        assert key not in result.resolved


def test_getter_with_too_many_arguments_points_at_the_setter(fixture_env: None) -> None:
    res = run([(GAUGE, "level", 3), (GAUGE, "put_level", 4), (GAUGE, "peak", 3)])
    m = messages(res)
    assert "is an attribute, not callable" in m[(GAUGE, "level")]
    assert f"{GAUGE}.put_level(ref, value)" in m[(GAUGE, "level")]
    assert "put_" not in m[(GAUGE, "peak")]  # read-only: no setter to point at
    assert "called with 4 argument(s)" in m[(GAUGE, "put_level")]
    assert not res.resolved


def test_class_model_of_accessors(result: IntrospectionResult) -> None:
    attrs = {a.name: a for a in klass(result, "Gauge").attributes}
    assert (attrs["level"].kind, attrs["level"].writable) == ("property", True)
    assert (attrs["peak"].kind, attrs["peak"].writable) == ("property", False)
    assert attrs["unit"].writable and attrs["unit"].value_repr == "'bar'"
    owner = attrs["owner"]
    assert (owner.kind, owner.readable, owner.writable) == ("data", True, True)
    assert owner.type == TypeRef(TypeKind.STR)
    # described by the class docstring's Attributes section, plus where it was found
    assert owner.doc.summary == "Who reads the gauge, upper-cased by some subclasses."
    assert "Documented type: `str`." in owner.doc.raw
    assert owner.doc.raw.endswith("Instance attribute, assigned in `Gauge.__init__`.")
    assert attrs["unit"].doc.summary == "The pressure unit."
    assert attrs["level"].doc.summary == "The level (read-write)."
    assert attrs["count"].doc.raw == "Instance attribute, assigned in `Gauge.__init__`."
    assert attrs["count"].type == TypeRef(TypeKind.INT)
    assert attrs["hi"].type is None and attrs["lo"].type is None
    assert attrs["note"].type is None  # None, then a str
    assert attrs["N"].type == TypeRef(TypeKind.INT)
    tags = attrs["tags"].type
    assert tags is not None and tags.kind is TypeKind.UNION
    dial = {a.name: a for a in klass(result, "Dial").attributes}
    assert dial["angle"].type == TypeRef(TypeKind.FLOAT)
    assert dial["owner"].type is None  # Dial.__init__ assigns owner.upper()
    assert dial["owner"].doc.raw.endswith("`Dial.__init__`.")
    assert dial["angle"].doc.summary == "The needle's angle, in degrees."
    assert dial["count"].doc.raw.endswith("`Gauge.__init__`.")


def test_every_emitted_accessor_resolves_back(
    fixture_env: None, result: IntrospectionResult
) -> None:
    # What generate.py does on regeneration: each rendered symbol is asked for again.
    rendered = render_library(result.library, SBFIX, tool_version="0.0.0")
    accessors = [
        s for s in rendered.symbols if s.elixir_module in (GAUGE, DIAL) and s.name != "new"
    ]
    emitted = {(s.elixir_module, s.name) for s in accessors}
    assert {(GAUGE, "put_level"), (GAUGE, "put_py_N"), (DIAL, "put_angle")} <= emitted
    assert (GAUGE, "put_peak") not in emitted
    again = run([(s.elixir_module, s.name, min(s.arities)) for s in accessors])
    assert not again.unresolved
    for s in accessors:
        assert again.resolved[(s.elixir_module, s.name)] == s.python


def test_pandas_dataframe_index(fixture_env: None) -> None:
    res = introspect(
        project(PANDAS),
        {
            "pandas": [
                D("Pd.DataFrame", "index", 1),
                D("Pd.DataFrame", "put_index", 2),
                D("Pd.DataFrame", "set_index", 2),
                D("Pd.DataFrame", "put_shape", 2),
            ]
        },
    )["pandas"]
    assert res.resolved[("Pd.DataFrame", "put_index")] == "pandas.DataFrame.index"
    assert res.resolved[("Pd.DataFrame", "index")] == "pandas.DataFrame.index"
    assert res.resolved[("Pd.DataFrame", "set_index")] == "pandas.DataFrame.set_index"
    assert "no setter is generated" in messages(res)[("Pd.DataFrame", "put_shape")]
    frame = next(c for c in res.library.root.classes if c.qualname == "DataFrame")
    (index,) = frame.attributes
    assert (index.name, index.readable, index.writable) == ("index", True, True)
    assert [m.name for m in frame.methods] == ["set_index"]
    rendered = render_library(res.library, PANDAS, tool_version="0.0.0")
    names_ = {(s.name, s.kind) for s in rendered.symbols if s.elixir_module == "Pd.DataFrame"}
    assert ("put_index", "setter") in names_ and ("set_index", "method") in names_


SKLEARN = LibrarySpec("scikit-learn", "~> 1.9", "Sk", "sklearn")


def test_sklearn_available_if_members_are_methods(fixture_env: None) -> None:
    # Pipeline.score/predict_proba are available_if descriptors: not callable on the
    # class dict, but the class lookup gives a plain function; pipe.fit(X, y).score(X, y)
    pipe = "Sk.Pipeline.Pipeline"
    res = introspect(
        project(SKLEARN),
        {"scikit-learn": [D(pipe, "score", 3), D(pipe, "predict_proba", 2), D(pipe, "steps", 1)]},
    )["scikit-learn"]
    assert not res.unresolved, res.unresolved
    (pipeline_mod,) = (m for m in res.library.root.submodules if m.name == "sklearn.pipeline")
    cls = next(c for c in pipeline_mod.classes if c.qualname == "Pipeline")
    methods = {m.name: m for m in cls.methods}
    assert methods["score"].kind == "method"
    assert [p.name for p in methods["score"].signature.params] == [
        "X",
        "y",
        "sample_weight",
        "params",
    ]
    assert methods["predict_proba"].signature.params[0].name == "X"
    assert {"score", "predict_proba"}.isdisjoint(a.name for a in cls.attributes)
    rendered = render_library(res.library, SKLEARN, tool_version="0.0.0")
    score = next(s for s in rendered.symbols if s.elixir_module == pipe and s.name == "score")
    assert score.kind == "method" and {2, 3, 4} <= set(score.arities)


SCIPY = LibrarySpec("scipy", "~> 1.17", "Scipy", "scipy")


def test_documented_attributes_of_a_getattr_class_get_getters(
    fixture_env: None, elixir_project: ElixirProject
) -> None:
    # OptimizeResult is a dict read by attribute (its base's __getattr__): result.x, as
    # scipy's docs write it, is a getter; so is every attribute its docstring documents
    result_cls = "Scipy.Optimize.OptimizeResult"
    res = introspect(
        project(SCIPY),
        {
            "scipy": [
                D(result_cls, "x", 1),
                D(result_cls, "success", 2),
                D(result_cls, "keys", 1),
                D(result_cls, "__class__", 1),
            ]
        },
    )["scipy"]
    assert res.resolved[(result_cls, "x")] == "scipy.optimize.OptimizeResult.x"
    assert res.resolved[(result_cls, "success")] == "scipy.optimize.OptimizeResult.success"
    assert set(messages(res)) == {(result_cls, "__class__")}, messages(res)
    (optimize,) = (m for m in res.library.root.submodules if m.name == "scipy.optimize")
    cls = next(c for c in optimize.classes if c.qualname == "OptimizeResult")
    assert cls.attribute_hook
    attrs = {a.name: a for a in cls.attributes}
    # documented "jac, hess" and "nfev, njev, nhev" name one attribute each
    assert {"x", "success", "status", "message", "fun", "jac", "hess", "nfev", "nit"} <= set(attrs)
    assert "The solution of the optimization." in attrs["x"].doc.summary
    assert (attrs["x"].readable, attrs["x"].writable) == (True, False)
    rendered = render_library(res.library, SCIPY, tool_version="0.0.0")
    getters = {
        s.name for s in rendered.symbols if s.elixir_module == result_cls and s.kind == "attribute"
    }
    assert {"x", "success", "fun", "message"} <= getters
    elixir_project.check({"scipy.ex": rendered.source})  # warnings as errors, formatted


def test_a_getattr_class_still_refuses_a_misspelled_member(fixture_env: None) -> None:
    # DataFrame answers columns by attribute (df.col1), so an unknown name is a getter;
    # a name one typo away from a real member is refused, naming it
    res = introspect(
        project(PANDAS),
        {"pandas": [D("Pd.DataFrame", "col1", 1), D("Pd.DataFrame", "colums", 1)]},
    )["pandas"]
    assert res.resolved[("Pd.DataFrame", "col1")] == "pandas.DataFrame.col1"
    message = messages(res)[("Pd.DataFrame", "colums")]
    assert "no public member named colums" in message and "columns" in message, message


def test_a_class_without_getattr_gets_no_getters_from_its_docstring(
    fixture_env: None,
) -> None:
    # the rule is __getattr__, not the docstring alone: numpy's ndarray documents
    # attributes that are real members, and nothing more is added
    res = introspect(
        project(LibrarySpec("numpy", "~> 2.4", "Numpy", "numpy")),
        {"numpy": [D("Numpy.Ndarray", "shape", 1), D("Numpy.Ndarray", "x", 1)]},
    )["numpy"]
    cls = next(c for c in res.library.root.classes if c.qualname == "ndarray")
    assert not cls.attribute_hook
    assert [a.name for a in cls.attributes] == ["shape"]
    assert ("Numpy.Ndarray", "x") in messages(res)


def test_new_of_a_function_names_the_call_that_works(fixture_env: None) -> None:
    # PIL.ImageDraw.Draw is a function (it returns an ImageDraw), so Draw.new! is refused,
    # and the refusal says how to call it
    pillow = LibrarySpec("Pillow", "~> 13.0", "Pil", "PIL")
    res = introspect(project(pillow), {"Pillow": [D("Pil.ImageDraw.Draw", "new", 1)]})["Pillow"]
    message = messages(res)[("Pil.ImageDraw.Draw", "new")]
    assert "PIL.ImageDraw.Draw is a function, not a class" in message, message
    assert "call it as Pil.ImageDraw.py_Draw!(...)" in message, message
    again = introspect(project(pillow), {"Pillow": [D("Pil.ImageDraw", "py_Draw", 1)]})["Pillow"]
    assert again.resolved[("Pil.ImageDraw", "py_Draw")] == "PIL.ImageDraw.Draw"


def test_a_class_as_a_value_is_its_class_module_s_class(
    fixture_env: None, elixir_project: ElixirProject
) -> None:
    # defaultdict(int), isinstance(x, int): Builtins.Int.class() reads builtins.int itself
    builtins = LibrarySpec("builtins", None, "Builtins", "builtins")
    res = introspect(
        project(builtins),
        {
            "builtins": [
                D("Builtins.Int", "class", 0),
                D("Builtins.Int", "class", 1),
                D("Builtins.Str", "class", 3),
                D("Builtins", "isinstance", 2),
            ]
        },
    )["builtins"]
    assert res.resolved[("Builtins.Int", "class")] == "builtins.int"
    message = messages(res)[("Builtins.Str", "class")]
    assert "builtins.str as a value is Builtins.Str.class()" in message, message
    cls = next(c for c in res.library.root.classes if c.qualname == "int")
    assert cls.value_requested and not cls.constructor_requested
    rendered = render_library(res.library, builtins, tool_version="0.0.0")
    (value,) = (s for s in rendered.symbols if s.elixir_module == "Builtins.Int")
    assert (value.name, value.kind, value.arities, value.python) == (
        "class",
        "class_value",
        (0, 1),
        "builtins.int",
    )
    assert "def class(opts \\\\ [])" in rendered.source
    assert 'function: "int"' in rendered.source
    elixir_project.check({"builtins.ex": rendered.source})  # warnings as errors, formatted


# ------------------------------------------------------------ in-process, pure parts


class _Plain:
    def __init__(this, a: int, b, *rest: str) -> None:  # the instance under any name
        this.a = this.b = a  # chained: both int
        this.c: list[int] = []
        [this.d, *this.e] = rest
        this.g = b
        this.g += 1
        other = object()
        other.h = 1  # type: ignore[attr-defined]  # not the instance

        class Inner:
            def __init__(self) -> None:
                self.inner = 1


@dataclasses.dataclass
class _Record:
    value: float

    def __post_init__(self) -> None:
        self.scaled = self.value * 2


class _NoSource(dict):  # type: ignore[type-arg]
    pass


def test_init_attributes_reads_the_first_parameter_and_skips_other_scopes() -> None:
    found = init_attributes(_Plain)
    assert sorted(found) == ["a", "b", "c", "d", "e", "g"]
    assert found["a"].type == found["b"].type == TypeRef(TypeKind.INT)
    assert found["c"].type == TypeRef(TypeKind.LIST, (TypeRef(TypeKind.INT),))
    assert found["d"].type is None and found["g"].type is None
    assert found["a"].assigned_in == "_Plain.__init__"
    post = init_attributes(_Record)  # the generated __init__ has no source
    assert list(post) == ["scaled"] and post["scaled"].assigned_in == "_Record.__post_init__"
    assert init_attributes(_NoSource) == {}
    assert init_attributes(int) == {}


def test_documented_attributes_in_each_style() -> None:
    numpy_doc = "A.\n\nAttributes\n----------\nx, y : int\n    Coordinates.\n"
    assert {k: (v.type, v.description) for k, v in documented_attributes(numpy_doc).items()} == {
        "x": ("int", "Coordinates."),
        "y": ("int", "Coordinates."),
    }
    google = "A.\n\nAttributes:\n    x (int): The x.\n"
    assert documented_attributes(google)["x"].description == "The x."
    rest = "A.\n\n:ivar x: The x.\n:cvar y: The y.\n:param z: Not an attribute.\n"
    assert sorted(documented_attributes(rest)) == ["x", "y"]
    assert documented_attributes("Just text.") == {}
