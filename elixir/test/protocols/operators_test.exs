defmodule SnakeBridge.Protocols.OperatorsTest do
  @moduledoc "`use SnakeBridge.Operators`: sympy, numpy and pandas arithmetic as their docs write it."
  use SnakeBridge.RuntimeCase, async: true
  use SnakeBridge.Operators

  alias SnakeBridge.Ref

  setup_all do
    pool =
      start_pool(:"operators_#{System.unique_integer([:positive])}",
        libraries: [numpy: "~> 2.0", sympy: "~> 1.13", pandas: "~> 2.2", builtins: :stdlib]
      )

    {:ok, pool: pool}
  end

  defp call(module, fun, args, pool, opts \\ []),
    do: SnakeBridge.call!(module, fun, args, opts ++ [snakebridge: [pool: pool]])

  test "sympy: x**2 + 2*x, expand((x + 1)**2), -x, equality", %{pool: pool} do
    x = call("sympy", "Symbol", ["x"], pool)
    expr = x ** 2 + 2 * x
    assert %Ref{} = expr
    assert "x**2 + 2*x" = to_string(expr)
    assert "x**2 + 2*x + 1" = to_string(call("sympy", "expand", [(x + 1) ** 2], pool))
    assert "-x" = to_string(-x)
    assert "x/2 - 1" = to_string(x / 2 - 1)
    # sympy's == is structural equality: a Python bool.
    assert true == (x + x == 2 * x)
    assert false == (x != x)
    assert "x > 1" = to_string(x > 1)
    assert 9 = call("builtins", "int", [SnakeBridge.method!(expr, "subs", [x, 3]) - 6], pool)
  end

  test "numpy: a * 2 + b elementwise, comparisons give masks, named operators", %{pool: pool} do
    a = call("numpy", "array", [[1, 2, 3]], pool)
    b = call("numpy", "array", [[10, 20, 30]], pool)
    assert [12, 24, 36] = SnakeBridge.method!(a * 2 + b, "tolist")
    assert [-1, -2, -3] = SnakeBridge.method!(-a, "tolist")
    assert [0.5, 1.0, 1.5] = SnakeBridge.method!(a / 2, "tolist")
    assert [1, 4, 9] = SnakeBridge.method!(a ** 2, "tolist")
    assert [9, 18, 27] = SnakeBridge.method!(b - a, "tolist")
    assert [false, true, true] = SnakeBridge.method!(a >= 2, "tolist")
    assert [true, false, false] = SnakeBridge.method!(a == 1, "tolist")
    mask = band(a > 1, a < 3)
    assert [false, true, false] = SnakeBridge.method!(mask, "tolist")
    assert [true, false, true] = SnakeBridge.method!(bor(a < 2, a > 2), "tolist")
    assert [true, false, true] = SnakeBridge.method!(bnot(mask), "tolist")
    assert 140 = matmul(a, b)
    m = call("numpy", "array", [[[1, 2], [3, 4]]], pool)
    assert [[7, 10], [15, 22]] = SnakeBridge.method!(matmul(m, m), "tolist")
    assert [1, 0, 1] = SnakeBridge.method!(mod(a, 2), "tolist")
    assert [0, 1, 1] = SnakeBridge.method!(floordiv(a, 2), "tolist")
  end

  test "pandas: df[df[\"age\"] > 30] and column arithmetic", %{pool: pool} do
    df = call("pandas", "DataFrame", [%{"name" => ["a", "b", "c"], "age" => [25, 40, 35]}], pool)

    assert ["b", "c"] = SnakeBridge.method!(df[df["age"] > 30]["name"], "tolist")
    assert [26, 41, 36] = SnakeBridge.method!(df["age"] + 1, "tolist")
  end

  test "plain values keep Kernel's semantics and errors" do
    assert 3 = 1 + 2
    assert 2.5 = 5 / 2
    assert 8 = 2 ** 3
    assert -4 = -4
    n = 4
    assert -4 = -n
    assert true == (1 == 1.0)
    assert true == [1] < [2]
    assert false == ("a" != "a")
    assert_raise ArithmeticError, fn -> Enum.random([:a]) + 1 end
    assert 3 = band(7, 3)
    assert 6 = bor(4, 2)
    assert -1 = bnot(0)
    assert 2 = mod(-1, 3)
    assert -1 = floordiv(-1, 3)
  end

  # The modules' calls, from their compiled code: the ref branch calls Ops.run!/2.
  defp imports(source) do
    [{module, beam}] = Code.compile_string(source)
    {:ok, {^module, [imports: imports]}} = :beam_lib.chunks(beam, [:imports])
    :code.purge(module)
    :code.delete(module)
    imports
  end

  test "an is_integer guard lets the compiler drop the ref test and its call" do
    loop = "def loop(0, acc), do: acc\n  def loop(n, acc)"
    body = ", do: loop(n - 1, acc + rem(n, 7) * 3)"
    use = "use SnakeBridge.Operators\n  "

    open = imports("defmodule OpsOpen do\n  #{use}#{loop}#{body}\nend")

    guarded =
      "defmodule OpsGuarded do\n  #{use}#{loop} when is_integer(n) and is_integer(acc)#{body}\nend"

    assert {SnakeBridge.Runtime.Ops, :run!, 2} in open
    refute {SnakeBridge.Runtime.Ops, :run!, 2} in imports(guarded)
  end

  defguardp small(x) when x + 1 < 10

  test "operators in guards are Kernel's" do
    assert small(3)
    refute small(30)
  end
end
