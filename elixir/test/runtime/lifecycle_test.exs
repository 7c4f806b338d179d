defmodule SnakeBridge.Runtime.LifecycleTest do
  @moduledoc """
  Worker lifecycle with real workers: warm spares swapped in after a crash, and
  recycling on max_calls, graceful while sessions hold refs.
  """
  use SnakeBridge.RuntimeCase, async: true

  import ExUnit.CaptureLog

  alias SnakeBridge.Error
  alias SnakeBridge.Runtime.Pool

  defp pool_name, do: :"lifecycle_#{System.unique_integer([:positive])}"

  defp call(pool, function, args, opts \\ []),
    do: SnakeBridge.call("sbtest", function, args, snakebridge: [pool: pool] ++ opts)

  defp ready_spare(pool) do
    eventually(fn ->
      case Pool.info(pool).spares do
        [%{status: :ready} = spare] -> spare
        _ -> nil
      end
    end)
  end

  test "a crash swaps the warm spare in, and a new spare starts" do
    pool = start_pool(pool_name(), spares: 1)
    spare = ready_spare(pool)

    capture_log(fn ->
      assert {:error, %Error{type: :worker_crash}} = call(pool, "exit_with", [3])
    end)

    # The slot is served by the former spare at once, no interpreter start in between.
    assert [%{worker: worker, status: :ready, os_pid: os_pid}] = Pool.info(pool).workers
    assert worker == spare.worker
    assert {:ok, ^os_pid} = call(pool, "getpid", [])
    new_spare = ready_spare(pool)
    assert new_spare.worker != spare.worker
  end

  test "a timeout swaps the spare in too" do
    pool = start_pool(pool_name(), spares: 1)
    spare = ready_spare(pool)
    assert {:error, %Error{type: :timeout}} = call(pool, "sleep", [5], timeout: 150)
    assert [%{worker: worker}] = Pool.info(pool).workers
    assert worker == spare.worker
  end

  test "max_calls recycles an idle worker with no refs; no call fails" do
    pool = start_pool(pool_name(), max_calls: 3)
    [%{os_pid: first}] = Pool.info(pool).workers

    pids = for _ <- 1..7, do: call(pool, "getpid", [])
    assert Enum.all?(pids, &match?({:ok, _}, &1))
    pids = Enum.map(pids, fn {:ok, pid} -> pid end)
    # 3 calls per worker.
    assert [^first, ^first, ^first, second, second, second, third] = pids
    assert first != second and second != third
  end

  test "a worker due for rotation drains while its sessions hold refs, then retires" do
    pool = start_pool(pool_name(), max_calls: 2, drain_timeout: 600, heartbeat: 100)
    {:ok, box} = call(pool, "Box", [7])
    assert {:ok, 7} = SnakeBridge.method(box, "get", [])

    # Due now, but the ref keeps it: it drains, still serving its sessions.
    assert [%{draining: true, worker: worker}] = Pool.info(pool).workers
    assert worker == box.worker
    assert {:ok, 7} = SnakeBridge.method(box, "get", [])

    # After drain_timeout it retires, and the ref is gone.
    log =
      capture_log(fn ->
        eventually(fn -> hd(Pool.info(pool).workers).worker != worker end)
      end)

    assert log =~ "was rotated (max_calls) after draining"
    wait_ready(pool)

    assert {:error, %Error{type: :ref_lost, message: message}} =
             SnakeBridge.method(box, "get", [])

    # The pool says why: rotated, for which limit, after draining how long.
    assert message =~ "worker #{worker} was rotated (max_calls) after draining for 600 ms"
  end

  test "a draining worker retires as soon as its sessions end" do
    pool = start_pool(pool_name(), max_calls: 1, drain_timeout: 60_000, heartbeat: 100)

    worker =
      SnakeBridge.with_session(fn ->
        {:ok, box} = call(pool, "Box", [1])
        assert [%{draining: true}] = Pool.info(pool).workers
        box.worker
      end)

    eventually(fn -> hd(Pool.info(pool).workers).worker != worker end)
    assert {:ok, _} = call(pool, "echo", [1])
  end
end
