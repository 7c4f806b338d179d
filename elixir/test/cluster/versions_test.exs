defmodule SnakeBridge.Cluster.VersionsTest do
  # Three real nodes that declare the same libraries but whose snakebridge.lock files
  # differ: node 2 resolved sbtest to another version, node 3 runs another Python.
  use ExUnit.Case, async: false

  import SnakeBridge.ClusterCase
  alias SnakeBridge.Error

  @moduletag timeout: 300_000

  @names ~w(sbtest sbcluster json math)

  defp lock(root, python, overrides) do
    libraries =
      Map.new(@names, fn name ->
        resolved = Map.get(overrides, name, python)
        {name, %{"requested" => "stdlib", "resolved" => resolved, "files_hash" => ""}}
      end)

    write_lock(root, python, libraries)
  end

  setup_all do
    base = Path.join(System.tmp_dir!(), "sb_versions_#{System.unique_integer([:positive])}")
    roots = for i <- 1..3, do: Path.join(base, "node#{i}")
    Enum.each(roots, &File.mkdir_p!/1)
    [r1, r2, r3] = roots
    lock(r1, "3.11.7", %{"sbtest" => "1.0.0"})
    lock(r2, "3.11.7", %{"sbtest" => "2.0.0"})
    lock(r3, "3.12.4", %{"sbtest" => "1.0.0"})

    cluster = start_nodes(3, root: fn i -> Enum.at(roots, i - 1) end)

    on_exit(fn ->
      stop_nodes(cluster)
      File.rm_rf!(base)
    end)

    [a, b, c] = cluster.nodes
    {:ok, cluster: cluster, a: a, b: b, c: c, tmp: base}
  end

  defp call(from, library, function, args, to),
    do: on(from, SnakeBridge, :call, [library, function, args, [snakebridge: [node: to.node]]])

  test "a library resolved differently is refused between those nodes, naming both versions",
       %{a: a, b: b} do
    assert {:error, %Error{type: :not_allowed, message: message}} =
             call(a, "sbtest", "getpid", [], b)

    assert message =~ "nodes #{inspect(a.node)} and #{inspect(b.node)} run different sbtest"
    assert message =~ "1.0.0 (Python 3.11.7) here, 2.0.0 (Python 3.11.7) on #{inspect(b.node)}"
    assert message =~ "deploy the same snakebridge.lock on both"

    # The other way round too; the library still runs on each node itself.
    assert {:error, %Error{type: :not_allowed, message: back}} =
             call(b, "sbtest", "getpid", [], a)

    assert back =~ "2.0.0 (Python 3.11.7) here, 1.0.0 (Python 3.11.7) on #{inspect(a.node)}"
    assert {:ok, _} = on(a, SnakeBridge, :call, ["sbtest", "getpid", []])

    # Libraries that resolved the same still go there.
    assert {:ok, "[1]"} = call(a, "json", "dumps", [[1]], b)
  end

  test "another Python version refuses every library, naming both", %{a: a, c: c} do
    for {library, function, args} <- [{"json", "dumps", [[1]]}, {"sbtest", "getpid", []}] do
      assert {:error, %Error{type: :not_allowed, message: message}} =
               call(a, library, function, args, c)

      assert message =~ "run different #{library}"
      assert message =~ "(Python 3.11.7) here"
      assert message =~ "(Python 3.12.4) on #{inspect(c.node)}"
    end
  end

  test "the serving node refuses too: calls sent past the caller's own check",
       %{a: a, b: b, c: c} = ctx do
    alias SnakeBridge.ClusterNode

    unchecked = fn from, to, library, function, args ->
      on(from, ClusterNode, :unchecked_call, [to.node, library, function, args])
    end

    # sbtest is locked differently on a and b: b refuses a's call, naming both.
    assert {:error, %Error{type: :not_allowed, message: message}} =
             unchecked.(a, b, "sbtest", "getpid", [])

    assert message =~
             "node #{inspect(b.node)} refuses this sbtest call from node #{inspect(a.node)}"

    assert message =~ "2.0.0 (Python 3.11.7) here, 1.0.0 (Python 3.11.7) on #{inspect(a.node)}"
    assert message =~ "deploy the same snakebridge.lock on both"

    # c runs another Python: it refuses a's calls for every library.
    assert {:error, %Error{type: :not_allowed, message: other}} =
             unchecked.(a, c, "sbcluster", "pid_after", [0.0])

    assert other =~ "3.12.4 (Python 3.12.4) here, 3.11.7 (Python 3.11.7) on #{inspect(a.node)}"

    # A library b does not declare is refused by b before its worker sees it.
    assert {:error, %Error{type: :not_allowed, message: undeclared}} =
             unchecked.(a, b, "os", "getpid", [])

    assert undeclared =~ "os is not declared on this node"

    # What the two lock alike is served, on b's own worker; local calls are not checked.
    b_pid = b |> on(ClusterNode, :worker_pids, []) |> hd()
    assert {:ok, ^b_pid} = unchecked.(a, b, "sbcluster", "pid_after", [0.0])
    assert {:ok, ^b_pid} = unchecked.(b, b, "sbtest", "getpid", [])

    # A VM that runs no SnakeBridge has advertised nothing: its hand-made call is refused.
    stranger = start_plain_peer(ctx.cluster)

    try do
      name = :"stranger_#{System.unique_integer([:positive])}@127.0.0.1"

      assert {:error, %Error{type: :not_allowed, message: unknown}} =
               on(stranger, ClusterNode, :unchecked_call, [
                 b.node,
                 "sbcluster",
                 "pid_after",
                 [0.0],
                 name
               ])

      assert unknown =~
               "node #{inspect(b.node)} refuses this sbcluster call from node #{inspect(name)}"

      assert unknown =~ "has not told this node which libraries it declares"
    after
      stop_peer(stranger.peer)
    end
  end

  # Waits until node `n` advertises every pool idle (no call of an earlier test running:
  # the first test's last call ran on b, and a's view of b may still say so).
  defp idle(n) do
    wait_until(fn ->
      n
      |> on(SnakeBridge.Cluster, :load, [:default])
      |> Enum.all?(&(&1.busy == 0 and &1.queued == 0))
    end)
  end

  test ":any leaves out the nodes whose lock differs for the call's library",
       %{a: a, b: b, tmp: tmp} do
    alias SnakeBridge.ClusterNode
    pid_of = fn n -> n |> on(ClusterNode, :worker_pids, []) |> hd() end
    any = [snakebridge: [node: :any]]
    idle(a)

    # Node a's only worker runs one call and has a second waiting behind it (pipelined),
    # both until the test opens the gate: a counts 2 calls per worker, so one passing
    # call on b (its heartbeat, say) cannot tie with it, and no timer can run out first.
    gate = Path.join(tmp, "gate")

    held =
      for _ <- 1..2 do
        owner = on(a, ClusterNode, :spawn_owner, [])

        on(a, ClusterNode, :run_async, [owner, SnakeBridge, :call, ["sbtest", "wait_for", [gate]]])
      end

    try do
      wait_until(fn ->
        match?(%{busy: 1, queued: 1}, a |> on(SnakeBridge.Cluster, :load, [:default]) |> hd())
      end)

      # sbcluster is locked alike on a and b: :any takes the idle b; c, idle too but on
      # another Python, is left out.
      b_pid = pid_of.(b)
      assert {:ok, ^b_pid} = on(a, SnakeBridge, :call, ["sbcluster", "pid_after", [0.0], any])

      # sbtest is not (b another version, c another Python): only a serves it, however
      # loaded; the call waits behind the held ones.
      a_pid = pid_of.(a)

      answer =
        on(a, ClusterNode, :run_async, [
          on(a, ClusterNode, :spawn_owner, []),
          SnakeBridge,
          :call,
          ["sbtest", "getpid", [], any]
        ])

      File.write!(gate, "")
      assert {:ok, ^a_pid} = on(a, ClusterNode, :await, [answer])
      for h <- held, do: assert({:ok, true} = on(a, ClusterNode, :await, [h]))
    after
      # A failed assertion must not leave a's worker held for the other tests.
      File.write!(gate, "")
    end
  end
end
