"""``mix snakebridge.setup``: build or update the managed Python environment.

Runs under the bootstrap interpreter (stdlib only, ``src/`` on PYTHONPATH): see
``snakebridge.state.environment`` for what it does and why. The Mix shell adds
``"python_source"`` (``"default"`` | ``"config"`` | ``"env"``, where the project's
interpreter came from) and ``"bootstrap_python"`` to the context.

Which environment it manages:

- default: ``<root>/.snakebridge/venv``, created on the located base interpreter;
- ``snakebridge: [python: ".../bin/python"]`` in mix.exs: that virtual environment
  (created there when missing); an interpreter that is not a venv is only checked,
  never installed into;
- ``SNAKEBRIDGE_PYTHON``: a developer override, only checked.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from snakebridge import toolchain
from snakebridge.cli import Output, Reply, command
from snakebridge.project import Project, ProjectError
from snakebridge.state import environment as env
from snakebridge.state import lock
from snakebridge.state.files import project_lock, write_atomic


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # never sys.exit inside the port
        raise ProjectError(f"mix snakebridge.setup: {message}\n{self.format_usage()}")


def _parser() -> _Parser:
    p = _Parser(prog="mix snakebridge.setup", add_help=False)
    p.add_argument("--python", help="base interpreter to build the venv on")
    p.add_argument("--force", action="store_true", help="recreate the venv and reinstall")
    p.add_argument(
        "--check", action="store_true", help="report what setup would do; change nothing"
    )
    p.add_argument(
        "--no-git-files", action="store_true", help="do not touch .gitignore / .gitattributes"
    )
    return p


def _uv_env() -> dict[str, str]:
    # uv never downloads an interpreter behind setup's back: that is a step of its own.
    return {**os.environ, "UV_PYTHON_DOWNLOADS": os.environ.get("UV_PYTHON_DOWNLOADS", "never")}


def _is_venv_python(python: Path) -> bool:
    return (python.parent.parent / "pyvenv.cfg").is_file()


def _target(project: Project, payload: Mapping[str, Any]) -> tuple[Path, bool, str]:
    """(interpreter to provision, whether we may create/install into it, description)."""
    source = str(payload.get("python_source") or "default")
    python = Path(project.python) if project.python else env.venv_python(project.venv_dir)
    if source == "env":
        return python, False, f"SNAKEBRIDGE_PYTHON={python} (checked only; unset it to manage)"
    if source == "config":
        if not python.exists() or _is_venv_python(python):
            return python, True, f"{python.parent.parent} (from `python:` in mix.exs)"
        return python, False, f"{python} (from `python:` in mix.exs; not a venv, checked only)"
    return env.venv_python(project.venv_dir), True, str(project.venv_dir)


def _venv_base(venv_dir: Path) -> Path | None:
    """The base interpreter an existing venv runs on, when it still runs."""
    python = env.venv_python(venv_dir)
    if not python.exists():
        return None
    try:
        return Path(env.interpreter_info(python)["base"])
    except env.SetupError:
        return None


def _choose_base(
    args: argparse.Namespace,
    venv_dir: Path,
    uv: Sequence[str] | None,
    request: str,
    output: Output,
) -> tuple[Path, str]:
    """The venv's base interpreter and why: an explicit choice; else the existing venv's;
    else a uv-managed one; else the located one, saying why uv could not provide one."""
    if args.python or os.environ.get("SNAKEBRIDGE_BOOTSTRAP_PYTHON"):
        return env.locate_interpreter(args.python)
    existing = None if args.force else _venv_base(venv_dir)
    if existing is not None:
        return existing, "the existing venv's"
    if uv is None:  # --check without uv: nothing may be installed to ask
        reason = "uv is not installed yet"
    elif args.check:
        found = toolchain.find_managed(uv, request)
        if found is not None:
            return found.path, found.source
        reason = "setup would try to download one"
    else:
        managed = toolchain.managed_interpreter(uv, request, output)
        if isinstance(managed, toolchain.Interpreter):
            return managed.path, managed.source
        reason = managed
    base, source = env.locate_interpreter(None)
    output.log(
        "info",
        f"no uv-managed Python {request} ({reason}); building on the located {base} "
        f"instead (a release copies it along either way)",
    )
    return base, f"located: {source}; no uv-managed Python {request}: {reason}"


def _ensure_venv(
    venv_dir: Path, base: Path, uv: Sequence[str], force: bool, output: Output
) -> bool:
    python = env.venv_python(venv_dir)
    if python.exists() and not force:
        try:
            info = env.interpreter_info(python)
        except env.SetupError:
            info = {}
        if info.get("base") == str(base):
            return False
        output.log(
            "info",
            f"the venv was built on {info.get('base', 'an unusable interpreter')}; "
            f"rebuilding it on {base}",
        )
    elif force and venv_dir.exists():
        output.log("info", f"--force: rebuilding {venv_dir}")
    if venv_dir.exists() and not (venv_dir / "pyvenv.cfg").exists() and any(venv_dir.iterdir()):
        raise env.SetupError(
            f"{venv_dir} exists but is not a virtual environment; move it away and rerun "
            f"`mix snakebridge.setup`"
        )
    output.log("info", f"creating {venv_dir} on {base}")
    # Remove it ourselves rather than rely on `uv venv --clear` (newer uv versions only);
    # the check above made sure it is a venv (or empty) before anything is deleted.
    if venv_dir.exists():
        shutil.rmtree(venv_dir)
    toolchain.run(
        [*uv, "venv", "--no-project", "--python", str(base), str(venv_dir)],
        output,
        "uv venv",
        _uv_env(),
    )
    return True


def _install(
    python: Path,
    installs: Sequence[env.Install],
    worker: Sequence[str],
    uv: Sequence[str],
    output: Output,
) -> None:
    pip = [*uv, "pip", "install", "--python", str(python)]
    first = [i.specs[0] for i in installs if len(i.specs) == 1]
    output.log("info", "installing " + ", ".join([*worker, *first]))
    toolchain.run([*pip, *worker, *first], output, "uv pip install", _uv_env())
    # PEP 440 cannot say "or": try each branch of an `or` requirement in order.
    for install in (i for i in installs if len(i.specs) > 1):
        errors = []
        for spec in install.specs:
            try:
                toolchain.run([*pip, spec], output, f"installing {spec}", _uv_env())
                break
            except env.SetupError as exc:
                errors.append(str(exc))
        else:
            raise env.SetupError(
                f"no branch of {install.library} {install.requirement!r} could be installed:\n"
                + "\n".join(errors)
            )


def _missing_lines(path: Path, lines: Sequence[str]) -> list[str]:
    try:
        present = set(path.read_text(encoding="utf-8").splitlines())
    except OSError:
        present = set()
    return [line for line in lines if line not in present and not line.startswith("#")]


def _git_files(project: Project, write: bool) -> list[str]:
    """The .gitignore/.gitattributes lines a project needs: added, or (``write=False``)
    only listed."""
    generated = project.generated_dir
    try:
        rel = generated.relative_to(project.root).as_posix()
    except ValueError:
        rel = "lib/snakebridge_generated"
    wanted = [
        (project.root / ".gitignore", env.GITIGNORE_LINES),
        (project.root / ".gitattributes", env.gitattributes_lines(rel)),
    ]
    apply = env.ensure_lines if write else _missing_lines
    return [f"{path.name}: {line}" for path, lines in wanted for line in apply(path, lines)]


def _bootstrap_python() -> Path:
    return Path(getattr(sys, "_base_executable", None) or sys.executable)


def _locked_environment(project: Project) -> lock.Lock | None:
    try:
        return lock.read(project.lock_path)
    except ProjectError:
        return None


def _python_request(project: Project) -> str:
    """The Python to ask uv for: the lock's exact version, else this minor version."""
    current = _locked_environment(project)
    if current is not None and current.python_version:
        return str(current.python_version)
    return f"{sys.version_info.major}.{sys.version_info.minor}"


_HASH = "from snakebridge.state import lock; print(lock.python_version(), lock.interpreter_hash())"


def _lock_interpreter(project: Project, python: Path) -> str:
    """The environment's interpreter against the one snakebridge.lock pins."""
    import snakebridge

    source = str(Path(snakebridge.__file__).parent.parent)
    proc = subprocess.run(
        [str(python), "-c", _HASH],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": source},
        timeout=120,
    )
    if proc.returncode != 0:
        return f"interpreter: cannot ask {python} ({proc.stderr.strip()[-200:]})"
    version, digest = proc.stdout.split()
    pinned = _locked_environment(project)
    here = f"Python {version} ({digest[:19]}...)"
    if pinned is None or not pinned.python_version:
        return f"interpreter: {here}; snakebridge.lock pins it at the next `mix compile`"
    if (pinned.python_version, pinned.interpreter_hash) == (version, digest):
        return f"interpreter: {here}, as pinned by snakebridge.lock"
    return (
        f"interpreter: {here}, but snakebridge.lock pins Python {pinned.python_version} "
        f"({pinned.interpreter_hash[:19]}...): the next `mix compile` regenerates :stdlib "
        f"libraries and re-pins; `mix snakebridge.doctor` shows the drift"
    )


def _locked_versions(project: Project) -> dict[str, str]:
    try:
        current = lock.read(project.lock_path)
    except ProjectError as exc:
        raise env.SetupError(str(exc)) from exc
    if current is None:
        return {}
    return {
        name: lib.resolved
        for name, lib in current.libraries.items()
        if lib.requested not in (lock.STDLIB_REQUESTED, lock.LOCAL_REQUESTED)
    }


def _local_modules(project: Project, python: Path, problems: list[str]) -> list[str]:
    """One line per :local library: where python_path: has it, and that it imports in the
    environment (its own imports must be installed there)."""
    found = {}
    for lib in project.libraries:
        if not lib.local:
            continue
        source = project.local_source(lib)
        if source is None:
            top = lib.python_module.split(".")[0]
            problems.append(
                f"{lib.name} is declared :local, but no directory of python_path: "
                f"({project.python_path_text()}) holds {top}.py or a package {top}/: put it "
                f"there, or correct `python_path:` in mix.exs"
            )
        else:
            found[lib.python_module] = (lib, source)
    if not found or not python.exists():
        return []
    errors = env.local_import_errors(python, sorted(found), project.python_path)
    lines = []
    for module, (lib, source) in sorted(found.items()):
        where = project.relative(source)
        if module in errors:
            problems.append(
                f"{lib.name} ({where}) does not import in {python}: {errors[module]}; fix the "
                f"module, or declare the libraries it imports in mix.exs so setup installs them"
            )
        else:
            lines.append(f"  {lib.name} (local, {where})")
    return lines


@command("setup")
def run(project: Project, payload: Mapping[str, Any], output: Output) -> Reply:
    args = _parser().parse_args([str(a) for a in payload.get("argv") or []])
    try:
        return _setup(project, payload, args, output)
    except env.SetupError as exc:
        # As a log frame, not data["error"]: the message reaches the user once either way
        # (the Mix task prints log frames; `snakebridge setup` prints them on stderr).
        output.log("error", f"setup failed: {exc}")
        return Reply(exit_code=1, data={"failed": True})


def _setup(
    project: Project, payload: Mapping[str, Any], args: argparse.Namespace, output: Output
) -> Reply:
    python, managed, where = _target(project, payload)
    libraries = [(lib.name, lib.requirement or "") for lib in project.libraries if lib.installed]
    locked = _locked_versions(project)
    installs = env.plan_installs(libraries, locked)
    lines = [f"environment: {where}"]
    problems: list[str] = []
    pending: list[str] = []  # what --check found setup would change
    # snakebridge's own dependencies; the package itself comes from the Elixir package.
    worker = env.worker_requirements()
    worker_names = [env.requirement_name(r) for r in worker]
    names = [*worker_names, *(i.library for i in installs)]

    if managed and args.check:
        uv = toolchain.find_uv()
        venv_dir = python.parent.parent
        base, base_source = _choose_base(args, venv_dir, uv, _python_request(project), output)
        lines.append(f"base interpreter: {base} ({base_source})")
        if uv is None:
            lines.append(
                f"uv: not found; setup would install {toolchain.UV_REQUIREMENT} into "
                f"{toolchain.cached_uv_dir()}"
            )
            pending.append("install uv")
        else:
            lines.append(f"uv: {env.uv_version(uv) or ' '.join(uv)}")
        existing = _venv_base(venv_dir)
        if existing is None:
            lines.append(f"venv: missing; setup would create {venv_dir} on {base}")
            pending.append("create the venv")
            versions = {}
        else:
            if existing != base:
                lines.append(f"venv: built on {existing}; setup would rebuild it on {base}")
                pending.append("rebuild the venv")
            versions = env.installed_versions(python, names)
            missing = [n for n in worker_names if versions.get(n) is None] + [
                i.specs[0] for i in installs if not env.satisfied(i, versions.get(i.library))
            ]
            if missing:
                lines.append("packages: setup would install " + ", ".join(missing))
                pending.append("install packages")
            else:
                lines.append("packages: up to date")
    elif managed:
        uv = toolchain.find_uv() or toolchain.install_uv(_bootstrap_python(), output)
        venv_dir = python.parent.parent
        base, base_source = _choose_base(args, venv_dir, uv, _python_request(project), output)
        lines.append(f"base interpreter: {base} ({base_source})")
        lines.append(f"uv: {env.uv_version(uv) or ' '.join(uv)}")
        # Two setups at once would fight over the venv: take the project lock.
        with project_lock(project, timeout=600):
            created = _ensure_venv(venv_dir, base, uv, args.force, output)
            specs = [*worker, *(spec for i in installs for spec in i.specs)]
            stamp = env.stamp_value(base, specs)
            stamped = env.read_stamp(venv_dir).get("stamp") == stamp
            versions = env.installed_versions(python, names) if stamped and not created else {}
            up_to_date = (
                bool(versions)
                and all(versions.get(n) is not None for n in worker_names)
                and all(env.satisfied(i, versions.get(i.library)) for i in installs)
            )
            if up_to_date and not args.force:
                lines.append("packages: already up to date")
            else:
                _install(python, installs, worker, uv, output)
                versions = env.installed_versions(python, names)
                write_atomic(
                    env.stamp_path(venv_dir),
                    (json.dumps({"stamp": stamp}, sort_keys=True) + "\n").encode(),
                )
                lines.append("packages: installed")
    else:
        if not python.exists():
            raise env.SetupError(
                f"{python} does not exist. {where}. Fix the path, or unset it to let "
                f"`mix snakebridge.setup` build the managed .snakebridge/venv."
            )
        versions = env.installed_versions(python, names)
        for requirement, name in zip(worker, worker_names, strict=True):
            if versions.get(name) is None:
                problems.append(
                    f"{name} (needed by snakebridge) is not installed in {python}: "
                    f"`uv pip install --python {python} '{requirement}'`"
                )

    undeclared = {
        lib.name: lib.python_module
        for lib in project.libraries
        if lib.installed and not lib.python_module_declared and versions.get(lib.name)
    }
    imports = env.import_names(python, undeclared)
    for install in installs:
        got = versions.get(install.library)
        found = imports.get(install.library, {})
        if "error" in found:
            problems.append(found["error"])
        if got is None:
            problems.append(
                f"{install.library} is not installed in {python}: "
                f"`uv pip install --python {python} '{install.specs[0]}'`"
            )
            continue
        note = (
            "(pinned by snakebridge.lock)"
            if install.source == "snakebridge.lock"
            else f"(newest matching {install.requirement!r} in mix.exs)"
        )
        if not env.satisfied(install, got):
            problems.append(f"{install.library} {got} does not satisfy {install.specs[0]}")
        elif install.source == "mix.exs" and install.library in locked:
            note = (
                f"(snakebridge.lock had {locked[install.library]}, which no "
                f"longer satisfies {install.requirement!r}; the next `mix compile` "
                f"regenerates {install.library})"
            )
        imported = found.get("import")
        if imported and imported != undeclared.get(install.library):
            note = f"(imported as {imported}) {note}"
        lines.append(f"  {install.library} {got} {note}")
    for lib in project.libraries:
        if lib.stdlib:
            lines.append(f"  {lib.name} (stdlib)")
    lines += _local_modules(project, python, problems)

    if versions or python.exists():
        lines.append(_lock_interpreter(project, python))
    if args.check:
        would = _git_files(project, write=False)
        lines += [f"would add {line}" for line in would] or ["git files: up to date"]
        pending += ["add git lines"] if would else []
    elif not args.no_git_files:
        added = _git_files(project, write=True)
        lines += [f"added {line}" for line in added] or ["git files: up to date"]
    if pending:
        lines.append("setup would: " + ", ".join(pending) + " (run `mix snakebridge.setup`)")

    for line in lines:
        output.out(line)
    for problem in problems:
        output.log("error", problem)
    return Reply(
        exit_code=1 if problems or pending else 0,
        data={
            "python": str(python),
            "versions": dict(versions),
            "problems": problems,
            "pending": pending,
        },
    )
