import mpmath
import sympy
from sympy import (
    Matrix,
    N,
    Rational,
    Symbol,
    diff,
    expand,
    factor,
    integrate,
    limit,
    pi,
    simplify,
    solve,
    sqrt,
    symbols,
    sympify,
)  # fmt: skip

x = Symbol("x")
y = Symbol("y")
expr = sympify("x**2 + 2*x + 1")


def _dsolve():
    x = sympy.Symbol("x")
    f = sympy.Function("f")
    return str(sympy.dsolve(sympy.Eq(f(x).diff(x), f(x)), f(x)))


def _mp_dps_50():
    mpmath.mp.dps = 50
    root = str(mpmath.sqrt(2))
    mpmath.mp.dps = 15
    return root


def _mp_workdps():
    with mpmath.workdps(30):
        return str(mpmath.sqrt(2))


CASES = {
    "rational": lambda: str(Rational(1, 3)),
    "rational_one": lambda: str(Rational(3)),
    "subs": lambda: str(expr.subs(x, 3)),
    "n_pi": lambda: str(N(pi, 30)),
    "n_sqrt2": lambda: str(N(sqrt(2))),
    "factor": lambda: str(factor(expr)),
    "expand": lambda: str(expand(sympify("(x + y)**2"))),
    "diff": lambda: str(diff(sympify("x**3"), x)),
    "diff2": lambda: str(diff(sympify("x**3"), x, 2)),
    "integrate": lambda: str(integrate(sympify("x**2"), x)),
    "integrate_definite": lambda: str(integrate(sympify("x**2"), (x, 0, 1))),
    "solve": lambda: [str(s) for s in solve(sympify("x**2 - 4"), x)],
    "simplify": lambda: str(simplify(sympify("sin(x)**2 + cos(x)**2"))),
    "symbols": lambda: [str(s) for s in symbols("a b c")],
    "matrix_det": lambda: str(Matrix([[1, 2], [3, 4]]).det()),
    "limit": lambda: str(limit(sympify("sin(x)/x"), x, 0)),
    "y_free": lambda: str(y),
    "diff_splat": lambda: str(diff(sympify("x**3 * y**3"), x, *[x, y, y])),
    "diff_splat_ten": lambda: str(diff(sympify("x**12"), *[x] * 10)),
    "sqrt": lambda: str(sympy.sqrt(8)),
    "factorint": lambda: sympy.factorint(12),
    "isprime": lambda: sympy.isprime(7),
    "prime": lambda: sympy.prime(10),
    "series": lambda: str(sympy.series(sympy.cos(x), x, 0, 4)),
    "solveset": lambda: str(sympy.solveset(sympy.sympify("x**2 - 4"), x)),
    "matrix_inv": lambda: str(Matrix([[1, 2], [3, 4]]).inv()),
    "poly_degree": lambda: sympy.Poly(sympify("x**2 + 1"), x).degree(),
    "solve_eq": lambda: sympy.solve(sympy.Eq(sympify("x + 1"), 3), x),
    "sy_symbols_tuple": lambda: str(sympy.expand(sympy.Mul(*sympy.symbols("x y")))),
    "sy_eq_solve": lambda: [
        str(s) for s in sympy.solve(sympy.Eq(sympy.Symbol("x") + 1, 4), sympy.Symbol("x"))
    ],
    "sy_latex": lambda: sympy.latex(sympy.sympify("x**2/2")),
    "sy_evalf_subs": lambda: str(sympy.sympify("x**2").evalf(subs={sympy.Symbol("x"): 2})),
    "sy_eigenvals": lambda: {
        str(k): v for k, v in sympy.Matrix([[1, 0], [0, 2]]).eigenvals().items()
    },
    "sy_lambdify": lambda: sympy.lambdify(sympy.Symbol("x"), sympy.sympify("x**2"))(3),
    "sy_apart": lambda: str(sympy.apart(sympy.sympify("1/(x**2 + 3*x + 2)"))),
    "sy_trigsimp": lambda: str(sympy.trigsimp(sympy.sympify("sin(x)**2 + cos(x)**2"))),
    "sy_limit_oo": lambda: str(sympy.limit(sympy.sympify("1/x"), sympy.Symbol("x"), sympy.oo)),
    "sy_summation": lambda: str(
        sympy.summation(sympy.sympify("1/n**2"), (sympy.Symbol("n"), 1, sympy.oo))
    ),
    "sy_nsimplify": lambda: str(sympy.nsimplify(0.5)),
    "sy_binomial": lambda: str(sympy.binomial(5, 2)),
    "sy_function_dsolve": _dsolve,
    "sy_pi_evalf": lambda: str(sympy.pi.evalf(5)),
    "mp_dps": lambda: mpmath.mp.dps,
    "mp_dps_50": _mp_dps_50,
    "mp_workdps": _mp_workdps,
    "mp_fadd": lambda: str(mpmath.fadd(mpmath.mpf("0.1"), mpmath.mpf("0.2"))),
    "mp_nstr": lambda: mpmath.nstr(mpmath.pi, 10),
    "mp_findroot": lambda: mpmath.nstr(mpmath.findroot(mpmath.sin, 3.14), 10),
    "mp_quad": lambda: str(mpmath.quad(mpmath.sin, [0, mpmath.pi])),
}
