# Pipelining depth against throughput: 8 callers x 2,000 trivial calls on pools of 1 and
# 2 workers at each depth in DEPTHS (default "2,4"), all pools side by side in one VM,
# their order alternating from round to round. Reports calls/s, the VM's and the
# workers' CPU per call (schedstat), and per-round ratios against the first depth's
# 1-worker pool. Unpinned (both CPUs), as bench/runtime's throughput rows. Run from elixir/:
#   SNAKEBRIDGE_PYTHON=$PWD/../.venv/bin/python mix run ../bench/runtime/depth.exs
Code.require_file("../support/measure.exs", __DIR__)

defmodule Depth do
  import Bench.Measure

  def add(pool), do: {:ok, 3} = Bench.Operator.add(1, 2, snakebridge: [pool: pool])

  def run(pool, callers, per_caller) do
    {{_, wall}, vm_ns, py_ns} =
      cpu(Bench.Setup.workers(pool), fn ->
        concurrently(callers, fn -> for _ <- 1..per_caller, do: add(pool) end)
      end)

    calls = callers * per_caller

    %{
      rate: calls / (wall / 1.0e9),
      vm_us: vm_ns / calls / 1000,
      py_us: Enum.sum(py_ns) / calls / 1000
    }
  end
end

depths = System.get_env("DEPTHS", "2,4") |> String.split(",") |> Enum.map(&String.to_integer/1)
rounds = String.to_integer(System.get_env("ROUNDS", "9"))
pools = for depth <- depths, size <- [1, 2], do: {:"depth#{depth}_#{size}", size, depth}

Bench.Setup.start(
  for({name, size, depth} <- pools, do: {name, [size: size, pipeline: depth]}),
  max_queue: 100_000,
  checkout_timeout: 600_000
)

for {name, _, _} <- pools do
  for _ <- 1..300, do: Depth.add(name)
end

IO.inspect(%{depths: depths, rounds: rounds, load: File.read!("/proc/loadavg")}, label: "settings")

rows =
  for round <- 1..rounds do
    order = if rem(round, 2) == 0, do: Enum.reverse(pools), else: pools
    row = Map.new(order, fn {name, _, _} -> {name, Depth.run(name, 8, 2_000)} end)
    IO.inspect(Map.new(row, fn {k, v} -> {k, round(v.rate)} end), label: "round #{round}")
    row
  end

{base, _, _} = hd(pools)

for {name, size, depth} <- pools do
  ratios = for r <- rows, do: r[name].rate / r[base].rate
  {low, high} = Enum.min_max(ratios)

  IO.puts(
    "#{size} worker(s), depth #{depth}: " <>
      "#{round(Bench.Measure.median(for r <- rows, do: r[name].rate))} calls/s, " <>
      "#{Float.round(Bench.Measure.median(ratios), 2)}x (#{Float.round(low, 2)}-#{Float.round(high, 2)}) " <>
      "the depth-#{hd(depths)} 1-worker pool; CPU per call VM " <>
      "#{Float.round(Bench.Measure.median(for r <- rows, do: r[name].vm_us), 1)} + Python " <>
      "#{Float.round(Bench.Measure.median(for r <- rows, do: r[name].py_us), 1)} us"
  )
end

IO.puts("load after: " <> File.read!("/proc/loadavg"))
