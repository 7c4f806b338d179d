"""Python helpers the runtime ExUnit tests call through real workers.

Declared as the library ``sbtest`` in test pools; importing it never prints.
"""

import ctypes
import os
import sys
import time

CLOSED = []


def shout(text):
    print(text)
    return len(text)


def to_fd1(text):
    # What a C extension does: a raw write(2) on fd 1, bypassing sys.stdout.
    os.write(1, text.encode())
    return True


def c_printf(text):
    libc = ctypes.CDLL(None)
    libc.printf(b"%s\n", text.encode())
    return True


def to_stderr(text):
    print(text, file=sys.stderr)
    return True


def sleep(seconds):
    time.sleep(seconds)
    return seconds


def crash():
    os._exit(3)


def tracked(n):
    try:
        yield from range(n)
    finally:
        CLOSED.append(n)


def closed():
    return list(CLOSED)


def fail_after(n):
    yield from range(n)
    raise ValueError(f"stopped after {n}")


def get_os():
    return os


def get_system():
    return os.system


def imported(name):
    return name in sys.modules


def echo(*args, **kwargs):
    return [list(args), kwargs]


def kinds(*args):
    return [type(a).__name__ for a in args]


class Box:
    def __init__(self, value):
        self.value = value

    def get(self):
        return self.value

    def __len__(self):
        return 3

    def __iter__(self):
        return iter([self.value, self.value, self.value])

    def __str__(self):
        return f"Box({self.value})"


class CustomError(Exception):
    pass


def raise_custom(message):
    raise CustomError(message)


def mixed():
    import numpy

    return [numpy.arange(3), 1, {"k": complex(1, 2)}, (2.5, numpy.float64(0.5), numpy.int64(7))]
