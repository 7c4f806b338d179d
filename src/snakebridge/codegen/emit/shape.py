"""The arity rule: how a Python parameter list maps onto the arguments of an Elixir call.

One owner for it. The planner builds a :class:`CallShape` per callable; the text writer
emits its clauses and descriptor from it, the docs describe it, the manifest records its
arities (the pre-pass arity check reads them), and ``SnakeBridge.Runtime.Args`` enforces
the descriptor at call time.

The rule, as users read it in every moduledoc:

* Required positional parameters (no default; positional-only or positional-or-keyword)
  are Elixir parameters, in order, after the ref of an instance method.
* Every optional positional parameter (a default, before ``*args``) may follow, in order:
  one more arity each. So does each argument of a ``*args``, up to :data:`MAX_VARARGS`;
  ``SnakeBridge.splat(list)`` as the last positional stands for any number more.
  A trailing keyword list (``[]`` included) is ``opts``: keyword arguments, and runtime
  options under ``opts[:snakebridge]``. Without optional positionals or ``*args`` the
  last parameter is always ``opts \\\\ []``.
* Optional positional-or-keyword and keyword-only parameters can also be given in
  ``opts``; optional positional-only ones too (the runtime moves them into place).
  Required positional-or-keyword parameters written by name, as Python's docs often
  do (``textwrap.shorten(text, width=12)``, ``date(year=2024, month=1, day=2)``), are
  too: any trailing run of them (:attr:`CallShape.by_keyword`; positional-only ones stay
  positional) may be left out of the positionals, one arity fewer each, down to
  ``f(opts)``. Below the all-positional arity the last argument is ``opts`` and must name
  every required parameter left out; at it, a trailing keyword list that names the
  parameter at its own position is ``opts``, any other value is that parameter's value;
  at the full arity (``opts`` given) every argument is what it stands for. Passing one
  both ways is an error before the call.
* A signature read from text (a docstring line or its Parameters section) or guessed
  (no signature at all) never makes a call impossible that Python accepts: its
  positionals are all optional, extra ones are accepted as if it had ``*args``, and
  any keyword is passed through.
  Where several signatures are declared (overloads, several documented forms), the
  binding accepts their union and lets Python decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from snakebridge.codegen import model
from snakebridge.codegen.model import ParamKind

# A Python ``*args`` becomes up to this many extra Elixir parameters; any number more go
# in ``SnakeBridge.splat(list)``, the last positional (the runtime expands it). Every
# extra arity is one more Erlang function per variant, and they dominate the compile cost
# of a large module: sympy's top level costs 500 M reductions at 8, 446 M at 6, 398 M
# at 4 (bench/generate).
MAX_VARARGS = 4
# Erlang functions take at most 255 arguments; leave room for the ref and opts.
MAX_POSITIONAL = 250
# Sources whose parameter list is read from prose or guessed: permissive (module doc).
TEXT_SOURCES: frozenset[str] = frozenset({"docstring", "fallback"})

_POSITIONAL = (ParamKind.POSITIONAL_ONLY, ParamKind.POSITIONAL_OR_KEYWORD)


@dataclass(frozen=True)
class Positional:
    name: str  # the Python name
    annotation: model.TypeRef | None


@dataclass(frozen=True)
class CallShape:
    receiver: bool  # an instance method: the ref comes first
    required: tuple[Positional, ...]
    optional: tuple[str, ...]  # optional positionals, in order (before *args)
    positional_only: tuple[str, ...]  # of ``optional``: those Python refuses by keyword
    rest: str | None  # the ``*args`` name; also set for permissive text signatures
    kwargs: tuple[str, ...] | None  # keyword names accepted; None: any
    keyword_docs: tuple[str, ...]  # keyword names as the docs list them
    # the trailing run of ``required`` Python also takes by name (positional-or-keyword)
    by_keyword: int = 0

    @property
    def flexible(self) -> bool:
        """Whether the last arguments are told apart at run time (optional positionals or
        ``*args``): then every parameter after the required ones has a default."""
        return bool(self.optional) or self.rest is not None

    @property
    def all_positional(self) -> int:
        """The arity that gives every required parameter positionally, ``opts`` left out."""
        return int(self.receiver) + len(self.required)

    @property
    def min_arity(self) -> int:
        """Every keyword-capable required parameter in ``opts``, the positional-only ones
        (and the ref) before it: ``f(opts)`` when there are none."""
        return self.all_positional - max(self.by_keyword - 1, 0)

    @property
    def extra(self) -> int:
        """Elixir parameters after the required ones (opts included)."""
        return len(self.optional) + (MAX_VARARGS if self.rest is not None else 0) + 1

    @property
    def arities(self) -> tuple[int, ...]:
        return tuple(range(self.min_arity, self.all_positional + self.extra + 1))

    @property
    def positional_names(self) -> tuple[str, ...]:
        """Python names of the positionals as the runtime counts them (ref excluded)."""
        return tuple(p.name for p in self.required) + self.optional


def plan_call(sig: model.Signature, *, receiver: bool) -> CallShape:
    return _shape(sig, receiver=receiver, permissive=sig.source in TEXT_SOURCES)


def union(sigs: Sequence[model.Signature], *, receiver: bool) -> CallShape:
    """One shape accepting every call any of ``sigs`` accepts (overloads, documented forms)."""
    shapes = [plan_call(s, receiver=receiver) for s in sigs]
    if len(shapes) == 1:
        return shapes[0]
    fewest = min(shapes, key=lambda s: len(s.required))
    widest = max(shapes, key=lambda s: len(s.positional_names))
    required = fewest.required
    optional = widest.positional_names[len(required) :]
    kwargs: tuple[str, ...] | None = None
    if all(s.kwargs is not None for s in shapes):
        names: dict[str, None] = {}
        for s in shapes:
            names.update(dict.fromkeys(s.kwargs or ()))
            # a positional in one form may be a keyword in another
            names.update(dict.fromkeys(s.positional_names[len(required) :]))
        kwargs = tuple(names)
    # Moved from opts into place only when no form takes it by keyword.
    positional_only = tuple(
        n
        for n in optional
        if all(n in s.positional_only for s in shapes if n in s.positional_names)
    )
    keyword_docs: dict[str, None] = {}
    for s in shapes:
        keyword_docs.update(dict.fromkeys(s.keyword_docs))
    return CallShape(
        receiver=receiver,
        required=required,
        optional=optional[: MAX_POSITIONAL - len(required)],
        positional_only=positional_only,
        rest=next((s.rest for s in shapes if s.rest is not None), None),
        kwargs=kwargs,
        keyword_docs=tuple(keyword_docs),
        by_keyword=fewest.by_keyword,
    )


def _shape(sig: model.Signature, *, receiver: bool, permissive: bool) -> CallShape:
    required: list[Positional] = []
    optional: list[str] = []
    positional_only: list[str] = []
    rest: str | None = None
    kwargs: list[str] | None = []
    keyword_docs: list[str] = []
    by_keyword = 0
    for p in sig.params:
        if p.kind in _POSITIONAL and rest is None:
            # a text signature's "required" is prose: Python may not require it
            if not p.has_default and not optional and not permissive:
                required.append(Positional(p.name, p.annotation))
                if p.kind == ParamKind.POSITIONAL_OR_KEYWORD:
                    by_keyword += 1
                    if kwargs is not None:
                        kwargs.append(p.name)  # Python also takes it by name (see Args)
                else:
                    by_keyword = 0  # only a trailing run may come by name
                continue
            optional.append(p.name)
            if p.kind == ParamKind.POSITIONAL_ONLY:
                positional_only.append(p.name)
            elif kwargs is not None:
                kwargs.append(p.name)
            keyword_docs.append(p.name)
        elif p.kind in _POSITIONAL:
            # after *args (only in text signatures): a keyword
            if kwargs is not None:
                kwargs.append(p.name)
            keyword_docs.append(p.name)
        elif p.kind == ParamKind.VAR_POSITIONAL:
            rest = p.name
        elif p.kind == ParamKind.KEYWORD_ONLY:
            if kwargs is not None:
                kwargs.append(p.name)
            keyword_docs.append(p.name + ("" if p.has_default else " (required)"))
        elif p.kind == ParamKind.VAR_KEYWORD:
            kwargs = None
    if permissive:
        kwargs = None
        rest = rest or "args"
    room = MAX_POSITIONAL - len(required)
    return CallShape(
        receiver=receiver,
        required=tuple(required[:MAX_POSITIONAL]),
        optional=tuple(optional[: max(0, room)]),
        positional_only=tuple(n for n in positional_only if n in optional[: max(0, room)]),
        rest=rest,
        kwargs=None if kwargs is None else tuple(dict.fromkeys(kwargs)),
        keyword_docs=tuple(dict.fromkeys(keyword_docs)),
        by_keyword=min(by_keyword, len(required[:MAX_POSITIONAL])),
    )


def accessor(*, receiver: bool, value: bool = False) -> CallShape:
    """An attribute getter (``x(ref)``; a module attribute: ``x()``) or, with ``value``,
    a setter (``put_x(ref, value)``); runtime options as the last argument."""
    return CallShape(
        receiver=receiver,
        required=(Positional("value", None),) if value else (),
        optional=(),
        positional_only=(),
        rest=None,
        kwargs=(),
        keyword_docs=(),
    )
