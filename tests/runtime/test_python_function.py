"""A capture of a generated binding (``&Numpy.sum!/1``) arrives as
``%SnakeBridge.PythonFunction{path: ...}`` and decodes to the Python object itself,
resolved through the allowlist like a call (runtime.values)."""

from __future__ import annotations

import collections
from typing import Any

import numpy
import pytest

from snakebridge import etf
from snakebridge.etf import Atom
from snakebridge.runtime.allowlist import Allowlist, NotAllowed
from snakebridge.runtime.store import RefStore
from snakebridge.runtime.values import Codec, Malformed

STRUCT = Atom("__struct__")
LIBRARIES = {"numpy": "numpy", "builtins": "builtins", "collections": "collections"}


def decode(path: Any) -> Any:
    codec = Codec(RefStore(), Allowlist(LIBRARIES), "w1", "default")
    term = {STRUCT: Atom("Elixir.SnakeBridge.PythonFunction"), Atom("path"): path}
    return codec.decode(etf.encode([term]))[0]


def test_a_binding_path_is_the_python_object_itself() -> None:
    assert decode("numpy.sum") is numpy.sum
    assert decode("numpy.linalg.inv") is numpy.linalg.inv  # a submodule's function
    assert decode("builtins.str.lower") is str.lower  # a method: the class's function
    assert decode("collections.Counter") is collections.Counter  # a constructor: the class


def test_a_path_outside_the_declared_libraries_is_refused() -> None:
    with pytest.raises(NotAllowed, match=r"os\.system .*not in the allowlist"):
        decode("os.system")
    # The allowlist's own rules apply: no dunder, no getattr-style builtin.
    with pytest.raises(NotAllowed):
        decode("builtins.eval")
    with pytest.raises(NotAllowed):
        decode("numpy.__loader__")


def test_a_bad_path_is_a_malformed_argument() -> None:
    assert isinstance(decode(3), Malformed)
    assert isinstance(decode(""), Malformed)
