defmodule SnakeBridge.Cluster.NodeLossTest do
  # Real nodes killed with SIGKILL and cut off by a partition: calls in flight fail
  # with :node_down naming the node, refs there become :ref_lost, idempotent calls run
  # elsewhere, the others keep serving, and the lost node comes back by itself.
  use ExUnit.Case, async: false

  import SnakeBridge.ClusterCase
  alias SnakeBridge.{ClusterNode, Error, Ref}

  @moduletag timeout: 300_000

  setup do
    cluster = start_nodes(3)
    on_exit(fn -> stop_nodes(cluster) end)
    [a, b, c] = cluster.nodes
    {:ok, cluster: cluster, a: a, b: b, c: c}
  end

  defp pid_on(n), do: n |> on(ClusterNode, :worker_pids, []) |> hd()
  defp owner(n), do: {n, on(n, ClusterNode, :spawn_owner, [])}
  defp run({n, pid}, m, f, a), do: on(n, ClusterNode, :run, [pid, m, f, a])
  defp run_async({n, pid}, m, f, a), do: {n, on(n, ClusterNode, :run_async, [pid, m, f, a])}
  defp await({n, collector}), do: on(n, ClusterNode, :await, [collector])

  defp busy_on(seen_from, n) do
    wait_until(fn ->
      seen_from
      |> on(SnakeBridge.Cluster, :load, [:default])
      |> Enum.any?(&(&1.node == n.node and &1.busy == 1))
    end)
  end

  defp decode(o, ref), do: run(o, SnakeBridge, :method, [ref, "decode", ["[5]"]])

  test "a node killed mid-call: :node_down, :ref_lost, the others serve, it rejoins", ctx do
    %{cluster: cluster, a: a, b: b, c: c} = ctx
    holder = owner(a)

    {:ok, %Ref{} = ref} =
      run(holder, SnakeBridge, :call, ["json", "JSONDecoder", [], [snakebridge: [node: b.node]]])

    assert {:ok, [5]} = decode(holder, ref)

    caller = owner(a)

    pending =
      run_async(caller, SnakeBridge, :call, [
        "sbcluster",
        "pid_after",
        [30],
        [snakebridge: [node: b.node]]
      ])

    busy_on(a, b)
    workers = kill_node(b)

    assert {:error, %Error{type: :node_down, reason: down, message: message}} = await(pending)
    assert down == b.node
    assert message =~ inspect(b.node)

    assert {:error, %Error{type: :ref_lost, message: message}} = decode(holder, ref)
    assert message =~ inspect(b.node)

    # Its Python worker went with it; the others keep serving.
    wait_until(fn -> not Enum.any?(workers, &os_alive?/1) end)
    assert on(a, SnakeBridge.Cluster, :members, [:default]) == [a.node, c.node]
    c_pid = pid_on(c)

    assert {:ok, ^c_pid} =
             on(a, SnakeBridge, :call, ["sbtest", "getpid", [], [snakebridge: [node: c.node]]])

    for _ <- 1..5 do
      assert {:ok, pid} =
               on(a, SnakeBridge, :call, ["sbtest", "getpid", [], [snakebridge: [node: :any]]])

      assert pid in [pid_on(a), c_pid]
    end

    assert {:error, %Error{type: :node_down}} =
             on(a, SnakeBridge, :call, ["sbtest", "getpid", [], [snakebridge: [node: b.node]]])

    # Started again under its name, it rejoins with no manual step.
    fresh = restart_node(cluster, b)
    on_exit(fn -> stop_peer(fresh.peer) end)

    wait_until(fn ->
      on(a, SnakeBridge.Cluster, :members, [:default]) == [a.node, b.node, c.node]
    end)

    fresh_pid = pid_on(fresh)

    assert {:ok, ^fresh_pid} =
             on(a, SnakeBridge, :call, ["sbtest", "getpid", [], [snakebridge: [node: b.node]]])

    # The old ref stays lost: its objects died with the old node.
    assert {:error, %Error{type: :ref_lost}} = decode(holder, ref)
  end

  test "an idempotent call whose node dies mid-call is retried on another node", ctx do
    %{a: a, b: b, c: c} = ctx
    caller = owner(a)

    pending =
      run_async(caller, SnakeBridge, :call, [
        "sbcluster",
        "pid_after",
        [0.5],
        [snakebridge: [node: b.node, idempotent: true]]
      ])

    busy_on(a, b)
    kill_node(b)
    assert {:ok, pid} = await(pending)
    assert pid in [pid_on(a), pid_on(c)]

    # Its session now lives where the retry ran.
    assert {:ok, ^pid} = run(caller, SnakeBridge, :call, ["sbtest", "getpid", []])

    # Not idempotent: never run twice.
    other = owner(a)

    pending =
      run_async(other, SnakeBridge, :call, [
        "sbcluster",
        "pid_after",
        [30],
        [snakebridge: [node: c.node]]
      ])

    busy_on(a, c)
    kill_node(c)
    assert {:error, %Error{type: :node_down, reason: down}} = await(pending)
    assert down == c.node
  end

  test "a partition: calls in flight fail, the cut-off node is left out, healing rejoins", ctx do
    %{a: a, b: b, c: c} = ctx
    holder = owner(a)

    {:ok, ref} =
      run(holder, SnakeBridge, :call, ["json", "JSONDecoder", [], [snakebridge: [node: c.node]]])

    # Node c's worker goes on with the call for its 2 s (its caller's node is out of
    # sight: the result goes nowhere), then serves c's own callers again.
    caller = owner(a)

    pending =
      run_async(caller, SnakeBridge, :call, [
        "sbcluster",
        "pid_after",
        [2],
        [snakebridge: [node: c.node]]
      ])

    busy_on(a, c)

    :ok = on(a, ClusterNode, :partition, [c.node])
    assert {:error, %Error{type: :node_down, reason: down}} = await(pending)
    assert down == c.node
    assert {:error, %Error{type: :ref_lost}} = decode(holder, ref)

    # Node a now sees only b; b still sees both; every pool keeps serving.
    wait_until(fn -> on(a, SnakeBridge.Cluster, :members, [:default]) == [a.node, b.node] end)
    assert c.node in on(b, ClusterNode, :connected, [])

    for _ <- 1..5 do
      assert {:ok, pid} =
               on(a, SnakeBridge, :call, ["sbtest", "getpid", [], [snakebridge: [node: :any]]])

      assert pid in [pid_on(a), pid_on(b)]
    end

    assert {:ok, _} = on(c, SnakeBridge, :call, ["sbtest", "getpid", []])

    # Healed: node a's reconnector brings c back, with no manual step.
    :ok = on(a, ClusterNode, :heal, [c.node])

    wait_until(fn ->
      on(a, SnakeBridge.Cluster, :members, [:default]) == [a.node, b.node, c.node]
    end)

    c_pid = pid_on(c)

    assert {:ok, ^c_pid} =
             on(a, SnakeBridge, :call, ["sbtest", "getpid", [], [snakebridge: [node: c.node]]])

    # Node c released the session of the owner it lost sight of: the ref is gone for good.
    assert {:error, %Error{type: :ref_lost}} = decode(holder, ref)
  end
end
