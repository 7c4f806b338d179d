# Reads the `AB <term>` lines bulk_ab.sh collected (pairs of base and new, one pair a
# round) and prints, per size, each figure's median for both checkouts and the median
# (min-max) of per-round ratios new/base.
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
spread = fn xs -> "#{fmt.(median.(xs))} (#{fmt.(Enum.min(xs))}-#{fmt.(Enum.max(xs))})" end

figures = fn mb ->
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

IO.puts("rounds: #{length(rounds)}; load per run: " <> Enum.map_join(rows, " ", & &1.load))
IO.puts("| figure | base | new | new/base (min-max) |\n| --- | --- | --- | --- |")

for mb <- [1, 10], {name, f} <- figures.(mb) do
  base = for r <- rounds, do: f.(r["base"])
  new = for r <- rounds, do: f.(r["new"])
  ratios = Enum.zip_with(new, base, fn n, b -> if b == 0, do: 1.0, else: n / b end)
  IO.puts("| #{name} | #{spread.(base)} | #{spread.(new)} | #{spread.(ratios)} |")
end
