defmodule SnakeBridge.Runtime.SpareTest do
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.Runtime.Pool

  defp pool_name, do: :"spare_#{System.unique_integer([:positive])}"

  defp imported?(pool, module),
    do: SnakeBridge.call("sbtest", "imported", [module], snakebridge: [pool: pool])

  test "a warm spare has imported the declared libraries before it takes over" do
    pool = start_pool(pool_name(), spares: 1, libraries: [sbtest: :stdlib, colorsys: :stdlib])
    eventually(fn -> match?([%{status: :ready}], Pool.info(pool).spares) end)
    # A slot's worker imports a library on its first call that needs it.
    assert {:ok, false} = imported?(pool, "colorsys")

    assert {:error, %SnakeBridge.Error{type: :worker_crash}} =
             SnakeBridge.call("sbtest", "crash", [], snakebridge: [pool: pool])

    # The spare was swapped in: its very first call finds colorsys already imported.
    assert {:ok, true} = imported?(pool, "colorsys")
  end
end
