"""A module-level callable object (an instance with ``__call__``, like dateutil's
``MO``) is both a value and a call in Python: ``relativedelta(weekday=MO)`` and
``MO(+1)``. Its binding is the call; asked for with no arguments where the call needs
some, generation refuses it and names the way to read the object itself."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from snakebridge.codegen.introspect import introspect
from snakebridge.project import Detection, LibrarySpec, Project

LIB = LibrarySpec("sbcallable", ">= 0", "Sbcallable", "sbcallable")

SOURCE = """
class weekday:
    def __init__(self, weekday, n=None):
        self.weekday, self.n = weekday, n

    def __call__(self, n):
        return weekday(self.weekday, n)


class counter:
    def __call__(self, start=0):
        return start + 1


MO = weekday(0)
COUNT = counter()


def plain(x):
    return x
"""


@pytest.fixture()
def result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    (tmp_path / "sbcallable.py").write_text(textwrap.dedent(SOURCE))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    project = Project(tmp_path, (LIB,), tmp_path / "lib" / "snakebridge_generated", "")
    calls = [
        Detection("Sbcallable", "py_MO", 0),
        Detection("Sbcallable", "py_MO", 1),
        Detection("Sbcallable", "py_COUNT", 0),
        Detection("Sbcallable", "plain", 1),
    ]
    return introspect(project, {"sbcallable": calls})["sbcallable"]


def test_callable_object_needing_arguments_read_as_a_value_names_snakebridge_get(
    result,  # type: ignore[no-untyped-def]
) -> None:
    messages = {(u.module, u.function): u.message for u in result.unresolved}
    assert messages[("Sbcallable", "py_MO")] == (
        "Sbcallable.py_MO/0: sbcallable.MO is a callable weekday object, and its binding "
        "calls it (Sbcallable.py_MO(...) is MO(...) in Python, which needs arguments); to "
        'pass the object itself as a value, read it with SnakeBridge.get("sbcallable", "MO")'
    )


def test_the_call_itself_and_calls_without_required_arguments_still_bind(
    result,  # type: ignore[no-untyped-def]
) -> None:
    # py_MO/1, MO(+1), binds beside the refused /0; a callable object whose call needs
    # no argument binds at arity 0 (calling it).
    resolved = set(result.resolved)
    assert ("Sbcallable", "py_MO") in resolved
    assert [f.name for f in result.library.root.functions if f.name == "MO"] == ["MO"]
    assert ("Sbcallable", "py_COUNT") in resolved
    assert ("Sbcallable", "plain") in resolved
