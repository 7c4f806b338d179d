"""A class whose instances answer attributes through ``__getattr__`` gets a getter for
each attribute its docstring documents, but not for the dunders it documents
(pydantic's ``BaseModel`` lists ``__pydantic_fields__`` and a dozen more): they are
machinery, and a getter generated for one could not be bound again when the manifest
asks for it (the resolver refuses dunders), so every regeneration warned about it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from snakebridge.codegen.introspect import introspect
from snakebridge.project import Detection, LibrarySpec, Project

LIB = LibrarySpec("sbhooked", ">= 0", "Sbhooked", "sbhooked")

SOURCE = '''
class Model:
    """A model.

    Attributes:
        fields: The fields.
        __private_fields__: Internal bookkeeping.
    """

    def __getattr__(self, name):
        raise AttributeError(name)

    def dump(self):
        return {}
'''


def test_documented_dunders_of_a_getattr_class_get_no_getter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sbhooked.py").write_text(textwrap.dedent(SOURCE))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    project = Project(tmp_path, (LIB,), tmp_path / "lib" / "snakebridge_generated", "")
    result = introspect(project, {"sbhooked": [Detection("Sbhooked.Model", "dump", 1)]})
    (model,) = result["sbhooked"].library.root.classes
    assert [a.name for a in model.attributes] == ["fields"]
    # the getter that is generated binds again, as a later generation asks for it
    again = introspect(project, {"sbhooked": [Detection("Sbhooked.Model", "fields", 1)]})
    assert not again["sbhooked"].unresolved
