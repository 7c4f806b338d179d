defmodule SnakeBridge.Runtime.WireClusterTest do
  # Two real nodes, each with its own Python pool: a call to the other node's pool goes
  # in the compact form, and a worker that serves both nodes learns a descriptor once.
  use ExUnit.Case, async: false

  import SnakeBridge.ClusterCase

  @moduletag timeout: 120_000

  setup_all do
    cluster = start_nodes(2, libraries: [sbtest: :stdlib, sbcluster: :stdlib])
    on_exit(fn -> stop_nodes(cluster) end)
    [a, b] = cluster.nodes
    {:ok, a: a, b: b}
  end

  defp registered(n),
    do: for(w <- on(n, SnakeBridge.Runtime.Pool, :info, [:default]).workers, do: w.registered)

  defp echo(n, opts),
    do: on(n, SnakeBridge, :call, ["sbtest", "echo", [1], [snakebridge: opts]])

  test "a remote call registers its descriptor with the remote worker, once for every node",
       %{a: a, b: b} do
    before = Enum.sum(registered(b))
    assert {:ok, [[1], %{}]} = echo(a, node: b.node)
    # The registration went ahead of a compact call (a call in full registers nothing).
    assert Enum.sum(registered(b)) == before + 1

    # b's own calls of the same descriptor use the same id: nothing new to register.
    assert {:ok, [[1], %{}]} = echo(b, [])
    assert {:ok, [[1], %{}]} = echo(a, node: b.node)
    assert Enum.sum(registered(b)) == before + 1
  end
end
