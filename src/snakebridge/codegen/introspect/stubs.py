"""``.pyi`` stubs: where to find them and what they declare, read with ``ast`` only.

Stubs give what compiled code cannot: parameter lists of C functions, return types,
and ``@overload`` sets. They are searched in PEP 561 order — a stub-only package
(``<pkg>-stubs``, which is also where ``types-*`` distributions install) wins over stubs
shipped inside the package. Re-exports (``from ._core.fromnumeric import mean as mean``,
``from .x import *``) are followed, so ``numpy.mean`` finds its definition in
``numpy/_core/fromnumeric.pyi``. Nothing in a stub is executed.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from typing import Any

from snakebridge.codegen.introspect import types as T
from snakebridge.codegen.model import ANY, Param, ParamKind, Signature, TypeRef

Def = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
_MAX_HOPS = 8


@dataclass
class StubModule:
    name: str
    path: str
    is_package: bool
    defs: dict[str, list[Def]] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)  # local name → dotted target
    star: list[str] = field(default_factory=list)  # modules re-exported with *
    aliases: dict[str, ast.expr] = field(default_factory=dict)
    typevars: dict[str, ast.expr | None] = field(default_factory=dict)  # name → bound


@dataclass(frozen=True)
class StubHit:
    """A stub definition found for a runtime object, with the module that declares it."""

    nodes: tuple[Def, ...]
    module: StubModule
    owner: ast.ClassDef | None = None  # set when the nodes are methods of a class


class StubIndex:
    """Finds and caches parsed stubs for one child process."""

    def __init__(self) -> None:
        self._modules: dict[str, StubModule | None] = {}
        self._active: set[tuple[str, str]] = set()

    # ------------------------------------------------------------------ discovery

    def load(self, module_name: str, *, allow_source: bool = False) -> StubModule | None:
        """The parsed stub of ``module_name``; with ``allow_source``, the ``.py`` source
        when there is no stub (used only to expand type aliases, which are plain
        module-level assignments either way)."""
        key = module_name if not allow_source else module_name + " [source]"
        if key in self._modules:
            return self._modules[key]
        found = _find_stub_file(module_name)
        if found is None and allow_source:
            found = _find_source_file(module_name)
        mod: StubModule | None = None
        if found is not None:
            path, is_package = found
            try:
                with open(path, encoding="utf-8") as fh:
                    tree = ast.parse(fh.read(), filename=path)
            except (OSError, SyntaxError, ValueError):
                tree = None
            if tree is not None:
                mod = StubModule(module_name, path, is_package)
                _index(mod, tree.body)
        self._modules[key] = mod
        return mod

    # --------------------------------------------------------------------- lookup

    def lookup(self, module_name: str, qualname: str) -> StubHit | None:
        head, _, rest = qualname.partition(".")
        hit = self._lookup_top(module_name, head, 0)
        if hit is None or not rest:
            return hit
        for part in rest.split("."):
            cls = next((n for n in hit.nodes if isinstance(n, ast.ClassDef)), None)
            if cls is None:
                return None
            found = self._member(cls, hit.module, part, 0)
            if found is None:
                return None
            hit = found
        return hit

    def _member(self, cls: ast.ClassDef, mod: StubModule, name: str, depth: int) -> StubHit | None:
        """``name`` in the stub class ``cls`` or, as Python would, in its stub bases
        (numpy declares most ndarray methods on a stub-only base class)."""
        members = [s for s in _flatten(cls.body) if isinstance(s, Def) and s.name == name]
        if members:
            return StubHit(tuple(members), mod, owner=cls)
        if depth >= _MAX_HOPS:
            return None
        for base in cls.bases:
            target = base.value if isinstance(base, ast.Subscript) else base
            dotted = T._dotted(target)
            if dotted is None or "." in dotted:
                continue
            base_hit = self._lookup_top(mod.name, dotted, 0)
            if base_hit is None:
                continue
            base_cls = next((n for n in base_hit.nodes if isinstance(n, ast.ClassDef)), None)
            if base_cls is not None:
                found = self._member(base_cls, base_hit.module, name, depth + 1)
                if found is not None:
                    return found
        return None

    def _lookup_top(self, module_name: str, name: str, hops: int) -> StubHit | None:
        if hops > _MAX_HOPS:
            return None
        mod = self.load(module_name)
        if mod is None:
            return None
        if name in mod.defs:
            return StubHit(tuple(mod.defs[name]), mod)
        target = mod.imports.get(name)
        if target is not None:
            owner, _, attr = target.rpartition(".")
            if owner:
                hit = self._lookup_top(owner, attr, hops + 1)
                if hit is not None:
                    return hit
        for star in mod.star:
            hit = self._lookup_top(star, name, hops + 1)
            if hit is not None:
                return hit
        return None

    # ------------------------------------------------------------------ namespace

    def namespace(self, mod: StubModule) -> T.Namespace:
        """Name lookup for annotations written inside ``mod``."""

        def lookup(dotted: str) -> Any:
            head, _, rest = dotted.partition(".")
            if not rest:
                if head in mod.typevars:
                    bound = mod.typevars[head]
                    return ANY if bound is None else bound
                if head in mod.aliases:
                    return mod.aliases[head]
                if head in mod.defs:
                    return f"{mod.name}.{head}"
            target = mod.imports.get(head)
            if target is None:
                for star in mod.star:
                    smod = self.load(star)
                    if smod is not None and (head in smod.aliases or head in smod.typevars):
                        target = f"{star}.{head}"
                        break
            if target is None:
                return None
            full = f"{target}.{rest}" if rest else target
            return self._resolve_remote(full)

        return lookup

    def _resolve_remote(self, full: str) -> Any:
        owner, _, attr = full.rpartition(".")
        key = (owner, attr)
        if not owner or key in self._active:
            return full
        other = self.load(owner)
        if other is None:
            other = self.load(owner, allow_source=True)
        if other is None or (attr not in other.aliases and attr not in other.typevars):
            if other is not None and attr in other.imports:
                self._active.add(key)
                try:
                    return self._resolve_remote(other.imports[attr])
                finally:
                    self._active.discard(key)
            return full
        self._active.add(key)
        try:
            if attr in other.typevars:
                bound = other.typevars[attr]
                return ANY if bound is None else T.from_ast(bound, self.namespace(other))
            return T.from_ast(other.aliases[attr], self.namespace(other))
        finally:
            self._active.discard(key)


def _find_stub_file(module_name: str) -> tuple[str, bool] | None:
    parts = module_name.split(".")
    rel = parts[1:]
    for base in sys.path:
        if not base or not os.path.isdir(base):
            continue
        root = os.path.join(base, parts[0] + "-stubs")
        if os.path.isdir(root):
            found = _in_dir(root, rel)
            if found is not None:
                return found
    for loc in _package_locations(parts[0]):
        found = _in_dir(loc, rel)
        if found is not None:
            return found
    if not rel:
        spec = _spec(parts[0])
        if spec is not None and spec.origin and not spec.submodule_search_locations:
            candidate = os.path.splitext(spec.origin)[0] + ".pyi"
            if os.path.isfile(candidate):
                return candidate, False
    return None


def _find_source_file(module_name: str) -> tuple[str, bool] | None:
    top = module_name.split(".")[0]
    if top not in sys.modules:
        return None  # never import a package just to read an alias
    if top in sys.stdlib_module_names:
        return None  # typing & co: their names are known to the type model already
    spec = _spec(module_name)
    origin = getattr(spec, "origin", None)
    if isinstance(origin, str) and origin.endswith(".py") and os.path.isfile(origin):
        return origin, bool(spec.submodule_search_locations)
    return None


def _in_dir(root: str, rel: list[str]) -> tuple[str, bool] | None:
    package_init = os.path.join(root, *rel, "__init__.pyi")
    if os.path.isfile(package_init):
        return package_init, True
    if rel:
        module_file = os.path.join(root, *rel[:-1], rel[-1] + ".pyi")
        if os.path.isfile(module_file):
            return module_file, False
    return None


def _spec(name: str) -> Any:
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def _package_locations(top: str) -> list[str]:
    mod = sys.modules.get(top)
    paths = getattr(mod, "__path__", None)
    if paths is not None:
        return list(paths)
    spec = _spec(top)
    if spec is not None and spec.submodule_search_locations:
        return list(spec.submodule_search_locations)
    return []


def _flatten(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements at this level, with ``if sys.version_info ...`` blocks opened up."""
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.If):
            out.extend(_flatten(stmt.body))
            out.extend(_flatten(stmt.orelse))
        elif isinstance(stmt, ast.Try):
            out.extend(_flatten(stmt.body))
        else:
            out.append(stmt)
    return out


def _index(mod: StubModule, body: list[ast.stmt]) -> None:
    package = mod.name if mod.is_package else mod.name.rpartition(".")[0]
    for stmt in _flatten(body):
        if isinstance(stmt, Def):
            mod.defs.setdefault(stmt.name, []).append(stmt)
        elif isinstance(stmt, ast.ImportFrom):
            source = _absolute(package, stmt.module, stmt.level)
            for alias in stmt.names:
                if alias.name == "*":
                    mod.star.append(source)
                else:
                    mod.imports[alias.asname or alias.name] = f"{source}.{alias.name}"
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    mod.imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    mod.imports[top] = top
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            if stmt.value is not None and _is_alias_annotation(stmt.annotation):
                mod.aliases[stmt.target.id] = stmt.value
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name):
                _index_assign(mod, target.id, stmt.value)
        elif isinstance(stmt, ast.TypeAlias) if hasattr(ast, "TypeAlias") else False:
            alias_stmt: Any = stmt
            mod.aliases[alias_stmt.name.id] = alias_stmt.value


def _is_alias_annotation(node: ast.expr) -> bool:
    name = T._dotted(node)
    return name is not None and name.rsplit(".", 1)[-1] == "TypeAlias"


def _index_assign(mod: StubModule, name: str, value: ast.expr) -> None:
    if isinstance(value, ast.Call):
        func = T._dotted(value.func) or ""
        if func.rsplit(".", 1)[-1] in ("TypeVar", "ParamSpec", "TypeVarTuple"):
            bound = next((k.value for k in value.keywords if k.arg == "bound"), None)
            if bound is None and len(value.args) > 2:
                bound = ast.BinOp(left=value.args[1], op=ast.BitOr(), right=value.args[2])
                for extra in value.args[3:]:
                    bound = ast.BinOp(left=bound, op=ast.BitOr(), right=extra)
            mod.typevars[name] = bound
        return
    if isinstance(value, ast.Subscript | ast.BinOp | ast.Name | ast.Attribute):
        mod.aliases[name] = value


def _absolute(package: str, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    parts = package.split(".") if package else []
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    base = ".".join(parts)
    if module:
        return f"{base}.{module}" if base else module
    return base


# -------------------------------------------------------------------- signatures


def is_overload(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any((T._dotted(d) or "").rsplit(".", 1)[-1] == "overload" for d in node.decorator_list)


def decorator_names(node: Def) -> set[str]:
    names = set()
    for d in node.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        name = T._dotted(target)
        if name:
            names.add(name.rsplit(".", 1)[-1])
    return names


def signature_of(
    node: ast.FunctionDef | ast.AsyncFunctionDef, ns: T.Namespace, drop_first: bool
) -> Signature:
    a = node.args
    positional = [(p, ParamKind.POSITIONAL_ONLY) for p in a.posonlyargs] + [
        (p, ParamKind.POSITIONAL_OR_KEYWORD) for p in a.args
    ]
    padding: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults))
    defaults = padding + list(a.defaults)
    params: list[Param] = []
    for index, ((arg, kind), default) in enumerate(zip(positional, defaults, strict=True)):
        if drop_first and index == 0:
            continue
        # Old-style positional-only spelling in stubs: a leading double underscore.
        if arg.arg.startswith("__") and not arg.arg.endswith("__"):
            kind = ParamKind.POSITIONAL_ONLY
            name = arg.arg[2:]
        else:
            name = arg.arg
        params.append(_param(name, kind, arg.annotation, default, ns))
    if a.vararg is not None:
        params.append(_param(a.vararg.arg, ParamKind.VAR_POSITIONAL, a.vararg.annotation, None, ns))
    for arg, default in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        params.append(_param(arg.arg, ParamKind.KEYWORD_ONLY, arg.annotation, default, ns))
    if a.kwarg is not None:
        params.append(_param(a.kwarg.arg, ParamKind.VAR_KEYWORD, a.kwarg.annotation, None, ns))
    returns = T.from_ast(node.returns, ns) if node.returns is not None else None
    return Signature(
        params=tuple(params),
        returns=returns,
        source="stub",
        returns_source="stub" if returns is not None else None,
    )


def _param(
    name: str,
    kind: ParamKind,
    annotation: ast.expr | None,
    default: ast.expr | None,
    ns: T.Namespace,
) -> Param:
    # Stubs usually write defaults as ``...`` ("has one, value not stated"): keep that
    # spelling, it is what a reader of the stub sees.
    default_text = None if default is None else ast.unparse(default)
    ann: TypeRef | None = T.from_ast(annotation, ns) if annotation is not None else None
    return Param(
        name=name,
        kind=kind,
        has_default=default is not None,
        default=default_text,
        annotation=ann,
        annotation_source=None if ann is None else "stub",
    )
