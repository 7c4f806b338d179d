defmodule ScipyApp do
  @moduledoc "Calls as scipy's documentation writes them (docs.scipy.org/doc/scipy/reference)."

  def cases do
    cost = [[4, 1, 3], [2, 0, 5], [3, 2, 2]]

    [
      # row_ind, col_ind = linear_sum_assignment(cost)
      {"linear_sum_assignment",
       fn ->
         {rows, cols} = Scipy.Optimize.linear_sum_assignment!(cost)
         {Numpy.Ndarray.tolist!(rows), Numpy.Ndarray.tolist!(cols)}
       end},
      {"linear_sum_assignment_max",
       fn ->
         {_rows, cols} = Scipy.Optimize.linear_sum_assignment!(cost, maximize: true)
         Numpy.Ndarray.tolist!(cols)
       end},
      # scipy.special.comb(10, 3, exact=True); comb(10, 3)
      {"comb_exact", fn -> Scipy.Special.comb!(10, 3, exact: true) end},
      {"comb", fn -> Scipy.Special.comb!(10, 3) end},
      # scipy.special.factorial(5, exact=True)
      {"factorial", fn -> Scipy.Special.factorial!(5, exact: true) end},
      # norm.cdf(0); norm.ppf(0.975)
      {"norm_cdf", fn -> Scipy.Stats.Norm.cdf!(0) end},
      {"norm_ppf", fn -> Scipy.Stats.Norm.ppf!(0.975) end},
      # scipy.linalg.det(a); scipy.linalg.inv(a)
      {"det", fn -> Scipy.Linalg.det!([[1, 2], [3, 4]]) end},
      {"inv", fn -> Scipy.Linalg.inv!([[1.0, 2.0], [3.0, 4.0]]) |> Numpy.Ndarray.tolist!() end},
      # scipy.integrate.trapezoid([1, 2, 3]); trapezoid([1, 2, 3], x=[4, 6, 8])
      {"trapezoid", fn -> Scipy.Integrate.trapezoid!([1, 2, 3]) end},
      {"trapezoid_x", fn -> Scipy.Integrate.trapezoid!([1, 2, 3], x: [4, 6, 8]) end},
      # dict(OptimizeResult(x=1.5, success=True)): a dict subclass stays a Python object
      # (a ref); to_elixir/1 gives the plain map
      {"optimize_result",
       fn ->
         Scipy.Optimize.OptimizeResult.new!(x: 1.5, success: true) |> SnakeBridge.to_elixir!()
       end},
      # res = OptimizeResult(x=1.5, success=True); res.x, res.success
      {"optimize_result_attributes",
       fn ->
         res = Scipy.Optimize.OptimizeResult.new!(x: 1.5, success: true)
         {Scipy.Optimize.OptimizeResult.x!(res), Scipy.Optimize.OptimizeResult.success!(res)}
       end},
      # def f(x): return (x - 2) * (x + 1)**2
      # res = minimize_scalar(f); res.x, res.success
      {"minimize_scalar",
       fn ->
         res = Scipy.Optimize.minimize_scalar!(fn x -> (x - 2) * (x + 1) * (x + 1) end)

         {Float.round(Scipy.Optimize.OptimizeResult.x!(res), 6),
          Scipy.Optimize.OptimizeResult.success!(res)}
       end},
      # scipy.stats.describe([1, 2, 3, 4]).mean: a namedtuple keeps its field names
      {"describe_mean", fn -> Scipy.Stats.describe!([1, 2, 3, 4])["mean"] end},
      # more calls as the library's documentation writes them
      {"sp_minimize_rosen",
       fn ->
         res =
           Scipy.Optimize.minimize!(&Scipy.Optimize.rosen!/1, [1.3, 0.7, 0.8],
             method: "Nelder-Mead",
             tol: 1.0e-6
           )

         res |> Scipy.Optimize.OptimizeResult.x!() |> Numpy.round!(3) |> Numpy.Ndarray.tolist!()
       end},
      {"sp_brentq",
       fn -> Scipy.Optimize.brentq!(fn x -> x * x - 2 end, 0, 2) |> Float.round(6) end},
      {"sp_quad",
       fn -> Scipy.Integrate.quad!(fn x -> x * x end, 0, 1) |> elem(0) |> Float.round(9) end},
      {"sp_cubic_spline",
       fn ->
         Scipy.Interpolate.CubicSpline.new!([0, 1, 2], [0, 1, 8])
         |> SnakeBridge.method!("__call__", [1.5])
         |> Numpy.Ndarray.tolist!()
         |> Float.round(6)
       end},
      {"sp_linregress",
       fn -> Scipy.Stats.linregress!([0, 1, 2], [1, 3, 5]) |> then(& &1["slope"]) end},
      {"sp_pearsonr",
       fn ->
         Scipy.Stats.pearsonr!([1, 2, 3], [2, 4, 7]) |> then(& &1["statistic"]) |> Float.round(6)
       end},
      {"sp_gamma", fn -> Scipy.Special.gamma!(5) end},
      {"sp_expit", fn -> Scipy.Special.expit!(0) end},
      {"sp_erf", fn -> Scipy.Special.erf!(0.5) |> Float.round(9) end},
      {"sp_csr",
       fn ->
         Scipy.Sparse.csr_matrix!([[1, 0], [0, 2]])
         |> Scipy.Sparse.CsrMatrix.toarray!()
         |> Numpy.Ndarray.tolist!()
       end},
      {"sp_euclidean", fn -> Scipy.Spatial.Distance.euclidean!([0, 0], [3, 4]) end},
      {"sp_cdist",
       fn ->
         Scipy.Spatial.Distance.cdist!([[0, 0]], [[3, 4], [6, 8]]) |> Numpy.Ndarray.tolist!()
       end},
      {"sp_convolve",
       fn -> Scipy.Signal.convolve!([1, 2, 3], [0, 1, 0.5]) |> Numpy.Ndarray.tolist!() end},
      {"sp_constants_c", fn -> Scipy.Constants.c!() end},
      {"sp_norm_frozen",
       fn -> Scipy.Stats.norm!(loc: 1, scale: 2) |> SnakeBridge.method!("mean", []) end},
      {"sp_lu", fn -> Scipy.Linalg.lu!([[1, 2], [3, 4]]) |> tuple_size() end}
    ]
  end
end
