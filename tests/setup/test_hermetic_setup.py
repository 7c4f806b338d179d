"""Setup on a machine with Python but no uv: it installs uv into the per-user cache.

Runs the command the way the Mix task does (bootstrap interpreter, ``-S``, only the
Elixir package's ``priv/python`` on PYTHONPATH), with a PATH that has no uv, a fresh
HOME and cache, and Debian's own python3.11 where there is one (its pip refuses to
install into it, PEP 668).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from snakebridge import toolchain

pytestmark = pytest.mark.e2e

PRIV_PYTHON = Path(__file__).resolve().parents[2] / "elixir/priv/python"
SIX = [
    {"name": "six", "version": "~> 1.16", "module_name": "Six", "python_module": "six"},
    {"name": "json", "stdlib": True, "module_name": "Json", "python_module": "json"},
]
LOCK = {
    "snakebridge_lock": 1,
    "environment": {
        "generator_hash": "",
        "interpreter_hash": "",
        "python_platform": "",
        "python_version": "",
        "snakebridge_version": "",
    },
    "libraries": {"six": {"files_hash": "", "requested": "~> 1.16", "resolved": "1.16.0"}},
}


def _bootstrap() -> str:
    debian = Path("/usr/bin/python3.11")
    return str(debian) if debian.exists() else getattr(sys, "_base_executable", sys.executable)


def _no_uv_path(tmp: Path) -> str:
    """PATH with every directory of the current one minus any uv (and its .tools dir)."""
    keep = []
    for entry in os.environ["PATH"].split(os.pathsep):
        if entry and not (Path(entry) / "uv").exists():
            keep.append(entry)
    return os.pathsep.join(keep)


@pytest.fixture
def machine(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "PYTHONHOME", "SNAKEBRIDGE_BOOTSTRAP_PYTHON", "XDG_CACHE_HOME")
        and not k.startswith("UV_PYTHON")
    }
    environ.update(HOME=str(home), PATH=_no_uv_path(tmp_path), PYTHONPATH=str(PRIV_PYTHON))
    # uv's own caches go to the temp HOME too; the wheel folder stays (torch is not used).
    return environ


def _project(root: Path) -> Path:
    root.mkdir()
    (root / "snakebridge.lock").write_text(json.dumps(LOCK))
    context = {
        "root": str(root),
        "libraries": SIX,
        "generated_dir": "lib/snakebridge_generated",
        "python": str(root / ".snakebridge/venv/bin/python"),
        "python_source": "default",
    }
    (root / "ctx.json").write_text(json.dumps(context))
    return root


def _run(
    root: Path, environ: dict[str, str], command: str, *argv: str, python: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``command`` as the Mix task runs it: setup on the bootstrap interpreter without its
    site packages, other commands on the project's interpreter."""
    interpreter = [python] if python else [_bootstrap(), "-S"]
    return subprocess.run(
        [*interpreter, "-m", "snakebridge", "--context", str(root / "ctx.json"), command, *argv],
        capture_output=True,
        text=True,
        env=environ,
        timeout=900,
        cwd=root,
    )


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_setup_without_uv_installs_it_into_the_cache_then_builds(
    tmp_path: Path, machine: dict[str, str]
) -> None:
    assert shutil.which("uv", path=machine["PATH"]) is None
    root = _project(tmp_path / "app")
    cache = Path(machine["HOME"]) / ".cache" / "snakebridge"

    # --check first: reports everything pending, touches nothing (no cache, no venv).
    before = _tree(tmp_path)
    check = _run(root, machine, "setup", "--check")
    assert check.returncode == 1, check.stdout + check.stderr
    assert f"uv: not found; setup would install {toolchain.UV_REQUIREMENT}" in check.stdout
    assert "venv: missing; setup would create" in check.stdout
    assert "would add .gitignore: " in check.stdout
    assert "setup would: install uv, create the venv, add git lines" in check.stdout
    assert _tree(tmp_path) == before

    run = _run(root, machine, "setup")
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    uv = cache / f"uv-{toolchain.UV_VERSION}" / "bin" / "uv"
    assert uv.exists(), out
    # Progress: pip's lines while uv installs, uv's while the venv is built and filled.
    assert f"installing {toolchain.UV_REQUIREMENT} from PyPI into" in out
    assert "Successfully installed uv" in out
    assert "Installed " in out and "+ six==1.16.0" in out
    # uv cannot download interpreters on this machine: the fallback says so, clearly.
    assert ("uv-managed Python" in out) or ("no uv-managed Python 3.11" in out), out
    if "no uv-managed Python" in out:
        assert "uv could not download it: " in out
        assert "building on the located" in out and "a release copies it along either way" in out
        assert "base interpreter: " in run.stdout and "(located: " in run.stdout
    assert f"uv: uv {toolchain.UV_VERSION}" in run.stdout
    assert "six 1.16.0 (pinned by snakebridge.lock)" in run.stdout
    assert "interpreter: Python 3.11" in run.stdout

    # Nothing pending now; a second setup only checks (no install lines).
    check = _run(root, machine, "setup", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "packages: up to date" in check.stdout
    assert "setup would:" not in check.stdout
    again = _run(root, machine, "setup")
    assert again.returncode == 0
    assert "packages: already up to date" in again.stdout
    assert "installing uv" not in again.stdout + again.stderr


def test_check_and_doctor_report_drift_with_the_fix(
    tmp_path: Path, machine: dict[str, str]
) -> None:
    root = _project(tmp_path / "app")
    assert _run(root, machine, "setup").returncode == 0
    python = root / ".snakebridge/venv/bin/python"
    uv = toolchain.cached_uv_dir(machine) / "bin" / "uv"
    # Someone installs another six into the managed venv by hand.
    subprocess.run(
        [str(uv), "pip", "install", "--quiet", "--python", str(python), "six==1.17.0"],
        check=True,
        env=machine,
    )

    check = _run(root, machine, "setup", "--check")
    assert check.returncode == 1
    assert "packages: setup would install six==1.16.0" in check.stdout
    assert "setup would: install packages (run `mix snakebridge.setup`)" in check.stdout
    assert (
        "1.17.0"
        in subprocess.run(
            [str(python), "-c", "import six; print(six.__version__)"],
            capture_output=True,
            text=True,
        ).stdout
    )  # --check changed nothing

    doctor = _run(root, machine, "doctor", python=str(python))
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr  # a warning, not a failure
    assert "six ~> 1.16: 1.17.0 installed, locked 1.16.0" in doctor.stdout
    assert "fix: `mix snakebridge.setup` installs the locked 1.16.0" in doctor.stdout

    fixed = _run(root, machine, "setup")
    assert fixed.returncode == 0
    assert _run(root, machine, "setup", "--check").returncode == 0
