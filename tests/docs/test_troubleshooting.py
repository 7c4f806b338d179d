"""docs/guides/troubleshooting.md has an entry for every error a user can meet.

The list comes from the code, so a new message without an entry fails here: every
bridge failure type (``SnakeBridge.Error.runtime_types/0``, read from error.ex), every
message the Python half raises as a setup/compile/task error (``ProjectError`` and its
kin) and every message the worker answers a call with (``NotAllowed``, ``BadRequest``,
``RefError``, the bulk transfers' ``BulkError`` and their kin), read with ``ast``: the
message's longest literal fragment must be quoted in the page. On the Elixir side, from
every module under elixir/lib: every message a Mix task raises (``Mix.raise``), every
bridge failure (``Error.runtime(:type, "...")``, the local ``bad(...)``/``lost(...)``
helpers), every error tuple (``{:error, "..."}``: declarations, setup, the Python CLI,
tensors and handles, callbacks), every raised ``ArgumentError`` or declaration error,
every ``CompileError`` description a macro raises, every pre-pass diagnostic, every
crash description (``WorkerPort.describe/1``), every
warning and error logged and the text of every ``*message`` helper (examples inside
``@doc`` heredocs excepted): the longest fixed fragment of the concatenated string
(``"..." <> "..."``, ``~s(...)``, interpolations cut it).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "guides" / "troubleshooting.md"
ERRORS_PAGE = REPO / "docs" / "guides" / "errors.md"
ERROR_EX = REPO / "elixir" / "lib" / "snakebridge" / "error.ex"
# Exceptions the CLI turns into a task's error message (exit 2) for the user to read.
USER_ERRORS = {
    "ProjectError",
    "StateError",
    "SetupError",
    "ReleaseError",
    "LockTimeout",
    "RequirementError",
}
# Exceptions the worker turns into a call's `{:error, %SnakeBridge.Error{}}`.
WORKER_ERRORS = {
    "NotAllowed",
    "BadRequest",
    "RefError",
    "EncodeRefused",
    "CallbackExpired",
    "CallbackNotAllowed",
    "AuditRefused",
    "ImportRefused",
    "BulkError",
}
# Exceptions whose first argument is the error type and whose second is the message.
TYPED_ERRORS = {"RefError", "BulkError"}
WORKER = REPO / "src" / "snakebridge" / "runtime"


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("`", "")).strip()


def _fragment(node: ast.expr) -> str | None:
    """The longest literal part of a message expression (an f-string's fixed text)."""
    parts: list[str] = []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        parts = [node.value]
    elif isinstance(node, ast.JoinedStr):
        current = ""
        for value in node.values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                current += value.value
            else:
                parts.append(current)
                current = ""
        parts.append(current)
    elif isinstance(node, ast.BinOp):  # "..." + "..."
        left, right = _fragment(node.left), _fragment(node.right)
        parts = [p for p in (left, right) if p]
    found = max((_normal(p).strip(" ;:,.()") for p in parts), key=len, default="")
    return found if len(found) >= 12 else None


def python_messages() -> list[tuple[str, str]]:
    found = []
    for path in sorted((REPO / "src" / "snakebridge").rglob("*.py")):
        names = USER_ERRORS | (WORKER_ERRORS if path.is_relative_to(WORKER) else set())
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            at = 1 if name in TYPED_ERRORS else 0
            if name in names and len(node.exc.args) > at:
                fragment = _fragment(node.exc.args[at])
                if fragment is not None:
                    where = f"{path.relative_to(REPO)}:{node.lineno}"
                    found.append((where, fragment))
    return found


def mix_messages() -> list[tuple[str, str]]:
    found = []
    for path in sorted((REPO / "elixir" / "lib").rglob("*.ex")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = re.search(r'Mix\.raise\("([^"#]{12,})', line)
            if match:
                message = _normal(match.group(1)).strip(" ;:,.()")
                found.append((f"{path.relative_to(REPO)}:{number}", message))
    return found


# Where an Elixir message a user reads starts (its strings follow), in any module: a
# bridge failure, a Mix or setup error tuple (a callback's carries its Python exception
# type first), a raised argument or declaration error, a macro's compile error
# description, a pre-pass diagnostic, an error struct's message, a crash description,
# a warning or error logged (``Logger``, also as ``fn -> "..." end``), the text a
# ``*message`` function builds (its first line that starts with a string).
_ELIXIR_MESSAGE = re.compile(
    r"Error\.runtime\(\s*:\w+,\s*"
    r"|\b(?:bad|lost)\(\s*(?:call,\s*)?"
    r'|\{:error,\s*(?:"[a-z_]+",\s*)?'
    r"|\braise\(?\s*(?:ArgumentError|Error),\s*"
    r"|\bdescription:\s*"
    r"|\bdiagnostic\(\s*:(?:error|warning),\s*"
    r"|\bmessage:\s*"
    r"|def describe\([^)]*\),\s*do:\s*"
    r"|\bLogger\.(?:warning|error)\(\s*(?:fn\s*->\s*)?"
    r"|defp? \w*message\([^)]*\)(?:,\s*do:\s*|\s+do\n(?:[^\n]*\n)*?[ \t]*(?=\"))"
)


def _skip_interpolation(text: str, i: int) -> int:
    """The index after the ``}`` that closes the ``#{`` before ``i`` (nested braces and
    strings inside it included)."""
    depth = 1
    while depth and i < len(text):
        if text[i] == '"':
            i = _string_end(text, i + 1, '"', [])
            continue
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    return i


def _string_end(text: str, i: int, close: str, parts: list[str]) -> int:
    """Reads a string body from ``i`` to its ``close`` delimiter, appending its fixed text
    to ``parts[-1]`` and starting a new part at each interpolation; returns the index
    after the delimiter."""
    while i < len(text) and text[i] != close:
        if text[i] == "\\":
            if parts:
                parts[-1] += text[i + 1]
            i += 2
        elif text.startswith("#{", i):
            parts.append("")
            i = _skip_interpolation(text, i + 2)
        else:
            if parts:
                parts[-1] += text[i]
            i += 1
    return i + 1


def _elixir_fragment(text: str, i: int) -> str | None:
    """The longest fixed fragment of the string expression at ``i``: literals joined by
    ``<>`` (``"..."`` or ``~s(...)``), cut at interpolations and at anything else."""
    parts = [""]
    while True:
        if text.startswith('"', i):
            i = _string_end(text, i + 1, '"', parts)
        elif text.startswith("~s(", i):
            i = _string_end(text, i + 3, ")", parts)
        else:
            break
        joined = re.match(r"\s*<>\s*", text[i:])
        if joined is None:
            break
        i += joined.end()
    found = max((_normal(p).strip(" ;:,.()") for p in parts), key=len, default="")
    return found if len(found) >= 12 else None


def elixir_messages() -> list[tuple[str, str]]:
    found = []
    for path in sorted((REPO / "elixir" / "lib").rglob("*.ex")):
        text = path.read_text()
        for match in _ELIXIR_MESSAGE.finditer(text):
            if text.count('"""', 0, match.start()) % 2:
                continue  # an example inside a @moduledoc or @doc
            fragment = _elixir_fragment(text, match.end())
            if fragment is not None:
                line = text.count("\n", 0, match.start()) + 1
                found.append((f"{path.relative_to(REPO)}:{line}", fragment))
    return found


def runtime_types() -> list[str]:
    match = re.search(r"@runtime_types ~w\((?P<types>[^)]*)\)a", ERROR_EX.read_text())
    assert match, "error.ex no longer defines @runtime_types as ~w(...)a"
    return match.group("types").split()


def test_every_runtime_error_type_has_an_entry() -> None:
    text = PAGE.read_text()
    missing = [t for t in runtime_types() if not re.search(rf"^#+ .*`:{t}`", text, re.M)]
    assert not missing, f"{PAGE.name} has no heading for error type(s) {missing}"


def test_the_errors_guide_tables_every_runtime_error_type() -> None:
    text = ERRORS_PAGE.read_text()
    missing = [t for t in runtime_types() if not re.search(rf"^\| `:{t}` \|", text, re.M)]
    assert not missing, f"{ERRORS_PAGE.name}'s bridge failures table has no row for {missing}"


@pytest.mark.parametrize(
    ("where", "message"),
    python_messages() + mix_messages() + elixir_messages(),
    ids=lambda value: str(value)[:60],
)
def test_every_message_has_an_entry(where: str, message: str) -> None:
    assert message in _normal(PAGE.read_text()), (
        f"{where} has a message {PAGE.name} does not quote: {message!r}; add an entry with its fix"
    )


def test_typed_and_bulk_errors_are_read_by_their_message() -> None:
    # RefError("ref_lost", message): the message is the second argument, not the type.
    fragments = [message for _, message in python_messages()]
    assert any("refs are bound to their session" in f for f in fragments)
    assert any("which needs pyarrow in the worker's environment" in f for f in fragments)
    assert "ref_lost" not in fragments


def test_the_lists_are_not_empty() -> None:
    # A refactor that hid every message from the parser would otherwise pass silently.
    assert len(python_messages()) >= 80
    bulk = [where for where, _ in python_messages() if "/runtime/bulk/" in where]
    assert len(bulk) >= 30, f"{len(bulk)} bulk messages"
    assert len(mix_messages()) >= 2
    found = [where.split(":")[0] for where, _ in elixir_messages()]
    for source, at_least in [
        ("elixir/lib/snakebridge/config.ex", 30),
        ("elixir/lib/snakebridge/runtime/pool.ex", 5),
        ("elixir/lib/snakebridge/runtime/worker_port.ex", 8),
        ("elixir/lib/snakebridge/scanner/prepass.ex", 3),
        ("elixir/lib/snakebridge/bulk.ex", 3),
        ("elixir/lib/snakebridge/cluster/router.ex", 10),
        ("elixir/lib/snakebridge/zero_copy_ref.ex", 5),
        ("elixir/lib/snakebridge/runtime/args.ex", 8),
    ]:
        assert found.count(source) >= at_least, f"{source}: {found.count(source)} messages"
    assert len(runtime_types()) >= 8
