"""Ledger records -> the Elixir symbols they would be bound as, for ``ledger`` and ``promote``.

The runtime records a dynamic call as ``(library, python_module, function, arity)``;
the binding for it lives at the library's root Elixir module plus the Elixir form of the
rest of the Python module path (``numpy.linalg`` -> ``Numpy.Linalg``), under the Elixir
name of the function (``snakebridge.codegen.names``). A dotted function (``Symbol.new``)
moves its prefix into the module.
"""

from __future__ import annotations

from dataclasses import dataclass

from snakebridge.codegen import names
from snakebridge.project import Detection, LibrarySpec, Project
from snakebridge.state import ledger as ledger_mod
from snakebridge.state.errors import StateError
from snakebridge.state.ledger import Ledger, LedgerEntry
from snakebridge.state.manifest import Manifest

LEDGER_FILE = ".snakebridge/ledger.json"


@dataclass(frozen=True)
class Pending:
    entry: LedgerEntry
    detection: Detection | None  # None when it cannot be bound (see `problem`)
    problem: str | None = None

    @property
    def label(self) -> str:
        if self.detection is not None:
            return f"{self.detection.module}.{self.detection.function}/{self.detection.arity}"
        return self.python

    @property
    def python(self) -> str:
        """The recorded call, as Python names it (``numpy.median/1``)."""
        e = self.entry
        return f"{e.python_module}.{e.function}/{e.arity}"


def elixir_target(spec: LibrarySpec, entry: LedgerEntry) -> tuple[str, str] | None:
    """(Elixir module, function name) for a ledger entry of ``spec``, or None if outside it."""
    root = spec.python_module
    module = entry.python_module
    if module != root and not module.startswith(root + "."):
        return None
    parts = entry.function.split(".")
    rest = [*module[len(root) :].strip(".").split("."), *parts[:-1]]
    rest = [r for r in rest if r]
    elixir_module = spec.module_name + "".join("." + names.module_segment(r) for r in rest)
    return elixir_module, names.function_name(parts[-1])


def classify(
    project: Project, ledger: Ledger, manifest: Manifest
) -> tuple[list[Pending], list[Pending]]:
    """(pending, already generated) for every ledger entry."""
    declared = {lib.name: lib for lib in project.libraries}
    pending: list[Pending] = []
    done: list[Pending] = []
    for entry in ledger.entries:
        spec = declared.get(entry.library)
        if spec is None:
            pending.append(Pending(entry, None, f"{entry.library!r} is not declared in mix.exs"))
            continue
        target = elixir_target(spec, entry)
        if target is None:
            pending.append(
                Pending(entry, None, f"{entry.python_module} is outside {spec.python_module}")
            )
            continue
        detection = Detection(target[0], target[1], entry.arity, LEDGER_FILE, None)
        if manifest.has(target[0], target[1], entry.arity):
            done.append(Pending(entry, detection))
        else:
            # A problem promote recorded: no binding can replace this call.
            pending.append(Pending(entry, None if entry.problem else detection, entry.problem))
    return pending, done


def dynamic_keys(project: Project, manifest: Manifest) -> set[str]:
    """Manifest symbols the ledger saw called dynamically; empty when there is no ledger or
    it cannot be read (it is a development aid, never a reason to fail)."""
    try:
        recorded = ledger_mod.read(project.ledger_path)
    except StateError:
        return set()
    _pending, done = classify(project, recorded, manifest)
    return {f"{p.detection.module}.{p.detection.function}" for p in done if p.detection}
