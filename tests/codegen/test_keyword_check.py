"""The pre-pass keyword check: a call ending in a literal keyword list that Python would
refuse is an error at generation time, at its file:line, listing the valid keywords."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.commands.helpers import cmd, det


def _kw(module: str, function: str, arity: int, keywords: list[str], line: int) -> dict[str, Any]:
    return {**det(module, function, arity, file="lib/a.ex", line=line), "keywords": keywords}


def test_unknown_literal_keywords_are_reported_with_file_line_and_the_valid_ones(
    tmp_path: Path,
) -> None:
    reply, _ = cmd(
        tmp_path,
        "generate",
        detections=[
            _kw("Numpy", "mean", 2, ["axes"], 3),  # mean(x, axes: 0): opts
            _kw("Numpy", "mean", 2, ["axis", "dtype"], 4),  # fine
            _kw("Numpy", "mean!", 3, ["where", "bogus"], 5),  # mean!(x, 0, ...): opts
        ],
    )
    assert reply.exit_code == 1
    diagnostics = sorted(reply.data["diagnostics"], key=lambda d: d["line"])
    assert [(d["file"], d["line"]) for d in diagnostics] == [("lib/a.ex", 3), ("lib/a.ex", 5)]
    assert "unknown keyword argument(s) axes: for numpy.mean" in diagnostics[0]["message"]
    assert "valid: a, axis, dtype, out, keepdims" in diagnostics[0]["message"]
    assert "bogus:" in diagnostics[1]["message"] and "where:" not in diagnostics[1]["message"]


def test_a_keyword_list_that_is_a_value_or_any_keyword_is_not_checked(tmp_path: Path) -> None:
    reply, _ = cmd(
        tmp_path,
        "generate",
        detections=[
            # linalg.solve(a, [x: 1]): the list is b's value (solve has no optionals)
            _kw("Numpy.Linalg", "solve", 2, ["x"], 3),
        ],
    )
    assert reply.exit_code == 0, reply.data["diagnostics"]
