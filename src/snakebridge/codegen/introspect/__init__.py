"""Introspection: ask the project's own Python what a library really looks like.

``introspect`` resolves the Elixir calls the pre-pass found (``Numpy.Linalg.solve/2``)
to Python objects and describes them — kind, signature (through the cascade in
``signatures``), types, docs — as a ``model.Library``. The library is imported only in a
child process running ``project.python`` (one child per library, a bounded number in
parallel, each with a timeout): a library that crashes, hangs or prints on import cannot
take the generator with it. The child speaks JSON over its stdout pipe; the parent
parses docstrings (``docstrings``) so the child needs only the standard library.

Public API (the generation pipeline calls exactly this)::

    introspect(project, {"numpy": [Detection, ...]}) -> {"numpy": IntrospectionResult}
    introspect_surface(python, "numpy") -> SurfaceResult    # whole module, for the bench
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from snakebridge.codegen import model
from snakebridge.project import Detection, LibrarySpec, Project

__all__ = [
    "IntrospectionError",
    "IntrospectionResult",
    "IntrospectionTimeout",
    "LibraryImportError",
    "LibraryNotInstalled",
    "SurfaceResult",
    "Unresolved",
    "introspect",
    "introspect_surface",
]

TIMEOUT_ENV = "SNAKEBRIDGE_INTROSPECT_TIMEOUT"
CHILD_MODULE = "snakebridge.codegen.introspect.child"


class IntrospectionError(ValueError):
    """Introspecting a library failed; the message names the library and the fix."""


class LibraryNotInstalled(IntrospectionError):
    pass


class LibraryImportError(IntrospectionError):
    pass


class IntrospectionTimeout(IntrospectionError):
    pass


@dataclass(frozen=True)
class Unresolved:
    module: str
    function: str
    message: str  # names the closest existing names when there are any


@dataclass(frozen=True)
class IntrospectionResult:
    library: model.Library
    resolved: Mapping[tuple[str, str], str]  # (elixir module, function) → dotted python path
    unresolved: tuple[Unresolved, ...]
    # What the library printed or warned while imported and inspected (the child's
    # stdout and stderr, both routed away from the reply channel), for the caller to log.
    output: str = ""


@dataclass(frozen=True)
class SurfaceResult:
    module: str
    python: str
    entries: tuple[model.Function | model.Class | model.Attribute | model.Module, ...]
    stats: Mapping[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------- public


def introspect(
    project: Project,
    requests: Mapping[str, Sequence[Detection]],
    *,
    timeout: float = 120.0,
    max_parallel: int = 2,
) -> dict[str, IntrospectionResult]:
    """Describe what ``requests`` (library name → detections) use, one child per library.

    Raises ``LibraryNotInstalled`` / ``LibraryImportError`` / ``IntrospectionTimeout``
    (all ``ValueError``s) for the first library that fails, after every child finished.
    """
    timeout = _timeout(timeout)
    python = project.python or sys.executable
    jobs = [(project.library(name), detections) for name, detections in sorted(requests.items())]
    if not jobs:
        return {}
    _check_python(python)
    with _child_path() as pythonpath, ThreadPoolExecutor(max(1, max_parallel)) as pool:
        futures = {
            spec.name: pool.submit(_introspect_one, python, pythonpath, spec, dets, timeout)
            for spec, dets in jobs
        }
        outcomes: dict[str, IntrospectionResult | IntrospectionError] = {}
        for name, future in futures.items():
            try:
                outcomes[name] = future.result()
            except IntrospectionError as exc:
                outcomes[name] = exc
    for outcome in outcomes.values():
        if isinstance(outcome, IntrospectionError):
            raise outcome
    return {name: o for name, o in outcomes.items() if isinstance(o, IntrospectionResult)}


def introspect_surface(
    python: str,
    module_name: str,
    *,
    timeout: float = 300.0,
    deep: bool = False,
    parse_docs: bool = True,
    classes: Sequence[str] = (),
) -> SurfaceResult:
    """Every public name of ``module_name`` as model values, with coverage statistics.

    ``deep`` describes every public member of every class too. ``classes`` (qualnames in
    the module) narrows the surface to those classes, described member by member; the
    statistics then count their methods.
    """
    t0 = time.perf_counter()
    _check_python(python or sys.executable)
    with _child_path() as pythonpath:
        reply = _run_child(
            python or sys.executable,
            pythonpath,
            {"mode": "surface", "module": module_name, "deep": deep, "classes": list(classes)},
            library=module_name,
            timeout=timeout,
        )
    t_child = time.perf_counter() - t0
    _raise_for(reply, module_name, module_name, python or sys.executable)
    kinds: dict[str, type[Any]] = {
        "function": model.Function,
        "class": model.Class,
        "attribute": model.Attribute,
        "module": model.Module,
    }
    entries = tuple(model.from_data(kinds[k], v) for k, v in reply["entries"])
    t1 = time.perf_counter()
    if parse_docs:
        from snakebridge.codegen.introspect import docstrings

        entries = tuple(docstrings.parse_all(e) for e in entries)
    from snakebridge.codegen.introspect.surface import coverage

    stats = dict(reply["stats"])
    stats.update(coverage(list(entries)))
    stats["child_wall_seconds"] = t_child
    stats["doc_parse_seconds"] = time.perf_counter() - t1
    stats["total_seconds"] = time.perf_counter() - t0
    return SurfaceResult(module_name, str(reply.get("python", python)), entries, stats)


# ---------------------------------------------------------------------- internals


MIN_PYTHON = (3, 11)
_CHECKED: set[str] = set()


def _check_python(python: str) -> None:
    """The child runs snakebridge's own modules, which need Python >= 3.11; say so
    plainly instead of failing inside the child with an import traceback."""
    if python in _CHECKED:
        return
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise IntrospectionError(
            f"cannot run the project's Python interpreter {python!r}: {exc}; run "
            f"`mix snakebridge.setup` to build the managed environment"
        ) from None
    version = out.stdout.decode("ascii", "replace").strip()
    try:
        found = tuple(int(x) for x in version.split("."))
    except ValueError:
        found = ()
    if out.returncode != 0 or found[:2] < MIN_PYTHON:
        raise IntrospectionError(
            f"the project's Python interpreter {python} is "
            f"{version or 'not runnable'}; SnakeBridge needs Python >= "
            f"{'.'.join(map(str, MIN_PYTHON))} there; run `mix snakebridge.setup` to build "
            f"the managed environment"
        )
    _CHECKED.add(python)


def _timeout(default: float) -> float:
    raw = os.environ.get(TIMEOUT_ENV)
    if raw:
        try:
            return float(raw)
        except ValueError:
            raise IntrospectionError(f"{TIMEOUT_ENV}={raw!r} is not a number of seconds") from None
    return default


class _child_path:
    """A directory holding only a link to this ``snakebridge`` package, for PYTHONPATH.

    The child must import the same snakebridge as the parent, but adding the parent's
    site-packages would shadow the project's own libraries; a directory with a single
    link exposes snakebridge and nothing else.
    """

    def __enter__(self) -> str:
        self._tmp = tempfile.TemporaryDirectory(prefix="snakebridge-introspect-")
        package = Path(__file__).resolve().parents[2]
        os.symlink(package, Path(self._tmp.name) / "snakebridge")
        return self._tmp.name

    def __exit__(self, *exc: object) -> None:
        self._tmp.cleanup()


def _run_child(
    python: str, pythonpath: str, request: Mapping[str, Any], *, library: str, timeout: float
) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (pythonpath, env.get("PYTHONPATH")) if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.setdefault("PYTHONIOENCODING", "utf-8")
    try:
        proc = subprocess.run(
            [python, "-m", CHILD_MODULE],
            input=json.dumps(request).encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise IntrospectionTimeout(
            f"introspecting library {library!r} in {python} did not finish within "
            f"{timeout:g} s; raise the timeout (set {TIMEOUT_ENV}=<seconds>, or pass a "
            f"larger `timeout` to introspect) if the library is just slow to import"
        ) from None
    except OSError as exc:
        raise IntrospectionError(
            f"cannot start the Python interpreter {python!r} to introspect {library!r}: "
            f"{exc}; run `mix snakebridge.setup` to build the managed environment"
        ) from None
    try:
        reply = json.loads(proc.stdout.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-15:]
        raise IntrospectionError(
            f"the introspection child for library {library!r} ({python}) exited with code "
            f"{proc.returncode} without a reply; its last output:\n" + "\n".join(tail)
        ) from None
    if not isinstance(reply, dict):
        raise IntrospectionError(f"introspection child for {library!r} sent {reply!r}")
    reply["_output"] = proc.stderr.decode("utf-8", "replace")
    return reply


def _raise_for(reply: Mapping[str, Any], library: str, python_module: str, python: str) -> None:
    if reply.get("ok"):
        return
    where = reply.get("python") or python
    error = reply.get("error")
    if error == "not_installed":
        raise LibraryNotInstalled(
            f"Python package {library!r} (import name {python_module!r}) is not installed "
            f"in {where}; run `mix snakebridge.setup` to install the libraries declared in "
            f"mix.exs into the managed environment"
        )
    if error == "import_failed":
        raise LibraryImportError(
            f"importing {python_module!r} (library {library!r}) failed in {where}: "
            f"{reply.get('message')}\n{reply.get('traceback', '')}".rstrip()
            + "\nfix the installation (`mix snakebridge.setup`) or the library's import error"
        )
    raise IntrospectionError(
        f"introspecting {library!r} in {where} failed: {reply.get('message')}\n"
        f"{reply.get('traceback', '')}".rstrip()
    )


def _introspect_one(
    python: str, pythonpath: str, spec: LibrarySpec, detections: Sequence[Detection], timeout: float
) -> IntrospectionResult:
    unique = sorted({(d.module, d.function, d.arity) for d in detections})
    request = {
        "mode": "resolve",
        "library": {
            "name": spec.name,
            "python_module": spec.python_module,
            "module_name": spec.module_name,
            "include": list(spec.include),
            "exclude": list(spec.exclude),
            "stdlib": spec.stdlib,
        },
        "requests": [{"module": m, "function": f, "arity": a} for m, f, a in unique],
    }
    reply = _run_child(python, pythonpath, request, library=spec.name, timeout=timeout)
    _raise_for(reply, spec.name, spec.python_module, python)
    from snakebridge.codegen.introspect import docstrings

    library = docstrings.parse_all(model.from_data(model.Library, reply["library"]))
    resolved = {(m, f): path for m, f, path in reply["resolved"]}
    unresolved = tuple(Unresolved(m, f, msg) for m, f, msg in reply["unresolved"])
    return IntrospectionResult(
        library=library,
        resolved=resolved,
        unresolved=unresolved,
        output=str(reply.get("_output", "")),
    )
