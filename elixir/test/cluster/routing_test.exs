defmodule SnakeBridge.Cluster.RoutingTest do
  # Three real nodes, each with its own Python pool: routing, pinning, refs across
  # nodes, allowlist disagreement (node 3 declares math differently, and declares
  # operator, which the others do not) and telemetry.
  use ExUnit.Case, async: false

  import SnakeBridge.ClusterCase
  alias SnakeBridge.{ClusterNode, Error, Ref}

  @moduletag timeout: 300_000

  setup_all do
    cluster =
      start_nodes(3,
        libraries: fn
          3 ->
            [sbtest: :stdlib, sbcluster: :stdlib, json: :stdlib, operator: :stdlib] ++
              [math: [stdlib: true, exclude: ["sqrt"]]]

          _ ->
            [sbtest: :stdlib, sbcluster: :stdlib, json: :stdlib, math: :stdlib]
        end,
        callbacks: fn
          3 -> [{ClusterNode, [:tag, :tag3]}]
          _ -> [{ClusterNode, [:tag]}]
        end
      )

    on_exit(fn -> stop_nodes(cluster) end)
    [a, b, c] = cluster.nodes
    {:ok, cluster: cluster, a: a, b: b, c: c}
  end

  defp pid_on(n, pool \\ :default), do: n |> on(ClusterNode, :worker_pids, [pool]) |> hd()

  defp getpid(n, opts \\ []), do: on(n, SnakeBridge, :call, ["sbtest", "getpid", [], opts])

  # A process on node n that keeps its session across calls: {node, pid}.
  defp owner(n), do: {n, on(n, ClusterNode, :spawn_owner, [])}

  defp run({n, pid}, m, f, a), do: on(n, ClusterNode, :run, [pid, m, f, a])
  defp run_async({n, pid}, m, f, a), do: {n, on(n, ClusterNode, :run_async, [pid, m, f, a])}
  defp await({n, collector}), do: on(n, ClusterNode, :await, [collector])

  # Waits until node `n` advertises every pool idle (no call of an earlier test running).
  defp idle(n) do
    wait_until(fn ->
      n
      |> on(SnakeBridge.Cluster, :load, [:default])
      |> Enum.all?(&(&1.busy == 0 and &1.queued == 0))
    end)
  end

  test "each pool joins the :pg group named after it and advertises its capacity", ctx do
    all = [ctx.a.node, ctx.b.node, ctx.c.node]

    for n <- [ctx.a, ctx.b, ctx.c] do
      assert on(n, SnakeBridge.Cluster, :members, [:default]) ==
               Enum.sort_by(all, &{&1 != n.node, &1})
    end

    loads = on(ctx.a, SnakeBridge.Cluster, :load, [:default])
    assert Enum.map(loads, & &1.node) == Enum.sort_by(all, &{&1 != ctx.a.node, &1})
    assert Enum.all?(loads, &(&1.size == 1))
  end

  test "calls run locally by default and on a named node when asked", %{a: a, b: b} do
    assert {:ok, pid} = getpid(a)
    assert pid == pid_on(a)
    assert {:ok, ^pid} = getpid(a, snakebridge: [node: :local])
    assert {:ok, remote} = getpid(a, snakebridge: [node: b.node])
    assert remote == pid_on(b)
    # The named node is this one: the local pool.
    assert {:ok, ^pid} = getpid(a, snakebridge: [node: a.node])
  end

  test ":any picks the least loaded node, this node first when tied", %{a: a, b: b, c: c} do
    idle(a)
    assert {:ok, pid} = getpid(a, snakebridge: [node: :any])
    assert pid == pid_on(a)

    # Node a's only worker is busy until the test opens the gate: :any goes elsewhere.
    gate = Path.join(System.tmp_dir!(), "sb_gate_#{System.unique_integer([:positive])}")
    on_exit(fn -> File.rm(gate) end)
    pending = run_async(owner(a), SnakeBridge, :call, ["sbtest", "wait_for", [gate]])

    try do
      wait_until(fn ->
        a |> on(SnakeBridge.Cluster, :load, [:default]) |> hd() |> Map.fetch!(:busy) == 1
      end)

      assert {:ok, other} = getpid(a, snakebridge: [node: :any])
      assert other in [pid_on(b), pid_on(c)]
    after
      File.write!(gate, "")
    end

    assert {:ok, true} = await(pending)
  end

  test "a burst of :any calls spreads over the nodes", %{a: a, b: b, c: c} do
    idle(a)
    owners = for _ <- 1..6, do: owner(a)

    pending =
      for o <- owners,
          do:
            run_async(o, SnakeBridge, :call, [
              "sbcluster",
              "pid_after",
              [0.3],
              [snakebridge: [node: :any]]
            ])

    pids = for p <- pending, do: await(p)
    assert Enum.all?(pids, &match?({:ok, _}, &1))
    served = pids |> Enum.map(&elem(&1, 1)) |> Enum.uniq() |> Enum.sort()
    assert served == Enum.sort([pid_on(a), pid_on(b), pid_on(c)])
  end

  test "a routing function of the call decides, as fun/1 or {module, function}", ctx do
    assert {{:ok, pid}, call} = on(ctx.a, ClusterNode, :call_with_fun, [ctx.c.node])
    assert pid == pid_on(ctx.c)

    assert %{pool: :default, library: "sbtest", function: "getpid", call_type: :call, args: []} =
             call

    assert {:ok, last} = getpid(ctx.a, snakebridge: [node: {ClusterNode, :last_member}])
    assert last == pid_on(ctx.c)

    assert {{:error, %Error{type: :bad_argument, message: message}}, _} =
             on(ctx.a, ClusterNode, :call_with_fun, ["nowhere"])

    assert message =~ "returned \"nowhere\""

    assert {:error, %Error{type: :bad_argument}} = getpid(ctx.a, snakebridge: [node: "b"])
  end

  test "a pool's node: config routes its calls; a pool running elsewhere is found", ctx do
    :ok = on(ctx.b, ClusterNode, :start_pool, [:routed, []])
    :ok = on(ctx.a, ClusterNode, :start_pool, [:routed, [node: ctx.b.node]])
    :ok = on(ctx.c, ClusterNode, :start_pool, [:only_c, []])
    wait_until(fn -> length(on(ctx.a, SnakeBridge.Cluster, :members, [:only_c])) == 1 end)

    assert {:ok, pid} = getpid(ctx.a, snakebridge: [pool: :routed])
    assert pid == pid_on(ctx.b, :routed)
    # The call's own node: wins over the pool's.
    assert {:ok, local} = getpid(ctx.a, snakebridge: [pool: :routed, node: :local])
    assert local == pid_on(ctx.a, :routed)

    assert {:ok, only} = getpid(ctx.a, snakebridge: [pool: :only_c])
    assert only == pid_on(ctx.c, :only_c)

    assert {:error, %Error{type: :worker_crash, message: message}} =
             getpid(ctx.a, snakebridge: [pool: :nowhere])

    assert message =~ "pool :nowhere is not running"
  end

  test "a session stays on its node and worker; refs carry their node", %{a: a, b: b, c: c} do
    o = owner(a)

    assert {:ok, %Ref{node: node} = ref} =
             run(o, SnakeBridge, :call, ["json", "JSONDecoder", [], [snakebridge: [node: b.node]]])

    assert node == b.node
    b_pid = pid_on(b)

    # Later calls of the session go to b whatever their routing says.
    assert {:ok, ^b_pid} = run(o, SnakeBridge, :call, ["sbtest", "getpid", []])

    assert {:ok, ^b_pid} =
             run(o, SnakeBridge, :call, ["sbtest", "getpid", [], [snakebridge: [node: :any]]])

    assert {:ok, [1, 2]} = run(o, SnakeBridge, :method, [ref, "decode", ["[1, 2]"]])

    assert {:error, %Error{type: :bad_argument, message: message}} =
             run(o, SnakeBridge, :call, ["sbtest", "getpid", [], [snakebridge: [node: c.node]]])

    assert message =~ "runs on node #{inspect(b.node)}"

    # From another node, in the ref's session: the call goes to the ref's node.
    assert {:ok, %{"k" => 3}} =
             on(c, SnakeBridge, :method, [
               ref,
               "decode",
               [~s({"k": 3})],
               [snakebridge: [session: ref.session]]
             ])

    assert {:ok, true} =
             on(c, SnakeBridge, :attr, [ref, "strict", [snakebridge: [session: ref.session]]])
  end

  test "an owner on one node keeps its refs on another alive until it releases them or exits", %{
    a: a,
    b: b,
    c: c
  } do
    o = owner(a)

    {:ok, ref} =
      run(o, SnakeBridge, :call, ["json", "JSONDecoder", [], [snakebridge: [node: b.node]]])

    {:ok, ref2} =
      run(o, SnakeBridge, :call, ["json", "JSONDecoder", [], [snakebridge: [node: b.node]]])

    use_ref = fn r ->
      on(c, SnakeBridge, :method, [r, "decode", ["[7]"], [snakebridge: [session: r.session]]])
    end

    Process.sleep(300)
    assert {:ok, [7]} = use_ref.(ref)

    assert :ok = run(o, SnakeBridge, :release, [ref])
    assert {:error, %Error{type: :ref_lost}} = use_ref.(ref)
    assert {:ok, [7]} = use_ref.(ref2)

    # The owner exits: node b's pool sees it go (a monitor across the network).
    {_, pid} = o
    on(a, Kernel, :send, [pid, :stop])
    wait_until(fn -> match?({:error, %Error{type: :ref_lost}}, use_ref.(ref2)) end)

    # with_session/2 on node a ends the session on node b too.
    block_ref = on(a, ClusterNode, :ref_in_block, [b.node])
    assert block_ref.node == b.node
    wait_until(fn -> match?({:error, %Error{type: :ref_lost}}, use_ref.(block_ref)) end)
  end

  test "nodes that declare a library differently do not serve each other's calls", %{a: a, c: c} do
    assert {:ok, 2.0} = on(a, SnakeBridge, :call, ["math", "sqrt", [4.0]])

    assert {:error, %Error{type: :not_allowed, message: message}} =
             on(a, SnakeBridge, :call, ["math", "sqrt", [4.0], [snakebridge: [node: c.node]]])

    assert message =~ "declare math differently"
    assert message =~ ~s(exclude: ["sqrt"])

    # A library only node c declares: node a never sends its calls anywhere.
    assert {:error, %Error{type: :not_allowed, message: message}} =
             on(a, SnakeBridge, :call, ["operator", "add", [1, 2], [snakebridge: [node: c.node]]])

    assert message =~ "operator is not declared on this node"
    assert {:ok, 3} = on(c, SnakeBridge, :call, ["operator", "add", [1, 2]])

    # Libraries declared alike still go there.
    assert {:ok, "[1]"} =
             on(a, SnakeBridge, :call, ["json", "dumps", [[1]], [snakebridge: [node: c.node]]])
  end

  test "Elixir functions in a call served elsewhere run in the caller, on its node", ctx do
    assert {:ok, {42, ran_on}} = on(ctx.a, ClusterNode, :callback_on, [ctx.b.node])
    assert ran_on == ctx.a.node
  end

  test "a named Elixir callback of a call served on a node whose pool does not run here", ctx do
    :ok = on(ctx.c, ClusterNode, :start_pool, [:named_c, []])
    wait_until(fn -> on(ctx.a, SnakeBridge.Cluster, :members, [:named_c]) == [ctx.c.node] end)
    named = fn function -> ["sbtest", "call_elixir", ["SnakeBridge.ClusterNode", function, 5]] end

    # It runs in the caller, on node a, under node a's callbacks: setting.
    assert {:ok, [5, ran_on]} =
             on(ctx.a, SnakeBridge, :call, named.("tag") ++ [[snakebridge: [pool: :named_c]]])

    assert ran_on == Atom.to_string(ctx.a.node)

    # Registered where the call is served (node c) but not on node a: a refuses it.
    assert {:error, %Error{message: message}} =
             on(ctx.a, SnakeBridge, :call, named.("tag3") ++ [[snakebridge: [pool: :named_c]]])

    assert message =~
             "SnakeBridge.ClusterNode.tag3 is not registered for calls from Python (registered: tag)"

    assert {:ok, [5, _]} =
             on(ctx.c, SnakeBridge, :call, named.("tag3") ++ [[snakebridge: [pool: :named_c]]])
  end

  test "a stream served on another node is consumed lazily through its ref", %{a: a, b: b} do
    assert [0, 1, 2] = on(a, ClusterNode, :stream_on, [b.node])
  end

  test "a zero-copy handle is never sent to another node than its own", %{a: a, b: b} do
    handle = %SnakeBridge.ZeroCopyRef{
      kind: :shm,
      id: "segment",
      owner: "default:1:abc",
      session: "s",
      node: Atom.to_string(a.node),
      type: {:f, 64},
      shape: {1},
      size: 8
    }

    assert {:error, %Error{type: :bad_argument, message: message}} =
             on(a, SnakeBridge, :call, [
               "sbtest",
               "echo",
               [[handle]],
               [snakebridge: [node: b.node]]
             ])

    assert message =~ "zero-copy handle made on node #{a.node} cannot be used on node #{b.node}"
  end

  test "call events carry the node that served the call", %{a: a, b: b} do
    {{:ok, _}, events} =
      on(a, ClusterNode, :with_telemetry, [
        SnakeBridge,
        :call,
        ["sbtest", "getpid", [], [snakebridge: [node: b.node]]]
      ])

    assert [{_, %{duration: _}, meta}] =
             for({[:snakebridge, :call, :stop], _, _} = e <- events, do: e)

    assert meta.node == b.node
    assert meta.pool == :default

    assert [{_, %{system_time: _}, start}] =
             for({[:snakebridge, :call, :start], _, _} = e <- events, do: e)

    assert start.node == b.node
  end
end
