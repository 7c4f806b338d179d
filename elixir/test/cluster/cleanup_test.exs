defmodule SnakeBridge.Cluster.CleanupTest do
  # The cluster tests start real VMs, Python workers and an epmd: stopping a cluster
  # leaves none of them running.
  use ExUnit.Case, async: false

  import SnakeBridge.ClusterCase

  @moduletag timeout: 120_000

  test "stop_nodes leaves no node VM, Python worker or epmd behind" do
    cluster = start_nodes(2)

    vms = for n <- cluster.nodes, do: n |> on(:os, :getpid, []) |> List.to_integer()
    workers = Enum.flat_map(cluster.nodes, &on(&1, SnakeBridge.ClusterNode, :worker_pids, []))
    assert length(workers) == 2
    assert Enum.all?(vms ++ workers, &os_alive?/1)
    assert {"epmd: up and running" <> _, 0} = epmd_names(cluster.port)

    stop_nodes(cluster)

    wait_until(fn -> not Enum.any?(vms ++ workers, &os_alive?/1) end)
    wait_until(fn -> not match?({"epmd: up and running" <> _, 0}, epmd_names(cluster.port)) end)
  end

  defp epmd_names(port),
    do: System.cmd("epmd", ["-port", "#{port}", "-names"], stderr_to_stdout: true)
end
