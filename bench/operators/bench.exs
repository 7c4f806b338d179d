# Kernel arithmetic under `use SnakeBridge.Operators` vs plain Kernel, on integers. Run
# through bench/operators/run.py (pinned with taskset, one scheduler), which renders the
# table and plot from results.etf. The two loops are the same source; only the import
# differs. Rounds alternate which loop runs first.
#
# Three shapes: `loop`, a recursive loop whose body calls nothing (the worst case: Kernel's
# operators compile to a frameless loop, the import's ref branch needs a stack frame);
# `loop_guarded`, the same loop with `is_integer` guards (the compiler then knows no
# operand is a ref and drops the test and its branch); and `reduce`, the same arithmetic
# in an Enum.reduce/3 callback (typical code).
defmodule Bench.Operators.Plain do
  def loop(0, acc), do: acc
  def loop(n, acc), do: loop(n - 1, acc + rem(n, 7) * 3)

  def loop_guarded(0, acc), do: acc

  def loop_guarded(n, acc) when is_integer(n) and is_integer(acc),
    do: loop_guarded(n - 1, acc + rem(n, 7) * 3)

  def reduce(list), do: Enum.reduce(list, 0, fn x, acc -> acc + rem(x, 7) * 3 end)
end

defmodule Bench.Operators.Imported do
  use SnakeBridge.Operators

  def loop(0, acc), do: acc
  def loop(n, acc), do: loop(n - 1, acc + rem(n, 7) * 3)

  def loop_guarded(0, acc), do: acc

  def loop_guarded(n, acc) when is_integer(n) and is_integer(acc),
    do: loop_guarded(n - 1, acc + rem(n, 7) * 3)

  def reduce(list), do: Enum.reduce(list, 0, fn x, acc -> acc + rem(x, 7) * 3 end)
end

defmodule Bench.Operators do
  @out Path.expand("results.etf", __DIR__)
  @n 10_000_000
  @rounds 21

  defp time(module, :loop), do: timed(fn -> module.loop(@n, 0) end)
  defp time(module, :loop_guarded), do: timed(fn -> module.loop_guarded(@n, 0) end)
  defp time(module, :reduce), do: timed(fn -> module.reduce(:persistent_term.get(__MODULE__)) end)

  # CPU time of the VM (one scheduler), in ns per iteration: on a loaded host wall time
  # also counts the time other processes hold the CPU, more for longer runs.
  defp timed(fun) do
    {cpu0, _} = :erlang.statistics(:runtime)
    t0 = System.monotonic_time(:nanosecond)
    result = fun.()
    {cpu1, _} = :erlang.statistics(:runtime)
    wall = (System.monotonic_time(:nanosecond) - t0) / @n
    {{(cpu1 - cpu0) * 1.0e6 / @n, wall}, result}
  end

  def run do
    load_before = File.read!("/proc/loadavg")
    :persistent_term.put(__MODULE__, Enum.to_list(1..@n))

    results =
      Map.new([:loop, :loop_guarded, :reduce], fn shape ->
        # Warm-up: both modules run once, and must agree.
        {_, expected} = time(Bench.Operators.Plain, shape)
        {_, ^expected} = time(Bench.Operators.Imported, shape)

        rounds =
          for round <- 1..@rounds do
            order =
              if rem(round, 2) == 0,
                do: [Bench.Operators.Plain, Bench.Operators.Imported],
                else: [Bench.Operators.Imported, Bench.Operators.Plain]

            times =
              Map.new(order, fn module ->
                {ns, ^expected} = time(module, shape)
                {module, ns}
              end)

            {times[Bench.Operators.Plain], times[Bench.Operators.Imported]}
          end

        {Atom.to_string(shape), rounds}
      end)

    results = %{
      "rounds" => results,
      "n" => @n,
      "env" => %{
        "load_before" => load_before,
        "load_after" => File.read!("/proc/loadavg"),
        "otp" => System.otp_release(),
        "elixir" => System.version(),
        "schedulers" => System.schedulers_online(),
        "affinity" =>
          File.read!("/proc/self/status")
          |> String.split("\n")
          |> Enum.find(&String.starts_with?(&1, "Cpus_allowed_list"))
      }
    }

    File.write!(@out, :erlang.term_to_binary(results))
    IO.puts("wrote #{@out}")
  end
end

Bench.Operators.run()
