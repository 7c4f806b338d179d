"""The tools setup builds the environment with: uv, and the interpreter under the venv.

Setup needs only a Python 3.11+ on the machine. uv comes from PATH, ``python -m uv``,
or the per-user cache (``$XDG_CACHE_HOME/snakebridge``, else ``~/.cache/snakebridge``),
where setup installs the pinned ``UV_REQUIREMENT`` itself when none is found: with
``pip install --target``, because Debian's python3 refuses ``pip install`` into itself
(PEP 668) and ``--target`` is the install it allows.

The venv's base interpreter is uv-managed where uv can download one (a standalone build),
and the located interpreter otherwise; a release carries either
(``snakebridge.commands.release``). Either way its version and hash go into
``snakebridge.lock`` (``environment``).

Long steps stream their tools' own lines as progress (``Output.log("info", ...)``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from snakebridge.cli import Output
from snakebridge.state import environment as env

# The uv this version of snakebridge is tested with.
UV_VERSION = "0.13.9"
UV_REQUIREMENT = f"uv=={UV_VERSION}"


def cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    base = environ.get("XDG_CACHE_HOME") or str(Path(environ.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "snakebridge"


def cached_uv_dir(environ: Mapping[str, str] = os.environ) -> Path:
    return cache_dir(environ) / f"uv-{UV_VERSION}"


def _cached_uv(environ: Mapping[str, str]) -> Path:
    return cached_uv_dir(environ) / "bin" / "uv"


def find_uv(environ: Mapping[str, str] = os.environ) -> list[str] | None:
    """uv on PATH or importable, else the one in the cache; ``None`` when there is none."""
    try:
        return env.find_uv()
    except env.SetupError:
        cached = _cached_uv(environ)
        return [str(cached)] if os.access(cached, os.X_OK) else None


def run(
    cmd: Sequence[str],
    output: Output,
    what: str,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Runs ``cmd``, relaying each line it prints as progress; returns the output.

    Raises ``SetupError`` with the last lines when it fails.
    """
    output.log("debug", "$ " + " ".join(cmd))
    try:
        proc = subprocess.Popen(
            list(cmd),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=dict(environ if environ is not None else os.environ),
        )
    except OSError as exc:
        raise env.SetupError(f"{what}: cannot run {cmd[0]}: {exc}") from exc
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        if line:
            lines.append(line)
            output.log("info", f"  {line}")
    code = proc.wait()
    text = "\n".join(lines)
    if code != 0:
        raise env.SetupError(f"{what} failed (exit {code}):\n{text[-3000:]}")
    return text


def install_uv(python: Path, output: Output, environ: Mapping[str, str] = os.environ) -> list[str]:
    """Installs ``UV_REQUIREMENT`` into the per-user cache with ``pip --target``."""
    target = cached_uv_dir(environ)
    output.log(
        "info",
        f"uv was not found; installing {UV_REQUIREMENT} from PyPI into {target} "
        f"(`pip install --target`, which Debian's python3 allows)",
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    # Into a fresh directory first, then renamed: a second setup never sees half a uv.
    staging = Path(tempfile.mkdtemp(prefix=f".uv-{UV_VERSION}-", dir=target.parent))
    try:
        try:
            run(
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--no-input",
                    "--progress-bar",
                    "off",
                    "--target",
                    str(staging),
                    UV_REQUIREMENT,
                ],
                output,
                f"installing {UV_REQUIREMENT}",
                {k: v for k, v in environ.items() if k != "PIP_REQUIRE_VIRTUALENV"},
            )
        except env.SetupError as exc:
            raise env.SetupError(
                f"{exc}\nsetup could not install uv with {python} -m pip. Install pip "
                f"(`apt-get install python3-pip`) and rerun `mix snakebridge.setup`, or "
                f"install uv yourself (https://docs.astral.sh/uv/getting-started/installation/) "
                f"and put it on PATH."
            ) from None
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    uv = _cached_uv(environ)
    output.log("info", f"installed {env.uv_version([str(uv)]) or UV_REQUIREMENT} at {uv}")
    return [str(uv)]


@dataclass(frozen=True)
class Interpreter:
    path: Path
    source: str  # where it came from, for the report


def find_managed(
    uv: Sequence[str], request: str, environ: Mapping[str, str] = os.environ
) -> Interpreter | None:
    """The uv-managed interpreter for ``request`` already installed, without downloading."""
    find = [*uv, "python", "find", "--managed-python", "--no-python-downloads", request]
    found = subprocess.run(find, capture_output=True, text=True, check=False, env=dict(environ))
    if found.returncode != 0 or not found.stdout.strip():
        return None
    return Interpreter(Path(found.stdout.strip()), f"uv-managed Python {request}")


def managed_interpreter(
    uv: Sequence[str], request: str, output: Output, environ: Mapping[str, str] = os.environ
) -> Interpreter | str:
    """A uv-managed interpreter for ``request`` (``3.11``, ``3.11.7``), downloaded when
    missing; or why there is none (downloads turned off, no network)."""
    found = find_managed(uv, request, environ)
    if found is not None:
        return found
    if environ.get("UV_PYTHON_DOWNLOADS") == "never":
        return "UV_PYTHON_DOWNLOADS=never turns downloads off"
    output.log("info", f"downloading a uv-managed Python {request}")
    try:
        run([*uv, "python", "install", request], output, f"uv python install {request}", environ)
    except env.SetupError as exc:
        last = str(exc).strip().splitlines()[-1].strip().removeprefix("cause: ")
        return f"uv could not download it: {last}"
    return find_managed(uv, request, environ) or f"uv installed Python {request} but cannot find it"
