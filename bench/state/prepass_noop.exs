# Times the no-op pre-pass in-process on the project at argv[0]: one warm-up run, then
# argv[1] timed runs; prints "median_us <n>" and "affinity <cpus>" (this VM's CPU list as
# taskset reads it back, so the caller can check its pinning took effect). Run with
# `mix run --no-start` from the elixir/ directory whose SnakeBridge is being measured
# (bench/state/prepass_manifest.py).
[root, runs] = System.argv()
Mix.shell(Mix.Shell.Quiet)

run = fn ->
  Mix.State.delete_cache({:app, :synth_state})

  Mix.Project.in_project(:synth_state, root, fn _ ->
    :timer.tc(fn -> SnakeBridge.Scanner.Prepass.run() end)
  end)
end

{_, {status, []}} = run.()
true = status in [:noop, :ok]

times =
  for _ <- 1..String.to_integer(runs) do
    {us, {:noop, []}} = run.()
    us
  end

sorted = Enum.sort(times)
IO.puts("median_us #{Enum.at(sorted, div(length(sorted), 2))}")
{affinity, 0} = System.cmd("taskset", ["-pc", System.pid()])
IO.puts("affinity #{affinity |> String.split(":") |> List.last() |> String.trim()}")
