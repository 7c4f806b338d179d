defmodule Demo do
  @moduledoc """
  A small tour of SnakeBridge: numpy statistics and linear algebra, a sympy
  derivation, the standard library's json and the app's own Python module
  (`priv/python/demo_tools.py`), all through generated bindings.

  Run it with `make demo` from the repository root, or from a release:
  `MIX_ENV=prod mix release` and then `_build/prod/rel/demo/bin/demo eval 'Demo.main()'`.
  """

  @samples [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]

  def main do
    # `bin/demo eval` loads the code without starting applications; `mix run` has
    # started them already.
    {:ok, _} = Application.ensure_all_started(:demo)
    IO.puts("SnakeBridge demo: Python libraries called from Elixir\n")
    statistics()
    linear_algebra()
    symbolic()
    json()
    local()
    errors()
  end

  @doc "Where the workers' Python runs (`demo_tools.interpreter()`): executable, prefix, files."
  def python_info do
    {:ok, _} = Application.ensure_all_started(:demo)
    DemoTools.interpreter!()
  end

  defp statistics do
    # The array stays in Python; Elixir holds a ref and passes it on.
    xs = Numpy.array!(@samples)
    mean = Numpy.mean!(xs)
    std = xs |> Numpy.std!()

    section("numpy statistics")
    row("samples", inspect(@samples))
    row("mean", format(mean))
    row("standard deviation", format(std))
  end

  defp linear_algebra do
    a = Numpy.array!([[3.0, 1.0], [1.0, 2.0]])
    b = Numpy.array!([9.0, 8.0])
    x = Numpy.Linalg.solve!(a, b)

    section("numpy.linalg.solve")
    row("system", "3x + y = 9,  x + 2y = 8")
    row("solution [x, y]", inspect(Numpy.Ndarray.tolist!(x)))
  end

  defp symbolic do
    x = Sympy.Symbol.new!("x")
    cube = Sympy.sympify!("(x + 1)**3")
    expanded = Sympy.expand!(cube)
    derivative = Sympy.diff!(expanded, x)
    roots = Sympy.solve!(Sympy.sympify!("x**2 - 4"), x)

    section("sympy")
    row("expand((x + 1)^3)", Sympy.sstr!(expanded))
    row("d/dx", Sympy.sstr!(derivative))
    row("solve(x^2 - 4 = 0)", Enum.map_join(roots, ", ", &Sympy.sstr!/1))
  end

  defp json do
    encoded = Json.dumps!(%{"library" => "numpy", "mean" => 5.0, "tags" => ["fast", "typed"]})

    section("json (standard library)")
    row("dumps", encoded)
  end

  defp local do
    summary = DemoTools.summary!(@samples)

    section("the app's own Python (priv/python/demo_tools.py)")
    row("summary", inspect(summary))
  end

  defp errors do
    section("errors come back as values")

    case Numpy.Linalg.solve(Numpy.array!([[1.0, 2.0], [2.0, 4.0]]), Numpy.array!([1.0, 2.0])) do
      {:ok, _} -> row("singular matrix", "unexpectedly solved")
      {:error, error} -> row("singular matrix", "#{error.python_type}: #{error.message}")
    end
  end

  defp section(title), do: IO.puts("\n== #{title}")

  defp row(label, value), do: IO.puts("  #{String.pad_trailing(label, 22)} #{value}")

  defp format(value) when is_float(value), do: :erlang.float_to_binary(value, decimals: 4)
  defp format(value), do: inspect(value)
end
