defmodule SympyApp do
  @moduledoc "Calls as sympy's documentation writes them (docs.sympy.org/latest)."

  def cases do
    x = Sympy.Symbol.new!("x")
    y = Sympy.Symbol.new!("y")
    expr = Sympy.sympify!("x**2 + 2*x + 1")

    [
      # Rational(1, 3); Rational(3)
      {"rational", fn -> Sympy.Rational.new!(1, 3) |> to_string() end},
      {"rational_one", fn -> Sympy.Rational.new!(3) |> to_string() end},
      # expr.subs(x, 3)
      {"subs", fn -> Sympy.Basic.subs!(expr, x, 3) |> to_string() end},
      # N(pi, 30); N(sqrt(2))
      {"n_pi", fn -> Sympy.py_N!(Sympy.pi!(), 30) |> to_string() end},
      {"n_sqrt2", fn -> Sympy.py_N!(Sympy.sqrt!(2)) |> to_string() end},
      # factor(x**2 + 2*x + 1); expand((x + 1)**2)
      {"factor", fn -> Sympy.factor!(expr) |> to_string() end},
      {"expand", fn -> Sympy.expand!(Sympy.sympify!("(x + y)**2")) |> to_string() end},
      # diff(x**3, x); diff(x**3, x, 2); integrate(x**2, x); integrate(x**2, (x, 0, 1))
      {"diff", fn -> Sympy.diff!(Sympy.sympify!("x**3"), x) |> to_string() end},
      {"diff2", fn -> Sympy.diff!(Sympy.sympify!("x**3"), x, 2) |> to_string() end},
      {"integrate", fn -> Sympy.integrate!(Sympy.sympify!("x**2"), x) |> to_string() end},
      {"integrate_definite",
       fn ->
         Sympy.integrate!(Sympy.sympify!("x**2"), {x, 0, 1}) |> to_string()
       end},
      # solve(x**2 - 4, x); simplify(sin(x)**2 + cos(x)**2)
      {"solve",
       fn ->
         Sympy.solve!(Sympy.sympify!("x**2 - 4"), x) |> Enum.map(&to_string/1)
       end},
      {"simplify",
       fn ->
         Sympy.simplify!(Sympy.sympify!("sin(x)**2 + cos(x)**2")) |> to_string()
       end},
      # symbols('a b c'); Matrix([[1, 2], [3, 4]]).det()
      {"symbols", fn -> Sympy.symbols!("a b c") |> Tuple.to_list() |> Enum.map(&to_string/1) end},
      {"matrix_det",
       fn -> Sympy.Matrix.new!([[1, 2], [3, 4]]) |> Sympy.Matrix.det!() |> to_string() end},
      # limit(sin(x)/x, x, 0)
      {"limit", fn -> Sympy.limit!(Sympy.sympify!("sin(x)/x"), x, 0) |> to_string() end},
      {"y_free", fn -> to_string(y) end},
      # diff(f, x, *[x, y, y]); diff(x**12, *[x] * 10): any number of *args through a splat
      {"diff_splat",
       fn ->
         Sympy.diff!(Sympy.sympify!("x**3 * y**3"), x, SnakeBridge.splat([x, y, y]))
         |> to_string()
       end},
      {"diff_splat_ten",
       fn ->
         Sympy.diff!(Sympy.sympify!("x**12"), SnakeBridge.splat(List.duplicate(x, 10)))
         |> to_string()
       end},

      # sqrt(8); factorint(12); isprime(7); prime(10)
      {"sqrt", fn -> Sympy.sqrt!(8) |> to_string() end},
      {"factorint", fn -> Sympy.factorint!(12) end},
      {"isprime", fn -> Sympy.isprime!(7) end},
      {"prime", fn -> Sympy.prime!(10) end},
      # series(cos(x), x, 0, 4)
      {"series", fn -> Sympy.series!(Sympy.cos!(x), x, 0, 4) |> to_string() end},
      # Eq(x**2, 4); solveset(x**2 - 4, x)
      {"solveset", fn -> Sympy.solveset!(Sympy.sympify!("x**2 - 4"), x) |> to_string() end},

      # Matrix([[1, 2], [3, 4]]).inv(); Poly(x**2 + 1, x).degree()
      {"matrix_inv",
       fn -> Sympy.Matrix.new!([[1, 2], [3, 4]]) |> Sympy.Matrix.inv!() |> to_string() end},
      {"poly_degree",
       fn -> Sympy.Poly.new!(Sympy.sympify!("x**2 + 1"), x) |> Sympy.Poly.degree!() end},
      # Eq(x + 1, 3); solve(Eq(x + 1, 3), x)
      {"solve_eq", fn -> Sympy.solve!(Sympy.Eq.new!(Sympy.sympify!("x + 1"), 3), x) end},
      # more calls as the library's documentation writes them
      {"sy_symbols_tuple",
       fn ->
         {x, y} = Sympy.symbols!("x y")
         Sympy.expand!(Sympy.Mul.new!(x, y)) |> to_string()
       end},
      {"sy_eq_solve",
       fn ->
         x = Sympy.Symbol.new!("x")
         Sympy.solve!(Sympy.Eq.new!(Sympy.Add.new!(x, 1), 4), x) |> Enum.map(&to_string/1)
       end},
      {"sy_latex", fn -> Sympy.latex!(Sympy.sympify!("x**2/2")) end},
      {"sy_evalf_subs",
       fn ->
         x = Sympy.Symbol.new!("x")
         Sympy.sympify!("x**2") |> Sympy.Expr.evalf!(subs: %{x => 2}) |> to_string()
       end},
      {"sy_eigenvals",
       fn ->
         Sympy.Matrix.new!([[1, 0], [0, 2]])
         |> Sympy.Matrix.eigenvals!()
         |> Map.new(fn {k, v} -> {to_string(k), v} end)
       end},
      {"sy_lambdify",
       fn ->
         x = Sympy.Symbol.new!("x")
         Sympy.lambdify!(x, Sympy.sympify!("x**2")) |> SnakeBridge.method!("__call__", [3])
       end},
      {"sy_apart", fn -> Sympy.apart!(Sympy.sympify!("1/(x**2 + 3*x + 2)")) |> to_string() end},
      {"sy_trigsimp",
       fn -> Sympy.trigsimp!(Sympy.sympify!("sin(x)**2 + cos(x)**2")) |> to_string() end},
      {"sy_limit_oo",
       fn ->
         x = Sympy.Symbol.new!("x")
         Sympy.limit!(Sympy.sympify!("1/x"), x, Sympy.oo!()) |> to_string()
       end},
      {"sy_summation",
       fn ->
         n = Sympy.Symbol.new!("n")
         Sympy.summation!(Sympy.sympify!("1/n**2"), {n, 1, Sympy.oo!()}) |> to_string()
       end},
      {"sy_nsimplify", fn -> Sympy.nsimplify!(0.5) |> to_string() end},
      {"sy_binomial", fn -> Sympy.binomial!(5, 2) |> to_string() end},
      {"sy_function_dsolve",
       fn ->
         x = Sympy.Symbol.new!("x")
         f = Sympy.Function.new!("f")
         fx = SnakeBridge.method!(f, "__call__", [x])
         Sympy.dsolve!(Sympy.Eq.new!(Sympy.diff!(fx, x), fx), fx) |> to_string()
       end},
      {"sy_pi_evalf", fn -> Sympy.pi!() |> Sympy.Expr.evalf!(5) |> to_string() end},
      # mpmath (mpmath.org/doc, sympy's own arithmetic): mp.dps = 50, set and put back
      {"mp_dps", fn -> Mpmath.mp!() |> Mpmath.CtxMp.MPContext.dps!() end},
      {"mp_dps_50",
       fn ->
         mp = Mpmath.mp!()
         Mpmath.CtxMp.MPContext.put_dps!(mp, 50)
         root = Mpmath.sqrt!(2) |> to_string()
         Mpmath.CtxMp.MPContext.put_dps!(mp, 15)
         root
       end},
      {"mp_workdps",
       fn ->
         SnakeBridge.with_context(Mpmath.workdps!(30), fn _ -> to_string(Mpmath.sqrt!(2)) end)
       end},
      {"mp_fadd", fn -> Mpmath.fadd!(Mpmath.mpf!("0.1"), Mpmath.mpf!("0.2")) |> to_string() end},
      {"mp_nstr", fn -> Mpmath.nstr!(Mpmath.pi!(), 10) end},
      {"mp_findroot", fn -> Mpmath.findroot!(&Mpmath.sin!/1, 3.14) |> Mpmath.nstr!(10) end},
      {"mp_quad", fn -> Mpmath.quad!(&Mpmath.sin!/1, [0, Mpmath.pi!()]) |> to_string() end}
    ]
  end
end
