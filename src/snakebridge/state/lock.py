"""``snakebridge.lock``: the identity of the environment the committed bindings came from.

The lock records what the generated source depends on, so a build is reproducible and a
change that would alter the bindings regenerates them: the
SnakeBridge version, a hash of the generator's own source, the Python version, the
platform, a hash of the interpreter binary, and for each declared library the requested
requirement, the resolved version and a hash of its installed files (its RECORD). A
project-local module (``:local``, found in ``python_path:``) has no version: its content
hash is its resolved version, so editing it regenerates its bindings like an upgrade.

``staleness`` compares the committed lock with the running environment and applies this
invalidation table exactly:

| change                               | effect                   |
| ------------------------------------ | ------------------------ |
| SnakeBridge version / generator hash | regenerate everything    |
| Python version / platform            | regenerate everything    |
| a library's resolved version         | regenerate that library  |
| a local module's content             | regenerate that library  |

Anything else (interpreter hash, a library's files hash, its requested requirement)
is recorded for audit and reported by ``doctor`` but regenerates nothing.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
import os
import platform as _platform
import sys
import sysconfig
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from snakebridge.project import LibrarySpec, Project, ProjectError
from snakebridge.state.errors import StateError
from snakebridge.state.files import read_bytes, write_atomic

FORMAT = 1
STDLIB_REQUESTED = "stdlib"
LOCAL_REQUESTED = "local"


@dataclass(frozen=True)
class LibraryLock:
    requested: str  # requirement as written in mix.exs ("~> 2.0"), "stdlib" or "local"
    # installed version ("2.4.6"); for :stdlib, the Python version; for :local, the start
    # of files_hash ("sha256:<16 hex>")
    resolved: str
    # "sha256:<hex>" over the distribution's RECORD, or over a :local module's files;
    # "" for :stdlib
    files_hash: str
    options: str = ""  # the mix.exs options that shape the generated file (binding_options)


@dataclass(frozen=True)
class Lock:
    snakebridge_version: str
    generator_hash: str
    python_version: str
    platform: str
    interpreter_hash: str
    libraries: Mapping[str, LibraryLock] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Staleness:
    everything: bool
    libraries: frozenset[str]
    reasons: tuple[str, ...]

    @property
    def fresh(self) -> bool:
        return not self.everything and not self.libraries

    def affects(self, library: str) -> bool:
        return self.everything or library in self.libraries


# ----------------------------------------------------------------------------- current


def current(project: Project) -> Lock:
    """The lock that describes the running interpreter (the CLI runs in the project's venv)."""
    return Lock(
        snakebridge_version=tool_version(),
        generator_hash=generator_hash(),
        python_version=python_version(),
        platform=platform_id(),
        interpreter_hash=interpreter_hash(),
        libraries=MappingProxyType(
            {lib.name: library_lock(lib, project) for lib in sorted(project.libraries, key=_name)}
        ),
    )


def _name(lib: LibrarySpec) -> str:
    return lib.name


def tool_version() -> str:
    from snakebridge import __version__

    return __version__


def python_version() -> str:
    return _platform.python_version()


def platform_id() -> str:
    # "linux-x86_64", "macosx-14.0-arm64": the same identity wheels are built for.
    return sysconfig.get_platform()


def interpreter_path() -> Path:
    # A venv's python is a symlink (or a copy) of the base interpreter; hash what runs.
    return Path(os.path.realpath(sys.executable))


_HASH_CACHE: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    st = path.stat()
    cache_key = (str(path), st.st_size, st.st_mtime_ns)
    cached = _HASH_CACHE.get(cache_key)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    value = "sha256:" + digest.hexdigest()
    _HASH_CACHE[cache_key] = value
    return value


def interpreter_files() -> tuple[Path, ...]:
    """The interpreter binary, plus libpython when the binary is only a stub linked to it."""
    files = [interpreter_path()]
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        libdir = sysconfig.get_config_var("LIBDIR") or ""
        soname = sysconfig.get_config_var("INSTSONAME") or ""
        shared = Path(libdir) / soname
        if libdir and soname and shared.is_file():
            files.append(Path(os.path.realpath(shared)))
    return tuple(files)


def interpreter_hash() -> str:
    files = interpreter_files()
    if len(files) == 1:
        return file_sha256(files[0])
    combined = "\0".join(file_sha256(f) for f in files)
    return "sha256:" + hashlib.sha256(combined.encode()).hexdigest()


def generator_files() -> tuple[Path, ...]:
    """The files whose content decides what the generator emits."""
    try:
        emit = importlib.import_module("snakebridge.codegen.emit")
        files = getattr(emit, "GENERATOR_FILES", None)
    except ImportError:
        files = None
    if files:
        return tuple(sorted((Path(f) for f in files), key=lambda p: p.name + "/" + str(p)))
    import snakebridge.codegen as codegen

    root = Path(codegen.__file__).parent
    return tuple(sorted(root.rglob("*.py"), key=lambda p: p.relative_to(root).as_posix()))


def generator_hash(files: Iterable[Path] | None = None) -> str:
    """sha256 over the generator's files: name and content, so a rename counts as a change.

    Names are taken relative to the snakebridge package, so the hash is the same
    wherever the repository is checked out.
    """
    import snakebridge

    pkg_root = Path(snakebridge.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in generator_files() if files is None else files:
        resolved = Path(path).resolve()
        try:
            name = resolved.relative_to(pkg_root).as_posix()
        except ValueError:
            name = resolved.name
        content = resolved.read_bytes()
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return "sha256:" + digest.hexdigest()


def installed_distribution(lib: LibrarySpec) -> importlib.metadata.Distribution | None:
    """The installed distribution for ``lib``: by declared name, else by its import name."""
    try:
        return importlib.metadata.distribution(lib.name)
    except importlib.metadata.PackageNotFoundError:
        pass
    top = lib.python_module.split(".")[0]
    for dist_name in importlib.metadata.packages_distributions().get(top, []):
        try:
            return importlib.metadata.distribution(dist_name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def installed_version(lib: LibrarySpec, project: Project) -> str | None:
    """The version the environment has: for :local, the module's content hash (None when
    python_path: does not hold it)."""
    if lib.local:
        source = project.local_source(lib)
        return None if source is None else _local_resolved(local_hash(source))
    if lib.stdlib:
        return python_version()
    dist = installed_distribution(lib)
    return None if dist is None else dist.version


def binding_options(lib: LibrarySpec) -> str:
    """The mix.exs options that change a library's generated file, as one canonical line."""
    idempotent = (
        ("all" if lib.idempotent else "") if isinstance(lib.idempotent, bool) else lib.idempotent
    )
    fields = (
        ("exclude", lib.exclude),
        ("idempotent", (idempotent,) if isinstance(idempotent, str) else idempotent),
        ("include", lib.include),
        ("streaming", lib.streaming),
    )
    return "; ".join(f"{key}={','.join(vals)}" for key, vals in fields if any(vals))


def local_hash(source: Path) -> str:
    """sha256 over a local module's files: ``x.py``, or every file under the package
    ``x/`` by relative name and content (bytecode caches left out, since running the
    module writes them)."""
    if source.is_file():
        paths = [source]
    else:
        paths = sorted(
            (p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts),
            key=lambda p: p.relative_to(source).as_posix(),
        )
    digest = hashlib.sha256()
    for path in paths:
        if path.suffix in (".pyc", ".pyo"):
            continue
        name = path.name if path == source else path.relative_to(source).as_posix()
        content = path.read_bytes()
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return "sha256:" + digest.hexdigest()


def _local_resolved(files_hash: str) -> str:
    return files_hash[: len("sha256:") + 16]


def checked_source(lib: LibrarySpec, project: Project) -> Path | None:
    """The file or package of a :local library in python_path: (a :stdlib one must not
    be there); raises ProjectError naming the fix."""
    source = project.local_source(lib)
    top = lib.python_module.split(".")[0]
    if lib.local and source is None:
        raise ProjectError(
            f"library {lib.name!r} is declared :local, but no directory of python_path: "
            f"({project.python_path_text()}) holds {top}.py or a package {top}/. Fix: put "
            f"the module there, or correct `python_path:` (or `python_module:`) in mix.exs."
        )
    if not lib.local and source is not None:
        raise ProjectError(
            f"library {lib.name!r} is declared :stdlib, but {project.relative(source)} in "
            f"python_path: is what `import {top}` loads; its bindings would not follow its "
            f"edits. Fix: declare it `{lib.name}: :local` in mix.exs."
        )
    return source


def library_lock(lib: LibrarySpec, project: Project) -> LibraryLock:
    options = binding_options(lib)
    if lib.local:
        source = checked_source(lib, project)
        assert source is not None
        files_hash = local_hash(source)
        return LibraryLock(
            requested=LOCAL_REQUESTED,
            resolved=_local_resolved(files_hash),
            files_hash=files_hash,
            options=options,
        )
    if lib.stdlib:
        checked_source(lib, project)
        return LibraryLock(
            requested=STDLIB_REQUESTED, resolved=python_version(), files_hash="", options=options
        )
    dist = installed_distribution(lib)
    if dist is None:
        raise ProjectError(
            f"library {lib.name!r} is declared in mix.exs but not installed in {sys.executable}. "
            f"Fix: run `mix snakebridge.setup` (it installs every declared library), or "
            f"install it there yourself (`uv pip install --python {sys.executable} {lib.name}`)."
        )
    record = dist.read_text("RECORD") or ""
    # RECORD lists every installed file with its own hash; hashing it hashes the install.
    files_hash = "sha256:" + hashlib.sha256(_normalize_record(record).encode()).hexdigest()
    return LibraryLock(
        requested=lib.requirement or "",
        resolved=dist.version,
        files_hash=files_hash,
        options=options,
    )


# Lines of RECORD that depend on how a distribution was installed, not on what: the
# installer's name, whether it was requested or pulled in as a dependency, where it came
# from, bytecode caches compiled (or not) afterwards, and console-script wrappers outside
# site-packages ("../../../bin/f2py"), whose shebang names the venv's own interpreter.
_INSTALL_DETAILS = ("INSTALLER", "REQUESTED", "direct_url.json", "RECORD")


def _normalize_record(record: str) -> str:
    kept = []
    for line in record.splitlines():
        name = line.split(",", 1)[0]
        if not line.strip() or name.endswith(".pyc") or name.startswith("../"):
            continue
        if ".dist-info/" in name and name.rsplit("/", 1)[-1] in _INSTALL_DETAILS:
            continue
        kept.append(line)
    # Line order in RECORD depends on the installer; sort so equal installs hash equally.
    return "\n".join(sorted(kept))


# ----------------------------------------------------------------------------- staleness


def staleness(old: Lock | None, new: Lock) -> Staleness:
    if old is None:
        return Staleness(True, frozenset(), ("no snakebridge.lock yet: generating everything",))
    reasons: list[str] = []
    everything = False
    for label, before, after in (
        ("SnakeBridge version", old.snakebridge_version, new.snakebridge_version),
        ("generator", old.generator_hash, new.generator_hash),
        ("Python version", old.python_version, new.python_version),
        ("platform", old.platform, new.platform),
    ):
        if before != after:
            everything = True
            reasons.append(
                f"{label} changed ({_short(before)} -> {_short(after)}): regenerating everything"
            )
    libraries: set[str] = set()
    for name, lib in sorted(new.libraries.items()):
        prev = old.libraries.get(name)
        if prev is None:
            libraries.add(name)
            reasons.append(f"{name}: not in snakebridge.lock yet ({lib.resolved})")
        elif prev.resolved != lib.resolved:
            libraries.add(name)
            reasons.append(f"{name} changed {prev.resolved} -> {lib.resolved}: regenerating {name}")
        elif prev.options != lib.options:
            libraries.add(name)
            reasons.append(
                f"{name}: binding options in mix.exs changed ({prev.options or 'none'} -> "
                f"{lib.options or 'none'}): regenerating {name}"
            )
    return Staleness(everything, frozenset(libraries), tuple(reasons))


def _short(value: str) -> str:
    return value[:19] if value.startswith("sha256:") else value or "(none)"


def drift(old: Lock, new: Lock) -> tuple[str, ...]:
    """Differences that regenerate nothing but that an auditor wants to see (doctor, verify)."""
    notes: list[str] = []
    if old.interpreter_hash != new.interpreter_hash:
        notes.append(
            f"interpreter binary differs from the locked one ({_short(old.interpreter_hash)} -> "
            f"{_short(new.interpreter_hash)}) at the same Python version"
        )
    for name, lib in sorted(new.libraries.items()):
        prev = old.libraries.get(name)
        if prev is None:
            continue
        if prev.resolved == lib.resolved and prev.files_hash != lib.files_hash:
            notes.append(f"{name} {lib.resolved}: installed files differ from the locked install")
        if prev.requested != lib.requested:
            notes.append(
                f"{name}: requirement changed {prev.requested!r} -> {lib.requested!r} in mix.exs"
            )
    for name in sorted(set(old.libraries) - set(new.libraries)):
        notes.append(f"{name}: in snakebridge.lock but no longer declared in mix.exs")
    return tuple(notes)


# ----------------------------------------------------------------------------- file


def render(lock: Lock) -> bytes:
    data = {
        "environment": {
            "generator_hash": lock.generator_hash,
            "interpreter_hash": lock.interpreter_hash,
            "python_platform": lock.platform,
            "python_version": lock.python_version,
            "snakebridge_version": lock.snakebridge_version,
        },
        "libraries": {
            name: {
                "files_hash": lib.files_hash,
                "requested": lib.requested,
                "resolved": lib.resolved,
                # Written only when set, so a library with default options reads as before.
                **({"options": lib.options} if lib.options else {}),
            }
            for name, lib in sorted(lock.libraries.items())
        },
        "snakebridge_lock": FORMAT,
    }
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def write(path: Path, lock: Lock) -> bool:
    return write_atomic(Path(path), render(lock))


def read(path: Path) -> Lock | None:
    path = Path(path)
    try:
        text = read_bytes(path).decode("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise _corrupt(path, str(exc)) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _corrupt(path, f"invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    return _from_data(data, path)


def _from_data(data: Any, path: Path) -> Lock:
    if not isinstance(data, dict):
        raise _corrupt(path, "not a JSON object")
    if data.get("snakebridge_lock") != FORMAT:
        raise _corrupt(path, f"unsupported format {data.get('snakebridge_lock')!r}")
    env = data.get("environment")
    libs = data.get("libraries")
    if not isinstance(env, dict) or not isinstance(libs, dict):
        raise _corrupt(path, 'needs "environment" and "libraries" objects')
    env_keys = (
        "snakebridge_version",
        "generator_hash",
        "python_version",
        "python_platform",
        "interpreter_hash",
    )
    for k in env_keys:
        if not isinstance(env.get(k), str):
            raise _corrupt(path, f"environment.{k} must be a string")
    libraries: dict[str, LibraryLock] = {}
    for name, raw in sorted(libs.items()):
        if not isinstance(raw, dict) or not all(
            isinstance(raw.get(k), str) for k in ("requested", "resolved", "files_hash")
        ):
            raise _corrupt(path, f"libraries.{name} needs string requested, resolved, files_hash")
        if not isinstance(raw.get("options", ""), str):
            raise _corrupt(path, f"libraries.{name}.options must be a string")
        libraries[name] = LibraryLock(
            raw["requested"], raw["resolved"], raw["files_hash"], raw.get("options", "")
        )
    return Lock(
        snakebridge_version=env["snakebridge_version"],
        generator_hash=env["generator_hash"],
        python_version=env["python_version"],
        platform=env["python_platform"],
        interpreter_hash=env["interpreter_hash"],
        libraries=MappingProxyType(libraries),
    )


def _corrupt(path: Path, detail: str) -> StateError:
    return StateError(
        f"cannot read the lock file {path}: {detail}. Nothing was changed. Fix: restore it "
        f"from git (`git checkout -- {path.name}`), or rebuild it from the current "
        f"environment with `mix snakebridge.lock --rebuild`.",
        detail,
    )
