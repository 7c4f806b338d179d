"""Protocol methods a class defines are bound under their escaped names (``py___getitem__``).

The rule: a dunder the worker's allowlist lets a call reach, defined by the class or a
base other than ``object``, is a member like any method; ``names.function_name`` gives
its Elixir name. Checked on a fixture class, on real numpy, sympy and pandas classes
through the real introspection child, and against the worker's allowlist.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from snakebridge.codegen import names
from snakebridge.codegen.introspect import introspect
from snakebridge.codegen.introspect.objects import protocol_names
from snakebridge.project import Detection, LibrarySpec, Project
from snakebridge.runtime.allowlist import ALLOWED_DUNDERS, Allowlist


class Base:
    def __len__(self) -> int:
        return 1


class Box(Base):
    def __getitem__(self, key: object) -> object:
        return key

    def __eq__(self, other: object) -> bool:
        return other is self

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> str:  # a dunder no call may reach
        return "Box"


def test_protocol_names_are_the_allowed_dunders_the_class_defines() -> None:
    assert protocol_names(Box) == ["__eq__", "__getitem__", "__len__"]
    # object's own __repr__, __eq__, __hash__ are not the class's protocol
    assert protocol_names(type("Plain", (), {})) == []
    assert [names.function_name(n) for n in protocol_names(Box)] == [
        "py___eq__",
        "py___getitem__",
        "py___len__",
    ]


def test_every_protocol_name_passes_the_worker_allowlist() -> None:
    numpy = pytest.importorskip("numpy")
    allow = Allowlist({"numpy": "numpy"})
    arr = numpy.arange(6)
    found = protocol_names(numpy.ndarray)
    assert {"__getitem__", "__setitem__", "__len__", "__add__", "__matmul__"} <= set(found)
    assert set(found) <= ALLOWED_DUNDERS
    for name in found:
        allow.check_name(name)
    assert allow.attribute(arr, "__getitem__")(2) == 2


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    libs = (
        LibrarySpec("numpy", "~> 2.0", "Numpy", "numpy"),
        LibrarySpec("sympy", "~> 1.13", "Sympy", "sympy"),
        LibrarySpec("pandas", "~> 2.0", "Pandas", "pandas"),
    )
    project = Project(Path("/tmp/sb-protocol-test"), libs, Path("/tmp/sb-protocol-test/gen"), "")
    D = Detection
    return dict(
        introspect(
            project,
            {
                "numpy": [
                    D("Numpy.Ndarray", "py___getitem__", 2),
                    D("Numpy.Ndarray", "py___len__", 1),
                    D("Numpy.Ndarray", "py___reduce__", 1),
                ],
                "sympy": [D("Sympy.Symbol", "py___add__", 2)],
                "pandas": [D("Pandas.DataFrame", "py___getitem__", 2)],
            },
        )
    )


def test_real_classes_bind_their_protocol_methods(results: dict[str, object]) -> None:
    def methods(lib: str) -> dict[str, object]:
        (cls,) = results[lib].library.root.classes  # type: ignore[attr-defined]
        return {m.name: m for m in cls.methods}

    numpy = methods("numpy")
    assert sorted(numpy) == ["__getitem__", "__len__"]
    getitem = numpy["__getitem__"]
    assert getitem.qualname == "ndarray.__getitem__"  # type: ignore[attr-defined]
    assert [p.name for p in getitem.signature.params] == ["key"]  # type: ignore[attr-defined]
    assert sorted(methods("sympy")) == ["__add__"]
    assert sorted(methods("pandas")) == ["__getitem__"]


def test_a_dunder_no_call_may_reach_is_not_bound(results: dict[str, object]) -> None:
    (miss,) = results["numpy"].unresolved  # type: ignore[attr-defined]
    assert miss.function == "py___reduce__"
    assert "no public member named py___reduce__ (of the dunder methods, only" in miss.message
    assert "__getitem__, " in miss.message
