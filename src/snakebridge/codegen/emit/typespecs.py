"""The type model (``model.TypeRef``) → Elixir typespec text.

Only a fixed vocabulary is ever written (built-in types, ``String.t()``, refs and the
``t()`` of classes generated in the same file), so no annotation from Python can make
an invalid spec. Unknown shapes become ``term()``. A spec longer than :data:`MAX_WIDTH`
characters also becomes ``term()``: a spec nobody can read documents nothing, and the
cap keeps every ``@spec`` within the formatter's line shapes the emitter writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from snakebridge.codegen.model import TypeKind, TypeRef

REF = "SnakeBridge.Ref.t()"
TERM = "term()"
NUMBER = "number()"
MAX_WIDTH = 50

_INT_LITERAL = re.compile(r"-?\d+\Z")
_SIMPLE = {
    TypeKind.ANY: TERM,
    TypeKind.NONE: "nil",
    TypeKind.INT: "integer()",
    TypeKind.FLOAT: "float()",
    TypeKind.STR: "String.t()",
    TypeKind.BOOL: "boolean()",
    TypeKind.BYTES: "binary()",
}


def typespec(
    t: TypeRef | None,
    classes: Mapping[str, str],
    local: str | None = None,
    *,
    argument: bool = False,
) -> str:
    """``t`` as a typespec; ``classes`` maps Python class names to generated Elixir modules.

    ``local`` is the Elixir module being written: its own class type is written ``t()``.
    ``argument``: the type of a parameter. Python converts what it is given (a list where
    an ``ndarray`` is annotated, a string for a ``PathLike``), so a class-typed parameter
    accepts any term; only return types name refs. A ``float`` parameter is
    ``number()`` (Python accepts an int wherever ``float`` is annotated); a ``float``
    return stays ``float()``.
    """
    text = _render(t, {} if argument else classes, local, argument) if t is not None else TERM
    return text if len(text) <= MAX_WIDTH else TERM


def _render(
    t: TypeRef, classes: Mapping[str, str], local: str | None, argument: bool = False
) -> str:
    if t.kind == TypeKind.FLOAT and argument:
        # Python's numeric tower: a parameter annotated `float` also takes an int.
        return NUMBER
    if t.kind in _SIMPLE:
        return _SIMPLE[t.kind]
    if t.kind == TypeKind.LIST and len(t.args) == 1:
        item = _render(t.args[0], classes, local, argument)
        return "list()" if item == TERM else f"[{item}]"
    if t.kind == TypeKind.TUPLE:
        if t.variadic or not t.args:
            return "tuple()"
        return "{" + ", ".join(_render(a, classes, local, argument) for a in t.args) + "}"
    if t.kind == TypeKind.DICT and len(t.args) == 2:
        key, value = (_render(a, classes, local, argument) for a in t.args)
        if key == TERM and value == TERM:
            return "map()"
        return f"%{{optional({key}) => {value}}}"
    if t.kind == TypeKind.UNION:
        members: list[str] = []
        for arg in _flatten(t.args):
            member = _render(arg, classes, local, argument)
            if member not in members:
                members.append(member)
        if not members or TERM in members:
            return TERM
        if NUMBER in members:  # number() already covers both
            members = [m for m in members if m not in ("integer()", "float()")]
        return " | ".join(members)
    if t.kind == TypeKind.LITERAL:
        return _literal(t.values)
    if t.kind == TypeKind.CLASS and t.name:
        if argument:
            return TERM
        module = classes.get(t.name)
        if module is None:
            return REF
        return "t()" if module == local else f"{module}.t()"
    return TERM


def _flatten(args: tuple[TypeRef, ...]) -> list[TypeRef]:
    flat: list[TypeRef] = []
    for arg in args:
        if arg.kind == TypeKind.UNION:
            flat += _flatten(arg.args)
        elif arg.kind == TypeKind.LITERAL and len(arg.values) > 1:
            flat += [TypeRef(TypeKind.LITERAL, values=(v,)) for v in arg.values]
        else:
            flat.append(arg)
    return flat


def _literal(values: tuple[str, ...]) -> str:
    members: list[str] = []
    for value in values:
        if value in ("True", "False"):
            member = value.lower()
        elif value == "None":
            member = "nil"
        elif _INT_LITERAL.match(value):
            member = str(int(value))
        elif value[:1] in ("'", '"'):
            member = "String.t()"
        else:
            return TERM
        if member not in members:
            members.append(member)
    return " | ".join(members) if members else TERM
