"""Hand-built introspection models: the shapes the emitter must handle, without a library."""

from __future__ import annotations

from snakebridge.codegen import model
from snakebridge.codegen.model import Param, ParamKind, Signature, TypeKind, TypeRef
from snakebridge.project import LibrarySpec

P = ParamKind
INT = TypeRef(TypeKind.INT)
FLOAT = TypeRef(TypeKind.FLOAT)
NUMBER = TypeRef(TypeKind.UNION, (INT, FLOAT))


def spec(name: str = "numpy", module: str = "Numpy", **kw: object) -> LibrarySpec:
    return LibrarySpec(
        name=name, requirement="~> 2.0", module_name=module, python_module=name, **kw
    )  # type: ignore[arg-type]


MEAN_DOC = model.Doc(
    raw="Compute the arithmetic mean.",
    style="numpydoc",
    summary="Compute the arithmetic mean along the specified axis.",
    description="Returns the average of the array elements. Uses :func:`numpy.sum`.",
    params=(
        model.DocParam("a", "array_like", "Array containing numbers."),
        model.DocParam("axis", "None or int", "Axis along which the means are computed.", "None"),
    ),
    returns=(model.DocParam("m", "ndarray", "The mean."),),
    raises=(model.DocRaise("TypeError", "When `a` is not numeric."),),
    examples=(">>> a = np.array([[1, 2], [3, 4]])\n>>> np.mean(a)\n2.5",),
    notes="The arithmetic mean is\n\n.. math:: \\bar{x} = \\frac{1}{n}\\sum_i x_i\n",
    see_also=("average : Weighted average",),
)


def numpy_like() -> model.Library:
    mean = model.Function(
        name="mean",
        qualname="mean",
        module="numpy",
        kind="function",
        signature=Signature(
            (
                Param("a", P.POSITIONAL_OR_KEYWORD),
                Param("axis", P.POSITIONAL_OR_KEYWORD, True, "None"),
                Param("dtype", P.POSITIONAL_OR_KEYWORD, True, "None"),
                Param("keepdims", P.KEYWORD_ONLY, True, "False", TypeRef(TypeKind.BOOL)),
            ),
            returns=NUMBER,
        ),
        doc=MEAN_DOC,
    )
    add = model.Function(
        name="add",
        qualname="add",
        module="numpy",
        kind="ufunc",
        signature=Signature(
            (
                Param("x1", P.POSITIONAL_ONLY),
                Param("x2", P.POSITIONAL_ONLY),
                Param("out", P.POSITIONAL_ONLY, True, "None"),
                Param("where", P.KEYWORD_ONLY, True, "True"),
            ),
            source="ufunc",
        ),
        doc=model.Doc(raw="Add arguments element-wise.", style="plain"),
    )
    ix = model.Function(
        name="ix_",
        qualname="ix_",
        module="numpy",
        kind="function",
        signature=Signature((Param("args", P.VAR_POSITIONAL),)),
    )
    weird = model.Function(
        name="end",
        qualname="end",
        module="numpy",
        kind="function",
        signature=model.FALLBACK_SIGNATURE,
    )
    upper = model.Function(
        name="N",
        qualname="N",
        module="numpy",
        kind="function",
        signature=Signature(
            (
                Param("expr", P.POSITIONAL_OR_KEYWORD),
                Param("n", P.POSITIONAL_OR_KEYWORD, True, "15"),
            ),
            returns=TypeRef(TypeKind.LIST, (FLOAT,)),
        ),
    )
    solve = model.Function(
        name="solve",
        qualname="solve",
        module="numpy.linalg",
        kind="function",
        signature=Signature(
            (Param("a", P.POSITIONAL_OR_KEYWORD), Param("b", P.POSITIONAL_OR_KEYWORD)),
            returns=TypeRef(TypeKind.CLASS, name="numpy.ndarray"),
        ),
        doc=model.Doc(
            raw="Solve a linear matrix equation.",
            style="numpydoc",
            summary="Solve a linear matrix equation.",
        ),
    )
    ndarray = model.Class(
        name="ndarray",
        qualname="ndarray",
        module="numpy",
        constructor=Signature(
            (
                Param("self", P.POSITIONAL_OR_KEYWORD),
                Param("shape", P.POSITIONAL_OR_KEYWORD),
                Param("dtype", P.POSITIONAL_OR_KEYWORD, True, "float"),
            )
        ),
        doc=model.Doc(raw="An array object.", style="plain"),
        methods=(
            model.Function(
                "tolist",
                "ndarray.tolist",
                "numpy",
                "method",
                Signature(
                    (Param("self", P.POSITIONAL_ONLY),),
                    returns=TypeRef(TypeKind.LIST, (TypeRef(TypeKind.ANY),)),
                ),
            ),
            model.Function(
                "reshape",
                "ndarray.reshape",
                "numpy",
                "method",
                Signature(
                    (
                        Param("self", P.POSITIONAL_ONLY),
                        Param("shape", P.VAR_POSITIONAL),
                        Param("order", P.KEYWORD_ONLY, True, "'C'"),
                    )
                ),
            ),
            model.Function(
                "fromfile",
                "ndarray.fromfile",
                "numpy",
                "classmethod",
                Signature((Param("file", P.POSITIONAL_OR_KEYWORD),)),
            ),
        ),
        attributes=(
            model.Attribute(
                "shape", "property", TypeRef(TypeKind.TUPLE, (INT,), variadic=True), writable=True
            ),
            model.Attribute("ndim", "property", INT),
        ),
    )
    color = model.Class(
        name="Color",
        qualname="Color",
        module="numpy",
        constructor=Signature((Param("value", P.POSITIONAL_OR_KEYWORD),)),
        flavor="enum",
        enum_members=("RED", "GREEN"),
        doc=model.Doc(raw="Colors.", style="plain"),
    )
    helper = model.Class(
        name="Helper",
        qualname="Helper",
        module="numpy",
        constructor=Signature(()),
        constructor_requested=False,
        methods=(
            model.Function(
                "make",
                "Helper.make",
                "numpy",
                "staticmethod",
                Signature((Param("n", P.POSITIONAL_OR_KEYWORD, annotation=INT),)),
            ),
        ),
    )
    old_fn = model.Function(
        name="asscalar",
        qualname="asscalar",
        module="numpy",
        kind="function",
        signature=Signature((Param("a", P.POSITIONAL_OR_KEYWORD),), source="stub"),
        overloads=(
            Signature((Param("a", P.POSITIONAL_OR_KEYWORD, annotation=INT),)),
            Signature((Param("a", P.POSITIONAL_OR_KEYWORD, annotation=FLOAT),)),
        ),
        deprecated="Use a.item() instead.",
        doc=model.Doc(raw="Convert an array of size 1 to its scalar equivalent.", style="plain"),
    )
    return model.Library(
        name="numpy",
        version="2.4.6",
        python_module="numpy",
        elixir_module="Numpy",
        root=model.Module(
            name="numpy",
            doc=model.Doc(raw="NumPy\n=====\n\nArrays.", style="plain"),
            functions=(weird, mean, add, upper, ix, old_fn),
            classes=(ndarray, color, helper),
            attributes=(model.Attribute("pi", "constant", FLOAT, value_repr="3.141592653589793"),),
            submodules=(model.Module(name="numpy.linalg", functions=(solve,)),),
        ),
    )
