"""A user's project as the Python half sees it: the context the Mix side sends.

The Elixir side reads ``mix.exs`` and normalizes it (``SnakeBridge.Config`` is the one
owner of the declaration's defaults and rules: the import-name and module-name
defaults, version requirements, idempotent forms) and sends a plain map (see
``docs/internals.md``); this module only decodes it into typed values, applying no
defaults of its own. Every path a command touches is derived here, so there is one
place that knows where a project's files live.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from snakebridge.codegen.names import BANG


class ProjectError(ValueError):
    """The project declaration is invalid; the message says what to change in mix.exs."""


@dataclass(frozen=True, slots=True)
class LibrarySpec:
    name: str  # as declared in mix.exs: the allowlist key and the pip distribution name
    requirement: str | None  # Elixir-style requirement ("~> 2.0"); None for :stdlib, :local
    module_name: str  # root Elixir module ("Numpy")
    python_module: str  # root import name ("numpy")
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    streaming: tuple[str, ...] = ()
    idempotent: bool | tuple[str, ...] = False
    # False when mix.exs gave no python_module: and python_module is the declared name
    # with "-" as "_", a guess that ``snakebridge.distributions`` may correct.
    python_module_declared: bool = True
    # :local in mix.exs: a module of the project's own python_path:, versioned by content.
    local: bool = False

    @property
    def stdlib(self) -> bool:
        return self.requirement is None and not self.local

    @property
    def installed(self) -> bool:
        """Whether the library is a distribution that setup installs into the venv."""
        return self.requirement is not None

    def is_idempotent(self, python_name: str) -> bool:
        if isinstance(self.idempotent, bool):
            return self.idempotent
        return python_name in self.idempotent


@dataclass(frozen=True, slots=True)
class Detection:
    """One static call the scanner found: an Elixir module, function and arity."""

    module: str  # "Numpy.Linalg"
    function: str  # Elixir name as written, bang stripped ("solve")
    arity: int
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Project:
    root: Path
    libraries: tuple[LibrarySpec, ...]
    generated_dir: Path
    python: str
    snakebridge_version: str = ""
    # docs: [source: ...] in mix.exs: "python", "metadata" or "hybrid"; the last two read
    # the docs index generation writes (snakebridge.docs_index).
    docs_source: str = "python"
    # python_path: in mix.exs, absolute, in the declared order (the workers' PYTHONPATH).
    python_path: tuple[Path, ...] = ()

    @property
    def state_dir(self) -> Path:
        return self.root / ".snakebridge"

    @property
    def manifest_path(self) -> Path:
        return self.state_dir / "manifest.json"

    @property
    def ledger_path(self) -> Path:
        return self.state_dir / "ledger.json"

    @property
    def lock_path(self) -> Path:
        return self.root / "snakebridge.lock"

    @property
    def venv_dir(self) -> Path:
        return self.state_dir / "venv"

    def relative(self, path: Path) -> str:
        """``path`` as a user reads it in messages: relative to the root when inside it."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def generated_file(self, library: LibrarySpec) -> Path:
        return self.generated_dir / f"{library.name}.ex"

    def library(self, name: str) -> LibrarySpec:
        for lib in self.libraries:
            if lib.name == name:
                return lib
        declared = ", ".join(lib.name for lib in self.libraries) or "none"
        raise ProjectError(
            f"library {name!r} is not declared in mix.exs (declared: {declared}); "
            f"add it under `snakebridge: [libraries: [...]]`"
        )

    def local_source(self, lib: LibrarySpec) -> Path | None:
        """Where the top-level module of ``lib`` lives in ``python_path:``: ``x.py`` or the
        package directory ``x/``, first match in path order (as Python's import finds it);
        None when no directory holds it."""
        top = lib.python_module.split(".")[0]
        for directory in self.python_path:
            for candidate in (directory / top, directory / f"{top}.py"):
                if candidate.is_dir() or candidate.is_file():
                    return candidate
        return None

    def python_path_text(self) -> str:
        """``python_path:`` as written in mix.exs, for messages."""
        return ", ".join(self.relative(p) for p in self.python_path) or "(none)"

    def library_for_module(self, elixir_module: str) -> LibrarySpec | None:
        """The library whose root Elixir module is ``elixir_module`` or a prefix of it."""
        owners = [
            lib
            for lib in self.libraries
            if elixir_module == lib.module_name or elixir_module.startswith(lib.module_name + ".")
        ]
        return max(owners, key=lambda lib: len(lib.module_name), default=None)


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ProjectError(f"{what} must be a list of strings, got {value!r}")
    return tuple(sorted(str(v) for v in value))


def _required(raw: Mapping[str, Any], key: str, what: str) -> Any:
    value = raw.get(key)
    if value is None:
        raise ProjectError(
            f"{what} has no {key!r}: the project context is built by SnakeBridge.Config "
            f"(see docs/internals.md, 'Project context'); is the Elixir package the same "
            f"version as this Python package?"
        )
    return value


def library_from_payload(raw: Mapping[str, Any]) -> LibrarySpec:
    name = str(_required(raw, "name", "a library in the project context"))
    what = f"library {name!r} in the project context"
    stdlib = bool(raw.get("stdlib", False))
    local = bool(raw.get("local", False))
    idempotent_raw = raw.get("idempotent", False)
    idempotent: bool | tuple[str, ...]
    if isinstance(idempotent_raw, bool):
        idempotent = idempotent_raw
    else:
        idempotent = _strings(idempotent_raw, f"{name}: idempotent")
    return LibrarySpec(
        name=name,
        requirement=None if stdlib or local else str(_required(raw, "version", what)),
        module_name=str(_required(raw, "module_name", what)),
        # Pending one state test that omits python_module (see notes/requests.md): once it
        # sends the key like SnakeBridge.Config does, this reads _required(...) too.
        python_module=str(raw.get("python_module") or name),
        include=_strings(raw.get("include"), f"{name}: include"),
        exclude=_strings(raw.get("exclude"), f"{name}: exclude"),
        streaming=_strings(raw.get("streaming"), f"{name}: streaming"),
        idempotent=idempotent,
        python_module_declared=bool(raw.get("python_module_declared", True)),
        local=local,
    )


def with_import_name(lib: LibrarySpec) -> LibrarySpec:
    """``lib`` with the import name the running interpreter has for it, when mix.exs gave
    none (``scikit-learn`` -> ``sklearn``, from the installed distribution's metadata)."""
    from snakebridge import distributions

    if lib.python_module_declared or not lib.installed:
        return lib
    return replace(lib, python_module=distributions.resolve(lib.name, lib.python_module))


def project_from_payload(payload: Mapping[str, Any]) -> Project:
    root = Path(str(payload["root"])).resolve()
    libraries = tuple(
        sorted(
            (with_import_name(library_from_payload(raw)) for raw in payload.get("libraries", [])),
            key=lambda lib: lib.name,
        )
    )
    seen: dict[str, str] = {}
    for lib in libraries:
        if lib.module_name in seen:
            raise ProjectError(
                f"libraries {seen[lib.module_name]!r} and {lib.name!r} both map to Elixir module "
                f"{lib.module_name}; give one of them `module_name:` in mix.exs"
            )
        seen[lib.module_name] = lib.name
    generated = Path(str(payload.get("generated_dir") or "lib/snakebridge_generated"))
    return Project(
        root=root,
        libraries=libraries,
        generated_dir=generated if generated.is_absolute() else root / generated,
        python=str(payload.get("python") or ""),
        snakebridge_version=str(payload.get("snakebridge_version") or ""),
        docs_source=str(payload.get("docs_source") or "python"),
        python_path=tuple(root / str(d) for d in payload.get("python_path") or ()),
    )


def detections_from_payload(raw: Sequence[Mapping[str, Any]]) -> tuple[Detection, ...]:
    found = {
        Detection(
            module=str(d["module"]),
            function=str(d["function"]).removesuffix(BANG),
            arity=int(d["arity"]),
            file=None if d.get("file") is None else str(d["file"]),
            line=None if d.get("line") is None else int(d["line"]),
        )
        for d in raw
    }
    return tuple(
        sorted(found, key=lambda d: (d.module, d.function, d.arity, d.file or "", d.line or 0))
    )
