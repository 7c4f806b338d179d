# The crash barrier's part of the runtime benchmark (loaded by bench.exs, run in the same
# VM after the call-path rows): a crash and the next call with and without a warm spare,
# a bystander's calls during a crash storm against a quiet pool and against crashes on
# another pool, and the trivial call with heartbeats on and off, in interleaved rounds.
Code.require_file("../support/measure.exs", __DIR__)

defmodule Bench.Crash do
  import Bench.Measure

  @support Path.expand("../../elixir/test/support/python", __DIR__)
  # How long the bystander calls in each bystander round (quiet and crash storm alike).
  @bystander_ms 1_500
  @restarts 8
  @trivial 1_000

  defp summary(times_us) do
    sorted = Enum.sort(times_us)

    %{
      p50_us: percentile(sorted, 0.5),
      p99_us: percentile(sorted, 0.99),
      max_us: List.last(sorted),
      n: length(sorted)
    }
  end

  defp start_pool(name, opts) do
    python = System.fetch_env!("SNAKEBRIDGE_PYTHON")

    settings = %{
      python: {:ok, python},
      libraries: SnakeBridge.Runtime.Settings.normalize_libraries(sbtest: :stdlib),
      root: File.cwd!(),
      mix_env: :prod,
      ledger_path: nil,
      python_path: Path.expand("../../src", __DIR__),
      callbacks: %{}
    }

    {:ok, _} =
      SnakeBridge.Runtime.Pool.start_link(
        [name: name, settings: settings, env: %{"PYTHONPATH" => @support}] ++ opts
      )

    wait_ready(name)
    name
  end

  # Every worker ready, and as many ready spares as configured.
  defp wait_ready(pool) do
    info = SnakeBridge.Runtime.Pool.info(pool)
    spares = :sys.get_state(SnakeBridge.Runtime.Pool.process_name(pool)).spare_count

    if Enum.all?(info.workers, &(&1.status == :ready)) and
         Enum.count(info.spares, &(&1.status == :ready)) == spares do
      info
    else
      Process.sleep(10)
      wait_ready(pool)
    end
  end

  defp call(pool, function, args),
    do: SnakeBridge.call("sbtest", function, args, snakebridge: [pool: pool])

  defp us(fun) do
    t0 = System.monotonic_time(:nanosecond)
    result = fun.()
    {(System.monotonic_time(:nanosecond) - t0) / 1000, result}
  end

  # A crash, then the time until the next call on that (only) slot is answered.
  defp restart_round(pool, n) do
    for _ <- 1..n do
      wait_ready(pool)
      {:error, %SnakeBridge.Error{type: :worker_crash}} = call(pool, "exit_with", [3])
      {t, {:ok, _}} = us(fn -> call(pool, "echo", [1]) end)
      t
    end
  end

  # A bystander's trivial calls on `pool`, back to back for `ms`, while another process
  # makes crash calls in a loop on `crash_pool` (the same pool, another one, or none).
  # Returns the bystander's call times, its failed calls and the crashes meanwhile.
  defp bystander_round(pool, ms, crash_pool) do
    me = self()

    crasher =
      if crash_pool do
        spawn(fn -> crash_loop(crash_pool, me, 0) end)
      end

    Process.sleep(50)
    deadline = System.monotonic_time(:millisecond) + ms
    {times, failed} = bystander_calls(pool, deadline, [], 0)

    crashes =
      if crasher do
        send(crasher, {:stop, me})

        receive do
          {:crashes, n} -> n
        end
      else
        0
      end

    {times, failed, crashes}
  end

  defp crash_loop(pool, parent, n) do
    receive do
      {:stop, ^parent} -> send(parent, {:crashes, n})
    after
      0 ->
        n = if match?({:error, _}, call(pool, "exit_with", [3])), do: n + 1, else: n
        crash_loop(pool, parent, n)
    end
  end

  defp bystander_calls(pool, deadline, times, failed) do
    if System.monotonic_time(:millisecond) >= deadline do
      {times, failed}
    else
      case us(fn -> call(pool, "echo", [1]) end) do
        {t, {:ok, _}} -> bystander_calls(pool, deadline, [t | times], failed)
        {_t, {:error, _}} -> bystander_calls(pool, deadline, times, failed + 1)
      end
    end
  end

  defp trivial_round(pool, n),
    do: for(_ <- 1..n, do: elem(us(fn -> {:ok, _} = call(pool, "echo", [1]) end), 0))

  def run(rounds) do
    # No circuit: every crash costs a worker, which is what is measured.
    no_circuit = [circuit: [crashes: 1_000_000]]
    cold = start_pool(:bench_cold, [size: 1] ++ no_circuit)
    warm = start_pool(:bench_warm, [size: 1, spares: 1] ++ no_circuit)
    quiet = start_pool(:bench_quiet, [size: 2, spares: 1] ++ no_circuit)
    storm = start_pool(:bench_storm, [size: 2, spares: 1] ++ no_circuit)
    # Crashes on a pool of their own: the machine's share of a crash storm (starting
    # replacement interpreters), without the bystander's pool taking part.
    apart = start_pool(:bench_apart, [size: 1, spares: 1] ++ no_circuit)
    beat = start_pool(:bench_beat, size: 1, heartbeat: 20)
    nobeat = start_pool(:bench_nobeat, size: 1, heartbeat: false)
    state = fn pool -> :sys.get_state(SnakeBridge.Runtime.Pool.process_name(pool)) end

    sizes = %{
      cold: length(SnakeBridge.Runtime.Pool.info(cold).workers),
      warm_spares: length(SnakeBridge.Runtime.Pool.info(warm).spares),
      storm: length(SnakeBridge.Runtime.Pool.info(storm).workers),
      storm_spares: length(SnakeBridge.Runtime.Pool.info(storm).spares),
      restarts: @restarts,
      bystander_ms: @bystander_ms,
      trivial: @trivial,
      heartbeat_ms: state.(beat).heartbeat,
      heartbeat_off: state.(nobeat).heartbeat
    }

    IO.inspect(sizes, label: "crash settings measured")
    {affinity, 0} = System.cmd("taskset", ["-pc", System.pid()])

    rounds =
      for round <- 1..rounds do
        cold_t = restart_round(cold, @restarts)
        warm_t = restart_round(warm, @restarts)
        {quiet_t, quiet_failed, 0} = bystander_round(quiet, @bystander_ms, nil)
        {apart_t, apart_failed, apart_crashes} = bystander_round(quiet, @bystander_ms, apart)
        {storm_t, storm_failed, crashes} = bystander_round(storm, @bystander_ms, storm)
        beat_t = trivial_round(beat, @trivial)
        nobeat_t = trivial_round(nobeat, @trivial)

        row = %{
          cold: summary(cold_t),
          warm: summary(warm_t),
          quiet: summary(quiet_t),
          apart: summary(apart_t),
          storm: summary(storm_t),
          apart_crashes: apart_crashes,
          storm_crashes: crashes,
          failed: %{quiet: quiet_failed, apart: apart_failed, storm: storm_failed},
          beat: summary(beat_t),
          nobeat: summary(nobeat_t)
        }

        IO.inspect({round, row.warm.p50_us, row.storm.p99_us / row.quiet.p99_us},
          label: "crash round, warm p50 us, storm/quiet p99"
        )

        row
      end

    for pool <- [cold, warm, quiet, storm, apart, beat, nobeat],
        do: GenServer.stop(SnakeBridge.Runtime.Pool.process_name(pool))

    %{rounds: rounds, sizes: sizes, affinity: String.trim(affinity)}
  end
end
