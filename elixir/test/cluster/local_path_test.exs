defmodule SnakeBridge.Cluster.LocalPathTest do
  # Routing must not add a hop to a local call: the caller sends exactly one message,
  # to its node's pool, as before there was a cluster. Messages are counted with the
  # VM's tracer (no timing).
  use ExUnit.Case, async: false

  alias SnakeBridge.Error

  defp sends_during(fun) do
    tracer = spawn_link(fn -> trace_loop([]) end)
    :erlang.trace(self(), true, [:send, {:tracer, tracer}])
    result = fun.()
    :erlang.trace(self(), false, [:send])
    send(tracer, {:get, self()})

    receive do
      {:sent, sent} -> {result, sent}
    end
  end

  defp trace_loop(acc) do
    receive do
      {:trace, _pid, :send, message, to} -> trace_loop([{to, message} | acc])
      {:get, from} -> send(from, {:sent, Enum.reverse(acc)})
    end
  end

  defp pool, do: SnakeBridge.Runtime.Pool.process_name(:default)

  test "a local call sends one message, to the local pool, whatever its routing says" do
    # Warm: the session exists and its node is decided.
    assert {:ok, _} = SnakeBridge.call("sbtest", "getpid", [])

    for opts <- [
          [],
          [snakebridge: [node: :local]],
          [snakebridge: [node: :any]],
          [snakebridge: [node: node()]]
        ] do
      {result, sent} = sends_during(fn -> SnakeBridge.call("sbtest", "getpid", [], opts) end)
      assert {:ok, pid} = result
      assert is_integer(pid)

      assert [
               {to,
                {:"$gen_call", _from, {:call, _route, _id, _frame, _timeout, _key, _registration}}}
             ] = sent

      assert to == Process.whereis(pool())
    end
  end

  test "this node's pool is a member of its :pg group, and :any alone stays here" do
    assert SnakeBridge.Cluster.members(:default) == [node()]
    # The first advertisement may predate the pools (they start after the cluster).
    wait = fn wait, n ->
      case SnakeBridge.Cluster.load(:default) do
        [] when n > 0 -> Process.sleep(20) && wait.(wait, n - 1)
        loads -> loads
      end
    end

    assert [%{node: node, size: 2}] = wait.(wait, 100)
    assert node == node()

    task =
      Task.async(fn -> SnakeBridge.call("sbtest", "getpid", [], snakebridge: [node: :any]) end)

    assert {:ok, _} = Task.await(task)
  end

  test "a bad node: option is refused before anything is sent" do
    for bad <- ["node@host", :no_at_sign, 42, {:a, :b, :c}] do
      assert {:error, %Error{type: :bad_argument, message: message}} =
               SnakeBridge.call("sbtest", "getpid", [], snakebridge: [node: bad])

      assert message =~ "node: must be :local, :any, a node name"
    end
  end

  test "a node that cannot be reached is a :node_down naming it" do
    assert {:error, %Error{type: :node_down, reason: :nobody@nowhere, message: message}} =
             SnakeBridge.call("sbtest", "getpid", [], snakebridge: [node: :nobody@nowhere])

    assert message =~ "nobody@nowhere"
  end
end
