defmodule SnakeBridge.Runtime.ProtocolTest do
  @moduledoc """
  A library that writes to the protocol's file descriptor (real workers, raw write(2)s
  of whole frames from `sbtest`): it never fails another caller's call, never makes the
  pool signal a process it did not start, and never makes a call raise.
  """
  use SnakeBridge.RuntimeCase, async: true

  import ExUnit.CaptureLog

  alias SnakeBridge.Error
  alias SnakeBridge.Runtime.Pool

  defp pool_name, do: :"protocol_#{System.unique_integer([:positive])}"

  defp call(pool, function, args, opts \\ []),
    do: SnakeBridge.call("sbtest", function, args, snakebridge: [pool: pool] ++ opts)

  defp in_session(fun), do: Task.async(fn -> SnakeBridge.with_session("other", fun) end)

  test "a forged {:ready, pid} frame signals nobody, and the pool keeps the port's pid" do
    pool = start_pool(pool_name())
    [%{os_pid: os_pid, worker: worker}] = Pool.info(pool).workers
    assert {:ok, ^os_pid} = call(pool, "getpid", [])

    # A process the pool did not start: it must survive everything below.
    bystander = Port.open({:spawn_executable, "/bin/sleep"}, args: ["30"])
    {:os_pid, bystander_pid} = Port.info(bystander, :os_pid)

    log =
      capture_log(fn ->
        assert {:ok, true} = call(pool, "forge_ready", [bystander_pid])
        assert {:ok, [[1], %{}]} = call(pool, "echo", [1])
        # A timeout kills the worker the pool started (the forged pid is not it).
        assert {:error, %Error{type: :timeout}} = call(pool, "sleep", [5], timeout: 200)
      end)

    assert log =~ "answers no call in flight"
    eventually(fn -> not alive?(os_pid) end)
    assert alive?(bystander_pid)
    %{workers: [%{worker: new_worker, os_pid: new_pid}]} = wait_ready(pool)
    assert new_worker != worker
    assert {:ok, ^new_pid} = call(pool, "getpid", [])
    Port.close(bystander)
  end

  test "a stale reply after a forged early one never fails the next caller's call" do
    pool = start_pool(pool_name())
    [%{os_pid: os_pid}] = Pool.info(pool).workers

    capture_log(fn ->
      # The library answers its own call early: that call's caller gets the forged value
      # (nothing can tell it apart), and the real reply arrives afterwards, stale.
      assert {:ok, "forged"} = call(pool, "forge_reply", ["forged"])
      task = in_session(fn -> call(pool, "echo", ["innocent"]) end)
      assert {:ok, [["innocent"], %{}]} = Task.await(task)
      assert {:ok, [[2], %{}]} = call(pool, "echo", [2])
    end)

    assert [%{os_pid: ^os_pid}] = Pool.info(pool).workers
  end

  test "stray frames written during another caller's call are dropped" do
    pool = start_pool(pool_name())
    [%{os_pid: os_pid}] = Pool.info(pool).workers
    stray = ["reply", "error", "nil_reply", "ready", "junk", "not_etf", "unknown_atom"]

    log =
      capture_log(fn ->
        assert {:ok, true} = call(pool, "forge_later", [0.2, stray])
        # Runs while the thread writes: its reply is the only one it may get.
        task = in_session(fn -> call(pool, "sleep", [0.6]) end)
        assert {:ok, 0.6} = Task.await(task)
        assert {:ok, [[3], %{}]} = call(pool, "echo", [3])
      end)

    assert length(Regex.scan(~r/answers no call in flight/, log)) == length(stray)
    # Nobody retired the worker: its other sessions' refs are intact.
    assert [%{os_pid: ^os_pid, status: :ready}] = Pool.info(pool).workers
  end

  test "stray frames while the worker is idle are dropped too" do
    pool = start_pool(pool_name())
    {:ok, box} = SnakeBridge.call("sbtest", "Box", [7], snakebridge: [pool: pool])

    capture_log(fn ->
      assert {:ok, true} = call(pool, "forge_later", [0.05, ["reply", "ready", "junk"]])
      Process.sleep(300)
    end)

    assert {:ok, 7} = SnakeBridge.method(box, "get", [])
  end

  test "a malformed reply is an error, never an exception in the caller" do
    pool = start_pool(pool_name())

    capture_log(fn ->
      for kind <- ~w(bare short error_list error_map error_empty marked) do
        assert {:error, %Error{type: :worker_crash, message: message}} =
                 call(pool, "forge_malformed", [kind])

        assert message =~ "out of protocol"
        # The stale real reply that follows is dropped; the next call gets its own.
        assert {:ok, [[^kind], %{}]} = call(pool, "echo", [kind])
      end
    end)
  end

  test "a forged callback frame gets an error answer, not a crash of the caller" do
    pool = start_pool(pool_name())

    capture_log(fn ->
      for kind <- ~w(callback callback_junk) do
        # The worker is not waiting for the callback's answer; the call still returns.
        assert {:ok, "real"} = call(pool, "forge_malformed", [kind])
        assert {:ok, [[^kind], %{}]} = call(pool, "echo", [kind])
      end
    end)
  end
end
