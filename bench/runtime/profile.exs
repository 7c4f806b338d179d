# Where the VM's CPU goes on trivial calls, beside the raw echo, same run: VM and worker
# (and the echo) pinned to CPU 0, rounds alternating echo / call. Per call it reports
# the VM's schedstat CPU, scheduler busy time (scheduler_wall_time), microstate
# accounting (:msacc) per thread type and state, and the reductions of the caller and
# of the pool process. Run from elixir/ (VM flags, e.g. `+sbwt none`, in
# ELIXIR_ERL_OPTIONS; the run prints what it got):
#   SNAKEBRIDGE_PYTHON=$PWD/../.venv/bin/python mix run ../bench/runtime/profile.exs
Code.require_file("../support/measure.exs", __DIR__)

defmodule Profile do
  import Bench.Measure

  def echo(port, term) do
    Port.command(port, :erlang.term_to_binary(term))

    receive do
      {^port, {:data, data}} -> :erlang.binary_to_term(data, [:safe])
    end
  end

  # n sequential calls: per call p50 (µs), VM CPU (µs), busy scheduler time (µs), msacc
  # state times (µs, summed over threads of each type), reductions of caller and pool.
  def side(n, fun, pool_pid) do
    for _ <- 1..div(n, 10), do: fun.()
    :erlang.system_flag(:scheduler_wall_time, true)
    sw0 = :erlang.statistics(:scheduler_wall_time_all)
    r0 = reductions(self())
    pr0 = reductions(pool_pid)
    :msacc.reset()
    :msacc.start()
    {times, vm_ns, []} = cpu([], fn -> times(n, fun) end)
    :msacc.stop()
    stats = :msacc.stats()
    sw1 = :erlang.statistics(:scheduler_wall_time_all)
    r1 = reductions(self())
    pr1 = reductions(pool_pid)

    busy =
      Enum.zip(Enum.sort(sw0), Enum.sort(sw1))
      |> Enum.map(fn {{_, a0, _}, {_, a1, _}} -> a1 - a0 end)
      |> Enum.sum()

    msacc =
      for %{type: type, counters: counters} <- stats, reduce: %{} do
        acc ->
          Enum.reduce(counters, acc, fn {state, us}, acc ->
            Map.update(acc, {type, state}, us, &(&1 + us))
          end)
      end
      |> Enum.filter(fn {_, us} -> us / n >= 0.05 end)
      |> Map.new(fn {k, us} -> {k, Float.round(us / n, 2)} end)

    %{
      p50: median(times) / 1000,
      vm_cpu: vm_ns / n / 1000,
      sched_busy: busy / n / :erlang.convert_time_unit(1, :microsecond, :native),
      reds_caller: (r1 - r0) / n,
      reds_pool: (pr1 - pr0) / n,
      msacc: msacc
    }
  end
end

python = Bench.Setup.start(one: [size: 1])
[worker] = Bench.Setup.workers(:one)
pool_pid = Process.whereis(SnakeBridge.Runtime.Pool.process_name(:one))

port = Bench.Setup.echo_port(python)

{:os_pid, echo_pid} = Port.info(port, :os_pid)
# VM_CPU / WORKER_CPU: the placement (default both on CPU 0, as the same-CPU rows).
cpu = {System.get_env("VM_CPU", "0"), System.get_env("WORKER_CPU", "0")}
Bench.Measure.pin(String.to_integer(System.pid()), elem(cpu, 0))
for pid <- [worker, echo_pid], do: Bench.Measure.pin(pid, elem(cpu, 1))
term = {:erlang.unique_integer([:positive]), <<1::64>>, [1, 2], %{}, "session-id-xxxxxxxx", nil}
n = String.to_integer(System.get_env("N", "10000"))
rounds = String.to_integer(System.get_env("ROUNDS", "5"))

IO.inspect(
  %{
    flags: System.get_env("ELIXIR_ERL_OPTIONS"),
    schedulers: System.schedulers_online(),
    cpus: cpu,
    load: File.read!("/proc/loadavg"),
    n: n
  },
  label: "settings"
)

rows =
  for round <- 1..rounds do
    sides = [
      echo: fn -> Profile.side(n, fn -> Profile.echo(port, term) end, nil) end,
      call: fn ->
        Profile.side(
          n,
          fn -> {:ok, 3} = Bench.Operator.add(1, 2, snakebridge: [pool: :one]) end,
          pool_pid
        )
      end
    ]

    # HEAP=<words>: a third side runs the calls with the pool process's min_heap_size
    # raised to that (set inside the pool with :sys.replace_state, put back after).
    sides =
      case System.get_env("HEAP") do
        nil ->
          sides

        words ->
          heap = fn size ->
            :sys.replace_state(pool_pid, fn state ->
              Process.flag(:min_heap_size, size)
              :erlang.garbage_collect()
              state
            end)
          end

          call = sides[:call]

          sides ++
            [
              call_heap: fn ->
                heap.(String.to_integer(words))
                row = call.()
                heap.(233)
                row
              end
            ]
      end

    sides = if rem(round, 2) == 0, do: Enum.reverse(sides), else: sides
    row = Map.new(sides, fn {k, f} -> {k, f.()} end)
    IO.inspect(row, label: "round #{round}", limit: :infinity)
    row
  end

summary =
  for side <- [:echo, :call, :call_heap],
      key <- [:p50, :vm_cpu, :sched_busy, :reds_caller, :reds_pool],
      rows |> hd() |> Map.has_key?(side),
      into: %{} do
    {{side, key}, Bench.Measure.median(for r <- rows, do: r[side][key])}
  end

ratio = Bench.Measure.median(for r <- rows, do: r.call.p50 / r.echo.p50)
msacc_keys = rows |> Enum.flat_map(&Map.keys(&1.call.msacc)) |> Enum.uniq() |> Enum.sort()

msacc =
  for k <- msacc_keys, into: %{} do
    {k,
     {Bench.Measure.median(for(r <- rows, do: Map.get(r.echo.msacc, k, 0.0))),
      Bench.Measure.median(for(r <- rows, do: Map.get(r.call.msacc, k, 0.0)))}}
  end

IO.inspect(summary, label: "median")
IO.inspect(ratio, label: "p50 ratio call/echo (median of rounds)")

if Map.has_key?(hd(rows), :call_heap) do
  heap = for r <- rows, do: {r.call_heap.vm_cpu / r.call.vm_cpu, r.call_heap.p50 / r.call.p50}
  IO.inspect(Bench.Measure.median(for {cpu, _} <- heap, do: cpu), label: "VM CPU call_heap/call")
  IO.inspect(Bench.Measure.median(for {_, p50} <- heap, do: p50), label: "p50 call_heap/call")
end

IO.inspect(msacc, label: "msacc us/call {echo, call}", limit: :infinity)
IO.puts("load after: " <> File.read!("/proc/loadavg"))
