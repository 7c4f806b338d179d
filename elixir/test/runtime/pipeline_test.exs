defmodule SnakeBridge.Runtime.PipelineTest do
  # Calls written to a worker's pipe while it runs another: they still run one at a
  # time, each reply reaches its own caller, and a worker's death fails or reruns them
  # exactly as it would have if they had waited in the pool.
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.Error
  alias SnakeBridge.Runtime.Pool

  defp pool_name, do: :"pipe_#{System.unique_integer([:positive])}"

  defp call(pool, function, args, sb \\ []),
    do: SnakeBridge.call("sbtest", function, args, snakebridge: [pool: pool, session: "s"] ++ sb)

  defp count_file do
    path = Path.join(System.tmp_dir!(), "sb_pipe_#{System.unique_integer([:positive])}")
    on_exit(fn -> File.rm(path) end)
    path
  end

  defp runs(path) do
    case File.read(path) do
      {:ok, text} -> byte_size(text)
      {:error, :enoent} -> 0
    end
  end

  # Starts `function` in a task once the slot's worker is busy; waits until the pool has
  # written it behind the call in flight.
  defp pipelined(pool, function, args, sb \\ []) do
    task = Task.async(fn -> call(pool, function, args, sb) end)
    eventually(fn -> hd(Pool.info(pool).workers).pipelined == 1 end)
    task
  end

  defp busy(pool, seconds, sb \\ []) do
    task = Task.async(fn -> call(pool, "sleep", [seconds], sb) end)
    eventually(fn -> hd(Pool.info(pool).workers).busy end)
    task
  end

  test "many callers on one worker each get their own reply" do
    pool = start_pool(pool_name())

    results =
      1..8
      |> Enum.map(fn caller ->
        Task.async(fn ->
          for i <- 1..150 do
            {:ok, [[^caller, ^i], %{}]} =
              SnakeBridge.call("sbtest", "echo", [caller, i], snakebridge: [pool: pool])

            :ok
          end
        end)
      end)
      |> Task.await_many(60_000)

    assert Enum.all?(List.flatten(results), &(&1 == :ok))
    assert [%{calls: 1200}] = Pool.info(pool).workers
  end

  test "kill -9 of the worker: the call in flight fails, the pipelined one runs once on its replacement" do
    pool = start_pool(pool_name())
    path = count_file()
    running = busy(pool, 5)
    behind = pipelined(pool, "count_then_sleep", [path, 0])
    [%{os_pid: os_pid}] = Pool.info(pool).workers
    System.cmd("kill", ["-9", Integer.to_string(os_pid)])

    assert {:error, %Error{type: :worker_crash, reason: :killed}} = Task.await(running, 10_000)
    assert {:ok, nil} = Task.await(behind, 10_000)
    assert runs(path) == 1
    assert [%{os_pid: new_pid}] = Pool.info(pool).workers
    assert new_pid != os_pid
  end

  test "by default three calls are written behind the one running and the next waits in the pool; kill -9 runs each of them once" do
    pool = start_pool(pool_name())
    paths = for _ <- 1..4, do: count_file()
    running = busy(pool, 5)

    behind =
      for {path, n} <- Enum.with_index(paths, 1) do
        task = Task.async(fn -> call(pool, "count_then_sleep", [path, 0]) end)

        eventually(fn ->
          [worker] = Pool.info(pool).workers
          worker.pipelined + worker.queued == n
        end)

        task
      end

    assert [%{pipelined: 3, queued: 1, os_pid: os_pid}] = Pool.info(pool).workers
    System.cmd("kill", ["-9", Integer.to_string(os_pid)])

    assert {:error, %Error{type: :worker_crash, reason: :killed}} = Task.await(running, 10_000)
    for task <- behind, do: assert({:ok, nil} = Task.await(task, 10_000))
    assert Enum.map(paths, &runs/1) == [1, 1, 1, 1]
  end

  test "a crash of the call in flight reruns the pipelined call on the replacement" do
    pool = start_pool(pool_name())
    path = count_file()
    running = Task.async(fn -> call(pool, "sleep_then_exit", [0.5, 3]) end)
    eventually(fn -> hd(Pool.info(pool).workers).busy end)
    behind = pipelined(pool, "count_then_sleep", [path, 0])

    assert {:error, %Error{type: :worker_crash, reason: {:exit, 3}}} = Task.await(running, 10_000)
    assert {:ok, nil} = Task.await(behind, 10_000)
    assert runs(path) == 1
  end

  test "a timeout stops the worker: the pipelined call fails with why, unless it is idempotent" do
    pool = start_pool(pool_name())
    path = count_file()
    # The timeout must outlast writing the second call behind the first (a loaded host
    # took longer than 300 ms): the call sleeps 5 s, so 2 s still expires first.
    running = busy(pool, 5, timeout: 2_000)
    behind = pipelined(pool, "count_then_sleep", [path, 0])

    assert {:error, %Error{type: :timeout}} = Task.await(running, 10_000)

    assert {:error, %Error{type: :worker_crash, reason: :killed, message: message}} =
             Task.await(behind, 10_000)

    assert message =~ "while the call ahead of this one ran"
    assert message =~ "may have started"
    assert runs(path) == 0

    wait_ready(pool)
    running = busy(pool, 5, timeout: 2_000)
    behind = pipelined(pool, "count_then_sleep", [path, 0], idempotent: true)
    assert {:error, %Error{type: :timeout}} = Task.await(running, 10_000)
    # Idempotent: retried by its caller on the replacement.
    assert {:ok, nil} = Task.await(behind, 10_000)
    assert runs(path) == 1
  end

  test "the caller of a pipelined call dies: no later caller gets its reply" do
    pool = start_pool(pool_name())
    running = busy(pool, 0.5)

    {doomed, monitor} = spawn_monitor(fn -> call(pool, "echo", [:doomed]) end)

    eventually(fn -> hd(Pool.info(pool).workers).pipelined == 1 end)
    Process.exit(doomed, :kill)
    assert_receive {:DOWN, ^monitor, :process, ^doomed, :killed}
    assert {:ok, 0.5} = Task.await(running, 10_000)

    for i <- 1..20, do: assert({:ok, [[^i], %{}]} = call(pool, "echo", [i]))
    refute_received {_, {:reply, _, _}}
  end

  test "a call behind one that calls back runs after it, and the callback's own calls inside" do
    pool = start_pool(pool_name())
    path = count_file()
    parent = self()

    outer =
      Task.async(fn ->
        SnakeBridge.with_session("s", fn ->
          SnakeBridge.call(
            "sbtest",
            "sleep_then_call",
            [
              0.3,
              fn x ->
                send(parent, {:inside, File.read(path)})
                {:ok, [[y], %{}]} = call(pool, "echo", [x * 2])
                y
              end,
              21
            ],
            snakebridge: [pool: pool]
          )
        end)
      end)

    eventually(fn -> hd(Pool.info(pool).workers).busy end)
    behind = pipelined(pool, "count_then_sleep", [path, 0])

    assert {:ok, 42} = Task.await(outer, 10_000)
    # The callback ran (and made its nested call) before the pipelined call started.
    assert_received {:inside, {:error, :enoent}}
    assert {:ok, nil} = Task.await(behind, 10_000)
    assert runs(path) == 1
  end
end
