"""A declared library that leaks objects it should not: what a careless (or hostile)
library could return, to check that refs to them obey the module-call policy."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any


def stdout() -> Any:
    return sys.stdout


def match() -> Any:
    return re.match("a", "a")


def popen() -> Any:
    # A Popen object without a process: only its methods are under test.
    return subprocess.Popen.__new__(subprocess.Popen)


def leak_eval() -> Any:
    import numpy

    arr = numpy.empty(1, dtype=object)
    arr[0] = eval
    return arr


def leak_eval_in_list() -> Any:
    return [1, [eval]]


def leak_frame() -> Any:
    return sys._getframe()


class Holder:
    """An object of a declared library whose attribute is an undeclared module."""

    def __init__(self) -> None:
        self.mod = subprocess
        self.value = 1

    def dangerous(self) -> str:
        return "ran"


def run(command: str) -> int:
    import os

    return os.system(command)


def swallow(command: str) -> str:
    import os

    try:
        os.system(command)
    except Exception:
        return "swallowed"
    return "ran"


def eval_ufunc() -> Any:
    import numpy

    return numpy.frompyfunc(eval, 1, 1)


def permissive_hook() -> None:
    sys.addaudithook(lambda event, args: None)


def dump_pickle(path: str, payload: Any) -> None:
    import pickle

    with open(path, "wb") as fh:
        pickle.dump(payload, fh)


def import_sysconfigdata() -> bool:
    import importlib
    import sysconfig

    name = sysconfig._get_sysconfigdata_name()  # type: ignore[attr-defined]
    sys.modules.pop(name, None)
    return importlib.import_module(name) is not None


def optional_import() -> str:
    try:
        import sbundeclared  # noqa: F401
    except ImportError:
        return "fallback"
    return "imported"


class LoudRepr:
    """An object whose repr runs a command: the bridge calls repr() to describe a ref."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __repr__(self) -> str:
        import os

        os.system(self.command)
        return "LoudRepr()"


def loud(command: str) -> LoudRepr:
    return LoudRepr(command)


def leak_eval_in_frame() -> Any:
    import pandas

    return pandas.DataFrame({"n": [1, 2], "f": ["a", eval]})


def leak_eval_in_ref(index: int) -> Any:
    """Containers that stay refs (subclasses keep their identity) and wrappers, each
    holding eval or exec."""
    import collections
    import functools

    point = collections.namedtuple("Point", "x y")
    return [
        lambda: collections.Counter({eval: 1}),
        lambda: collections.OrderedDict(a=[1, (2, eval)]),
        lambda: collections.deque([eval]),
        lambda: point(1, eval),
        lambda: functools.partial(eval, "1"),
        lambda: functools.partial(functools.partial(exec), "1"),
    ][index]()


def self_holding() -> Any:
    """A container ref that holds itself (the scan must end)."""
    import collections

    nest: Any = collections.OrderedDict(n=1)
    nest["self"] = [nest]
    return nest
