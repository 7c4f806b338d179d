"""Requirement translation, version matching, install planning and git files (pure parts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from snakebridge.state import environment as env


@pytest.mark.parametrize(
    ("elixir", "pep440"),
    [
        ("~> 2.0", (">=2.0,<3.0",)),
        ("~> 2.0.1", (">=2.0.1,<2.1.0",)),
        ("~> 1.13", (">=1.13,<2.0",)),
        ("~> 1.26.4", (">=1.26.4,<1.27.0",)),
        (">= 1.2", (">=1.2",)),
        ("== 1.26.4", ("==1.26.4",)),
        ("1.26.4", ("==1.26.4",)),
        ("!= 2.1.0", ("!=2.1.0",)),
        (">= 1.2 and < 2.0", (">=1.2,<2.0",)),
        ("~> 1.0 or ~> 2.0", (">=1.0,<2.0", ">=2.0,<3.0")),
        ("~> 1.0 and != 1.0.3 or >= 3.0", (">=1.0,<2.0,!=1.0.3", ">=3.0")),
        (">=2.0,<3", (">=2.0,<3",)),
    ],
)
def test_pep440_alternatives(elixir: str, pep440: tuple[str, ...]) -> None:
    assert env.pep440_alternatives(elixir) == pep440


def test_unreadable_requirement_says_how_to_write_one() -> None:
    with pytest.raises(env.RequirementError, match=r'use Elixir syntax such as "~> 2.0"'):
        env.pep440_alternatives("about two")


@pytest.mark.parametrize(
    ("version", "requirement", "ok"),
    [
        ("2.4.6", "~> 2.0", True),
        ("3.0.0", "~> 2.0", False),
        ("2.0.5", "~> 2.0.1", True),
        ("2.1.0", "~> 2.0.1", False),
        ("2.0.0rc1", ">= 2.0", False),
        ("2.0.0", ">= 2.0", True),
        ("1.26.4", "~> 1.0 or ~> 2.0", True),
        ("1.0.3", "~> 1.0 and != 1.0.3", False),
        ("10.0", ">= 9.1", True),
        ("1.14.0", "~> 1.13", True),
    ],
)
def test_requirement_matches(version: str, requirement: str, ok: bool) -> None:
    assert env.requirement_matches(version, requirement) is ok


def test_plan_prefers_the_lock_while_it_satisfies_mix_exs() -> None:
    plan = env.plan_installs(
        [("numpy", "~> 2.0"), ("sympy", "~> 1.13"), ("six", "~> 1.0 or ~> 2.0")],
        {"numpy": "2.1.3", "sympy": "1.12.0"},
    )
    assert [(i.library, i.specs, i.source) for i in plan] == [
        ("numpy", ("numpy==2.1.3",), "snakebridge.lock"),
        ("six", ("six>=1.0,<2.0", "six>=2.0,<3.0"), "mix.exs"),
        ("sympy", ("sympy>=1.13,<2.0",), "mix.exs"),  # the lock's 1.12.0 no longer matches
    ]
    assert env.satisfied(plan[0], "2.1.3") and not env.satisfied(plan[0], "2.1.4")
    assert env.satisfied(plan[1], "2.0.1") and not env.satisfied(plan[1], None)


def test_ensure_lines_is_idempotent_and_keeps_user_lines(tmp_path: Path) -> None:
    path = tmp_path / ".gitignore"
    path.write_text("/_build\n/deps")
    added = env.ensure_lines(path, env.GITIGNORE_LINES)
    assert "/.snakebridge/venv/" in added and "/.snakebridge/ledger.json*" in added
    text = path.read_text()
    assert text.startswith("/_build\n/deps\n\n# SnakeBridge")
    assert env.ensure_lines(path, env.GITIGNORE_LINES) == []
    assert path.read_text() == text


def test_gitattributes_mark_generated_and_merge_union() -> None:
    lines = env.gitattributes_lines("lib/snakebridge_generated")
    assert "/lib/snakebridge_generated/** linguist-generated=true" in lines
    assert "/.snakebridge/manifest.json merge=union linguist-generated=true" in lines
    assert "/.snakebridge/docs/** linguist-generated=true merge=binary" in lines


def test_state_modules_import_only_the_stdlib() -> None:
    """setup and the worker run them on interpreters that have nothing else installed."""
    import subprocess
    import sys

    src = Path(env.__file__).resolve().parents[2]
    code = (
        "import sys; import snakebridge.commands.setup, snakebridge.state.ledger, "
        "snakebridge.state.lock; "
        "bad = [m for m in sys.modules if m.split('.')[0] not in sys.stdlib_module_names "
        "and m.split('.')[0] not in ('snakebridge', '__main__')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run(
        [sys.executable, "-S", "-c", code],
        env={"PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
