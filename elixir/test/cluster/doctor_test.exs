defmodule SnakeBridge.Cluster.DoctorTest do
  # `mix snakebridge.doctor --node NAME`: a VM that is not a node yet (as a Mix task's is)
  # makes itself one and reads the circuits of a real running node over :erpc.
  use ExUnit.Case, async: false

  import SnakeBridge.ClusterCase
  alias SnakeBridge.Error

  @moduletag timeout: 120_000

  setup_all do
    pools = [
      default: [
        size: 1,
        circuit: [crashes: 1, cool_down: 60_000],
        env: %{"PYTHONPATH" => SnakeBridge.RuntimeCase.support_python()}
      ]
    ]

    cluster = start_nodes(1, pools: pools)
    doctor = start_plain_peer(cluster)

    on_exit(fn ->
      stop_peer(doctor.peer)
      stop_nodes(cluster)
    end)

    {:ok, cluster: cluster, node: hd(cluster.nodes), doctor: doctor}
  end

  defp live(doctor, name, cookie \\ nil),
    do: on(doctor, Mix.Tasks.Snakebridge.Doctor, :live_section, [name, cookie])

  test "reads the circuits counted on a running node", %{node: node, doctor: doctor} do
    name = Atom.to_string(node.node)
    assert {:ok, ["  no crashes counted by the pools running on " <> ^name]} = live(doctor, name)

    assert {:error, %Error{type: :worker_crash}} =
             on(node, SnakeBridge, :call, ["sbtest", "kill_self", [9]])

    assert {:ok, [line]} = live(doctor, name)

    assert line =~
             "[open] sbtest.kill_self (pool default): 1 crashes, last killed, next probe in "

    assert line =~ "(opens after 1 in 60000 ms)"
    # The doctor's VM made itself a node to ask.
    assert on(doctor, Node, :alive?, [])
  end

  test "a node that cannot be reached, a wrong cookie or a bad name fail, saying what to check",
       %{doctor: doctor} = ctx do
    assert {:error, message} = live(doctor, "nobody@127.0.0.1")
    assert message =~ "node nobody@127.0.0.1 cannot be reached from"
    assert message =~ "pass --cookie"

    # A VM of its own: the other one may be connected already (a cookie counts at connect).
    stranger = start_plain_peer(ctx.cluster)
    on_exit(fn -> stop_peer(stranger.peer) end)
    # The refused handshake is expected: not worth an error line on the node.
    on(ctx.node, :logger, :set_primary_config, [:level, :critical])
    on_exit(fn -> on(ctx.node, :logger, :set_primary_config, [:level, :error]) end)
    assert {:error, message} = live(stranger, Atom.to_string(ctx.node.node), "not_the_cookie")
    assert message =~ "cannot be reached"
    assert message =~ "--cookie was given"

    assert {:error, message} = live(doctor, "no-host")
    assert message =~ "a node name is name@host"
  end

  test "--node and --cookie are the task's, every other argument goes to the Python doctor" do
    assert Mix.Tasks.Snakebridge.Doctor.split_argv([
             "--verbose",
             "--node",
             "a@b",
             "--cookie=c",
             "x"
           ]) ==
             {[node: "a@b", cookie: "c"], ["--verbose", "x"]}

    assert Mix.Tasks.Snakebridge.Doctor.split_argv(["--node=a@b"]) == {[node: "a@b"], []}
    assert Mix.Tasks.Snakebridge.Doctor.split_argv([]) == {[], []}
  end
end
