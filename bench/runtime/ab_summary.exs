# Reads the `AB <term>` lines ab.sh collected (pairs of base and new, one pair a round)
# and prints each figure's median for both and the median (min-max) of per-round ratios.
[file] = System.argv()

rows =
  file
  |> File.read!()
  |> String.split("\n", trim: true)
  |> Enum.map(fn "AB " <> term -> elem(Code.eval_string(term), 0) end)

rounds =
  rows
  |> Enum.chunk_every(2)
  |> Enum.map(fn pair -> Map.new(pair, &{&1.rev, &1}) end)

median = fn xs -> xs |> Enum.sort() |> Enum.at(div(length(xs), 2)) end
fmt = fn x -> :erlang.float_to_binary(x / 1, decimals: 2) end

figures = [
  {"p50 call us (same CPU)", & &1.call.p50},
  {"p50 call/echo", &(&1.call.p50 / &1.echo.p50)},
  {"VM CPU us/call (seq)", & &1.call.vm_us},
  {"worker CPU us/call (seq)", & &1.call.py_us},
  {"VM emulator us/call (seq, msacc)", & &1.call.emulator_us},
  {"VM gc us/call (seq, msacc)", & &1.call.gc_us},
  {"echo: VM emulator us/call", & &1.echo.emulator_us},
  {"reductions caller/call", & &1.call.reds_caller},
  {"reductions pool/call", & &1.call.reds_pool},
  {"8 callers 1 worker calls/s", & &1.one.rate},
  {"8 callers 1 worker VM us/call", & &1.one.vm_us},
  {"8 callers 1 worker reductions caller/call", & &1.one.reds_caller},
  {"8 callers 1 worker reductions pool/call", & &1.one.reds_pool},
  {"8 callers 2 workers calls/s", & &1.two.rate},
  {"8 callers 2 workers VM us/call", & &1.two.vm_us},
  {"2 workers / 1 worker", &(&1.two.rate / &1.one.rate)}
]

IO.puts("rounds: #{length(rounds)}; load per run: " <> Enum.map_join(rows, " ", & &1.load))
IO.puts("| figure | base | new | new/base (min-max) |\n| --- | --- | --- | --- |")

for {name, f} <- figures do
  ratios = for r <- rounds, do: f.(r["new"]) / f.(r["base"])
  {lo, hi} = Enum.min_max(ratios)

  IO.puts(
    "| #{name} | #{fmt.(median.(for r <- rounds, do: f.(r["base"])))} | " <>
      "#{fmt.(median.(for r <- rounds, do: f.(r["new"])))} | " <>
      "#{fmt.(median.(ratios))} (#{fmt.(lo)}-#{fmt.(hi)}) |"
  )
end
