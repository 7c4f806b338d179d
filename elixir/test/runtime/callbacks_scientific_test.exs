defmodule SnakeBridge.Runtime.CallbacksScientificTest do
  @moduledoc """
  Elixir functions handed to real scipy, pandas and numpy, written the way their docs
  use Python functions.
  """
  use SnakeBridge.RuntimeCase, async: true

  @libraries [
    scipy: "~> 1.13",
    numpy: "~> 2.0",
    pandas: "~> 2.2",
    matplotlib: "~> 3.8",
    builtins: :stdlib
  ]

  setup_all do
    pool = start_pool(:"cb_sci_#{System.unique_integer([:positive])}", libraries: @libraries)
    %{sb: [snakebridge: [pool: pool, timeout: 60_000]]}
  end

  defp tolist(ref, sb), do: SnakeBridge.method!(ref, "tolist", [], sb)

  # The N-dimensional Rosenbrock function and its gradient, in Elixir arithmetic
  # (scipy.optimize.rosen and rosen_der).
  def rosen(xs) do
    xs
    |> Enum.chunk_every(2, 1, :discard)
    |> Enum.map(fn [a, b] -> 100 * (b - a * a) ** 2 + (1 - a) ** 2 end)
    |> Enum.sum()
  end

  def rosen_der(xs) do
    n = length(xs)
    x = List.to_tuple(xs)

    for i <- 0..(n - 1) do
      xi = elem(x, i)
      left = if i > 0, do: 200 * (xi - elem(x, i - 1) ** 2), else: 0.0
      right = if i < n - 1, do: -400 * xi * (elem(x, i + 1) - xi * xi) - 2 * (1 - xi), else: 0.0
      left + right
    end
  end

  test "minimize with an Elixir objective and gradient converges to the optimum", %{sb: sb} do
    f = fn x -> x |> tolist(sb) |> rosen() end
    jac = fn x -> x |> tolist(sb) |> rosen_der() end
    x0 = [1.3, 0.7, 0.8, 1.9, 1.2]

    # OptimizeResult is a dict subclass: a ref, its fields by name.
    assert {:ok, result} =
             SnakeBridge.call(
               "scipy.optimize",
               "minimize",
               [f, x0],
               [method: "BFGS", jac: jac, options: %{"gtol" => 1.0e-8}] ++ sb
             )

    assert %{"success" => true, "x" => x, "nfev" => nfev, "fun" => fun} =
             SnakeBridge.to_elixir!(result)

    assert Enum.all?(tolist(x, sb), &(abs(&1 - 1.0) < 1.0e-5))
    assert fun < 1.0e-10
    assert nfev > 1
  end

  test "minimize with a Python-free Elixir objective matches scipy's own rosen", %{sb: sb} do
    # The objective's value agrees with scipy.optimize.rosen at a few points.
    for point <- [[0.0, 0.0], [1.3, 0.7, 0.8], [-1.2, 1.0, 2.0, 0.5]] do
      {:ok, expected} = SnakeBridge.call("scipy.optimize", "rosen", [point], sb)
      assert_in_delta rosen(point), expected, 1.0e-9
    end
  end

  test "quad of fn x -> x * x end on [0, 1] is 1/3", %{sb: sb} do
    assert {:ok, {value, error}} =
             SnakeBridge.call("scipy.integrate", "quad", [fn x -> x * x end, 0, 1], sb)

    assert_in_delta value, 1 / 3, 1.0e-12
    assert error < 1.0e-10
  end

  test "solve_ivp with an Elixir right-hand side (exponential decay)", %{sb: sb} do
    rhs = fn _t, y -> y |> tolist(sb) |> Enum.map(&(-0.5 * &1)) end

    assert {:ok, result} =
             SnakeBridge.call(
               "scipy.integrate",
               "solve_ivp",
               [rhs, [0, 10], [2, 4, 8]],
               [t_eval: [10.0], rtol: 1.0e-8, atol: 1.0e-10] ++ sb
             )

    assert true = result["success"]
    y = result["y"]

    for {[value], y0} <- Enum.zip(tolist(y, sb), [2, 4, 8]) do
      assert_in_delta value, y0 * :math.exp(-5), 1.0e-6
    end
  end

  test "sorted with an Elixir key", %{sb: sb} do
    words = ["banana", "Apple", "cherry", "date"]

    assert {:ok, ["date", "Apple", "banana", "cherry"]} =
             SnakeBridge.call("builtins", "sorted", [words], [key: &String.length/1] ++ sb)

    assert {:ok, ["date", "cherry", "banana", "Apple"]} =
             SnakeBridge.call(
               "builtins",
               "sorted",
               [words],
               [key: &String.downcase/1, reverse: true] ++ sb
             )
  end

  test "pandas apply with Elixir functions (Series and rows of a DataFrame)", %{sb: sb} do
    {:ok, df} =
      SnakeBridge.call("pandas", "DataFrame", [%{"a" => [1, 2, 3], "b" => [10, 20, 30]}], sb)

    {:ok, a} = SnakeBridge.method(df, "__getitem__", ["a"], sb)
    {:ok, doubled} = SnakeBridge.method(a, "apply", [fn v -> v * 2 end], sb)
    assert [2, 4, 6] = tolist(doubled, sb)

    row_sum = fn row ->
      SnakeBridge.method!(row, "__getitem__", ["a"], sb) +
        SnakeBridge.method!(row, "__getitem__", ["b"], sb)
    end

    {:ok, sums} = SnakeBridge.method(df, "apply", [row_sum], [axis: 1] ++ sb)
    assert [11, 22, 33] = tolist(sums, sb)
  end

  test "a matplotlib FuncFormatter keeps its Elixir function for later calls", %{sb: sb} do
    SnakeBridge.with_session(fn ->
      label = fn value, _position -> "#{round(value)} kg" end
      {:ok, formatter} = SnakeBridge.call("matplotlib.ticker", "FuncFormatter", [label], sb)
      # Later calls of the session: matplotlib calls the function it kept.
      assert {:ok, "3 kg"} = SnakeBridge.method(formatter, "__call__", [2.6, 0], sb)

      assert {:ok, ["1 kg", "2 kg"]} =
               SnakeBridge.method(formatter, "format_ticks", [[1.0, 2.0]], sb)
    end)
  end

  test "a nested numpy call inside a callback (numpy computes the objective)", %{sb: sb} do
    f = fn x ->
      {:ok, squares} = SnakeBridge.call("numpy", "square", [x], sb)
      SnakeBridge.call!("numpy", "sum", [squares], sb)
    end

    assert {:ok, result} = SnakeBridge.call("scipy.optimize", "minimize", [f, [3.0, -2.0]], sb)
    assert %{"success" => true, "x" => x} = SnakeBridge.to_elixir!(result)

    assert Enum.all?(tolist(x, sb), &(abs(&1) < 1.0e-4))
  end

  test "a Python error inside the optimizer reaches the caller; the pool keeps serving", %{
    sb: sb
  } do
    bad = fn _x -> "not a number" end

    assert {:error, %SnakeBridge.Error{}} =
             SnakeBridge.call("scipy.optimize", "minimize", [bad, [1.0]], sb)

    assert {:ok, {value, _}} =
             SnakeBridge.call("scipy.integrate", "quad", [fn x -> x end, 0, 2], sb)

    assert_in_delta value, 2.0, 1.0e-12
  end
end
