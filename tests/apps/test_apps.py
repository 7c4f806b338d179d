"""One real Mix app per library, each calling it the way its own documentation does.

For every app under ``tests/apps/<library>/``: copy it to a temp dir, ``mix compile``
(the pre-pass generates its bindings through the real introspector, once), run its
cases (``SnakeBridge.TestApp``), run the same calls in Python (``expected.py``), and
compare. Then the property check (``signatures.py``): every arity each generated
binding claims is a call Python's ``inspect.signature(...).bind`` accepts.

All apps share one Python environment (``env.py``, cached per user and keyed by the
requirements) and one Mix build directory per session, so ``:snakebridge`` compiles
once for all of them.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.apps import env

from snakebridge import etf
from snakebridge.state import manifest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
APPS = sorted(p.name for p in HERE.iterdir() if (p / "mix.exs").exists())
# The Elixir module holding each app's cases: lib/<app>_app.ex
MODULES = {
    app: next(
        line.split()[1]
        for line in (HERE / app / "lib" / f"{app}_app.ex").read_text().splitlines()
        if line.startswith("defmodule ")
    )
    for app in APPS
}


@pytest.fixture(scope="session")
def app_python() -> Path:
    return env.python()


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("apps")
    shutil.copytree(HERE / "support", root / "support")
    yield root


def _env(app_python: Path, workspace: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MIX_ENV": "dev",
        "HEX_OFFLINE": "1",
        "SNAKEBRIDGE_PYTHON": str(app_python),
        "SB_TEST_APPS_BUILD": str(workspace / "_build"),
        "MPLBACKEND": "Agg",
    }


def _run(cmd: list[str], cwd: Path, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=environ, capture_output=True, text=True, timeout=1200)
    if proc.returncode != 0:
        pytest.fail(
            f"{' '.join(cmd)} in {cwd} exited {proc.returncode}\n--- stdout\n"
            f"{proc.stdout[-12000:]}\n--- stderr\n{proc.stderr[-12000:]}"
        )
    return proc


def _same(got: Any, want: Any) -> bool:
    if isinstance(got, float) or isinstance(want, float):
        return isinstance(got, int | float) and math.isclose(got, want, rel_tol=1e-9)
    if isinstance(got, list | tuple) and isinstance(want, list | tuple):
        return (
            type(got) is type(want)
            and len(got) == len(want)
            and all(_same(g, w) for g, w in zip(got, want, strict=True))
        )
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(_same(got[k], want[k]) for k in got)
    return bool(got == want)


@pytest.mark.e2e
@pytest.mark.parametrize("app", APPS)
def test_documented_calls_match_python(app: str, app_python: Path, workspace: Path) -> None:
    target = workspace / app
    shutil.copytree(HERE / app, target, ignore=shutil.ignore_patterns("_build", ".snakebridge"))
    mix_exs = target / "mix.exs"
    mix_exs.write_text(
        mix_exs.read_text().replace('path: "../../../elixir"', f'path: "{REPO / "elixir"}"')
    )
    environ = _env(app_python, workspace)
    _run(["mix", "compile"], target, environ)
    generated = target / "lib" / "snakebridge_generated"
    assert any(generated.glob("*.ex")), "the pre-pass generated no bindings"

    out = target / "elixir.etf"
    _run(["mix", "run", "--no-compile", "-e", f'SnakeBridge.TestApp.run({MODULES[app]}, "{out}")'],
         target, environ)  # fmt: skip
    py_out = target / "python.etf"
    _run(
        [str(app_python), str(HERE / "expected.py"), str(target), str(py_out)],
        target,
        {**environ, "PYTHONPATH": str(REPO / "src")},
    )
    got = etf.decode(out.read_bytes())
    want = etf.decode(py_out.read_bytes())
    assert isinstance(got, dict) and isinstance(want, dict)
    assert sorted(got) == sorted(want), "the app's cases and expected.py name different calls"
    wrong = {name: (got[name], want[name]) for name in want if not _same(got[name], want[name])}
    assert not wrong, "\n".join(
        f"{k}: elixir {g!r}\n{' ' * len(k)}  python {w!r}" for k, (g, w) in wrong.items()
    )

    # The app's own Python modules are locked as local, by content hash.
    locked = json.loads((target / "snakebridge.lock").read_text())["libraries"]
    for local in sorted((target / "priv" / "python").glob("*.py")):
        assert locked[local.stem]["requested"] == "local", locked.get(local.stem)
        assert locked[local.stem]["files_hash"].startswith("sha256:"), locked[local.stem]

    entries = [
        dataclasses.asdict(e)
        for e in manifest.read(target / ".snakebridge" / "manifest.json").symbols.values()
    ]
    (target / "symbols.json").write_text(json.dumps(entries))
    proc = _run(
        [str(app_python), str(HERE / "signatures.py"), str(target / "symbols.json")],
        target,
        environ,
    )
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["checks"] > 0 or report["skipped"], report
    assert not report["failures"], report["failures"]

    # Every generated binding passes the worker's allowlist (one rule for both).
    proc = _run(
        [str(app_python), str(HERE / "allowlist_check.py"), str(generated)],
        target,
        {**environ, "PYTHONPATH": str(REPO / "src")},
    )
    allowed = json.loads(proc.stdout.strip().splitlines()[-1])
    assert allowed["checked"] > 0, allowed
    assert not allowed["refused"], "\n".join(allowed["refused"])


@pytest.mark.e2e
def test_protocols_app_with_its_colliding_module_name_is_refused(
    app_python: Path, workspace: Path
) -> None:
    """The protocols app declares ``time`` as ``PyTime``; with the default name it would
    replace Elixir's ``Time``, and the compile is refused before anything is written."""
    target = workspace / "protocols_colliding"
    shutil.copytree(
        HERE / "protocols", target, ignore=shutil.ignore_patterns("_build", ".snakebridge")
    )
    mix_exs = target / "mix.exs"
    text = mix_exs.read_text().replace('path: "../../../elixir"', f'path: "{REPO / "elixir"}"')
    fixed = "time: [stdlib: true, module_name: PyTime]"
    assert fixed in text
    mix_exs.write_text(text.replace(fixed, "time: :stdlib"))
    proc = subprocess.run(
        ["mix", "compile"],
        cwd=target,
        env=_env(app_python, workspace),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "would be generated as the Elixir module Time, which the elixir application" in out
    assert "`time: [stdlib: true, module_name: PyTime]`" in out
    assert not (target / "lib" / "snakebridge_generated").exists()
    assert not (target / ".snakebridge" / "manifest.json").exists()


def test_cases_sharing_a_name_are_refused(tmp_path: Path) -> None:
    """Results are keyed by case name, so a second case of the same name would replace
    the first and leave it unchecked: the harness refuses the app instead. Only the
    harness is under test here, so the two structs it matches on are declared bare."""
    out = tmp_path / "out.etf"
    script = f"""
    defmodule SnakeBridge.Ref, do: defstruct([:type, :repr])
    defmodule SnakeBridge.Bytes, do: defstruct([:data])
    Code.require_file({json.dumps(str(HERE / "support" / "test_app.ex"))})
    defmodule Dup do
      def cases, do: [{{"a", fn -> 1 end}}, {{"b", fn -> 2 end}}, {{"a", fn -> 3 end}}]
    end
    SnakeBridge.TestApp.run(Dup, {json.dumps(str(out))})
    """
    proc = subprocess.run(
        ["elixir", "-e", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode != 0
    assert 'Dup.cases/0 names more than one case "a"; each case needs its own name' in (proc.stderr)
    assert not out.exists()
