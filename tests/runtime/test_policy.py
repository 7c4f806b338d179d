"""The allowlist against hostile calls: `exclude:` in the worker, refs under the
module-call rule, the access-path rule, never-reachable builtins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from snakebridge.etf import Atom
from snakebridge.runtime import policy

from .conftest import REF, Worker, error, ok, refused

SHELL = "__import__('os').system('touch {marker}')"


@pytest.fixture
def guarded() -> Iterator[Worker]:
    w = Worker(
        {
            "sympy": {
                Atom("python_module"): "sympy",
                Atom("exclude"): ["sympify", "parse_expr", "Symbol.subs"],
            },
            "numpy": {"python_module": "numpy", "exclude": [], "include": [], "allow": []},
            "os": "os",
            "json": "json",
            "builtins": "builtins",
            "collections": "collections",
            "urllib": "urllib",
            "operator": "operator",
            "pandas": "pandas",
            "sbhostile": "sbhostile",
        }
    )
    yield w
    w.close()


def test_exclude_holds_for_dynamic_calls_and_aliases(guarded: Worker, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    payload = SHELL.format(marker=marker)
    refused(guarded.call("sympy", "sympify", payload), "exclude: 'sympify'", "mix.exs")
    refused(guarded.call("sympy", "parse_expr", payload), "exclude: 'parse_expr'")
    # The same functions under their defining modules' paths: excluded by identity.
    refused(guarded.call("sympy.core.sympify", "sympify", payload), "sympy.sympify")
    refused(guarded.call("sympy.parsing.sympy_parser", "parse_expr", payload), "sympy.parse_expr")
    assert not marker.exists()
    # Everything else in the library keeps working.
    assert ok(guarded.call("sympy", "sqrt", 16))[Atom("repr")] == "4"


def test_exclude_holds_for_methods_through_refs(guarded: Worker) -> None:
    x = ok(guarded.call("sympy", "Symbol", "x"))
    assert x[Atom("__struct__")] == REF
    refused(guarded.method(x, "subs", x, 2), "Symbol.subs")
    assert ok(guarded.method(x, "__str__")) == "x"
    core = ok(guarded.request("get_attr", library="sympy", python_module="sympy", function="core"))
    refused(guarded.attr(core, "sympify"), "exclude: 'sympify'")
    refused(guarded.method(core, "sympify", "1"), "exclude: 'sympify'")


def test_access_path_rule(guarded: Worker, tmp_path: Path) -> None:
    # Functions reached as attributes of a declared module, defined elsewhere.
    assert ok(guarded.call("os", "getcwd"))
    assert ok(guarded.call("os", "path.join", "a", "b")) == "a/b"
    assert ok(guarded.call("urllib.request", "quote", "a b")) == "a%20b"
    (tmp_path / "f.txt").write_text("hello")
    handle = ok(guarded.call("builtins", "open", str(tmp_path / "f.txt")))
    # The file object is an `io` object: usable once io is declared too.
    refused(guarded.method(handle, "read"), "module 'io'")
    with_io = Worker({"builtins": "builtins", "io": "io"})
    try:
        handle = ok(with_io.call("builtins", "open", str(tmp_path / "f.txt")))
        assert ok(with_io.method(handle, "read")) == "hello"
    finally:
        with_io.close()
    point = ok(guarded.call("collections", "namedtuple", "Point", "x y"))
    # A namedtuple keeps its identity (a ref with its fields by name).
    made = ok(guarded.method(point, "__call__", 1, 2))
    assert made[Atom("__struct__")] == REF and made[Atom("type")].endswith("Point")
    # Modules reached through an attribute of a declared module stay refused.
    refused(guarded.call("numpy", "testing._private.utils.sys.getrefcount", 1), "utils.sys")
    refused(guarded.call("json", "codecs.open", "x"), "json.codecs")
    refused(guarded.call("json", "decoder.re.compile", "x"), "json.decoder.re")
    refused(guarded.request("get_attr", library="json", python_module="json", function="codecs"))


def test_code_builtins_are_never_reachable(guarded: Worker) -> None:
    for name in ("eval", "exec", "compile", "__import__", "getattr", "vars", "globals"):
        refused(guarded.call("builtins", name, "1"))
    refused(guarded.call("operator", "attrgetter", "__builtins__.get"), "operator.attrgetter")
    refused(guarded.call("operator", "methodcaller", "system", "id"), "operator.methodcaller")
    # Inside containers and object arrays too.
    refused(guarded.call("sbhostile", "leak_eval_in_list"), "builtins.eval")
    refused(guarded.call("sbhostile", "leak_eval"), "builtins.eval")
    refused(guarded.call("sbhostile", "leak_frame"), "interpreter internal")


def test_refs_obey_the_module_call_rule(guarded: Worker) -> None:
    for maker, method in (("stdout", "write"), ("match", "group"), ("popen", "poll")):
        ref = ok(guarded.call("sbhostile", maker))
        refused(guarded.method(ref, method, "x"), "not in the allowlist")
        refused(guarded.attr(ref, method))
    # Operators and iteration are methods too.
    stdout = ok(guarded.call("sbhostile", "stdout"))
    refused(guarded.request("iter", args=[stdout]), "iterating a TextIOWrapper")
    match = ok(guarded.call("sbhostile", "match"))
    refused(guarded.request("protocol", function="getitem", args=[match, 0]), "Match")
    # A declared library's object: its methods work, its module attributes do not.
    holder = ok(guarded.call("sbhostile", "Holder"))
    assert ok(guarded.method(holder, "dangerous")) == "ran"
    assert ok(guarded.attr(holder, "value")) == 1
    refused(guarded.attr(holder, "mod"), "subprocess")


def test_builtin_classes_are_not_method_targets(worker: Worker) -> None:
    # `object`, reached through mro() of a declared class, is not a way in.
    classes = ok(worker.call("json", "JSONDecoder.mro"))
    refused(worker.method(classes[-1], "mro"), "builtin class object")


def test_policy_library_from_declaration() -> None:
    lib = policy.Library.from_declaration(
        "pandas", {"python_module": "pandas", "exclude": ["eval"]}
    )
    assert lib.selection_refusal("eval") is not None
    assert lib.selection_refusal("DataFrame.eval") is None
    assert lib.selection_refusal("read_csv") is None
    inc = policy.Library.from_declaration("numpy", {"include": ["linalg.*"]})
    assert inc.selection_refusal("linalg.solve") is None
    assert inc.selection_refusal("mean") is not None
    assert inc.selection_refusal("ndarray.sum", include=False) is None
    assert policy.Library.from_declaration("json", "json").python_module == "json"


def test_a_library_declared_by_its_distribution_name_allows_its_import_name() -> None:
    # mix.exs said `"scikit-learn": "~> 1.9"` with no python_module:, so the Elixir side
    # sends its guess; generation bound sklearn.*, and the worker must allow the same.
    w = Worker(
        {
            "scikit-learn": {
                Atom("python_module"): "scikit_learn",
                Atom("python_module_declared"): False,
            }
        }
    )
    try:
        assert ok(w.call("sklearn.utils", "check_random_state", 0, library="scikit-learn"))
    finally:
        w.close()
    declared = policy.Library.from_declaration(
        "scikit-learn", {"python_module": "scikit_learn", "python_module_declared": True}
    )
    assert declared.python_module == "scikit_learn"
    guessed = policy.Library.from_declaration(
        "scikit-learn", {"python_module": "scikit_learn", "python_module_declared": False}
    )
    assert guessed.python_module == "sklearn"


def test_each_refusal_names_its_rule(guarded: Worker) -> None:
    """`reason` and `library` travel as fields (Elixir's `reason` and `policy`), so
    callers match on them instead of parsing messages."""

    def fields(result: object) -> tuple[object, object]:
        policy = error(result)["policy"]
        assert policy["event"] is None and policy["option"] is None, policy
        return policy["reason"], policy["library"]

    assert fields(guarded.call("sympy", "sympify", "1")) == ("excluded", "sympy")
    x = ok(guarded.call("sympy", "Symbol", "x"))
    assert fields(guarded.method(x, "subs", x, 2)) == ("excluded", "sympy")
    assert fields(guarded.call("sympy.core.sympify", "sympify", "1")) == ("excluded", "sympy")
    assert fields(guarded.call("json", "codecs.open", "x")) == ("undeclared", None)
    assert fields(guarded.call("builtins", "eval", "1")) == ("forbidden", None)
    assert fields(guarded.call("sbhostile", "leak_frame")) == ("internal", None)
    assert fields(guarded.attr(x, "__class__")) == ("internal", None)
    only_sqrt = Worker({"sympy": {"python_module": "sympy", "include": ["sqrt"]}})
    try:
        assert fields(only_sqrt.call("sympy", "cos", 1)) == ("not_included", "sympy")
    finally:
        only_sqrt.close()


def test_containers_that_stay_refs_are_scanned_on_the_way_out(guarded: Worker) -> None:
    refused(guarded.call("sbhostile", "leak_eval_in_frame"), "builtins.eval", "an element")
    for index in range(6):
        message = refused(guarded.call("sbhostile", "leak_eval_in_ref", index))
        assert "builtins.eval" in message or "builtins.exec" in message, message
    # A frame of plain data, a Counter of words, a container holding itself: refs as usual.
    assert ok(guarded.call("pandas", "DataFrame", {"a": ["x", "y"], "b": [1, 2]}))
    assert ok(guarded.call("collections", "Counter", "hello"))
    assert ok(guarded.call("sbhostile", "self_holding"))[Atom("__struct__")] == REF
