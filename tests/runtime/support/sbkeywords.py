"""How keyword names reach a called function (the worker's keyword interning)."""

import sys


def interned(**kwargs: object) -> list[str]:
    """The names that are the interpreter's interned strings (a copy of the name
    interns to the very object passed)."""
    return sorted(name for name in kwargs if sys.intern("".join(name)) is name)
