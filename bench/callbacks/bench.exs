# Callbacks benchmark. Run through bench/callbacks/run.py (it sets the interpreter, runs
# this with `mix run` in elixir/, then renders the table and plot). The baseline is a
# plain trivial call measured in this same run, in alternating rounds.
Code.require_file("../support/measure.exs", __DIR__)

defmodule Bench.Callbacks do
  import Bench.Measure

  @out Path.expand("results.etf", __DIR__)
  @pool :cb
  @sb [snakebridge: [pool: @pool, timeout: 600_000]]

  defp summary(times_us) do
    sorted = Enum.sort(times_us)
    %{p50_us: percentile(sorted, 0.5), p99_us: percentile(sorted, 0.99), n: length(sorted)}
  end

  defp plain_round(n) do
    for _ <- 1..n do
      t0 = System.monotonic_time(:nanosecond)
      {:ok, 3} = Bench.Operator.add(1, 2, @sb)
      (System.monotonic_time(:nanosecond) - t0) / 1000
    end
  end

  # One outer call; Python times each of its n callback round trips.
  defp callback_round(n) do
    {:ok, times} = SnakeBridge.call("cbbench", "time_calls", [fn x -> x end, n], @sb)
    times
  end

  defp wall(fun) do
    t0 = System.monotonic_time(:microsecond)
    result = fun.()
    {(System.monotonic_time(:microsecond) - t0) / 1000, result}
  end

  def rosen(xs) do
    xs
    |> Enum.chunk_every(2, 1, :discard)
    |> Enum.map(fn [a, b] -> 100 * (b - a * a) ** 2 + (1 - a) ** 2 end)
    |> Enum.sum()
  end

  def rosen_der(xs) do
    Enum.zip_with([[nil | xs], xs, tl(xs) ++ [nil]], fn [previous, xi, next] ->
      left = if previous, do: 200 * (xi - previous * previous), else: 0.0
      right = if next, do: -400 * xi * (next - xi * xi) - 2 * (1 - xi), else: 0.0
      left + right
    end)
  end

  defp minimize(f, opts) do
    x0 = List.duplicate([1.3, 0.7, 0.8, 1.9, 1.2], 2) |> List.flatten()

    {ms, {:ok, result}} =
      wall(fn ->
        SnakeBridge.call("scipy.optimize", "minimize", [f, x0], [method: "BFGS"] ++ opts ++ @sb)
      end)

    %{
      ms: ms,
      nfev: result["nfev"],
      njev: result["njev"],
      fun: result["fun"],
      success: result["success"],
      max_error:
        SnakeBridge.method!(result["x"], "tolist", [], @sb)
        |> Enum.map(&abs(&1 - 1.0))
        |> Enum.max()
    }
  end

  def run(python) do
    info = SnakeBridge.Runtime.Pool.info(@pool)
    IO.puts("python: #{python}; pool #{@pool} size #{info.size}, workers #{length(info.workers)}")
    load_before = File.read!("/proc/loadavg")

    # 1. Round trips: plain call (Elixir -> Python -> Elixir) vs callback (Python ->
    # Elixir -> Python), alternating rounds of 2,000 after a warm-up.
    _ = {plain_round(500), callback_round(500)}
    rounds = for _ <- 1..10, do: {plain_round(2_000), callback_round(2_000)}
    plain = Enum.flat_map(rounds, &elem(&1, 0))
    callback = Enum.flat_map(rounds, &elem(&1, 1))

    round_p50 =
      Enum.map(rounds, fn {p, c} ->
        {percentile(Enum.sort(p), 0.5), percentile(Enum.sort(c), 0.5)}
      end)

    IO.inspect(round_p50, label: "per-round p50 plain / callback (µs)")

    # 2. minimize on 10-D Rosenbrock: Elixir objective (x arrives as a ref; one nested
    # tolist call per evaluation) vs the same arithmetic as a Python function; 5
    # alternating runs each, median wall time.
    elixir_f = fn x -> x |> SnakeBridge.method!("tolist", [], @sb) |> rosen() end
    elixir_jac = fn x -> x |> SnakeBridge.method!("tolist", [], @sb) |> rosen_der() end
    {:ok, python_f} = SnakeBridge.get("cbbench", "rosen", @sb)

    runs =
      for _ <- 1..5 do
        {minimize(elixir_f, []), minimize(python_f, []), minimize(elixir_f, jac: elixir_jac)}
      end

    # With a numerical gradient (no jac:) the gradient's evaluations are part of nfev.
    pick = fn i ->
      rs = Enum.map(runs, &elem(&1, i))

      Map.put(hd(rs), :ms, median(Enum.map(rs, & &1.ms)))
      |> Map.put(:ms_all, Enum.map(rs, & &1.ms))
    end

    minimize = %{elixir: pick.(0), python: pick.(1), elixir_jac: pick.(2)}
    IO.inspect(minimize, label: "minimize")

    # Where the time goes: each evaluation timed from inside minimize (3 runs each,
    # the one with the median total).
    inside = fn f ->
      x0 = List.duplicate([1.3, 0.7, 0.8, 1.9, 1.2], 2) |> List.flatten()

      for(_ <- 1..3, do: SnakeBridge.call!("cbbench", "timed_minimize", [f, x0], @sb))
      |> Enum.sort_by(& &1["total"])
      |> Enum.at(1)
    end

    parts = %{elixir: inside.(elixir_f), python: inside.(python_f)}
    IO.inspect(parts, label: "evaluations inside minimize")

    # 3. quad of fn x -> x * x end on [0, 1] (and of the same Python function), 20
    # alternating runs, median.
    {:ok, python_square} = SnakeBridge.get("cbbench", "square", @sb)

    quad = fn f -> SnakeBridge.call("scipy.integrate", "quad", [f, 0, 1], @sb) end

    quads =
      for _ <- 1..20 do
        {ems, {:ok, {evalue, _}}} = wall(fn -> quad.(fn x -> x * x end) end)
        {pms, {:ok, {pvalue, _}}} = wall(fn -> quad.(python_square) end)
        {ems, evalue, pms, pvalue}
      end

    {_, evalue, _, pvalue} = hd(quads)
    # The evaluation count, from one more call (full_output returns arrays as refs,
    # which would weigh on the timed calls).
    neval = fn f ->
      {:ok, {_, _, info}} =
        SnakeBridge.call("scipy.integrate", "quad", [f, 0, 1], [full_output: 1] ++ @sb)

      info["neval"]
    end

    quad = %{
      elixir_ms: median(Enum.map(quads, &elem(&1, 0))),
      python_ms: median(Enum.map(quads, &elem(&1, 2))),
      elixir_value: evalue,
      python_value: pvalue,
      elixir_neval: neval.(fn x -> x * x end),
      python_neval: neval.(python_square)
    }

    IO.inspect(quad, label: "quad")

    env = %{
      otp: System.otp_release(),
      elixir: System.version(),
      schedulers: System.schedulers_online(),
      cpus: :erlang.system_info(:logical_processors_available),
      python: python,
      pool_size: info.size,
      load_before: load_before,
      load_after: File.read!("/proc/loadavg")
    }

    results = %{
      plain: summary(plain),
      callback: summary(callback),
      round_p50: round_p50,
      minimize: minimize,
      objective_parts: parts,
      quad: quad,
      env: env
    }

    File.write!(@out, :erlang.term_to_binary(results))
    IO.puts("wrote #{@out}")
  end
end

python = System.fetch_env!("SNAKEBRIDGE_PYTHON")
Application.stop(:snakebridge)
Application.put_env(:snakebridge, :python, python)

Application.put_env(:snakebridge, :libraries,
  operator: :stdlib,
  cbbench: :stdlib,
  scipy: "~> 1.13",
  numpy: "~> 2.0"
)

Application.put_env(:snakebridge, :ledger, false)
Application.put_env(:snakebridge, :pools, cb: [size: 1, env: %{"PYTHONPATH" => __DIR__}])
{:ok, _} = Application.ensure_all_started(:snakebridge)

wait = fn wait ->
  unless Enum.all?(SnakeBridge.Runtime.Pool.info(:cb).workers, &(&1.status == :ready)),
    do:
      (
        Process.sleep(20)
        wait.(wait)
      )
end

wait.(wait)
Bench.Callbacks.run(python)
