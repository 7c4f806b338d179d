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
      {"describe_mean", fn -> Scipy.Stats.describe!([1, 2, 3, 4])["mean"] end}
    ]
  end
end
