"""Project-local Python end to end: a real Mix project in a temp dir with its own module
in ``priv/python``, declared ``tools: :local`` beside ``python_path: ["priv/python"]``.

Generation binds it, real workers run it, the lock records it by content hash, an edit of
the module regenerates its bindings on the next plain ``mix compile`` (and verify says so
before), doctor reports it, and each way of getting the declaration wrong is refused with
the fix before anything is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.e2e.mixproject import DEV_ENV, app_mix_exs, mix, write

pytestmark = pytest.mark.e2e

ENV = DEV_ENV
mix_exs = app_mix_exs

DECLARED = 'python_path: ["priv/python"], libraries: [tools: :local, json: :stdlib]'

TOOLS_V1 = '''
"""The app's own helpers."""


def scale(xs, factor=2):
    """Multiplies every element by factor."""
    return [x * factor for x in xs]


def frame_version():
    """Imports pandas, which mix.exs does not declare."""
    import pandas

    return pandas.__version__
'''

TOOLS_V2 = TOOLS_V1.replace(
    '''def scale(xs, factor=2):
    """Multiplies every element by factor."""
    return [x * factor for x in xs]''',
    '''def scale(xs, factor=2, offset=0):
    """Multiplies every element by factor, then adds offset."""
    return [x * factor + offset for x in xs]''',
)

APP_EX = """
defmodule App do
  def run, do: Tools.scale!([1, 2, 3], factor: 10)

  def undeclared do
    {:error, error} = Tools.frame_version()
    {error.type, error.message}
  end
end
"""


def run_app(root: Path) -> str:
    ran = mix(root, "run", "-e", "IO.inspect(App.run())", env=ENV)
    return ran.stdout.strip().splitlines()[-1]


def test_local_module_binds_runs_and_follows_its_edits(tmp_path: Path) -> None:
    root = tmp_path / "app"
    write(root, "mix.exs", mix_exs(DECLARED))
    write(root, "priv/python/tools.py", TOOLS_V1)
    write(root, "lib/app.ex", APP_EX)
    mix(root, "compile", "--warnings-as-errors", env=ENV)

    generated = root / "lib/snakebridge_generated/tools.ex"
    assert "Multiplies every element by factor." in generated.read_text()
    locked = json.loads((root / "snakebridge.lock").read_text())["libraries"]["tools"]
    assert locked["requested"] == "local" and locked["resolved"].startswith("sha256:")
    assert run_app(root) == "[10, 20, 30]"
    # What the module imports obeys the allowlist like any library's imports.
    refused = mix(root, "run", "-e", "IO.inspect(App.undeclared())", env=ENV).stdout
    assert ":not_allowed" in refused and "importing 'pandas'" in refused, refused
    assert "if library 'tools' needs it, add `allow: [:import]`" in refused
    mix(root, "snakebridge.verify", env=ENV)
    doctor = mix(root, "snakebridge.doctor", env=ENV)
    assert f"tools (local, priv/python/tools.py): imports, content {locked['resolved']}" in (
        doctor.stdout
    )

    # An edit of the module is a new version of it: verify sees it, compile regenerates.
    write(root, "priv/python/tools.py", TOOLS_V2)
    verify = mix(root, "snakebridge.verify", env=ENV, check=False)
    assert verify.returncode != 0
    assert "tools (a local module of python_path:) changed since its bindings were generated" in (
        verify.stdout + verify.stderr
    )
    doctor = mix(root, "snakebridge.doctor", env=ENV, check=False)
    assert "tools (local, priv/python/tools.py): edited since its bindings were generated" in (
        doctor.stdout
    )
    write(root, "lib/app.ex", APP_EX.replace("factor: 10", "factor: 10, offset: 1"))
    mix(root, "compile", "--warnings-as-errors", env=ENV)
    assert "then adds offset." in generated.read_text()
    relocked = json.loads((root / "snakebridge.lock").read_text())["libraries"]["tools"]
    assert relocked["resolved"] != locked["resolved"]
    assert run_app(root) == "[11, 21, 31]"
    mix(root, "snakebridge.verify", env=ENV)

    # Editing only the module (no Elixir change) is noticed by a plain `mix compile` too.
    write(root, "priv/python/tools.py", TOOLS_V2.replace("then adds offset", "plus offset"))
    mix(root, "compile", "--warnings-as-errors", env=ENV)
    assert "plus offset." in generated.read_text()


@pytest.mark.parametrize(
    ("snakebridge", "files", "message"),
    [
        (
            "libraries: [tools: :local]",
            {"priv/python/tools.py": TOOLS_V1},
            "add the directory that holds tools.py under `snakebridge:` in mix.exs, e.g. "
            '`python_path: ["priv/python"]`',
        ),
        (
            'python_path: ["priv/python"], libraries: [tools: :stdlib]',
            {"priv/python/tools.py": TOOLS_V1},
            "Fix: declare it `tools: :local` in mix.exs.",
        ),
        (
            'python_path: ["priv/py"], libraries: [tools: :local]',
            {"priv/python/tools.py": TOOLS_V1, "priv/py/other.py": ""},
            "no directory of python_path: (priv/py) holds tools.py or a package tools/",
        ),
    ],
    ids=["no-python-path", "declared-stdlib", "not-in-python-path"],
)
def test_a_wrong_declaration_is_refused_with_the_fix_and_nothing_written(
    tmp_path: Path, snakebridge: str, files: dict[str, str], message: str
) -> None:
    root = tmp_path / "app"
    write(root, "mix.exs", mix_exs(snakebridge))
    for rel, text in files.items():
        write(root, rel, text)
    write(root, "lib/app.ex", APP_EX)
    proc = mix(root, "compile", env=ENV, check=False)
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert message in output, output
    assert "Traceback" not in output
    assert not (root / "lib/snakebridge_generated").exists()
    assert not (root / "snakebridge.lock").exists()
