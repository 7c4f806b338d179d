defmodule SnakeBridge.Runtime.CrashTest do
  @moduledoc """
  The crash barrier with real workers dying for real: every death is classified, the
  function that was running is tainted, its circuit opens, bystanders never notice, and
  only idempotent calls are retried.
  """
  use SnakeBridge.RuntimeCase, async: true

  import ExUnit.CaptureLog

  alias SnakeBridge.Error
  alias SnakeBridge.Runtime.Pool

  defp pool_name, do: :"crash_#{System.unique_integer([:positive])}"

  defp call(pool, function, args, opts \\ []),
    do: SnakeBridge.call("sbtest", function, args, snakebridge: [pool: pool] ++ opts)

  test "each way of dying mid-call has its reason, and the worker is replaced" do
    pool = start_pool(pool_name())

    cases = [
      {"segfault", [], :segfault, "segmentation fault"},
      {"abort", [], :abort, "SIGABRT"},
      {"kill_self", [7], :bus_error, "bus error"},
      {"kill_self", [9], :killed, "killed"},
      {"exit_with", [7], {:exit, 7}, "exited with status 7"}
    ]

    capture_log(fn ->
      for {function, args, reason, text} <- cases do
        assert {:error, %Error{type: :worker_crash, reason: ^reason, message: message}} =
                 call(pool, function, args)

        assert message =~ text
        assert message =~ "while running sbtest.#{function}"
        wait_ready(pool)
        assert {:ok, _} = call(pool, "echo", [1])
      end
    end)
  end

  test "a segfault's report and the Python stack that caused it reach Logger" do
    pool = start_pool(pool_name())
    [%{worker: worker}] = Pool.info(pool).workers

    log =
      capture_log(fn ->
        assert {:error, %Error{reason: :segfault}} = call(pool, "segfault", [])
        wait_ready(pool)
      end)

    assert log =~ ~r"#{worker} .*; its last words:"
    assert log =~ "Fatal Python error: Segmentation fault"
    assert log =~ ~r"sbtest\.py\", line \d+ in segfault"
  end

  test "a worker that ran a function whose circuit opens is rotated, though it did not crash" do
    pool = start_pool(pool_name(), size: 2, circuit: [cool_down: 60_000])
    parent = self()

    capture_log(fn ->
      # This process's session crashes one worker; another session, on the other worker,
      # then runs the same function without crashing.
      assert {:error, %Error{reason: :segfault}} = call(pool, "segfault_if", [true])

      survivor =
        Task.async(fn ->
          send(parent, {:ran, call(pool, "segfault_if", [false]), call(pool, "getpid", [])})
          receive do: (:done -> :ok)
        end)

      assert_receive {:ran, {:ok, "survived"}, {:ok, survivor_pid}}, 10_000
      assert survivor_pid in Enum.map(Pool.info(pool).workers, & &1.os_pid)

      # Two more crashes open the circuit: the survivor's worker is rotated too.
      for _ <- 1..2, do: assert({:error, %Error{}} = call(pool, "segfault_if", [true]))
      assert [%{function: "sbtest.segfault_if", state: :open}] = Pool.circuits(pool)

      eventually(fn ->
        pids = Enum.map(Pool.info(pool).workers, & &1.os_pid)
        survivor_pid not in pids
      end)

      send(survivor.pid, :done)
      Task.await(survivor)
    end)

    wait_ready(pool)
    assert {:ok, _} = call(pool, "echo", [1])
  end

  test "a ref lost to a crash says which crash, when its session uses it again" do
    pool = start_pool(pool_name())

    capture_log(fn ->
      {:ok, box} = call(pool, "Box", [1])
      assert {:error, %Error{reason: :segfault}} = call(pool, "segfault", [])
      wait_ready(pool)

      assert {:error, %Error{type: :ref_lost, message: message}} =
               SnakeBridge.method(box, "get", [])

      assert message =~ "worker #{box.worker} crashed with a segmentation fault"
      assert message =~ "while running sbtest.segfault"
    end)
  end

  test "memory exhaustion under RLIMIT_AS is a Python MemoryError; the worker lives" do
    pool = start_pool(pool_name())
    [%{os_pid: os_pid}] = Pool.info(pool).workers
    assert {:error, %Error{type: :memory_error}} = call(pool, "exhaust_memory", [512])
    assert {:ok, ^os_pid} = call(pool, "getpid", [])
  end

  test "a timeout is :timeout with reason :timeout" do
    pool = start_pool(pool_name())

    assert {:error, %Error{type: :timeout, reason: :timeout}} =
             call(pool, "sleep", [5], timeout: 150)
  end

  test "an idle worker killed from outside is replaced and no call fails" do
    pool = start_pool(pool_name())
    [%{os_pid: os_pid, worker: worker}] = Pool.info(pool).workers

    capture_log(fn ->
      System.cmd("kill", ["-9", Integer.to_string(os_pid)])

      eventually(fn ->
        match?(%{workers: [%{worker: w, status: :ready}]} when w != worker, Pool.info(pool))
      end)
    end)

    assert {:ok, _} = call(pool, "echo", [1])
  end

  test "100 calls of a function that always segfaults: the circuit opens after 3, bystanders see nothing" do
    pool = start_pool(pool_name(), size: 2, circuit: [cool_down: 60_000])

    # The bystander's session (and its ref) sit on one worker, the crasher's on the other.
    parent = self()

    bystander =
      Task.async(fn ->
        {:ok, box} = call(pool, "Box", [42])
        send(parent, {:box, box})
        echoes = for i <- 1..200, do: call(pool, "echo", [i])
        {echoes, SnakeBridge.method(box, "get", [])}
      end)

    assert_receive {:box, box}, 10_000

    {results, _log} =
      with_log(fn ->
        Task.async(fn -> for _ <- 1..100, do: call(pool, "segfault", []) end)
        |> Task.await(60_000)
      end)

    crashes =
      Enum.count(results, &match?({:error, %Error{reason: :segfault, type: :worker_crash}}, &1))

    refused = Enum.filter(results, &match?({:error, %Error{type: :circuit_open}}, &1))
    assert crashes == 3
    assert length(refused) == 97

    assert {:error, %Error{reason: :segfault, message: message}} = hd(refused)
    assert message =~ "sbtest.segfault is refused"
    assert message =~ "3 times"
    assert message =~ "probe"

    assert {echoes, {:ok, 42}} = Task.await(bystander, 60_000)
    assert echoes == Enum.map(1..200, &{:ok, [[&1], %{}]})
    crashed = for {:error, %Error{type: :worker_crash, worker: w}} <- results, do: w
    assert length(crashed) == 3 and box.worker not in crashed

    assert [%{function: "sbtest.segfault", state: :open, reason: :segfault, crashes: 3}] =
             Pool.circuits(pool)

    # Other functions of the library are unaffected.
    assert {:ok, _} = call(pool, "echo", [1])
  end

  test "after the cool-down one probe runs: a crash reopens the circuit for twice as long" do
    pool = start_pool(pool_name(), circuit: [crashes: 1, cool_down: 300])

    capture_log(fn ->
      assert {:error, %Error{type: :worker_crash}} = call(pool, "exit_with", [3])
    end)

    assert {:error, %Error{type: :circuit_open}} = call(pool, "exit_with", [3])
    Process.sleep(350)
    wait_ready(pool)

    capture_log(fn ->
      assert {:error, %Error{type: :worker_crash}} = call(pool, "exit_with", [3])
    end)

    assert [%{state: :open, retry_in_ms: retry}] = Pool.circuits(pool)
    assert retry > 300
  end

  test "a probe that returns closes the circuit" do
    pool = start_pool(pool_name(), circuit: [crashes: 1, cool_down: 200])

    capture_log(fn ->
      assert {:error, %Error{type: :worker_crash}} = call(pool, "kill_self", [9])
    end)

    assert {:error, %Error{type: :circuit_open}} = call(pool, "kill_self", [9])
    Process.sleep(250)
    wait_ready(pool)
    # A Python exception is not a crash: the probe closes the circuit.
    assert {:error, %Error{type: :type_error}} = call(pool, "kill_self", ["not a signal"])
    assert Pool.circuits(pool) == []
  end

  defp executions(path) do
    case File.read(path) do
      {:ok, text} -> byte_size(text)
      {:error, :enoent} -> 0
    end
  after
    File.rm(path)
  end

  defp counter,
    do: Path.join(System.tmp_dir!(), "sbtest-count-#{System.unique_integer([:positive])}")

  test "retries by idempotence, counted through a side effect: none, a series, never after a timeout" do
    pool = start_pool(pool_name(), circuit: [crashes: 100], retry: [base: 1, max: 5])

    capture_log(fn ->
      # Not idempotent: exactly one execution.
      path = counter()
      assert {:error, %Error{type: :worker_crash}} = call(pool, "count_then_crash", [path])
      assert executions(path) == 1

      # Idempotent: the series runs to its bound (3 executions by default).
      path = counter()

      assert {:error, %Error{type: :worker_crash, reason: :killed}} =
               call(pool, "count_then_crash", [path], idempotent: true)

      assert executions(path) == 3

      # The call's own bound, over the pool's.
      path = counter()

      assert {:error, %Error{type: :worker_crash}} =
               call(pool, "count_then_crash", [path], idempotent: true, retry: [attempts: 5])

      assert executions(path) == 5

      path = counter()

      assert {:error, %Error{type: :worker_crash}} =
               call(pool, "count_then_crash", [path], idempotent: true, retry: [attempts: 1])

      assert executions(path) == 1

      # A timeout is the call's own limit: never retried.
      path = counter()

      assert {:error, %Error{type: :timeout}} =
               call(pool, "count_then_sleep", [path, 5], idempotent: true, timeout: 300)

      assert executions(path) == 1
    end)
  end

  test "a pool's retry: bounds its series, and a retry never runs past the call's deadline" do
    pool = start_pool(pool_name(), circuit: [crashes: 100], retry: [attempts: 2, base: 1])

    capture_log(fn ->
      path = counter()

      assert {:error, %Error{type: :worker_crash}} =
               call(pool, "count_then_crash", [path], idempotent: true)

      assert executions(path) == 2

      # Each execution runs 0.9 s, then crashes. With 1.5 s in all, the retry gets what is
      # left of them (about 0.6 s): it times out, and no third execution starts. The call
      # waits for no replacement worker first (its deadline counts from the call on).
      wait_ready(pool)
      path = counter()

      assert {:error, %Error{type: :timeout}} =
               call(pool, "count_sleep_then_crash", [path, 0.9],
                 idempotent: true,
                 timeout: 1_500,
                 retry: [attempts: 3]
               )

      assert executions(path) == 2
    end)
  end

  test "every retry of a series counts from the call's deadline, not from its previous attempt's" do
    # Warm spares, so a crash costs no interpreter start inside the call's deadline.
    pool = start_pool(pool_name(), circuit: [crashes: 100], retry: [base: 1, max: 1], spares: 2)
    eventually(fn -> match?([%{status: :ready}, %{status: :ready}], Pool.info(pool).spares) end)
    path = counter()

    # Three executions of 0.8 s each fit in 3 s: the third starts with about 1.4 s left.
    # Counted from the second attempt's own shortened limit it would get about 0.6 s and
    # time out instead of crashing.
    capture_log(fn ->
      assert {:error, %Error{type: :worker_crash}} =
               call(pool, "count_sleep_then_crash", [path, 0.8],
                 idempotent: true,
                 timeout: 3_000
               )
    end)

    assert executions(path) == 3
  end

  test "a bad retry: is refused with a message naming it" do
    pool = start_pool(pool_name())

    assert {:error, %Error{type: :bad_argument, message: message}} =
             call(pool, "echo", [1], retry: [attempts: 0])

    assert message =~ "retry: must be a keyword list of attempts:"

    assert_raise ArgumentError, ~r/retry: must be/, fn ->
      Pool.start_link(name: pool_name(), retry: [tries: 2])
    end
  end

  test "a call killed for its timeout taints its function like a crash; others are unaffected" do
    pool = start_pool(pool_name(), circuit: [crashes: 2, cool_down: 60_000])

    capture_log(fn ->
      for _ <- 1..2 do
        assert {:error, %Error{type: :timeout}} = call(pool, "sleep", [5], timeout: 150)
        wait_ready(pool)
      end

      assert {:error, %Error{type: :circuit_open, reason: :timeout, message: message}} =
               call(pool, "sleep", [0])

      assert message =~ "sbtest.sleep is refused"
      assert message =~ "last: timeout"
      assert {:ok, [[1], %{}]} = call(pool, "echo", [1])
    end)

    assert [%{function: "sbtest.sleep", state: :open, reason: :timeout, crashes: 2}] =
             Pool.circuits(pool)
  end

  # A call that leaves `worker` holding the GIL once idle; returns when the heartbeat has
  # had it replaced.
  defp hang(pool, worker) do
    assert {:ok, true} = call(pool, "hold_gil_later", [0.05, 30])

    eventually(fn ->
      match?(%{workers: [%{worker: w, status: :ready}]} when w != worker, Pool.info(pool))
    end)
  end

  test "an idle worker that never answers its heartbeat is replaced (:hang)" do
    pool = start_pool(pool_name(), heartbeat: 200, heartbeat_timeout: 300)
    [%{worker: worker, os_pid: os_pid}] = Pool.info(pool).workers

    log = capture_log(fn -> hang(pool, worker) end)
    assert log =~ "#{worker} stopped answering heartbeats"
    refute alive?(os_pid)
    assert {:ok, [[1], %{}]} = call(pool, "echo", [1])
    # The hang is counted against the last function the worker ran, like a crash.
    assert [%{function: "sbtest.hold_gil_later", reason: :hang, crashes: 1}] = Pool.circuits(pool)
  end

  test "hangs open the circuit of the function that left the worker hung" do
    pool =
      start_pool(pool_name(),
        heartbeat: 200,
        heartbeat_timeout: 300,
        circuit: [crashes: 1, cool_down: 60_000]
      )

    [%{worker: worker}] = Pool.info(pool).workers

    capture_log(fn -> hang(pool, worker) end)

    assert {:error, %Error{type: :circuit_open, reason: :hang, message: message}} =
             call(pool, "hold_gil_later", [0.05, 30])

    assert message =~ "last: hang"
    assert {:ok, [[1], %{}]} = call(pool, "echo", [1])
  end

  test "heartbeats of a healthy idle worker keep it" do
    pool = start_pool(pool_name(), heartbeat: 50)
    [%{os_pid: os_pid}] = Pool.info(pool).workers
    Process.sleep(400)
    assert [%{os_pid: ^os_pid, status: :ready}] = Pool.info(pool).workers
    assert {:ok, ^os_pid} = call(pool, "getpid", [])
  end
end
