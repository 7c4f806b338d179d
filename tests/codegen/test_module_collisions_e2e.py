"""A library whose Elixir module is taken is refused by a real ``mix compile``.

``time`` would be generated as ``Time`` (Elixir's), ``statistics`` as the app's own
``Statistics``: the compile fails naming the owner and the ``module_name:`` fix, and
nothing is written. With the suggested ``module_name:`` the same app compiles, the
library is called under its new name, and Elixir's ``Time`` still works.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tests.e2e.mixproject import DEV_ENV, app_mix_exs, mix, write

pytestmark = pytest.mark.e2e


def mix_exs(libraries: str) -> str:
    return app_mix_exs(f"libraries: [{libraries}]")


def written(root: Path) -> list[str]:
    paths = [root / "lib/snakebridge_generated", root / ".snakebridge", root / "snakebridge.lock"]
    return sorted(p.name for p in paths if p.exists())


def compile_(root: Path) -> subprocess.CompletedProcess[str]:
    return mix(root, "compile", env=DEV_ENV, check=False)


def test_colliding_library_modules_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    root = tmp_path / "app"
    write(root, "lib/app.ex", "defmodule App do\n  def now, do: Time.utc_now()\nend\n")
    write(root, "lib/statistics.ex", "defmodule Statistics do\n  def mine, do: :mine\nend\n")

    # An Elixir module: `Time.utc_now()` would be read as a call into Python's time.
    write(root, "mix.exs", mix_exs("time: :stdlib"))
    refused = compile_(root)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0, out
    assert (
        'snakebridge library "time" would be generated as the Elixir module Time, which the '
        "elixir application already defines" in out
    )
    assert "`time: [stdlib: true, module_name: PyTime]`" in out
    assert written(root) == []

    # A module of the app itself, an Elixir one and a dependency's, reported together.
    write(root, "mix.exs", mix_exs('statistics: :stdlib, enum: "~> 1.0", snake_bridge: "~> 1.0"'))
    refused = compile_(root)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0, out
    assert (
        "Statistics, which the app already defines in lib/statistics.ex" in out
        and "`statistics: [stdlib: true, module_name: PyStatistics]`" in out
    )
    assert "Enum, which the elixir application already defines" in out
    assert '`enum: [version: "~> 1.0", module_name: PyEnum]`' in out
    assert "SnakeBridge, which the snakebridge application already defines" in out
    assert written(root) == []

    # The suggested fix: the library under its own name, Elixir's Time untouched.
    write(root, "mix.exs", mix_exs("time: [stdlib: true, module_name: PyTime]"))
    write(
        root,
        "lib/app.ex",
        "defmodule App do\n"
        "  def now, do: {Time.utc_now(), PyTime.monotonic!(), Statistics.mine()}\n"
        "end\n",
    )
    mix(root, "compile", "--warnings-as-errors", env=DEV_ENV)
    generated = (root / "lib/snakebridge_generated/time.ex").read_text()
    assert generated.count("defmodule PyTime do") == 1
    ran = mix(
        root, "run", "-e", "{%Time{}, t, :mine} = App.now(); IO.puts(is_float(t))", env=DEV_ENV
    )
    assert ran.stdout.strip().endswith("true"), ran.stdout
