"""The walking skeleton end to end: the example app regenerates its bindings and runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.e2e.mixproject import REPO, copy_example, mix, python_spy

pytestmark = pytest.mark.e2e

GENERATED = Path("lib/snakebridge_generated")


def _locked_interpreter(app: Path) -> tuple[str, str]:
    env = json.loads((app / "snakebridge.lock").read_text())["environment"]
    return env["python_version"], env["interpreter_hash"]


def test_demo_regenerates_byte_identical_bindings_and_runs(tmp_path: Path) -> None:
    app = copy_example("demo", tmp_path)

    # The managed environment comes from the committed lock, so it holds exactly the
    # library versions the committed bindings were generated from.
    mix(app, "snakebridge.setup")
    python = app / ".snakebridge" / "venv" / "bin" / "python"
    assert python.exists()

    shutil.rmtree(app / GENERATED)
    (app / ".snakebridge" / "manifest.json").unlink()
    (app / "snakebridge.lock").unlink()

    spy, starts = python_spy(tmp_path, python)
    env = {"SNAKEBRIDGE_PYTHON": str(spy)}
    mix(app, "compile", env=env)

    committed = REPO / "examples" / "demo"
    # numpy and sympy are pinned by the committed lock, and demo_tools (the demo's own
    # priv/python module) is versioned by its content, so their bindings must match to the
    # byte anywhere. json is :stdlib: its version is the interpreter's, and so are the lock's
    # environment fields; they match where the interpreter is the one they were made with.
    same_python = _locked_interpreter(app) == _locked_interpreter(committed)
    compared = ["demo_tools.ex", "numpy.ex", "sympy.ex"] + (["json.ex"] if same_python else [])
    for name in compared:
        regenerated = (app / GENERATED / name).read_bytes()
        assert regenerated == (committed / GENERATED / name).read_bytes(), name
    assert (app / ".snakebridge/manifest.json").read_bytes() == (
        committed / ".snakebridge/manifest.json"
    ).read_bytes()
    if same_python:
        assert (app / "snakebridge.lock").read_bytes() == (
            committed / "snakebridge.lock"
        ).read_bytes()

    # Nothing changed: the pre-pass must not start Python at all.
    before = starts.read_text()
    assert before, "the first compile should have started Python to generate"
    mix(app, "compile", env=env)
    assert starts.read_text() == before

    run = mix(app, "run", "-e", "Demo.main()", env=env)
    out = run.stdout
    assert "mean                   5.0000" in out
    assert "standard deviation     2.0000" in out
    assert "solution [x, y]        [2.0, 3.0]" in out
    assert "x**3 + 3*x**2 + 3*x + 1" in out
    assert "3*x**2 + 6*x + 3" in out
    assert "-2, 2" in out
    assert '"mean": 5.0' in out
    assert (
        'summary                %{"count" => 8, "max" => 9.0, "min" => 2.0, "range" => 7.0}' in out
    )
    assert "LinAlgError: Singular matrix" in out
