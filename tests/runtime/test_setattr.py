"""set_attr on shared objects (modules, classes) is refused unless the library allows it."""

from __future__ import annotations

from snakebridge.etf import Atom

from .conftest import Worker, error, ok


def test_module_attribute_is_refused_by_default() -> None:
    w = Worker({"json": "json", "sbhostile": "sbhostile"})
    try:
        result = w.request(
            "set_attr", library="json", python_module="json", function="dumps", args=[1]
        )
        err = error(result)
        assert err["type"] == "not_allowed"
        assert "json.dumps" in err["message"] and "allow: [:set_attr]" in err["message"]
        assert err["policy"] == {
            "reason": "set_attr",
            "event": "set_attr",
            "option": "set_attr",
            "library": "json",
        }
        assert ok(w.call("json", "dumps", [1])) == "[1]"
        # Classes are shared too; objects a call made are not.
        cls = ok(
            w.request("get_attr", library="sbhostile", python_module="sbhostile", function="Holder")
        )
        assert (
            error(w.request("set_attr", function="value", args=[cls, 2]))["type"] == "not_allowed"
        )
        holder = ok(w.call("sbhostile", "Holder"))
        assert ok(w.request("set_attr", function="value", args=[holder, 5])) is None
        assert ok(w.attr(holder, "value")) == 5
    finally:
        w.close()


def test_allowed_per_library() -> None:
    w = Worker({"json": {"python_module": "json", "allow": [Atom("set_attr")]}})
    try:
        assert (
            ok(
                w.request(
                    "set_attr", library="json", python_module="json", function="sb_flag", args=[7]
                )
            )
            is None
        )
        assert (
            ok(w.request("get_attr", library="json", python_module="json", function="sb_flag")) == 7
        )
    finally:
        w.close()
