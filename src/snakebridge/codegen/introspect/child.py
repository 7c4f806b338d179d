"""Child-process entry point: ``python -m snakebridge.codegen.introspect.child``.

Runs in the project's Python (the managed venv), imports exactly one library, and
answers one JSON request read from stdin with one JSON reply on the original fd 1.
fd 1 is moved aside before anything else is imported, and fd 1 then points at
stderr: a library that prints on import (or while being inspected) writes to stderr and
cannot corrupt the reply. Only the standard library and snakebridge's own pure modules
are imported here.
"""

from __future__ import annotations

import os
import sys


def _take_stdout() -> int:
    """Duplicate fd 1 for the reply channel and point fd 1 at stderr."""
    sys.stdout.flush()
    reply_fd = os.dup(1)
    os.dup2(2, 1)
    return reply_fd


def main() -> int:
    reply_fd = _take_stdout()
    import json
    import traceback

    # The child is short-lived and allocates many small, acyclic objects (ASTs of stubs,
    # model nodes); the cyclic collector only costs time here. Off after the library
    # import (see _import), which runs with the collector on as usual.

    try:
        request = json.loads(sys.stdin.read())
        reply = handle(request)
    except BaseException as exc:  # the reply must always be written, even on SystemExit
        reply = {
            "ok": False,
            "error": "internal",
            "message": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }
    data = json.dumps(reply, separators=(",", ":"), default=str).encode("utf-8")
    with os.fdopen(reply_fd, "wb") as out:
        out.write(data)
    return 0


def _environment() -> dict[str, str]:
    return {
        "python": sys.executable,
        "prefix": sys.prefix,
        "python_version": ".".join(map(str, sys.version_info[:3])),
    }


def _import(python_module: str) -> tuple[object | None, dict[str, object] | None]:
    import importlib
    import importlib.util
    import traceback

    top = python_module.split(".")[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return None, {"ok": False, "error": "not_installed", **_environment()}
    try:
        module = importlib.import_module(python_module)
    except BaseException as exc:  # a library may raise anything, even SystemExit
        return None, {
            "ok": False,
            "error": "import_failed",
            "message": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
            **_environment(),
        }
    import gc

    gc.disable()
    return module, None


def _version(name: str, python_module: str, stdlib: bool, module: object) -> str:
    import importlib.metadata
    import platform

    if stdlib:
        return platform.python_version()
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        pass
    top = python_module.split(".")[0]
    for dist in importlib.metadata.packages_distributions().get(top, []):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    version = getattr(module, "__version__", None)
    return str(version) if version else "unknown"


def handle(request: dict[str, object]) -> dict[str, object]:
    mode = request.get("mode")
    if mode == "resolve":
        return _resolve(request)
    if mode == "surface":
        return _surface(request)
    return {"ok": False, "error": "internal", "message": f"unknown mode {mode!r}"}


def _resolve(request: dict[str, object]) -> dict[str, object]:
    from snakebridge.codegen import model
    from snakebridge.codegen.introspect.resolve import (
        LibraryInfo,
        Request,
        ResolveError,
        Resolver,
    )

    raw_lib = request["library"]
    assert isinstance(raw_lib, dict)
    lib = LibraryInfo(
        name=str(raw_lib["name"]),
        python_module=str(raw_lib["python_module"]),
        module_name=str(raw_lib["module_name"]),
        include=tuple(raw_lib.get("include", ())),
        exclude=tuple(raw_lib.get("exclude", ())),
    )
    module, error = _import(lib.python_module)
    if error is not None:
        return error
    resolver = Resolver(lib, module)  # type: ignore[arg-type]
    resolved: list[list[str]] = []
    unresolved: list[list[str]] = []
    raw_requests = request.get("requests", [])
    assert isinstance(raw_requests, list)
    for raw in raw_requests:
        req = Request(str(raw["module"]), str(raw["function"]), int(raw["arity"]))
        try:
            resolved.append([req.module, req.function, resolver.resolve(req)])
        except ResolveError as exc:
            unresolved.append([req.module, req.function, str(exc)])
        except Exception as exc:  # the library raised while being looked at
            unresolved.append(
                [
                    req.module,
                    req.function,
                    f"{req.module}.{req.function}: looking it up raised "
                    f"{type(exc).__name__}: {exc}",
                ]
            )
    library = model.Library(
        name=lib.name,
        version=_version(lib.name, lib.python_module, bool(raw_lib.get("stdlib")), module),
        python_module=lib.python_module,
        elixir_module=lib.module_name,
        root=resolver.library_root(),
    )
    return {
        "ok": True,
        "library": model.to_data(library),
        "resolved": resolved,
        "unresolved": unresolved,
        **_environment(),
    }


def _surface(request: dict[str, object]) -> dict[str, object]:
    import time
    import types

    from snakebridge.codegen import model
    from snakebridge.codegen.introspect import surface

    module_name = str(request["module"])
    t0 = time.perf_counter()
    module, error = _import(module_name)
    import_seconds = time.perf_counter() - t0
    if error is not None:
        return error
    assert isinstance(module, types.ModuleType)
    classes = request.get("classes")
    if isinstance(classes, list) and classes:
        entries, stats = surface.describe_classes(module, module_name, [str(c) for c in classes])
    else:
        entries, stats = surface.describe_module(
            module, module_name, deep=bool(request.get("deep", False))
        )
    stats["import_seconds"] = import_seconds
    return {
        "ok": True,
        "entries": [[kind, model.to_data(v)] for kind, v in entries],
        "stats": stats,
        **_environment(),
    }


if __name__ == "__main__":
    sys.exit(main())
