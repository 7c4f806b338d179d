# Crash barrier benchmark. Run through bench/crash/run.py (it sets the interpreter, runs
# this with `mix run` in elixir/, then renders the table and plot). Every figure has its
# baseline measured in the same run, in interleaved rounds.
defmodule Bench.Crash do
  @out Path.expand("results.etf", __DIR__)
  @support Path.expand("../../elixir/test/support/python", __DIR__)
  @rounds 5

  def percentile(sorted, p),
    do: Enum.at(sorted, min(length(sorted) - 1, trunc(length(sorted) * p)))

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

    :persistent_term.put({__MODULE__, name}, Keyword.get(opts, :spares, 0))
    wait_ready(name)
    name
  end

  # Every worker ready, and as many ready spares as configured.
  defp wait_ready(pool) do
    info = SnakeBridge.Runtime.Pool.info(pool)
    spares = :persistent_term.get({__MODULE__, pool}, 0)

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

  # A bystander's trivial calls while another process makes `storm` crash calls.
  defp bystander_round(pool, n, storm?) do
    crasher =
      if storm? do
        spawn(fn ->
          Stream.repeatedly(fn -> call(pool, "exit_with", [3]) end) |> Stream.run()
        end)
      end

    Process.sleep(50)
    times = for _ <- 1..n, do: elem(us(fn -> {:ok, _} = call(pool, "echo", [1]) end), 0)
    if crasher, do: Process.exit(crasher, :kill)
    times
  end

  defp trivial_round(pool, n),
    do: for(_ <- 1..n, do: elem(us(fn -> {:ok, _} = call(pool, "echo", [1]) end), 0))

  defp median(xs), do: xs |> Enum.sort() |> Enum.at(div(length(xs), 2))

  def run do
    {load_before, 0} = System.cmd("cat", ["/proc/loadavg"])
    # No circuit: every crash costs a worker, which is what is measured.
    no_circuit = [circuit: [crashes: 1_000_000]]
    cold = start_pool(:bench_cold, [size: 1] ++ no_circuit)
    warm = start_pool(:bench_warm, [size: 1, spares: 1] ++ no_circuit)
    quiet = start_pool(:bench_quiet, [size: 2, spares: 1] ++ no_circuit)
    storm = start_pool(:bench_storm, [size: 2, spares: 1] ++ no_circuit)
    beat = start_pool(:bench_beat, size: 1, heartbeat: 20)
    nobeat = start_pool(:bench_nobeat, size: 1, heartbeat: false)

    sizes = %{
      cold: length(SnakeBridge.Runtime.Pool.info(cold).workers),
      warm_spares: length(SnakeBridge.Runtime.Pool.info(warm).spares),
      storm: length(SnakeBridge.Runtime.Pool.info(storm).workers)
    }

    rounds =
      for round <- 1..@rounds do
        IO.puts("round #{round}/#{@rounds}")
        cold_t = restart_round(cold, 8)
        warm_t = restart_round(warm, 8)
        quiet_t = bystander_round(quiet, 400, false)
        storm_t = bystander_round(storm, 400, true)
        beat_t = trivial_round(beat, 1_000)
        nobeat_t = trivial_round(nobeat, 1_000)

        %{
          cold: summary(cold_t),
          warm: summary(warm_t),
          quiet: summary(quiet_t),
          storm: summary(storm_t),
          beat: summary(beat_t),
          nobeat: summary(nobeat_t)
        }
      end

    {load_after, 0} = System.cmd("cat", ["/proc/loadavg"])

    results = %{
      rounds: rounds,
      sizes: sizes,
      env: %{
        load_before: load_before,
        load_after: load_after,
        cpus: System.schedulers_online(),
        otp: System.otp_release(),
        elixir: System.version()
      }
    }

    IO.inspect(sizes, label: "pool sizes measured")
    File.write!(@out, :erlang.term_to_binary(results))

    IO.puts(
      "warm/cold restart p50 ratio (median of rounds): " <>
        "#{Float.round(median(Enum.map(rounds, &(&1.warm.p50_us / &1.cold.p50_us))), 3)}"
    )
  end
end

Bench.Crash.run()
