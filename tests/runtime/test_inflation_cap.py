"""A compressed frame inflates at most to its declared size, and that size at most to
the project's `max_inflated_bytes:` (sent in the init frame): the worker refuses the
frame and lives."""

from __future__ import annotations

import struct
import zlib

from snakebridge import etf

from .conftest import Worker, error, ok


def compressed(term: object) -> bytes:
    raw = etf.encode(term)[1:]
    return b"\x83P" + struct.pack(">I", len(raw)) + zlib.compress(raw)


def test_the_configured_cap_refuses_a_larger_declared_size() -> None:
    w = Worker({"json": "json"}, init={"max_inflated": 1_000})
    try:
        # 999 bytes inflate: under the cap, decoded as usual (an error naming the shape).
        w.send_raw(compressed((1, b"x" * 900)))
        assert "not a request map" in error(w.reply()[1])["message"]
        w.send_raw(compressed((2, b"x" * 5_000)))
        message = error(w.reply()[1])["message"]
        assert "more than the maximum of 1000" in message
        assert ok(w.call("json", "dumps", [1])) == "[1]"
    finally:
        w.close()


def test_without_a_setting_the_default_cap_holds() -> None:
    w = Worker({"json": "json"})
    try:
        w.send_raw(b"\x83P" + struct.pack(">I", etf.MAX_INFLATED + 1) + zlib.compress(b"a"))
        assert f"more than the maximum of {etf.MAX_INFLATED}" in error(w.reply()[1])["message"]
        assert ok(w.call("json", "dumps", [1])) == "[1]"
    finally:
        w.close()
