defmodule SnakeBridge.Runtime.SessionLifetimeTest do
  @moduledoc """
  Sessions end on release, on their owner's exit and after an idle TTL; any number of
  distinct `session:` ids leaves the pool's memory flat (counted in entries).
  """
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.Runtime
  alias SnakeBridge.Runtime.Pool

  defp pool_name, do: :"lifetime_#{System.unique_integer([:positive])}"

  defp refs_held(pool) do
    {:ok, stats} = Runtime.stats(snakebridge: [pool: pool])
    stats["refs"]
  end

  # Slow on a loaded machine: 20,000 round trips, from four processes at once.
  @tag timeout: 600_000
  test "20,000 calls with distinct session ids leave no session entry behind" do
    pool = start_pool(pool_name(), size: 2)

    1..4
    |> Enum.map(fn part ->
      Task.async(fn ->
        for i <- (part * 5_000 - 4_999)..(part * 5_000) do
          {:ok, [[^i], %{}]} =
            SnakeBridge.call("sbtest", "echo", [i], snakebridge: [pool: pool, session: "s#{i}"])
        end
      end)
    end)
    |> Task.await_many(:infinity)

    assert Pool.info(pool).sessions == 0
    assert Enum.all?(Pool.info(pool).workers, &(&1.sessions == 0))
  end

  test "concurrent calls of one ownerless session stay on one worker" do
    pool = start_pool(pool_name(), size: 2)

    workers =
      1..6
      |> Enum.map(fn _ ->
        Task.async(fn ->
          {:ok, box} =
            SnakeBridge.call("sbtest", "Box", [1], snakebridge: [pool: pool, session: "shared"])

          box.worker
        end)
      end)
      |> Task.await_many(10_000)

    assert length(Enum.uniq(workers)) == 1
    Runtime.Session.end_session("shared")
  end

  test "an ownerless session with refs ends on release" do
    pool = start_pool(pool_name())
    before = refs_held(pool)

    {:ok, _box} =
      SnakeBridge.call("sbtest", "Box", [1], snakebridge: [pool: pool, session: "released"])

    assert refs_held(pool) == before + 1
    assert Pool.info(pool).sessions >= 1
    Runtime.Session.end_session("released")
    eventually(fn -> refs_held(pool) == before end)
  end

  test "ownerless sessions with refs end after the idle TTL, their refs released" do
    pool = start_pool(pool_name(), session_ttl: 1_500)
    before = refs_held(pool)

    for i <- 1..200 do
      {:ok, _} =
        SnakeBridge.call("sbtest", "Box", [i], snakebridge: [pool: pool, session: "t#{i}"])
    end

    assert refs_held(pool) == before + 200
    eventually(fn -> Pool.info(pool).sessions <= 1 end)
    eventually(fn -> refs_held(pool) == before end)
  end

  test "a session used within its TTL keeps its refs" do
    pool = start_pool(pool_name(), session_ttl: 1_000)

    {:ok, box} =
      SnakeBridge.call("sbtest", "Box", [9], snakebridge: [pool: pool, session: "kept"])

    # 2.4 s in all, more than the TTL, but never 1 s without a call.
    for _ <- 1..8 do
      Process.sleep(300)
      {:ok, _} = Runtime.stats(snakebridge: [pool: pool, session: "kept"])
    end

    assert {:ok, 9} = SnakeBridge.method(box, "get", [], snakebridge: [session: "kept"])
    Runtime.Session.end_session("kept")
  end

  test "a process's own session never expires while its owner lives" do
    pool = start_pool(pool_name(), session_ttl: 100)
    {:ok, box} = SnakeBridge.call("sbtest", "Box", [5], snakebridge: [pool: pool])
    Process.sleep(400)
    assert {:ok, 5} = SnakeBridge.method(box, "get", [])
  end
end
