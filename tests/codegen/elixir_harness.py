"""A real Mix project in a temp dir that compiles generated files against ``elixir/``.

One project per test session: the ``:snakebridge`` dependency compiles once, then each
check rewrites ``lib/generated/`` and runs ``mix compile --warnings-as-errors`` (one
compile per batch of files, not per symbol) and ``mix format --check-formatted``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from snakebridge import etf

REPO = Path(__file__).resolve().parents[2]
ELIXIR_PROJECT = REPO / "elixir"

_MIX_EXS = """\
defmodule GenCheck.MixProject do
  use Mix.Project

  def project do
    [
      app: :gen_check,
      version: "0.1.0",
      elixir: "~> 1.14",
      elixirc_paths: ["lib"],
      deps: [{:snakebridge, path: "%s"}]
    ]
  end
end
"""

# Used only while elixir/ has no SnakeBridge.Runtime yet (the runtime is built
# concurrently); the same three functions, so generated code compiles either way.
_RUNTIME_STUB = """\
defmodule SnakeBridge.Runtime do
  @moduledoc false
  def call(descriptor, args, opts), do: {:ok, {descriptor, args, opts}}
  def call!(descriptor, args, opts), do: {descriptor, args, opts}
  def stream(descriptor, args, opts), do: Stream.map([{descriptor, args, opts}], & &1)
end
"""


class MixFailure(AssertionError):
    pass


def runtime_exists() -> bool:
    for path in (ELIXIR_PROJECT / "lib").rglob("*.ex"):
        if "defmodule SnakeBridge.Runtime do" in path.read_text(errors="replace"):
            return True
    return False


class ElixirProject:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        (root / "mix.exs").write_text(_MIX_EXS % ELIXIR_PROJECT)
        (root / "lib" / "generated").mkdir(parents=True, exist_ok=True)
        self.stubbed = not runtime_exists()
        if self.stubbed:
            (root / "lib" / "runtime_stub.ex").write_text(_RUNTIME_STUB)

    def mix(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "MIX_ENV": "dev", "SNAKEBRIDGE_SKIP": "1"}
        proc = subprocess.run(
            ["mix", *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if check and proc.returncode != 0:
            raise MixFailure(
                f"mix {' '.join(args)} exited {proc.returncode}\n"
                f"--- stdout\n{proc.stdout[-20000:]}\n--- stderr\n{proc.stderr[-20000:]}"
            )
        return proc

    def check(self, files: Mapping[str, str], *, formatted: bool = True) -> None:
        """Replace lib/generated with ``files``; compile warnings-as-errors; check format."""
        generated = self.root / "lib" / "generated"
        shutil.rmtree(generated)
        generated.mkdir()
        for name, source in files.items():
            (generated / name).write_text(source, encoding="utf-8")
        # --force: Mix's staleness check is by mtime, and two batches written within one
        # second with equal sizes (hypothesis does that) would otherwise not recompile.
        self.mix("compile", "--force", "--warnings-as-errors")
        if formatted:
            self.mix("format", "--check-formatted", *[f"lib/generated/{n}" for n in files])

    def evaluate(self, script: str) -> object:
        """Run ``script`` (its value is the result) in the compiled project; decode it."""
        out = self.root / "result.etf"
        wrapper = f'result = (\n{script}\n)\nFile.write!("{out}", :erlang.term_to_binary(result))'
        (self.root / "script.exs").write_text(wrapper, encoding="utf-8")
        self.mix("run", "--no-compile", "--no-start", "script.exs")
        return etf.decode(out.read_bytes())
