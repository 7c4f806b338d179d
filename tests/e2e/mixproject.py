"""Helpers for end-to-end tests: real Mix projects in temp dirs, compiled and run."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ELIXIR_PROJECT = REPO / "elixir"
DEV_PYTHON = REPO / ".venv" / "bin" / "python"

# What a temp project's Mix runs with: the dev venv as interpreter, no hex.
DEV_ENV = {"SNAKEBRIDGE_PYTHON": str(DEV_PYTHON), "HEX_OFFLINE": "1"}


def app_mix_exs(snakebridge: str, extra: str = "") -> str:
    """A temp project's mix.exs (app :app, the pre-pass first, this repo's package as its
    dependency) with ``snakebridge: [<snakebridge>]`` and ``extra`` in the module body."""
    return f"""
defmodule App.MixProject do
  use Mix.Project

  def project do
    [
      app: :app,
      version: "0.1.0",
      elixir: "~> 1.14",
      compilers: [:snakebridge] ++ Mix.compilers(),
      deps: [{{:snakebridge, path: "{ELIXIR_PROJECT}"}}],
      snakebridge: [{snakebridge}]
    ]
  end
{extra}end
"""


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# Copying an example must not drag its build output or managed environment along.
_IGNORED = shutil.ignore_patterns("_build", "deps", "venv", "ledger.json", "scan_cache*")


def copy_example(name: str, dest: Path) -> Path:
    """Copy ``examples/<name>`` to ``dest`` with its snakebridge dep pointing at this repo."""
    target = dest / name
    shutil.copytree(REPO / "examples" / name, target, ignore=_IGNORED)
    mix_exs = target / "mix.exs"
    text = mix_exs.read_text()
    assert 'path: "../../elixir"' in text, "example mix.exs must use the repo-relative dep"
    mix_exs.write_text(text.replace('path: "../../elixir"', f'path: "{ELIXIR_PROJECT}"'))
    return target


def mix(
    project: Path, *args: str, env: Mapping[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "MIX_ENV": "dev", **(env or {})}
    proc = subprocess.run(
        ["mix", *args], cwd=project, env=full_env, capture_output=True, text=True, timeout=900
    )
    if check and proc.returncode != 0:
        pytest.fail(
            f"mix {' '.join(args)} exited {proc.returncode}\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
    return proc


def python_spy(tmp: Path, python: Path) -> tuple[Path, Path]:
    """A wrapper interpreter that logs each start, so a test can count Python processes."""
    log = tmp / "python-starts.log"
    log.touch()
    wrapper = tmp / "python-spy"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{python}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, log
