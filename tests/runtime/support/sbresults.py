"""Results of every shape a bulk call can give (the worker's bytes fast paths)."""

from __future__ import annotations

import os
from typing import Any


def first(*args: bytes, **kwargs: Any) -> bytes:
    return args[0] if args else b""


def joined(*args: bytes, **kwargs: Any) -> bytes:
    return b"".join(args)


def as_bytearray(*args: bytes, **kwargs: Any) -> bytearray:
    return bytearray(b"".join(args))


def as_memoryview(*args: bytes, **kwargs: Any) -> memoryview:
    return memoryview(b"".join(args))


def sizes(*args: bytes, **kwargs: Any) -> list[int]:
    return [len(a) for a in args]


class Kept:
    def __repr__(self) -> str:
        return "Kept()"


def with_object(*args: bytes, **kwargs: Any) -> tuple[bytes, Kept]:
    # The object crosses as a ref: the reply carries the :refs mark.
    return b"".join(args), Kept()


def fail(*args: bytes, **kwargs: Any) -> bytes:
    raise ValueError(f"refused {len(args)} arguments")


def run(*args: bytes, **kwargs: Any) -> int:
    # A process start: refused by the audit policy unless the library allows it.
    return os.system("true")
