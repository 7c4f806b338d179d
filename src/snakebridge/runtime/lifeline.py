"""A worker dies with its BEAM, even while stuck in C code that holds the GIL.

An Erlang port's process tree is BEAM -> erl_child_setup -> worker, and erl_child_setup
exits the moment the BEAM does (kill -9, ``System.halt``, the end of ``mix run``). The
kernel's parent-death signal (``prctl(PR_SET_PDEATHSIG, SIGKILL)``) then kills the
worker whatever it is doing: no Python code has to run, so no GIL is needed.

An idle worker also sees stdin reach EOF and exits on its own, flushing what it must
(the development ledger). A worker that has such a flush to do is therefore armed only
while it runs a request (``busy``/``idle``); one that has none stays armed throughout,
at no cost per request.
"""

from __future__ import annotations

import ctypes
import os
import signal
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def _prctl() -> Callable[..., int] | None:
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: the parent-watch thread remains
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    fn: Callable[..., int] = prctl
    return fn


class Lifeline:
    def __init__(self) -> None:
        self._parent = os.getppid()
        self._prctl = _prctl()
        self._graceful = False
        self._arm(signal.SIGKILL)

    @property
    def kernel(self) -> bool:
        """Whether the kernel enforces it (else the worker polls its parent instead)."""
        return self._prctl is not None

    def graceful(self) -> None:
        """From now on, armed only between ``busy`` and ``idle``."""
        self._graceful = True
        self._arm(0)

    def busy(self) -> None:
        if self._graceful:
            self._arm(signal.SIGKILL)

    def idle(self) -> None:
        if self._graceful:
            self._arm(0)

    def _arm(self, sig: int) -> None:
        if self._prctl is None:
            return
        self._prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
        # The parent may have died before the signal was armed: nothing would fire then.
        if sig and os.getppid() != self._parent:
            os._exit(0)
