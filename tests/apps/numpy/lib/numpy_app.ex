defmodule NumpyApp do
  @moduledoc "Calls as numpy's documentation writes them (numpy.org/doc/stable/reference)."

  def cases do
    m = Numpy.array!([[1, 2], [3, 4]])
    a = [[1, 2], [3, 4]]

    [
      # numpy.where(condition, x, y)
      {"where",
       fn ->
         Numpy.where!([[true, false], [true, true]], [[1, 2], [3, 4]], [[9, 8], [7, 6]])
       end},
      # numpy.mean: "np.mean(a, axis=0)", and the axis positionally
      {"mean_axis_kw", fn -> a |> Numpy.mean!(axis: 0) |> Numpy.Ndarray.tolist!() end},
      {"mean_axis_pos", fn -> a |> Numpy.mean!(0) |> Numpy.Ndarray.tolist!() end},
      {"mean", fn -> Numpy.mean!(a) end},
      # numpy.sum([[0, 1], [0, 5]], axis=1)
      {"sum_axis", fn -> Numpy.sum!([[0, 1], [0, 5]], axis: 1) |> Numpy.Ndarray.tolist!() end},
      # numpy.arange(3), numpy.arange(3, 7), numpy.arange(3, 7, 2)
      {"arange_stop", fn -> Numpy.arange!(3) |> Numpy.Ndarray.tolist!() end},
      {"arange_start_stop", fn -> Numpy.arange!(3, 7) |> Numpy.Ndarray.tolist!() end},
      {"arange_step", fn -> Numpy.arange!(3, 7, 2) |> Numpy.Ndarray.tolist!() end},
      # numpy.linspace(2.0, 3.0, num=5)
      {"linspace", fn -> Numpy.linspace!(2.0, 3.0, num: 5) |> Numpy.Ndarray.tolist!() end},
      # numpy.linspace(start=2.0, stop=3.0, num=5): required parameters by name
      {"linspace_by_keyword",
       fn -> Numpy.linspace!(start: 2.0, stop: 3.0, num: 5) |> Numpy.Ndarray.tolist!() end},
      # rng = np.random.default_rng(42); rng.integers(0, 10, 3)
      {"default_rng",
       fn ->
         42
         |> Numpy.Random.default_rng!()
         |> Numpy.Random.Generator.integers!(0, 10, 3)
         |> Numpy.Ndarray.tolist!()
       end},
      # numpy.float64(2.5): a scalar type called like a function
      {"float64", fn -> Numpy.float64!(2.5) end},
      # numpy.zeros((2, 3)), numpy.ones(3, dtype=int)
      {"zeros", fn -> Numpy.zeros!({2, 3}) |> Numpy.Ndarray.tolist!() end},
      {"ones_dtype", fn -> Numpy.ones!(3, dtype: "int64") |> Numpy.Ndarray.tolist!() end},
      # np.zeros(3, dtype=np.float32).dtype.name: a class as a value is its module's class/0
      {"zeros_dtype_class",
       fn ->
         Numpy.zeros!(3, dtype: Numpy.Float32.class!())
         |> Numpy.Ndarray.dtype!()
         |> SnakeBridge.attr!("name")
       end},
      # numpy.concatenate((a, b), axis=0)
      {"concatenate",
       fn -> Numpy.concatenate!({[[1, 2]], [[5, 6]]}, axis: 0) |> Numpy.Ndarray.tolist!() end},
      # numpy.clip(a, 1, 8)
      {"clip", fn -> Numpy.clip!(Enum.to_list(0..9), 1, 8) |> Numpy.Ndarray.tolist!() end},
      # numpy.round(2.675, 2), numpy.add(1.0, 4.0)
      {"round", fn -> Numpy.round!(2.675, 2) end},
      {"add", fn -> Numpy.add!(1.0, 4.0) end},
      # a.reshape(2, 3) / a.reshape((2, 3))
      {"reshape",
       fn ->
         Numpy.arange!(6) |> Numpy.Ndarray.reshape!(3, 2) |> Numpy.Ndarray.tolist!()
       end},
      # numpy.linalg.norm(a), numpy.linalg.solve(a, b)
      {"norm", fn -> Numpy.Linalg.norm!([3.0, 4.0]) end},
      # numpy.broadcast_shapes(*shapes) over eleven shapes
      {"broadcast_shapes_splat",
       fn ->
         shapes = [{6, 1} | List.duplicate({1, 7}, 10)]
         Numpy.broadcast_shapes!(SnakeBridge.splat(shapes))
       end},
      {"solve",
       fn -> Numpy.Linalg.solve!([[3, 1], [1, 2]], [9, 8]) |> Numpy.Ndarray.tolist!() end},

      # rng = np.random.default_rng(42); rng.integers(0, 10, size=3).shape
      {"rng_integers",
       fn ->
         Numpy.Random.default_rng!(42)
         |> Numpy.Random.Generator.integers!(0, 10, size: 3)
         |> Numpy.Ndarray.shape!()
       end},
      # hist, edges = np.histogram([1, 2, 1], bins=[0, 1, 2, 3])
      {"histogram",
       fn ->
         {hist, edges} = Numpy.histogram!([1, 2, 1], bins: [0, 1, 2, 3])
         {Numpy.Ndarray.tolist!(hist), Numpy.Ndarray.tolist!(edges)}
       end},
      # np.iinfo(np.int32).max; np.array([1, 2], dtype=np.int8).dtype.name
      {"iinfo", fn -> Numpy.iinfo!(Numpy.Int32.class!()) |> Numpy.Iinfo.max!() end},
      {"array_dtype_class",
       fn ->
         Numpy.array!([1, 2], dtype: Numpy.Int8.class!())
         |> Numpy.Ndarray.dtype!()
         |> SnakeBridge.attr!("name")
       end},
      # np.einsum("ii", np.arange(9).reshape(3, 3))
      {"einsum",
       fn ->
         Numpy.einsum!("ii", Numpy.arange!(9) |> Numpy.Ndarray.reshape!(3, 3))
       end},
      # more calls as the library's documentation writes them
      {"np_T", fn -> m |> Numpy.Ndarray.py_T!() |> Numpy.Ndarray.tolist!() end},
      {"np_dot", fn -> Numpy.dot!(m, m) |> Numpy.Ndarray.tolist!() end},
      {"np_matmul", fn -> Numpy.matmul!(m, [1, 1]) |> Numpy.Ndarray.tolist!() end},
      {"np_cumsum_axis", fn -> Numpy.cumsum!(m, axis: 0) |> Numpy.Ndarray.tolist!() end},
      {"np_argmax", fn -> Numpy.argmax!([3, 9, 2]) end},
      {"np_argsort", fn -> Numpy.argsort!([3, 1, 2]) |> Numpy.Ndarray.tolist!() end},
      {"np_unique", fn -> Numpy.unique!([1, 1, 2, 2, 3, 3]) |> Numpy.Ndarray.tolist!() end},
      {"np_unique_counts",
       fn ->
         {values, counts} = Numpy.unique!([1, 1, 2, 3, 3, 3], return_counts: true)
         {Numpy.Ndarray.tolist!(values), Numpy.Ndarray.tolist!(counts)}
       end},
      {"np_eye", fn -> Numpy.eye!(2) |> Numpy.Ndarray.tolist!() end},
      {"np_full", fn -> Numpy.full!({2, 2}, 7) |> Numpy.Ndarray.tolist!() end},
      {"np_percentile", fn -> Numpy.percentile!([1, 2, 3, 4], 50) end},
      {"np_median", fn -> Numpy.median!([3, 1, 2]) end},
      {"np_std_ddof", fn -> Numpy.std!([1, 2, 3, 4], ddof: 1) end},
      {"np_vstack", fn -> Numpy.vstack!([[1, 2], [3, 4]]) |> Numpy.Ndarray.tolist!() end},
      {"np_hstack", fn -> Numpy.hstack!({[1, 2], [3]}) |> Numpy.Ndarray.tolist!() end},
      {"np_stack_axis",
       fn -> Numpy.stack!([[1, 2], [3, 4]], axis: 1) |> Numpy.Ndarray.tolist!() end},
      {"np_isclose", fn -> Numpy.isclose!(1.0, 1.0 + 1.0e-10) end},
      {"np_allclose", fn -> Numpy.allclose!([1.0, 2.0], [1.0, 2.0000001]) end},
      {"np_meshgrid",
       fn ->
         Numpy.meshgrid!([1, 2], [3, 4]) |> Tuple.to_list() |> Enum.map(&Numpy.Ndarray.tolist!/1)
       end},
      {"np_polyfit",
       fn ->
         Numpy.polyfit!([0, 1, 2], [1, 3, 5], 1) |> Numpy.round!(6) |> Numpy.Ndarray.tolist!()
       end},
      {"np_polyval", fn -> Numpy.polyval!([3, 0, 1], 5) end},
      {"np_nanmean", fn -> Numpy.nanmean!([1, :nan, 3]) end},
      {"np_logspace", fn -> Numpy.logspace!(0, 2, 3) |> Numpy.Ndarray.tolist!() end},
      {"np_tile", fn -> Numpy.tile!([0, 1], 2) |> Numpy.Ndarray.tolist!() end},
      {"np_repeat", fn -> Numpy.repeat!([1, 2], 2) |> Numpy.Ndarray.tolist!() end},
      {"np_fromfunction",
       fn ->
         Numpy.fromfunction!(fn i, j -> Numpy.add!(i, j) end, {2, 2}, dtype: Numpy.Int64.class!())
         |> Numpy.Ndarray.tolist!()
       end},
      {"np_sum_method", fn -> m |> Numpy.Ndarray.sum!(axis: 1) |> Numpy.Ndarray.tolist!() end},
      {"np_reshape_method",
       fn -> Numpy.arange!(6) |> Numpy.Ndarray.reshape!(2, 3) |> Numpy.Ndarray.tolist!() end},
      {"np_astype",
       fn -> m |> Numpy.Ndarray.astype!(Numpy.Float64.class!()) |> Numpy.Ndarray.tolist!() end},
      {"np_astype_str",
       fn -> m |> Numpy.Ndarray.astype!("float32") |> Numpy.Ndarray.tolist!() end},
      {"np_max_method", fn -> Numpy.Ndarray.max!(m) end},
      {"np_fft",
       fn -> Numpy.Fft.fft!([1, 0, 0, 0]) |> Numpy.Ndarray.real!() |> Numpy.Ndarray.tolist!() end},
      {"np_linalg_det", fn -> Numpy.Linalg.det!(m) |> Float.round(6) end},
      {"np_linalg_eigvals",
       fn -> Numpy.Linalg.eigvals!([[2, 0], [0, 3]]) |> Numpy.Ndarray.tolist!() end},
      {"np_shape_attr", fn -> Numpy.zeros!({2, 3}) |> Numpy.Ndarray.shape!() end},
      {"np_where_one",
       fn ->
         Numpy.where!(Numpy.array!([0, 1, 2]) |> Numpy.greater!(0))
         |> Tuple.to_list()
         |> Enum.map(&Numpy.Ndarray.tolist!/1)
       end},
      # numpy.polynomial: the class Polynomial and the module polynomial are one Elixir
      # module, Numpy.Polynomial.Polynomial (P.polyval(2, c) and Polynomial(c)(2))
      {"np_poly_call",
       fn ->
         Numpy.Polynomial.Polynomial.new!([1, 2, 3]) |> SnakeBridge.method!("__call__", [2])
       end},
      {"np_poly_polyval", fn -> Numpy.Polynomial.Polynomial.polyval!(2, [1, 2, 3]) end},
      {"np_chebval", fn -> Numpy.Polynomial.Chebyshev.chebval!(1, [1, 2, 3]) end},
      {"np_poly_fit",
       fn ->
         Numpy.Polynomial.Polynomial.fit!([0, 1, 2], [1, 3, 5], 1)
         |> Numpy.Polynomial.Polynomial.convert!()
         |> Numpy.Polynomial.Polynomial.coef!()
         |> Numpy.Ndarray.tolist!()
         |> Enum.map(&Float.round(&1, 9))
       end}
    ]
  end
end
