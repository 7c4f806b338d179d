defmodule SnakeBridge.Runtime.PoolTest do
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.{Error, Runtime}
  alias SnakeBridge.Runtime.Pool

  defp pool_name, do: :"pool_#{System.unique_integer([:positive])}"

  defp call_in_session(pool, session, function, args),
    do: SnakeBridge.call("sbtest", function, args, snakebridge: [pool: pool, session: session])

  test "a call past its timeout errors, its worker is replaced, no late reply leaks" do
    pool = start_pool(pool_name())
    [%{os_pid: old_pid, worker: old_worker}] = Pool.info(pool).workers

    assert {:error, %Error{type: :timeout, message: message}} =
             SnakeBridge.call("sbtest", "sleep", [5], snakebridge: [pool: pool, timeout: 200])

    assert message =~ "within 200 ms"
    assert message =~ "snakebridge: [timeout: ms]"
    # The busy worker is killed, not left running the call.
    eventually(fn -> not alive?(old_pid) end)
    %{workers: [%{worker: new_worker}]} = wait_ready(pool)
    assert new_worker != old_worker

    # The next caller gets its own answer.
    assert {:ok, [[42], %{}]} =
             SnakeBridge.call("sbtest", "echo", [42], snakebridge: [pool: pool])

    refute_received {_, {:reply, _, _}}
  end

  test "a crashing worker is reported and replaced" do
    pool = start_pool(pool_name())

    assert {:error, %Error{type: :worker_crash, message: message}} =
             SnakeBridge.call("sbtest", "crash", [], snakebridge: [pool: pool])

    assert message =~ "exited with status 3"
    wait_ready(pool)
    assert {:ok, _} = SnakeBridge.call("sbtest", "echo", [1], snakebridge: [pool: pool])
  end

  test "a dead worker's last words reach Logger, and their file is removed" do
    pool = start_pool(pool_name())
    [%{worker: worker}] = Pool.info(pool).workers

    log =
      ExUnit.CaptureLog.capture_log(fn ->
        assert {:error, %Error{type: :worker_crash}} =
                 SnakeBridge.call("sbtest", "die_saying", ["Fatal Python error: testing"],
                   snakebridge: [pool: pool]
                 )

        wait_ready(pool)
      end)

    assert log =~ ~r"#{worker} exited with status 4 .*; its last words:"
    assert log =~ "Fatal Python error: testing"
    refute File.exists?(SnakeBridge.Runtime.WorkerPort.last_words_path(worker))
  end

  test "an overloaded pool answers :pool_overloaded at once" do
    # pipeline: 2, so one call behind the running one fills the pipe and the next queues.
    pool = start_pool(pool_name(), max_queue: 1, checkout_timeout: 60_000, pipeline: 2)
    gate = Path.join(System.tmp_dir!(), "sbtest-gate-#{System.unique_integer([:positive])}")
    on_exit(fn -> File.rm(gate) end)
    # One call runs (until the gate opens), one is pipelined behind it, one waits; the
    # pool is then full. They are sent one after the other, each once the pool shows the
    # one before in place, so the order cannot vary, and the first cannot finish early.
    run = fn function, args ->
      Task.async(fn ->
        SnakeBridge.with_session("s", fn ->
          SnakeBridge.call("sbtest", function, args, snakebridge: [pool: pool])
        end)
      end)
    end

    placed = fn expected ->
      eventually(fn ->
        [worker] = Pool.info(pool).workers
        {worker.busy, worker.pipelined, worker.queued} == expected
      end)
    end

    first = run.("wait_for", [gate])
    placed.({true, 0, 0})
    second = run.("echo", [2])
    placed.({true, 1, 0})
    third = run.("echo", [3])
    placed.({true, 1, 1})

    assert {:error, %Error{type: :pool_overloaded, message: message}} =
             SnakeBridge.call("sbtest", "echo", [1], snakebridge: [pool: pool])

    assert message =~ "max_queue: 1"
    File.write!(gate, "")

    assert [{:ok, true}, {:ok, [[2], %{}]}, {:ok, [[3], %{}]}] =
             Task.await_many([first, second, third], 10_000)
  end

  test "a call that waits past checkout_timeout gets :pool_overloaded" do
    # pipeline: 2, so one call behind the running one fills the pipe and the next queues.
    pool = start_pool(pool_name(), checkout_timeout: 100, pipeline: 2)
    parent = self()

    busy =
      Task.async(fn ->
        SnakeBridge.with_session("s", fn ->
          send(parent, :started)
          SnakeBridge.call("sbtest", "sleep", [1.5], snakebridge: [pool: pool])
        end)
      end)

    assert_receive :started
    eventually(fn -> hd(Pool.info(pool).workers).busy end)
    # The next call is pipelined behind the sleep (written to the worker); the one
    # after it waits in the queue.
    filler = Task.async(fn -> call_in_session(pool, "s", "echo", [0]) end)
    eventually(fn -> hd(Pool.info(pool).workers).pipelined == 1 end)

    assert {:error, %Error{type: :pool_overloaded, message: message}} =
             SnakeBridge.call("sbtest", "echo", [1], snakebridge: [pool: pool, session: "s"])

    assert message =~ "within 100 ms"
    assert {:ok, 1.5} = Task.await(busy, 10_000)
    assert {:ok, [[0], %{}]} = Task.await(filler, 10_000)
  end

  test "queued calls of callers that died are skipped" do
    # pipeline: 2, so one call behind the running one fills the pipe and the next queues.
    pool = start_pool(pool_name(), pipeline: 2)
    parent = self()

    busy =
      Task.async(fn ->
        SnakeBridge.with_session("s", fn ->
          send(parent, :started)
          SnakeBridge.call("sbtest", "sleep", [2.0], snakebridge: [pool: pool])
        end)
      end)

    assert_receive :started
    eventually(fn -> hd(Pool.info(pool).workers).busy end)
    filler = Task.async(fn -> call_in_session(pool, "s", "echo", [0]) end)
    eventually(fn -> hd(Pool.info(pool).workers).pipelined == 1 end)
    # Queued behind the sleep and the pipelined call (long enough for a loaded machine),
    # then killed: its call must never run.
    {doomed, ref} =
      spawn_monitor(fn ->
        SnakeBridge.call("sbtest", "crash", [], snakebridge: [pool: pool, session: "s"])
      end)

    eventually(fn -> hd(Pool.info(pool).workers).queued == 1 end)
    Process.exit(doomed, :kill)
    assert_receive {:DOWN, ^ref, :process, ^doomed, :killed}
    assert {:ok, 2.0} = Task.await(busy)
    assert {:ok, [[0], %{}]} = Task.await(filler)
    [%{os_pid: os_pid}] = Pool.info(pool).workers

    assert {:ok, [[1], %{}]} =
             SnakeBridge.call("sbtest", "echo", [1], snakebridge: [pool: pool, session: "s"])

    assert [%{os_pid: ^os_pid}] = Pool.info(pool).workers
  end

  test "idempotent calls are retried once when their worker crashed" do
    pool = start_pool(pool_name())

    crash = %{
      call_type: :call,
      library: "sbtest",
      python_module: "sbtest",
      function: "crash",
      kwargs: [],
      idempotent: true
    }

    # crash() always crashes: the retry crashes too, and the error is reported.
    assert {:error, %Error{type: :worker_crash}} =
             Runtime.call(crash, [], snakebridge: [pool: pool])

    wait_ready(pool)
  end

  test "named pools carry their own environment variables" do
    pool =
      start_pool(pool_name(),
        env: %{"PYTHONPATH" => support_python(), "SB_POOL_FLAG" => "gpu-0"},
        libraries: [os: :stdlib, sbtest: :stdlib]
      )

    assert {:ok, "gpu-0"} =
             SnakeBridge.call("os", "getenv", ["SB_POOL_FLAG"], snakebridge: [pool: pool])
  end

  test "workers start concurrently and all become ready" do
    pool = start_pool(pool_name(), size: 3)
    info = wait_ready(pool)
    assert length(info.workers) == 3
    assert info.workers |> Enum.map(& &1.os_pid) |> Enum.uniq() |> length() == 3
  end

  test "stopping a pool leaves no Python process behind, even a busy one" do
    pool = start_pool(pool_name(), size: 2)
    pids = Enum.map(Pool.info(pool).workers, & &1.os_pid)
    assert Enum.all?(pids, &alive?/1)
    Task.start(fn -> SnakeBridge.call("sbtest", "sleep", [30], snakebridge: [pool: pool]) end)
    eventually(fn -> Enum.any?(Pool.info(pool).workers, & &1.busy) end)
    :ok = stop_supervised({Pool, pool})
    eventually(fn -> not Enum.any?(pids, &alive?/1) end)
  end

  test "with no Python the pool still starts and calls name the fix" do
    settings = %{
      python: {:error, "no Python interpreter is configured; run `mix snakebridge.setup`"},
      libraries: %{}
    }

    pool = pool_name()
    start_supervised!({Pool, name: pool, settings: settings})

    assert {:error, %Error{type: :python_unavailable, message: message}} =
             SnakeBridge.call("numpy", "mean", [[1]], snakebridge: [pool: pool])

    assert message =~ "mix snakebridge.setup"
  end

  test "a broken interpreter is reported instead of hanging callers" do
    settings = %{python: {:ok, "/bin/false"}, libraries: %{}, python_path: nil}
    pool = pool_name()
    start_supervised!({Pool, name: pool, settings: settings, checkout_timeout: 60_000})

    result =
      eventually(fn ->
        case SnakeBridge.call("numpy", "mean", [[1]], snakebridge: [pool: pool]) do
          {:error, %Error{type: :worker_crash} = error} -> error
          _ -> false
        end
      end)

    assert result.message =~ "before it was ready"
    assert result.message =~ "mix snakebridge.setup"
  end

  test "a declared library missing from the environment names the fix" do
    pool = start_pool(pool_name(), libraries: [sbtest: :stdlib, not_installed_lib: "~> 1.0"])

    assert {:error, %Error{type: :import_error, message: message}} =
             SnakeBridge.call("not_installed_lib", "f", [], snakebridge: [pool: pool])

    assert message =~ "not installed"
    assert message =~ "mix snakebridge.setup"
  end

  test "timeout: :infinity is allowed, nonsense is refused" do
    pool = start_pool(pool_name())

    assert {:ok, _} =
             SnakeBridge.call("sbtest", "echo", [1], snakebridge: [pool: pool, timeout: :infinity])

    assert {:error, %Error{type: :bad_argument}} =
             SnakeBridge.call("sbtest", "echo", [1], snakebridge: [timeout: -5])
  end

  test "calls to a pool that does not exist error clearly" do
    assert {:error, %Error{type: :worker_crash, message: message}} =
             SnakeBridge.call("json", "dumps", [1], snakebridge: [pool: :nope])

    assert message =~ "pool :nope is not running"
  end
end
