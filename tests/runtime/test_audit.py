"""Audit hooks: what a call may make a declared library do (processes, shared
libraries, imports, unpickling), each refused by default and allowed per library."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from snakebridge.etf import Atom

from .conftest import REF, Worker, error, ok, refused

LIBS: dict[str, Any] = {
    "numpy": "numpy",
    "sympy": "sympy",
    "pandas": "pandas",
    "collections": "collections",
    "operator": "operator",
    "sbhostile": "sbhostile",
}


def refused_by(result: Any, reason: str, event: str, library: str | None) -> None:
    """The refusal's fields, which Elixir turns into `reason` and `policy`."""
    option = reason if reason in ("subprocess", "dlopen", "import", "pickle") else None
    assert error(result)["policy"] == {
        "reason": reason,
        "event": event,
        "option": option,
        "library": library,
    }


@pytest.fixture(scope="module")
def audited() -> Iterator[Worker]:
    w = Worker(LIBS)
    yield w
    w.close()


class _Shell:
    """Unpickling this runs a shell command (the classic crafted pickle)."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> Any:
        import os

        return (os.system, (self.command,))


def test_process_start_is_refused_naming_event_call_and_option(
    audited: Worker, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    message = refused(
        audited.call("sbhostile", "run", f"touch {marker}"),
        "os.system",
        "call sbhostile.run",
        "allow: [:subprocess]",
        "'sbhostile'",
    )
    assert "refused" in message
    # A library that catches the refusal and recovers succeeds; the refusal is logged.
    assert ok(audited.call("sbhostile", "swallow", f"touch {marker}")) == "swallowed"
    assert any("os.system" in text and "caught" in text for _, text in audited.logs)
    assert not marker.exists()
    # The worker keeps serving.
    assert ok(audited.call("operator", "add", 1, 2)) == 3


def test_numpy_testing_runstring(audited: Worker, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    code = f"import os; os.system('touch {marker}')"
    result = audited.call("numpy.testing", "runstring", code, {})
    refused(result, "os.system")
    refused_by(result, "subprocess", "os.system", "numpy")
    code = f"import subprocess; subprocess.run(['touch', '{marker}'])"
    result = audited.call("numpy.testing", "runstring", code, {})
    refused(result, "subprocess.Popen")
    refused_by(result, "subprocess", "subprocess.Popen", "numpy")
    assert not marker.exists()


def test_sympy_run_in_subprocess(audited: Worker) -> None:
    refused(
        audited.call(
            "sympy.testing.runtests",
            "run_in_subprocess_with_hash_randomization",
            "_get_doctest_blacklist",
            library="sympy",
            force=True,
        ),
        "starting a process",
        "allow: [:subprocess]",
    )


def test_numpy_load_pickle(audited: Worker, tmp_path: Path) -> None:
    import numpy

    marker = tmp_path / "ran"
    path = tmp_path / "evil.npy"
    numpy.save(path, numpy.array([_Shell(f"touch {marker}")], dtype=object), allow_pickle=True)
    result = audited.call("numpy", "load", str(path), allow_pickle=True)
    refused(result, "unpickling posix.system", "allow: [:pickle]")
    refused_by(result, "pickle", "pickle.find_class", "numpy")
    assert not marker.exists()
    # Data pickles of declared libraries still load.
    plain = tmp_path / "plain.npy"
    numpy.save(plain, numpy.array([{"a": 1}, (2, 3)], dtype=object), allow_pickle=True)
    assert ok(audited.call("numpy", "load", str(plain), allow_pickle=True))


def test_ctypes_load_library(audited: Worker, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    src = tmp_path / "evil.c"
    src.write_text(
        "#include <stdio.h>\n"
        f'__attribute__((constructor)) static void run(void) {{ fopen("{marker}", "w"); }}\n'
    )
    subprocess.run(
        ["cc", "-shared", "-fPIC", "-o", str(tmp_path / "evil.so"), str(src)], check=True
    )
    result = audited.call("numpy.ctypeslib", "load_library", "evil", str(tmp_path), library="numpy")
    refused(result, "ctypes.dlopen", "allow: [:dlopen]")
    refused_by(result, "dlopen", "ctypes.dlopen", "numpy")
    assert not marker.exists()


def test_undeclared_import(audited: Worker) -> None:
    result = audited.call("sympy.external", "import_module", "sbundeclared", library="sympy")
    refused(result, "importing 'sbundeclared'", "allow: [:import]")
    refused_by(result, "import", "import", "sympy")
    # A library's own optional import of an undeclared module looks like a missing
    # module to it: it falls back, the call succeeds, the refusal is logged.
    assert ok(audited.call("sbhostile", "optional_import")) == "fallback"
    assert any("sbundeclared" in text for _, text in audited.logs)
    # Standard modules outside sys.stdlib_module_names (platform data) are stdlib too.
    assert ok(audited.call("sbhostile", "import_sysconfigdata")) is True
    # A module that is not installed at all is the library's usual ImportError case.
    assert (
        ok(audited.call("sympy.external", "import_module", "no_such_mod", library="sympy")) is None
    )


def test_string_evaluating_apis_keep_working(audited: Worker) -> None:
    assert ok(audited.call("sympy", "sympify", "x + 1"))[Atom("repr")] == "x + 1"
    assert ok(audited.call("pandas", "eval", "1 + 2")) == 3
    point = ok(audited.call("collections", "namedtuple", "Point", "x y"))
    # A namedtuple keeps its identity (a ref with its fields by name).
    made = ok(audited.method(point, "__call__", 1, 2))
    assert made[Atom("__struct__")] == REF and made[Atom("type")].endswith("Point")


def test_code_run_straight_from_the_bridge(audited: Worker) -> None:
    ufunc = ok(audited.call("sbhostile", "eval_ufunc"))
    result = audited.method(ufunc, "__call__", "1 + 1")
    refused(result, "running a string as code")
    refused_by(result, "code", "compile", "numpy")


def test_hooks_cannot_be_lifted(audited: Worker, tmp_path: Path) -> None:
    ok(audited.call("sbhostile", "permissive_hook"))
    refused(audited.call("sbhostile", "run", "true"), "os.system")
    refused(audited.call("snakebridge.runtime.audit", "Audit", library="snakebridge"))
    refused(audited.call("sys", "addaudithook", library="sys"))


def test_allow_grants_per_library(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    w = Worker(
        {
            "sbhostile": {"python_module": "sbhostile", "allow": [Atom("subprocess")]},
            "numpy": "numpy",
        }
    )
    try:
        assert ok(w.call("sbhostile", "run", f"touch {marker}")) == 0
        assert marker.exists()
        # numpy did not get the capability.
        refused(w.call("numpy.testing", "runstring", "import os; os.system('true')", {}))
    finally:
        w.close()


def test_declared_import_and_first_import_are_free() -> None:
    # matplotlib's first import probes fonts and caches; declared, it imports with the
    # hooks suspended.
    w = Worker({"json": "json", "sbundeclared": "sbundeclared"})
    try:
        assert (
            ok(
                w.request(
                    "get_attr",
                    library="sbundeclared",
                    python_module="sbundeclared",
                    function="IMPORTED",
                )
            )
            is True
        )
    finally:
        w.close()
    assert sys.modules.get("sbundeclared") is None
    assert pickle  # the pickles above are built here, in the test process


def test_a_result_is_described_under_its_own_call_policy(tmp_path: Path) -> None:
    # The ref's description (repr) is the library's code: it may do what sbhostile may,
    # not what the union of every declared library's allow: permits.
    marker = tmp_path / "ran"
    w = Worker(
        {
            "sbhostile": "sbhostile",
            "operator": {"python_module": "operator", "allow": [Atom("subprocess")]},
        }
    )
    try:
        ref = ok(w.call("sbhostile", "loud", f"touch {marker}"))
        assert ref[Atom("type")] == "sbhostile.LoudRepr"
        assert not marker.exists()
        assert any(
            "os.system" in text and "call sbhostile.loud" in text and "caught" in text
            for _, text in w.logs
        ), w.logs
    finally:
        w.close()
