"""The managed Python environment: ``<root>/.snakebridge/venv``, built with uv.

``mix snakebridge.setup`` runs this under the *bootstrap* interpreter (a system
``python3`` with only the stdlib and ``src/`` on ``PYTHONPATH``), because the managed
venv may not exist yet. So this module imports nothing outside the stdlib and the
stdlib-only parts of snakebridge.

What it does, in order, each step skipped when already done:

1. pick the base interpreter (``--python``, ``snakebridge: [python: ...]`` in mix.exs,
   ``SNAKEBRIDGE_BOOTSTRAP_PYTHON``, else the interpreter running setup) -- uv cannot
   download interpreters on every machine, so a located interpreter is always accepted;
2. create the venv on it with ``uv venv`` (re-created when the base interpreter changed);
3. install snakebridge's own dependencies and every declared library: at the version
   ``snakebridge.lock`` resolved when the lock has one that still satisfies mix.exs, else
   at the mix.exs requirement translated to PEP 440. The snakebridge package itself is
   not installed: it ships in the Elixir package (``priv/python``) and every process
   SnakeBridge starts has it first on ``PYTHONPATH``, so it always matches the Elixir
   side, and a venv copied into a release points at no source tree;
4. record a stamp so the next run only checks (one short Python start) instead of
   reinstalling.

The lock itself is never written here: it records what the committed bindings were
generated against, and only generation (or ``mix snakebridge.lock --rebuild``) may
change that.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# --------------------------------------------------------------- requirement translation


class RequirementError(ValueError):
    """A version requirement from mix.exs that SnakeBridge cannot translate."""


_CLAUSE = re.compile(r"^\s*(~>|==|!=|>=|<=|>|<)?\s*v?([0-9][0-9A-Za-z.+-]*)\s*$")


def _release(version: str) -> list[int]:
    match = re.match(r"^v?(\d+(?:\.\d+)*)", version.strip())
    if not match:
        raise RequirementError(f"{version!r} is not a version number")
    return [int(p) for p in match.group(1).split(".")]


def _clause_to_pep440(clause: str, whole: str) -> str:
    match = _CLAUSE.match(clause)
    if not match:
        raise RequirementError(
            f"cannot read version requirement {whole!r} (at {clause.strip()!r}); use Elixir "
            f'syntax such as "~> 2.0", ">= 1.2 and < 2.0" or "== 1.26.4"'
        )
    op, version = match.group(1) or "==", match.group(2)
    if op != "~>":
        return f"{op}{version}"
    parts = _release(version)
    if len(parts) == 1:
        # Elixir rejects "~> 2"; read it as the obvious intent rather than failing setup.
        return f">={version},<{parts[0] + 1}"
    upper = [*parts[:-2], parts[-2] + 1]
    upper += [0] * (len(parts) - len(upper))
    return f">={version},<{'.'.join(str(p) for p in upper)}"


def pep440_alternatives(requirement: str) -> tuple[str, ...]:
    """Elixir requirement -> PEP 440 specifier sets, one per ``or`` branch.

    ``~> 2.0`` -> ``>=2.0,<3.0``; ``~> 2.0.1`` -> ``>=2.0.1,<2.1.0``; ``and`` joins with
    a comma. PEP 440 has no "or", so each branch is its own specifier set. A requirement
    that already looks like PEP 440 (``>=2.0,<3``) passes through unchanged.
    """
    text = requirement.strip()
    if not text:
        return ("",)
    if "," in text or "~=" in text:
        return (text.replace(" ", ""),)
    branches = re.split(r"\s+or\s+|\s*\|\|\s*", text)
    out = []
    for branch in branches:
        clauses = re.split(r"\s+and\s+", branch)
        out.append(",".join(_clause_to_pep440(c, requirement) for c in clauses))
    return tuple(out)


def _version_key(version: str) -> tuple[tuple[int, ...], tuple[int, int]]:
    """Comparable key: release numbers (zero-padded by the caller), then pre-release rank."""
    release = tuple(_release(version))
    rest = re.sub(r"^v?\d+(?:\.\d+)*", "", version.strip()).lower()
    pre = re.match(r"^[-_.]?(a|alpha|b|beta|rc|c|pre|preview|dev)[-_.]?(\d*)", rest)
    if pre is None:
        return release, (9, 0)  # a final release sorts after its pre-releases
    rank = {"dev": 0, "a": 1, "alpha": 1, "b": 2, "beta": 2}.get(pre.group(1), 3)
    return release, (rank, int(pre.group(2) or 0))


def _compare(a: str, b: str) -> int:
    (ra, pa), (rb, pb) = _version_key(a), _version_key(b)
    width = max(len(ra), len(rb))
    ka = (ra + (0,) * (width - len(ra)), pa)
    kb = (rb + (0,) * (width - len(rb)), pb)
    return (ka > kb) - (ka < kb)


def _satisfies(version: str, spec: str) -> bool:
    for part in filter(None, spec.split(",")):
        match = re.match(r"^(~=|===|==|!=|>=|<=|>|<)(.+)$", part.strip())
        if not match:
            return False
        op, target = match.groups()
        if target.endswith(".*"):
            prefix = _release(target[:-2])
            equal = _release(version)[: len(prefix)] == prefix
            ok = equal if op == "==" else not equal
        elif op == "~=":
            parts = _release(target)
            upper = ".".join(str(p) for p in [*parts[:-2], parts[-2] + 1]) if len(parts) > 1 else ""
            ok = _compare(version, target) >= 0 and (not upper or _compare(version, upper) < 0)
        else:
            c = _compare(version, target)
            ok = {
                "==": c == 0,
                "===": version == target,
                "!=": c != 0,
                ">=": c >= 0,
                "<=": c <= 0,
                ">": c > 0,
                "<": c < 0,
            }[op]
        if not ok:
            return False
    return True


def requirement_matches(version: str, requirement: str) -> bool:
    """Does ``version`` satisfy the Elixir-style ``requirement`` from mix.exs?"""
    try:
        return any(_satisfies(version, alt) for alt in pep440_alternatives(requirement))
    except RequirementError:
        return False


# ------------------------------------------------------------------------- locating


class SetupError(RuntimeError):
    """Setup cannot continue; the message says what is missing and how to provide it."""


def find_uv() -> list[str]:
    """The command that runs uv: ``uv`` on PATH, else ``python -m uv``."""
    on_path = shutil.which("uv")
    if on_path:
        return [on_path]
    if importlib.util.find_spec("uv") is not None:
        return [sys.executable, "-m", "uv"]
    raise SetupError(
        "uv was not found (neither `uv` on PATH nor `python3 -m uv`). Install it with "
        "`python3 -m pip install uv` (or see https://docs.astral.sh/uv/), then rerun "
        "`mix snakebridge.setup`."
    )


def uv_version(uv: Sequence[str]) -> str:
    proc = subprocess.run([*uv, "--version"], capture_output=True, text=True, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def interpreter_info(python: str | Path) -> dict[str, str]:
    """Version, real path and base prefix of an interpreter, by asking it."""
    code = (
        "import json, os, platform, sys; print(json.dumps({'version': platform.python_version(),"
        " 'executable': os.path.realpath(sys.executable),"
        " 'base': os.path.realpath(getattr(sys, '_base_executable', sys.executable))}))"
    )
    try:
        proc = subprocess.run(
            [str(python), "-c", code], capture_output=True, text=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SetupError(f"cannot run the Python interpreter {python}: {exc}") from exc
    if proc.returncode != 0:
        raise SetupError(
            f"the Python interpreter {python} failed to start: {proc.stderr.strip()[-500:]}"
        )
    info: dict[str, str] = json.loads(proc.stdout)
    return info


MIN_PYTHON = (3, 11)


def locate_interpreter(explicit: str | None) -> tuple[Path, str]:
    """The base interpreter for the venv and where the choice came from.

    ``--python`` first, then ``SNAKEBRIDGE_BOOTSTRAP_PYTHON``, then the interpreter running
    setup (the Mix task starts it from the same variable, else python3.11/python3 on PATH).
    """
    env = os.environ.get("SNAKEBRIDGE_BOOTSTRAP_PYTHON")
    running = getattr(sys, "_base_executable", None) or sys.executable
    candidates: list[tuple[str | None, str]] = [
        (explicit, "--python"),
        (env, "SNAKEBRIDGE_BOOTSTRAP_PYTHON"),
        (running, "the interpreter running setup"),
    ]
    for value, source in candidates:
        if not value:
            continue
        path = shutil.which(value) if os.sep not in value else value
        if path is None or not Path(path).exists():
            raise SetupError(f"Python interpreter {value!r} from {source} was not found")
        info = interpreter_info(path)
        version = tuple(int(p) for p in info["version"].split(".")[:2])
        if version < MIN_PYTHON:
            raise SetupError(
                f"{path} ({source}) is Python {info['version']}; SnakeBridge needs "
                f"{'.'.join(map(str, MIN_PYTHON))} or newer. Pass another with "
                f"`mix snakebridge.setup --python /path/to/python3.11` or set "
                f"SNAKEBRIDGE_BOOTSTRAP_PYTHON."
            )
        return Path(info["base"]), source
    raise SetupError("no Python interpreter found")  # pragma: no cover (sys.executable exists)


def worker_requirements() -> tuple[str, ...]:
    """snakebridge's own dependencies (``[project] dependencies`` of its pyproject.toml,
    which ships beside the package in the Elixir package's ``priv/python``)."""
    import tomllib

    import snakebridge

    package = Path(snakebridge.__file__).parent
    # priv/python/pyproject.toml beside the package; in this repository, src/'s parent.
    for candidate in (package.parent, package.resolve().parent.parent):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            deps: list[str] = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
            return tuple(deps)
    raise SetupError(
        f"cannot find snakebridge's pyproject.toml beside {package}; the Elixir package's "
        f"priv/python is incomplete (reinstall the snakebridge dependency)"
    )


def requirement_name(requirement: str) -> str:
    """The distribution name of a PEP 508 requirement (``docstring_parser>=0.16``)."""
    match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise SetupError(f"cannot read the requirement {requirement!r}")
    return match.group(1)


def venv_python(venv_dir: Path) -> Path:
    return venv_dir / "bin" / "python"


# ------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class Install:
    library: str
    specs: tuple[str, ...]  # pip requirement strings to try, in order ("numpy==2.4.6")
    source: str  # "snakebridge.lock" | "mix.exs"
    requirement: str  # as written in mix.exs


def plan_installs(libraries: Sequence[tuple[str, str]], locked: Mapping[str, str]) -> list[Install]:
    """What to install: ``libraries`` is (name, mix.exs requirement); ``locked`` name -> version.

    The locked version wins when it still satisfies mix.exs (a fresh setup reproduces the
    locked build);
    when the requirement changed so it no longer does, the requirement wins and the next
    generate notices the new version through the lock's invalidation rules.
    """
    out = []
    for name, requirement in sorted(libraries):
        pinned = locked.get(name)
        if pinned and requirement_matches(pinned, requirement):
            out.append(Install(name, (f"{name}=={pinned}",), "snakebridge.lock", requirement))
        else:
            alts = pep440_alternatives(requirement)
            out.append(Install(name, tuple(f"{name}{a}" for a in alts), "mix.exs", requirement))
    return out


_CHECK = """
import importlib.metadata as m, json, sys
out = {}
for name in sys.argv[1:]:
    try:
        out[name] = m.version(name)
    except m.PackageNotFoundError:
        out[name] = None
print(json.dumps(out))
"""


def installed_versions(python: Path, names: Sequence[str]) -> dict[str, str | None]:
    proc = subprocess.run(
        [str(python), "-c", _CHECK, *names],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if proc.returncode != 0:
        raise SetupError(f"cannot query {python}: {proc.stderr.strip()[-500:]}")
    result: dict[str, str | None] = json.loads(proc.stdout)
    return result


_IMPORTS = """
import json, sys
from snakebridge.distributions import resolve
out = {}
for name, guess in zip(sys.argv[1::2], sys.argv[2::2]):
    try:
        out[name] = {"import": resolve(name, guess)}
    except ValueError as exc:
        out[name] = {"error": str(exc)}
print(json.dumps(out))
"""


def import_names(python: Path, guesses: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """For libraries declared without ``python_module:`` (name -> guessed import name),
    the import name ``python`` has for each: ``{"import": name}`` or ``{"error": message}``
    (see ``snakebridge.distributions``)."""
    if not guesses:
        return {}
    args = [part for name, guess in sorted(guesses.items()) for part in (name, guess)]
    proc = subprocess.run(
        [str(python), "-c", _IMPORTS, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if proc.returncode != 0:
        raise SetupError(f"cannot query {python}: {proc.stderr.strip()[-500:]}")
    result: dict[str, dict[str, str]] = json.loads(proc.stdout)
    return result


_LOCAL_IMPORTS = """
import json, sys
out, result = {}, sys.argv[1]
for module in sys.argv[2:]:
    try:
        __import__(module)
    except BaseException as exc:  # a module may raise anything at import, even SystemExit
        out[module] = f"{type(exc).__name__}: {exc}"
with open(result, "w") as fh:
    json.dump(out, fh)
"""


def local_import_errors(
    python: Path, modules: Sequence[str], python_path: Sequence[Path]
) -> dict[str, str]:
    """Imports each project-local module with ``python`` and ``python_path`` on
    PYTHONPATH, as a worker would; returns module -> "ExcType: message" for those that
    fail. The result goes through a file: a module may print while imported."""
    if not modules:
        return {}
    import tempfile

    with tempfile.TemporaryDirectory(prefix="snakebridge-imports-") as tmp:
        result = Path(tmp) / "result.json"
        environ = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in python_path)}
        environ["PYTHONDONTWRITEBYTECODE"] = "1"
        proc = subprocess.run(
            [str(python), "-c", _LOCAL_IMPORTS, str(result), *modules],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
            env=environ,
            cwd=tmp,
        )
        if not result.exists():
            raise SetupError(
                f"cannot import the project-local modules with {python}: "
                f"{proc.stderr.strip()[-500:]}"
            )
        errors: dict[str, str] = json.loads(result.read_text())
    return errors


def satisfied(install: Install, version: str | None) -> bool:
    if version is None:
        return False
    return any(_satisfies(version, spec[len(install.library) :]) for spec in install.specs)


# ------------------------------------------------------------------------- git files

GITIGNORE_LINES = (
    "# SnakeBridge: local state (mix snakebridge.setup)",
    "/.snakebridge/venv/",
    "/.snakebridge/ledger.json*",
    "/.snakebridge/scan_cache*",
    "/.snakebridge/backups/",
    "/.snakebridge/.lock",
    "/.snakebridge/.journal",
)


def gitattributes_lines(generated_dir: str) -> tuple[str, ...]:
    return (
        "# SnakeBridge: generated bindings (mix snakebridge.setup)",
        f"/{generated_dir.strip('/')}/** linguist-generated=true",
        "/.snakebridge/manifest.json merge=union linguist-generated=true",
        "/snakebridge.lock linguist-generated=true",
        # Rewritten whole per library version: a conflict keeps one side (binary merge,
        # no markers) and the next `mix snakebridge.generate` rewrites it for the lock.
        "/.snakebridge/docs/** linguist-generated=true merge=binary",
    )


def ensure_lines(path: Path, lines: Sequence[str]) -> list[str]:
    """Append the lines of ``lines`` that ``path`` lacks; return those added."""
    from snakebridge.state.files import write_atomic

    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    present = {line.strip() for line in existing.splitlines()}
    missing = [line for line in lines if line.strip() not in present]
    # A lone comment header is not worth writing when every rule is already there.
    if all(line.startswith("#") for line in missing):
        return []
    text = existing
    if text and not text.endswith("\n"):
        text += "\n"
    if text:
        text += "\n"
    text += "\n".join(missing) + "\n"
    write_atomic(path, text.encode("utf-8"))
    return [line for line in missing if not line.startswith("#")]


# ------------------------------------------------------------------------- stamp


def stamp_path(venv_dir: Path) -> Path:
    return venv_dir / ".snakebridge-setup.json"


def stamp_value(base: Path, specs: Sequence[str]) -> str:
    digest = hashlib.sha256()
    digest.update(str(base).encode())
    for spec in specs:
        digest.update(b"\0" + spec.encode())
    return digest.hexdigest()


def read_stamp(venv_dir: Path) -> dict[str, str]:
    try:
        data = json.loads(stamp_path(venv_dir).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
