"""A real worker process driven over its pipes, as the Elixir pool drives it."""

from __future__ import annotations

import itertools
import os
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from snakebridge import etf
from snakebridge.etf import Atom
from snakebridge.runtime.callbacks import FENCE

REF = Atom("Elixir.SnakeBridge.Ref")
BYTES = Atom("Elixir.SnakeBridge.Bytes")


# Python helpers shared with the ExUnit runtime tests (the `sbtest` library).
SUPPORT_PYTHON = Path(__file__).resolve().parents[2] / "elixir" / "test" / "support" / "python"
# Libraries that misbehave on purpose (security tests).
HOSTILE_PYTHON = Path(__file__).resolve().parent / "support"


class Worker:
    def __init__(
        self,
        libraries: dict[str, Any],
        *,
        ledger_path: str | None = None,
        callbacks: dict[str, Any] | None = None,
        capture_stderr: bool = False,
        init: dict[str, Any] | None = None,
    ) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(SUPPORT_PYTHON), str(HOSTILE_PYTHON), env.get("PYTHONPATH")) if p
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "snakebridge.runtime.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if capture_stderr else None,
            env=env,
        )
        self.ids = itertools.count(1)
        self.logs: list[tuple[str, str]] = []
        self.last_made_refs = False
        self.send(
            (
                Atom("init"),
                {
                    Atom("worker_id"): "test:1:abc",
                    Atom("pool"): Atom("default"),
                    Atom("libraries"): libraries,
                    Atom("ledger_path"): ledger_path,
                    Atom("callbacks"): callbacks or {},
                    **{Atom(k): v for k, v in (init or {}).items()},
                },
            )
        )
        tag, info = self.recv()
        assert tag == "ready"
        self.info = info

    def send(self, term: Any) -> None:
        data = etf.encode(term)
        assert self.proc.stdin is not None
        self.proc.stdin.write(struct.pack(">I", len(data)) + data)
        self.proc.stdin.flush()

    def send_raw(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(struct.pack(">I", len(data)) + data)
        self.proc.stdin.flush()

    def recv(self) -> Any:
        assert self.proc.stdout is not None
        header = self.proc.stdout.read(4)
        assert len(header) == 4, "worker closed its channel"
        (size,) = struct.unpack(">I", header)
        return etf.decode(self.proc.stdout.read(size))

    def reply(self) -> Any:
        while True:
            frame = self.recv()
            if isinstance(frame, tuple) and len(frame) == 3 and frame[0] == "log":
                self.logs.append((frame[1], frame[2]))
                continue
            if isinstance(frame, tuple) and frame and frame[0] == "callback":
                # As the pool does: what is written after this is the callback's.
                self.send_raw(FENCE)
            return frame

    def send_request(self, call_type: str, session: str = "s1", **fields: Any) -> int:
        rid = next(self.ids)
        request = {Atom("call_type"): Atom(call_type), Atom("session"): session}
        for key, value in fields.items():
            request[Atom(key)] = value
        request.setdefault(Atom("args"), [])
        request.setdefault(Atom("kwargs"), {})
        self.send((rid, request))
        return rid

    def request(self, call_type: str, session: str = "s1", **fields: Any) -> Any:
        rid = self.send_request(call_type, session, **fields)
        reply = self.reply()
        # {id, result} or {id, result, :refs} when the call left refs in its session.
        assert reply[0] == rid
        self.last_made_refs = len(reply) == 3 and reply[2] == "refs"
        return reply[1]

    def method(self, ref: Any, name: str, *args: Any, session: str = "s1") -> Any:
        return self.request(
            "method", session=session, function=name, args=[ref, *args], library=None
        )

    def attr(self, ref: Any, name: str, session: str = "s1") -> Any:
        return self.request("get_attr", session=session, function=name, args=[ref])

    def call(
        self,
        module: str,
        function: str,
        *args: Any,
        session: str = "s1",
        library: str | None = None,
        **kwargs: Any,
    ) -> Any:
        return self.request(
            "call",
            session=session,
            library=library or module.split(".")[0],
            python_module=module,
            function=function,
            args=list(args),
            kwargs=kwargs,
        )

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=10)


@pytest.fixture
def worker() -> Iterator[Worker]:
    w = Worker(
        {
            "numpy": "numpy",
            "json": "json",
            "math": "math",
            "sympy": "sympy",
            "operator": "operator",
            "ctypes": "ctypes",
            "itertools": "itertools",
        }
    )
    yield w
    w.close()


def ok(result: Any) -> Any:
    assert result[0] == "ok", result
    return result[1]


def error(result: Any) -> dict[Any, Any]:
    assert result[0] == "error", result
    assert isinstance(result[1], dict)
    return result[1]


def refused(result: Any, *words: str) -> str:
    """The message of a ``not_allowed`` error, which must contain each of ``words``."""
    err = error(result)
    assert err["type"] == "not_allowed", err
    for word in words:
        assert word in err["message"], err["message"]
    return str(err["message"])


def env_pythonpath() -> dict[str, str]:
    return dict(os.environ)
