"""The docs index: every declared library's whole public surface, one line per symbol.

Written at generation into ``.snakebridge/docs/<library>.tsv`` and committed, so docs
and search answer offline (``docs: [source: :metadata]``, ``SnakeBridge.Docs``) for
symbols an app has not generated yet. Deterministic: a header naming the library and
its version, then rows sorted by Python name, no timestamps; rewritten only when the
library's version (or this format) changes.

Row columns (tab-separated; tabs and newlines inside a field become spaces)::

    python name   kind   Elixir spelling   Python signature   summary

``kind`` is ``module``, ``class``, ``function``, ``method`` or ``bases``. The Elixir
spelling follows ``codegen.names`` (``Numpy.Linalg.inv(a)``, ``Sympy.Symbol.new(name)``,
``Numpy.Ndarray.tolist(ref)``; ``opts`` when there are optional parameters).

A class lists the public methods it defines and those it inherits from bases of the
library that have no row of their own (private mixins); what it inherits from indexed
classes is not repeated (sympy's classes would multiply the index twentyfold): its
``bases`` row names them, in method resolution order, in the signature column (the
Elixir column is the class's module), so a lookup of ``sympy.Matrix.inv`` finds
``sympy.MatrixBase.inv`` (``SnakeBridge.Docs``).

The surface is walked in a child process on the project's interpreter (a library may
print while imported): every public name of the root module (``__all__``, else names
without a leading underscore), and of each public submodule reachable from it under
its own name, plus each class's methods as above.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import re
import subprocess
import sys
import tempfile
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snakebridge.cli import Output
from snakebridge.project import Project
from snakebridge.state import lock
from snakebridge.state.files import write_atomic

FORMAT = 2
_HEADER = re.compile(r"^# snakebridge docs index v(\d+): (\S+) (\S+)$")
_SUMMARY_MAX = 200
_RULE = re.compile(r"^\s*([=\-~^*#+])\1{2,}\s*$")


@dataclass(frozen=True, order=True)
class Row:
    python: str
    kind: str
    elixir: str
    signature: str
    summary: str

    def line(self) -> str:
        return "\t".join((self.python, self.kind, self.elixir, self.signature, self.summary))


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _field(text: str) -> str:
    # Default values' reprs carry memory addresses (`<function f at 0x7f...>`): dropped,
    # or the index would change on every run.
    return " ".join(_ADDRESS.sub("", text).split())


def path(state_dir: Path, library: str) -> Path:
    return state_dir / "docs" / f"{library}.tsv"


def render(library: str, version: str, rows: Iterable[Row]) -> str:
    unique = sorted(set(rows))
    body = "".join(row.line() + "\n" for row in unique)
    return f"# snakebridge docs index v{FORMAT}: {library} {version}\n" + body


def indexed_version(file: Path) -> str | None:
    """The library version an index file was written for (None: missing or other format)."""
    try:
        with file.open(encoding="utf-8") as fh:
            first = fh.readline().rstrip("\n")
    except OSError:
        return None
    match = _HEADER.match(first)
    if match is None or int(match.group(1)) != FORMAT:
        return None
    return match.group(3)


# --------------------------------------------------------------------- child side


def _summary_and_signature(obj: Any, name: str) -> tuple[str, str]:
    try:
        doc = inspect.getdoc(obj) or ""
    except Exception:
        doc = ""
    # Paragraphs, without reST titles (a line underlined with ===, ---, ...).
    paragraphs = [
        p
        for p in re.split(r"\n\s*\n", doc.strip())
        if p.strip() and not any(_RULE.match(line) for line in p.splitlines())
    ]
    signature = ""
    with contextlib.suppress(TypeError, ValueError):
        signature = str(inspect.signature(obj))
    # C functions put "name(args)" (numpy methods "a.name(args)") as the first line.
    first = paragraphs[0].splitlines()[0] if paragraphs else ""
    match = re.match(rf"^(?:[\w.]*\.)?{re.escape(name)}(\(.*\))", first)
    if match:
        paragraphs.pop(0)
        signature = signature or match.group(1).split(" -> ")[0]
    summary = _field(paragraphs[0]) if paragraphs else ""
    if len(summary) > _SUMMARY_MAX:
        cut = summary[:_SUMMARY_MAX]
        summary = cut[: cut.rfind(" ")] + " ..." if " " in cut else cut
    return summary, signature


_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


def _elixir_args(obj: Any, drop_first: bool) -> list[str]:
    from snakebridge.codegen import names

    try:
        params = list(inspect.signature(obj).parameters.values())
    except (TypeError, ValueError):
        return ["..."]
    if drop_first and params and params[0].kind not in _VARIADIC:
        params = params[1:]
    required = [
        p.name
        for p in params
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    taken: set[str] = set()
    args = [names.variable_name(n, taken) for n in required]
    if any(
        p.default is not inspect.Parameter.empty or p.kind in _VARIADIC or p.kind is p.KEYWORD_ONLY
        for p in params
    ):
        args.append("opts")
    return args


def _public(obj: Any) -> list[str]:
    listed = getattr(obj, "__all__", None)
    if isinstance(listed, list | tuple) and all(isinstance(n, str) for n in listed):
        return sorted(set(listed))
    return sorted(n for n in dir(obj) if not n.startswith("_"))


def walk(python_module: str, module_name: str) -> list[Row]:
    """Every public symbol reachable from ``python_module`` (run in the child)."""
    from snakebridge.codegen import names

    root = importlib.import_module(python_module)
    rows: list[Row] = []
    queue: list[types.ModuleType] = [root]
    seen = {root.__name__}

    def elixir_module(dotted: str) -> str:
        rest = dotted[len(python_module) :].lstrip(".")
        return module_name + ("." + names.elixir_module(rest) if rest else "")

    def add(python: str, kind: str, elixir: str, obj: Any, short: str) -> None:
        summary, signature = _summary_and_signature(obj, short)
        rows.append(Row(*(_field(f) for f in (python, kind, elixir, signature, summary))))

    classes: list[tuple[str, str, type]] = []
    while queue:
        module = queue.pop()
        mod_elixir = elixir_module(module.__name__)
        for attr in _public(module):
            try:
                value = getattr(module, attr)
            except Exception:
                continue
            qual = f"{module.__name__}.{attr}"
            try:
                if isinstance(value, types.ModuleType):
                    sub = value.__name__
                    if sub == qual and sub not in seen:
                        seen.add(sub)
                        queue.append(value)
                        add(sub, "module", elixir_module(sub), value, attr)
                elif isinstance(value, type):
                    cls_elixir = f"{mod_elixir}.{names.module_segment(attr)}"
                    args = ", ".join(_elixir_args(value, drop_first=False))
                    add(qual, "class", f"{cls_elixir}.new({args})", value, attr)
                    classes.append((qual, cls_elixir, value))
                elif callable(value):
                    fname = names.function_name(attr)
                    args = ", ".join(_elixir_args(value, drop_first=False))
                    add(qual, "function", f"{mod_elixir}.{fname}({args})", value, attr)
            except Exception:
                # One hostile object must not cost the library its index.
                continue

    # A class object reachable under several names is indexed under the shortest.
    indexed: dict[int, str] = {}
    for qual, _, cls in sorted(classes, key=lambda c: (c[0].count("."), c[0])):
        indexed.setdefault(id(cls), qual)
    top = python_module.split(".")[0]
    for qual, cls_elixir, cls in classes:
        with contextlib.suppress(Exception):
            rows.extend(_class_members(cls, qual, cls_elixir, indexed, top))
    return rows


def _class_members(
    cls: type, qual: str, cls_elixir: str, indexed: dict[int, str], top: str
) -> list[Row]:
    """The method rows of a class: its own and those of unindexed library bases, plus a
    ``bases`` row naming its indexed library bases in resolution order."""
    from snakebridge.codegen import names

    rows: list[Row] = []
    done: set[str] = set()
    bases: list[str] = []
    for owner in cls.__mro__:
        if owner is not cls:
            if owner.__module__.split(".")[0] != top:
                continue  # object, builtins, other libraries
            if id(owner) in indexed:
                if indexed[id(owner)] not in bases and indexed[id(owner)] != qual:
                    bases.append(indexed[id(owner)])
                continue
        for meth in sorted(n for n in vars(owner) if not n.startswith("_")):
            if meth in done:
                continue
            done.add(meth)
            member = getattr(cls, meth, None)
            raw = inspect.getattr_static(cls, meth, None)
            if member is None or not callable(member) or isinstance(raw, type):
                continue
            bound = isinstance(raw, classmethod | staticmethod)
            margs = ["ref", *_elixir_args(member, drop_first=not bound)]
            if bound:
                margs = margs[1:]
            spelling = f"{cls_elixir}.{names.function_name(meth)}({', '.join(margs)})"
            summary, signature = _summary_and_signature(member, meth)
            fields = (f"{qual}.{meth}", "method", spelling, signature, summary)
            rows.append(Row(*(_field(f) for f in fields)))
    if bases:
        rows.append(Row(qual, "bases", cls_elixir, " ".join(bases), ""))
    return rows


def lookup(dotted: str) -> tuple[str, str]:
    """The full docstring and signature of one Python object, by dotted name (child)."""
    parts = dotted.split(".")
    obj: Any = None
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        break
    else:
        raise ImportError(f"no module in {dotted!r} can be imported")
    _, signature = _summary_and_signature(obj, parts[-1])
    return inspect.getdoc(obj) or "", signature


def _child_main(argv: Sequence[str]) -> int:
    """``walk MODULE ELIXIR_MODULE OUT``: rows to OUT, one per line.
    ``lookup DOTTED OUT``: the signature on the first line of OUT, the docstring after."""
    import warnings

    # A deprecated alias module (numpy.core) warns on every attribute: as an error, its
    # names are skipped instead of indexed twice.
    warnings.simplefilter("error", DeprecationWarning)
    if argv[0] == "walk":
        python_module, module_name, out = argv[1:]
        text = "".join(row.line() + "\n" for row in sorted(set(walk(python_module, module_name))))
    else:
        dotted, out = argv[1:]
        doc, signature = lookup(dotted)
        text = signature + "\n" + doc
    Path(out).write_text(text, encoding="utf-8")
    return 0


# --------------------------------------------------------------------- parent side


class DocsIndexError(RuntimeError):
    """The index of a library could not be built; the message says why."""


def build(python: str, python_module: str, module_name: str, source_dir: str) -> list[Row]:
    """Walks a library in a child on ``python``; the snakebridge package from ``source_dir``."""
    with tempfile.TemporaryDirectory(prefix="snakebridge-docs-") as tmp:
        out = os.path.join(tmp, "rows.tsv")
        paths = (source_dir, os.environ.get("PYTHONPATH", ""))
        environ = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
        proc = subprocess.run(
            [python, "-m", "snakebridge.docs_index", "walk", python_module, module_name, out],
            capture_output=True,
            text=True,
            env=environ,
            timeout=600,
            check=False,
        )
        if proc.returncode != 0 or not os.path.exists(out):
            raise DocsIndexError(
                f"indexing the docs of {python_module} on {python} failed: "
                f"{proc.stderr.strip()[-800:]}"
            )
        lines = Path(out).read_text(encoding="utf-8").splitlines()
    return [Row(*line.split("\t")) for line in lines]


def wanted(project: Project) -> bool:
    return project.docs_source in ("metadata", "hybrid")


def update(project: Project, locked: lock.Lock, output: Output) -> list[str]:
    """Rewrites the index of each library whose locked version is not the indexed one;
    returns the files written (project-relative). Nothing when the docs source is
    ``:python``. Called by generate once the lock is written; a library that cannot be
    indexed keeps its old index and is reported as a warning (the bindings are fine)."""
    if not wanted(project):
        return []
    import snakebridge

    source = str(Path(snakebridge.__file__).resolve().parent.parent)
    python = project.python or sys.executable
    written = []
    for lib in project.libraries:
        entry = locked.libraries.get(lib.name)
        file = path(project.state_dir, lib.name)
        if entry is None or indexed_version(file) == entry.resolved:
            continue
        output.log("info", f"indexing the docs of {lib.name} {entry.resolved}")
        try:
            rows = build(python, lib.python_module, lib.module_name, source)
        except DocsIndexError as exc:
            output.log("warning", str(exc))
            continue
        if write_atomic(file, render(lib.name, entry.resolved, rows).encode("utf-8")):
            written.append(project.relative(file))
    return written


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
