"""``snakebridge release``: put the project's Python inside a Mix release, interpreter
and all, so the release runs on a machine that has no Python.

``SnakeBridge.Release.step/1`` (one line in the app's ``releases:`` steps) calls this
after ``:assemble``, on the project's interpreter, with ``"release_dir"`` (the release
root). Everything goes under ``<release>/snakebridge/``, where the runtime looks for it
(``SnakeBridge.Release.shipped/0``); no path in it points back at the build machine, so
the release directory can be copied or moved anywhere.

The venv's base interpreter, uv-managed or located (Debian's, pyenv's), is copied as its
minimal runtime to ``python/``: the binary, ``libpython`` when the binary links it, and
the standard library without its test suite, IDLE, tkinter, ensurepip and the static
library. CPython finds its prefix from the binary's location (the ``lib/pythonX.Y/os.py``
landmark), so the copy is relocatable; when the binary links ``libpython`` by an
absolute RUNPATH (pyenv's), ``python/bin/python`` is a two-line trampoline that puts
``python/lib`` on ``LD_LIBRARY_PATH``. The venv's site-packages are merged into the
site directory the copied interpreter itself reads, so ``sys.executable``,
``sys.prefix`` and every imported file lie inside the release. What it still takes
from the target machine is what any Python build takes: the C library and the system
libraries the interpreter and its extension modules link (OpenSSL, libffi, zlib, ...),
so build the release on the distribution it runs on, as for the BEAM itself.

``.pth`` entries into the venv become relative; one outside it (an editable install of
a checkout) cannot travel and fails the step. Project-local ``python_path:``
directories are copied to ``python_path/``, and with ``docs: [source: :metadata |
:hybrid]`` the committed docs index to ``.snakebridge/docs/`` (the release's root is
``<release>/snakebridge``, so docs and search answer offline there as in the project).
Before the step succeeds, the copied interpreter imports every declared library with
nothing from the build environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from snakebridge import docs_index
from snakebridge.cli import Output, Reply, command
from snakebridge.project import Project, ProjectError

SHIPPED = "snakebridge"

# What a release never needs from a venv: activation scripts hold the build path.
_SKIPPED = shutil.ignore_patterns("activate*", "deactivate*", "*.bat", "*.ps1")

# What a worker never needs from the standard library. `config-*` holds the static
# libpython (tens of MB); optimized bytecode is only read under -O.
_STDLIB_SKIPPED = shutil.ignore_patterns(
    "site-packages",
    "dist-packages",
    "test",
    "idlelib",
    "tkinter",
    "turtledemo",
    "ensurepip",
    "config-*",
    "*.opt-1.pyc",
    "*.opt-2.pyc",
)

# Runs the copied binary with the copied libpython, wherever the release lies.
_LIBPYTHON_TRAMPOLINE = """#!/bin/sh
here="$(dirname -- "$(realpath -- "$0")")"
LD_LIBRARY_PATH="$here/../lib${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}" exec "$here/{name}" "$@"
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


def _fix_pth(site: Path, old_site: Path) -> None:
    """Makes ``.pth`` path entries into the venv's site-packages (``old_site``) relative
    to ``site``, their new place; refuses entries outside it."""
    outside = []
    for pth in sorted(site.glob("*.pth")):
        lines = pth.read_text(encoding="utf-8").splitlines()
        out = []
        for line in lines:
            entry = line.strip()
            if entry.startswith("/"):
                if _within(Path(entry), old_site):
                    rel = Path(os.path.realpath(entry)).relative_to(os.path.realpath(old_site))
                    line = rel.as_posix() if rel.parts else "."
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


def _clean_env() -> dict[str, str]:
    """The environment of a process on the target: nothing of the build's Python."""
    drop = ("PYTHON", "VIRTUAL_ENV", "UV_", "CONDA")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def _libpython() -> Path | None:
    """The shared libpython the base binary links, when it links one."""
    if not sysconfig.get_config_var("Py_ENABLE_SHARED"):
        return None
    soname = sysconfig.get_config_var("INSTSONAME") or ""
    libdir = sysconfig.get_config_var("LIBDIR") or ""
    shared = Path(libdir) / soname
    binary = Path(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))
    # A binary that links libpython names it in its dynamic section (Debian's python3.11
    # has libpython built in although the distribution also ships the shared one).
    if not soname or not shared.is_file() or soname.encode() not in binary.read_bytes():
        return None
    return shared


def _copied_layout(command: Path) -> dict[str, str]:
    """Where the copied interpreter finds itself: its prefix and its site directory."""
    code = "import json, site, sys; print(json.dumps([sys.prefix, site.getsitepackages()[0]]))"
    proc = subprocess.run(
        [str(command), "-I", "-S", "-c", code],
        capture_output=True,
        text=True,
        check=False,
        env=_clean_env(),
        timeout=120,
    )
    if proc.returncode != 0:
        raise ReleaseError(
            f"the interpreter copied into the release ({command}) does not start:\n"
            f"{proc.stderr.strip()[-2000:]}"
        )
    prefix, site = json.loads(proc.stdout)
    return {"prefix": prefix, "site": site}


def _ship_interpreter(venv: Path, dest: Path, output: Output) -> str:
    """Copies the base interpreter's minimal runtime to ``dest/python`` and merges the
    venv's libraries into its site directory; returns the command, relative to dest."""
    name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    binary = Path(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))
    home = dest / "python"
    output.log("info", f"copying the interpreter {binary} (Python {sys.version.split()[0]})")
    (home / "bin").mkdir(parents=True)
    shutil.copy2(binary, home / "bin" / name)
    stdlib, platstdlib = Path(sysconfig.get_path("stdlib")), Path(sysconfig.get_path("platstdlib"))
    targets = {stdlib: home / "lib" / name}
    platlibdir = sysconfig.get_config_var("platlibdir") or "lib"
    targets.setdefault(platstdlib, home / platlibdir / name)
    for source, target in targets.items():
        shutil.copytree(
            source,
            target,
            ignore=_STDLIB_SKIPPED,
            ignore_dangling_symlinks=True,
            dirs_exist_ok=True,
        )
    command = f"python/bin/{name}"
    shared = _libpython()
    if shared is not None:
        shutil.copy2(shared, home / "lib" / shared.name)
        trampoline = home / "bin" / "python"
        trampoline.write_text(_LIBPYTHON_TRAMPOLINE.format(name=name))
        trampoline.chmod(0o755)
        command = "python/bin/python"

    layout = _copied_layout(dest / command)
    if not _within(Path(layout["prefix"]), home) or not _within(Path(layout["site"]), home):
        raise ReleaseError(
            f"the interpreter copied into the release does not find its own files (it "
            f"reports prefix {layout['prefix']}, site directory {layout['site']}), so "
            f"{binary} cannot be relocated; build the venv on a uv-managed or a standard "
            f"CPython build (`mix snakebridge.setup --python <path>`)"
        )
    site = Path(layout["site"])
    output.log("info", f"copying the libraries of {venv} ({_mb(_size(venv))}) into the release")
    shutil.copytree(_site_packages(venv), site, symlinks=True, ignore=_SKIPPED, dirs_exist_ok=True)
    _fix_pth(site, _site_packages(venv))
    return command


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


def _ship_docs(project: Project, dest: Path) -> list[str]:
    """The docs index, where the runtime reads it relative to the release's root."""
    source = project.state_dir / "docs"
    if not docs_index.wanted(project) or not source.is_dir():
        return []
    target = dest / ".snakebridge" / "docs"
    shutil.copytree(source, target)
    return sorted(p.name for p in target.iterdir())


def _check(python: Path, modules: Sequence[str], python_path: Sequence[Path]) -> None:
    """Runs the shipped interpreter from the release and imports every declared library."""
    code = "import importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)\n"
    env = _clean_env()
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

    origin = "uv-managed" if _within(base, uv_python_dir()) else "located"
    python = _ship_interpreter(venv, dest, output)
    python_path = _ship_python_path(project.root, payload.get("python_path") or [], dest)
    docs = _ship_docs(project, dest)

    output.log("info", "checking the copied environment")
    modules = [lib.python_module for lib in project.libraries]
    source = Path(str(payload["python_source"]))
    _check(dest / python, modules, [source, *(dest / p for p in python_path)])

    base_python = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    size = _size(dest)
    output.out(f"snakebridge: Python environment in {dest} ({_mb(size)})")
    output.out(
        f"  interpreter: Python {sys.version.split()[0]} copied from the {origin} "
        f"{base_python}; the release needs no Python on the machine it runs on"
    )
    if docs:
        output.out(f"  docs index: {', '.join(docs)} (docs and search answer offline)")
    return Reply(
        data={
            "python": python,
            "python_path": python_path,
            "interpreter": origin,
            "base_python": base_python,
            "bytes": size,
        }
    )
