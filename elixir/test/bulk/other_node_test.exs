defmodule SnakeBridge.Bulk.OtherNodeTest do
  # Two real BEAM nodes on this machine, each with its own Python worker: a handle made
  # on one node is used from the other. Shared memory crosses processes, not machines,
  # so the other node's worker maps the same segment and the other node reads it too.
  # release/1 from the other node reaches the owning worker; a segment the BEAM placed
  # is removed by its node alone, and release/1 elsewhere says so.
  use ExUnit.Case, async: false

  import SnakeBridge.ClusterCase
  alias SnakeBridge.{ClusterNode, Error, Ref, Tensor, ZeroCopyRef}

  @moduletag timeout: 300_000
  @local [snakebridge: [node: :local]]

  setup do
    libraries = [numpy: "~> 2.0", sbbulk: :stdlib, sbtest: :stdlib, sbcluster: :stdlib]
    cluster = start_nodes(2, libraries: libraries)
    on_exit(fn -> stop_nodes(cluster) end)
    [a, b] = cluster.nodes
    {:ok, a: a, b: b}
  end

  # A process on node n that keeps its session (a handle lives as long as its session).
  defp owner(n), do: {n, on(n, ClusterNode, :spawn_owner, [])}
  defp run({n, pid}, m, f, a), do: on(n, ClusterNode, :run, [pid, m, f, a])

  defp segments_of(os_pid) do
    prefix = "snakebridge-#{os_pid}-"
    "/dev/shm" |> File.ls!() |> Enum.filter(&String.starts_with?(&1, prefix))
  end

  test "a worker's handle from another node: mapped by this node's worker, read here",
       %{a: a, b: b} do
    holder = owner(a)
    {:ok, array} = run(holder, SnakeBridge, :call, ["numpy", "arange", [1000.0], @local])
    {:ok, %ZeroCopyRef{kind: :shm} = handle} = run(holder, SnakeBridge, :share, [array])
    assert handle.node == Atom.to_string(a.node)
    [a_worker] = on(a, ClusterNode, :worker_pids, [])
    assert segments_of(a_worker) == [handle.id]

    user = owner(b)
    [b_worker] = on(b, ClusterNode, :worker_pids, [])
    assert {:ok, ^b_worker} = run(user, SnakeBridge, :call, ["sbbulk", "getpid", [], @local])
    assert {:ok, 499_500.0} = run(user, SnakeBridge, :call, ["sbbulk", "total", [handle], @local])

    assert {:ok, "mmap"} =
             run(user, SnakeBridge, :call, ["sbbulk", "mapped_from", [handle], @local])

    # Materialized on node b without a worker: the same bytes as node a's to_tensor.
    assert {:ok, %Tensor{} = tensor} = run(user, SnakeBridge, :to_tensor, [handle])
    assert {:ok, ^tensor} = run(holder, SnakeBridge, :to_tensor, [array])

    # Release from node b reaches the owning worker on node a.
    assert :ok = run(user, SnakeBridge, :release, [handle])
    assert segments_of(a_worker) == []

    assert {:error, %Error{type: :ref_lost, message: message}} =
             run(user, SnakeBridge, :call, ["sbbulk", "total", [handle], @local])

    assert message =~ "was released"
  end

  test "a tensor node a placed: node b's worker maps it, node b reads it, only a releases it",
       %{a: a, b: b} do
    holder = owner(a)
    tensor = Tensor.from_list([1.0, 2.0, 3.5], {:f, 64})
    {:ok, %ZeroCopyRef{owner: "elixir"} = handle} = run(holder, SnakeBridge, :share, [tensor])

    user = owner(b)
    assert {:ok, 6.5} = run(user, SnakeBridge, :call, ["sbbulk", "total", [handle], @local])
    assert {:ok, ^tensor} = run(user, SnakeBridge, :to_tensor, [handle])

    assert {:error, %Error{type: :bad_argument, message: message}} =
             run(user, SnakeBridge, :release, [handle])

    assert message =~ "placed by node #{a.node}"
    assert message =~ "release it there"
    assert :ok = run(holder, SnakeBridge, :release, [handle])

    assert {:error, %Error{type: :ref_lost, message: message}} =
             run(user, SnakeBridge, :call, ["sbbulk", "total", [handle], @local])

    assert message =~ "placed by Elixir and removed"
    assert {:error, %Error{type: :ref_lost}} = run(user, SnakeBridge, :to_tensor, [handle])
  end

  test "a :dlpack handle from another node is refused there, and from_dlpack/3 goes home",
       %{a: a, b: b} do
    holder = owner(a)
    {:ok, array} = run(holder, SnakeBridge, :call, ["numpy", "zeros", [3], @local])

    {:ok, %ZeroCopyRef{kind: :dlpack} = handle} =
      run(holder, SnakeBridge, :share, [array, [as: :dlpack]])

    user = owner(b)

    assert {:error, %Error{type: :ref_lost, message: message}} =
             run(user, SnakeBridge, :call, ["sbbulk", "total", [handle], @local])

    assert message =~ "valid only inside the worker that made it"
    # from_dlpack/3 runs in the handle's own worker, on node a: the view shares its memory.
    assert {:ok, %Ref{} = view} = run(user, SnakeBridge, :from_dlpack, [handle, "numpy"])
    assert view.node == a.node
    # It belongs to the handle's session, the holder's.
    assert view.session == handle.session
    assert :ok = run(holder, SnakeBridge, :set_item, [view, 1, 4.0])
    assert {:ok, 4.0} = run(holder, SnakeBridge, :get_item, [array, 1])

    assert :ok = run(user, SnakeBridge, :release, [handle])

    assert {:error, %Error{message: message}} =
             run(user, SnakeBridge, :from_dlpack, [handle, "numpy"])

    assert message =~ "was released"
  end
end
