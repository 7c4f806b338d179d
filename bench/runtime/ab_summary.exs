# Reads the `AB <term>` lines ab.sh collected (pairs of base and new, one pair a round)
# and prints each figure's median (min-max) for both checkouts and the median (min-max)
# of per-round ratios new/base, as markdown table rows. KIND is ab.sh's: call or bulk.
[kind, file] = System.argv()

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
spread = fn xs -> "#{fmt.(median.(xs))} (#{fmt.(Enum.min(xs))}-#{fmt.(Enum.max(xs))})" end

bulk_figures = fn mb ->
  [
    {"#{mb} MB: SnakeBridge MB/s", &(mb / (&1.bulk[mb].call.p50_us / 1.0e6))},
    {"#{mb} MB: echo MB/s", &(mb / (&1.bulk[mb].echo.p50_us / 1.0e6))},
    {"#{mb} MB: SnakeBridge / echo (MB/s)", &(&1.bulk[mb].echo.p50_us / &1.bulk[mb].call.p50_us)},
    {"#{mb} MB: echo through a relay / echo (MB/s)",
     &(&1.bulk[mb].echo.p50_us / &1.bulk[mb].relay.p50_us)},
    {"#{mb} MB: worker user CPU us/round trip (ticks)", & &1.bulk[mb].call.py_user_us},
    {"#{mb} MB: echo process user CPU us/round trip (ticks)", & &1.bulk[mb].echo.py_user_us},
    {"#{mb} MB: worker CPU us/round trip", & &1.bulk[mb].call.py_us},
    {"#{mb} MB: echo process CPU us/round trip", & &1.bulk[mb].echo.py_us},
    {"#{mb} MB: VM CPU us/round trip, call", & &1.bulk[mb].call.vm_us},
    {"#{mb} MB: VM CPU us/round trip, echo", & &1.bulk[mb].echo.vm_us},
    {"#{mb} MB: VM emulator us/round trip, call (msacc)", & &1.bulk[mb].call.emulator_us},
    {"#{mb} MB: VM emulator us/round trip, echo (msacc)", & &1.bulk[mb].echo.emulator_us},
    {"#{mb} MB: VM emulator us/round trip, relay (msacc)", & &1.bulk[mb].relay.emulator_us},
    {"#{mb} MB: worker minor faults/round trip", & &1.bulk[mb].call.py_flt}
  ]
end

figures =
  case kind do
    "call" ->
      [
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

    "bulk" ->
      Enum.flat_map([1, 10], bulk_figures)
  end

if Enum.all?(rows, &Map.has_key?(&1, :load)) do
  IO.puts("rounds: #{length(rounds)}; load per run: " <> Enum.map_join(rows, " ", & &1.load))
end

IO.puts("| figure | base | new | new/base (min-max) |\n| --- | --- | --- | --- |")

for {name, f} <- figures do
  base = for r <- rounds, do: f.(r["base"])
  new = for r <- rounds, do: f.(r["new"])
  ratios = Enum.zip_with(new, base, fn n, b -> if b == 0, do: 1.0, else: n / b end)
  IO.puts("| #{name} | #{spread.(base)} | #{spread.(new)} | #{spread.(ratios)} |")
end
