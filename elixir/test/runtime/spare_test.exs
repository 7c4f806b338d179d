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

  # Spares are opened by a helper process so the pool never blocks in Port.open: the
  # port must end up the pool's alone (a helper still linked or owning it would take
  # the spare's exit, or its ready frame, away from the pool).
  test "spare ports, the first and the replacements, are the pool's alone" do
    pool = start_pool(pool_name(), spares: 1)
    pid = Process.whereis(Pool.process_name(pool))

    owned_alone? = fn ->
      for {port, _spare} <- :sys.get_state(pid).spares do
        {Port.info(port, :connected), Port.info(port, :links)}
      end == [{{:connected, pid}, {:links, [pid]}}]
    end

    eventually(fn -> match?([%{status: :ready}], Pool.info(pool).spares) end)
    assert owned_alone?.()
    [%{worker: first}] = Pool.info(pool).spares

    ExUnit.CaptureLog.capture_log(fn ->
      assert {:error, %SnakeBridge.Error{type: :worker_crash}} =
               SnakeBridge.call("sbtest", "crash", [], snakebridge: [pool: pool])
    end)

    eventually(fn ->
      match?([%{status: :ready, worker: w}] when w != first, Pool.info(pool).spares)
    end)

    assert owned_alone?.()
    # The swapped-in spare serves calls.
    assert {:ok, _} = SnakeBridge.call("sbtest", "getpid", [], snakebridge: [pool: pool])
  end
end
