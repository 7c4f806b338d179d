"""The uv-managed interpreter path, as far as this machine allows.

uv cannot download interpreters here, so the download itself is untested. What follows
it is tested: a stand-in is installed where uv keeps the interpreters it downloads
(``$UV_PYTHON_INSTALL_DIR/cpython-<version>-linux-<arch>-gnu``, laid out like a
standalone build: a relocated copy of this machine's interpreter, made by the release
step's own copy). ``uv python find --managed-python`` reports it, setup builds the venv
on it instead of the located interpreter, and the release step copies it, says it came
from uv, and the copy runs from the release with nothing of the build around.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from snakebridge.commands import release

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PRIV_PYTHON = REPO / "elixir/priv/python"
BASE = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
VERSION = platform.python_version()
NAME = f"python{sys.version_info[0]}.{sys.version_info[1]}"


def _stand_in(tmp: Path, install_dir: Path) -> Path:
    """This machine's interpreter, relocated into uv's install dir under uv's naming."""
    venv = tmp / "seed-venv"
    subprocess.run([BASE, "-m", "venv", "--without-pip", str(venv)], check=True)
    stage = tmp / "stage"
    stage.mkdir()
    code = (
        "import sys; from pathlib import Path; from snakebridge.commands import release\n"
        "class Out:\n    def log(self, *a): pass\n    def out(self, *a): pass\n"
        "release._ship_interpreter(Path(sys.prefix), Path(sys.argv[1]), Out())\n"
    )
    env = {**release._clean_env(), "PYTHONPATH": str(PRIV_PYTHON)}
    subprocess.run([str(venv / "bin/python"), "-c", code, str(stage)], check=True, env=env)
    home = install_dir / f"cpython-{VERSION}-linux-{platform.machine()}-gnu"
    home.parent.mkdir(parents=True)
    shutil.move(str(stage / "python"), str(home))
    (home / "bin" / "python3").symlink_to(NAME)
    shutil.rmtree(venv)
    return home


def _run(python: list[str], ctx: Path, command: str, env: dict[str, str]) -> str:
    proc = subprocess.run(
        [*python, "-m", "snakebridge", "--context", str(ctx), command],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=ctx.parent,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def test_setup_builds_on_a_uv_managed_python_and_the_release_carries_it(tmp_path: Path) -> None:
    uv = shutil.which("uv")
    assert uv is not None, "make test puts uv on PATH (scripts/bootstrap.sh)"
    install_dir = tmp_path / "uv-python"
    home = _stand_in(tmp_path, install_dir)
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("VIRTUAL_ENV", "PYTHON", "SNAKEBRIDGE", "UV_PYTHON"))
    }
    environ.update(UV_PYTHON_INSTALL_DIR=str(install_dir), PYTHONPATH=str(PRIV_PYTHON))
    found = subprocess.run(
        [uv, "python", "find", "--managed-python", "--no-python-downloads", VERSION],
        capture_output=True,
        text=True,
        env=environ,
    )
    assert Path(found.stdout.strip()).parent == home / "bin", found.stdout + found.stderr

    root = tmp_path / "app"
    root.mkdir()
    context = {
        "root": str(root),
        "libraries": [
            {"name": "json", "stdlib": True, "module_name": "Json", "python_module": "json"}
        ],
        "python": str(root / ".snakebridge/venv/bin/python"),
        "python_source": "default",
    }
    ctx = root / "ctx.json"
    ctx.write_text(json.dumps(context))
    out = _run([BASE, "-S"], ctx, "setup", environ)
    assert f"base interpreter: {home}/bin/" in out and "(uv-managed Python" in out, out
    assert "no uv-managed Python" not in out
    cfg = (root / ".snakebridge/venv/pyvenv.cfg").read_text()
    assert str(home / "bin") in cfg, cfg

    rel = tmp_path / "rel"
    rel.mkdir()
    ctx.write_text(
        json.dumps({**context, "release_dir": str(rel), "python_source": str(PRIV_PYTHON)})
    )
    out = _run([str(root / ".snakebridge/venv/bin/python")], ctx, "release", environ)
    assert f"copied from the uv-managed {home}/bin/" in out, out

    shutil.rmtree(install_dir)
    shutil.rmtree(root)
    config = (rel / "snakebridge" / "python").resolve()
    shipped = next(p for p in (config / "bin/python", config / f"bin/{NAME}") if p.exists())
    report = subprocess.run(
        [str(shipped), "-c", "import sys, json; print(sys.executable, sys.prefix, json.__file__)"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert report.returncode == 0, report.stderr
    assert all(Path(p).is_relative_to(config) for p in report.stdout.split()), report.stdout
