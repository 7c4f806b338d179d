# One round of a same-run A/B between two checkouts of the Elixir runtime (see
# bench/runtime/ab.md): run by ab.sh alternately from each checkout's elixir/ dir. It
# measures, in this VM, (1) sequential trivial calls beside the raw echo, VM and worker
# (and echo) pinned to CPU 0: p50s, VM and worker CPU per call (schedstat) and the
# reductions of the caller and the pool process per call; (2) 8 callers x 2,000 calls
# unpinned on a 1-worker and a 2-worker pool (default pipeline depth): calls/s and VM
# and worker CPU per call. Prints one line `AB <term>` for ab_summary.exs.
Code.require_file("../support/measure.exs", __DIR__)

defmodule AB do
  import Bench.Measure

  def side(n, fun, pool_pid, py_pids) do
    for _ <- 1..div(n, 10), do: fun.()
    r0 = reductions(self())
    p0 = reductions(pool_pid)
    :msacc.reset()
    :msacc.start()
    {times, vm_ns, py_ns} = cpu(py_pids, fn -> times(n, fun) end)
    :msacc.stop()
    states = scheduler_us()

    r1 = reductions(self())
    p1 = reductions(pool_pid)

    %{
      p50: median(times) / 1000,
      vm_us: vm_ns / n / 1000,
      py_us: Enum.sum(py_ns) / n / 1000,
      reds_caller: (r1 - r0) / n,
      reds_pool: (p1 - p0) / n,
      emulator_us: states.emulator / n,
      gc_us: states.gc / n
    }
  end

  def throughput(pool, callers, per_caller) do
    pids = Bench.Setup.workers(pool)
    pool_pid = Process.whereis(SnakeBridge.Runtime.Pool.process_name(pool))
    p0 = reductions(pool_pid)

    {{caller_reds, wall}, vm_ns, py_ns} =
      cpu(pids, fn ->
        concurrently(callers, fn ->
          r0 = reductions(self())

          for _ <- 1..per_caller,
              do: {:ok, 3} = Bench.Operator.add(1, 2, snakebridge: [pool: pool])

          reductions(self()) - r0
        end)
      end)

    calls = callers * per_caller

    %{
      rate: calls / (wall / 1.0e9),
      vm_us: vm_ns / calls / 1000,
      py_us: Enum.sum(py_ns) / calls / 1000,
      reds_caller: Enum.sum(caller_reds) / calls,
      reds_pool: (reductions(pool_pid) - p0) / calls
    }
  end
end

python =
  Bench.Setup.start([one: [size: 1], two: [size: 2]],
    max_queue: 100_000,
    checkout_timeout: 600_000
  )

[worker] = Bench.Setup.workers(:one)
pool_pid = Process.whereis(SnakeBridge.Runtime.Pool.process_name(:one))

port = Bench.Setup.echo_port(python)

{:os_pid, echo_pid} = Port.info(port, :os_pid)
vm = String.to_integer(System.pid())
n = String.to_integer(System.get_env("N", "20000"))
term = {:erlang.unique_integer([:positive]), <<1::64>>, [1, 2], %{}, "session-id-xxxxxxxx", nil}

echo = fn ->
  Port.command(port, :erlang.term_to_binary(term))

  receive do
    {^port, {:data, data}} -> :erlang.binary_to_term(data, [:safe])
  end
end

call = fn -> {:ok, 3} = Bench.Operator.add(1, 2, snakebridge: [pool: :one]) end

Bench.Measure.pin(vm, "0")
for pid <- [worker, echo_pid], do: Bench.Measure.pin(pid, "0")
e = AB.side(n, echo, nil, [echo_pid])
c = AB.side(n, call, pool_pid, [worker])
Bench.Measure.pin(vm, "0,1")
for pid <- [worker | Bench.Setup.workers(:two)], do: Bench.Measure.pin(pid, "0,1")
for _ <- 1..300, pool <- [:one, :two], do: Bench.Operator.add(1, 2, snakebridge: [pool: pool])
t1 = AB.throughput(:one, 8, 2_000)
t2 = AB.throughput(:two, 8, 2_000)

IO.puts(
  "AB " <>
    inspect(%{
      rev: System.get_env("AB_REV", "?"),
      echo: e,
      call: c,
      one: t1,
      two: t2,
      load: File.read!("/proc/loadavg") |> String.split() |> hd()
    })
)
