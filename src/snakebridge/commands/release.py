"""``snakebridge release``: put the project's Python environment inside a Mix release.

``SnakeBridge.Release.step/1`` (one line in the app's ``releases:`` steps) calls this
after ``:assemble``, on the project's interpreter, with ``"release_dir"`` (the release
root). Everything goes under ``<release>/snakebridge/``, where the runtime looks for it
(``SnakeBridge.Release.shipped/0``); no path in it points back at the build machine's
project, so the release directory can be copied or moved anywhere.

What is shipped depends on the venv's base interpreter:

- uv-managed (a python-build-standalone under uv's install dir): the interpreter itself
  is copied to ``python/`` and the venv's site-packages merged into it. Standalone
  builds find their prefix from their own location, so this runs on any Linux of the
  same architecture.
- located (a system or pyenv Python): the venv is copied to ``venv/``. A venv finds its
  prefix from ``bin/python``'s location, so moving it is safe; its ``bin/python`` still
  names the base interpreter by absolute path, which the target machine must have (the
  runtime says so at start if it does not).

Paths into the old venv are rewritten where Python would follow them: script shebangs
(to a relative trampoline) and ``.pth`` entries (to relative ones). A ``.pth`` entry
outside the venv (an editable install of a checkout) cannot travel and fails the step.
Project-local ``python_path:`` directories are copied to ``python_path/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from snakebridge.cli import Output, Reply, command
from snakebridge.project import Project, ProjectError

SHIPPED = "snakebridge"

# What a release never needs from a venv: activation scripts hold the build path.
_SKIPPED = shutil.ignore_patterns("activate*", "deactivate*", "*.bat", "*.ps1")

# A shebang that runs the script with the interpreter next to it, wherever it is (what
# `uv venv --relocatable` writes).
_TRAMPOLINE = """#!/bin/sh
'''exec' "$(dirname -- "$(realpath -- "$0")")"/'python' "$0" "$@"
' '''
"""


class ReleaseError(ProjectError):
    """The environment cannot be shipped; the message says why and what to do."""


def uv_python_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Where uv installs the interpreters it downloads (uv's own rule)."""
    if environ.get("UV_PYTHON_INSTALL_DIR"):
        return Path(environ["UV_PYTHON_INSTALL_DIR"])
    data = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "uv" / "python"


def _within(path: Path, parent: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(parent))
    except ValueError:
        return False
    return True


def _size(root: Path) -> int:
    return sum((Path(d) / f).lstat().st_size for d, _, files in os.walk(root) for f in files)


def _mb(size: int) -> str:
    return f"{size / 1e6:.0f} MB"


def _fix_scripts(bin_dir: Path, old_prefix: Path) -> list[str]:
    """Rewrites shebangs that name the old venv's interpreter; returns the scripts fixed."""
    fixed = []
    for script in sorted(bin_dir.iterdir()):
        if script.is_symlink() or not script.is_file():
            continue
        head = script.read_bytes()
        if not head.startswith(b"#!"):
            continue
        first, _, rest = head.partition(b"\n")
        if os.fsencode(str(old_prefix)) in first:
            script.write_bytes(_TRAMPOLINE.encode() + rest)
            fixed.append(script.name)
    return fixed


def _fix_pth(site: Path, old_prefix: Path, new_prefix: Path) -> None:
    """Makes ``.pth`` path entries into the old venv relative; refuses ones outside it."""
    outside = []
    for pth in sorted(site.glob("*.pth")):
        lines = pth.read_text(encoding="utf-8").splitlines()
        out = []
        for line in lines:
            entry = line.strip()
            if entry.startswith("/"):
                if _within(Path(entry), old_prefix):
                    rel = Path(os.path.realpath(entry)).relative_to(os.path.realpath(old_prefix))
                    line = os.path.relpath(new_prefix / rel, site)
                else:
                    outside.append(f"{pth.name}: {entry}")
            out.append(line)
        pth.write_text("\n".join(out) + "\n", encoding="utf-8")
    if outside:
        raise ReleaseError(
            "the environment refers to directories outside it, which a release cannot "
            "carry (an editable install?):\n  " + "\n  ".join(outside) + "\nInstall those "
            "packages normally (`uv pip install --python <venv>/bin/python <package>`) or "
            "put their sources under `python_path:` in mix.exs, then rerun `mix release`."
        )


def _site_packages(prefix: Path) -> Path:
    rel = Path(sysconfig.get_path("purelib")).relative_to(sys.prefix)
    return prefix / rel


def _ship_venv(venv: Path, dest: Path, output: Output) -> str:
    output.log("info", f"copying {venv} ({_mb(_size(venv))}) into the release")
    shutil.copytree(venv, dest / "venv", symlinks=True, ignore=_SKIPPED)
    _fix_scripts(dest / "venv" / "bin", venv)
    _fix_pth(_site_packages(dest / "venv"), venv, dest / "venv")
    return "venv/bin/python"


def _ship_standalone(venv: Path, base: Path, dest: Path, output: Output) -> str:
    output.log("info", f"copying the uv-managed interpreter {base} into the release")
    shutil.copytree(base, dest / "python", symlinks=True, ignore=_SKIPPED)
    site = _site_packages(dest / "python")
    output.log("info", f"copying the libraries of {venv} into the release")
    shutil.copytree(_site_packages(venv), site, symlinks=True, dirs_exist_ok=True)
    _fix_scripts(dest / "python" / "bin", venv)
    _fix_pth(site, venv, dest / "python")
    name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return f"python/bin/{name}"


def _ship_python_path(root: Path, dirs: Sequence[str], dest: Path) -> list[str]:
    shipped = []
    for index, rel in enumerate(dirs):
        source = (root / rel).resolve()
        if not source.is_dir():
            raise ReleaseError(
                f"python_path: directory {rel} ({source}) does not exist; fix python_path: "
                f"in mix.exs"
            )
        target = Path("python_path") / f"{index}-{source.name}"
        shutil.copytree(source, dest / target, ignore=_SKIPPED)
        shipped.append(target.as_posix())
    return shipped


def _check(python: Path, modules: Sequence[str], python_path: Sequence[Path]) -> None:
    """Runs the shipped interpreter from the release and imports every declared library."""
    code = "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in python_path)
    proc = subprocess.run(
        [str(python), "-c", code, *modules],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=300,
    )
    if proc.returncode != 0:
        raise ReleaseError(
            f"the environment copied into the release does not work ({python}):\n"
            f"{proc.stderr.strip()[-2000:]}\nRun `mix snakebridge.setup`, then `mix release`."
        )


@command("release")
def run(project: Project, payload: Mapping[str, Any], output: Output) -> Reply:
    release = Path(str(payload["release_dir"]))
    venv, base = Path(sys.prefix), Path(sys.base_prefix)
    if venv == base:
        raise ReleaseError(
            f"the project's interpreter {sys.executable} is not a virtual environment, so "
            f"there is nothing to copy into the release. Let `mix snakebridge.setup` build "
            f"the managed .snakebridge/venv (or point python: in mix.exs at a venv)."
        )
    dest = release / SHIPPED
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)

    if _within(base, uv_python_dir()):
        python, interpreter = _ship_standalone(venv, base, dest, output), "bundled"
    else:
        python, interpreter = _ship_venv(venv, dest, output), "system"
    python_path = _ship_python_path(project.root, payload.get("python_path") or [], dest)

    output.log("info", "checking the copied environment")
    modules = [lib.python_module for lib in project.libraries]
    source = Path(str(payload["python_source"]))
    _check(dest / python, modules, [source, *(dest / p for p in python_path)])

    base_python = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    size = _size(dest)
    output.out(f"snakebridge: Python environment in {dest} ({_mb(size)})")
    if interpreter == "system":
        output.out(
            f"  its base interpreter {base_python} (Python {sys.version.split()[0]}) is not "
            f"copied: the machine running the release needs it at that path"
        )
    return Reply(
        data={
            "python": python,
            "python_path": python_path,
            "interpreter": interpreter,
            "base_python": base_python,
            "bytes": size,
        }
    )
