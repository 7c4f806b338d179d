# What the pool's hops cost a trivial round trip (bench/runtime/beam_path_ab.md): in
# this VM, the raw `{packet, 4}` echo (echo_port.py) driven three ways, the sides taking
# turns batch by batch, VM and echo pinned to CPU 0:
#   direct   the caller writes to the port and receives the reply (the echo's floor)
#   relay    caller -> process -> port -> process -> caller (Bench.Relay: the pool's
#            route today, no bookkeeping)
#   notify   the caller tells the relay process of its job (a send, no reply awaited),
#            writes the frame to the port itself, and gets the reply from the relay:
#            the route of "the caller writes its frame, the pool keeps the bookkeeping"
# Per side: p50, VM CPU per round trip (schedstat, all threads), the VM schedulers'
# emulator time (msacc) and the reductions of the caller and the relay process.
# Prints `HOPS <term>`. REPS (default 20000) round trips per side, batches of 1000.
Code.require_file("../support/measure.exs", __DIR__)

defmodule Hops.Notify do
  @moduledoc false
  # Owns the port (the port's replies come here) and keeps the jobs' order: a job is
  # known before its frame can reach the port, as the caller sends first.
  use GenServer

  def start_link(open), do: GenServer.start_link(__MODULE__, open)

  def echo(relay, port, term) do
    ref = make_ref()
    send(relay, {:job, self(), ref})
    Port.command(port, :erlang.term_to_binary(term))

    receive do
      {^ref, data} -> :erlang.binary_to_term(data, [:safe])
    end
  end

  @impl true
  def init(open), do: {:ok, {open.(), :queue.new()}}

  @impl true
  def handle_call(:port, _from, {port, _} = state), do: {:reply, port, state}

  @impl true
  def handle_info({:job, pid, ref}, {port, jobs}),
    do: {:noreply, {port, :queue.in({pid, ref}, jobs)}}

  def handle_info({port, {:data, data}}, {port, jobs}) do
    {{:value, {pid, ref}}, jobs} = :queue.out(jobs)
    send(pid, {ref, data})
    {:noreply, {port, jobs}}
  end
end

defmodule Hops do
  import Bench.Measure

  def run(sides, reps, batch) do
    zero = %{times: [], vm_ns: 0, emulator: 0, reds_caller: 0, reds_relay: 0}
    acc = Map.new(sides, fn {name, _fun, _relay} -> {name, zero} end)

    acc =
      Enum.reduce(1..div(reps, batch), acc, fn i, acc ->
        order = if rem(i, 2) == 0, do: sides, else: Enum.reverse(sides)

        Enum.reduce(order, acc, fn {name, fun, relay}, acc ->
          :msacc.reset()
          :msacc.start()
          r0 = reductions(self())
          q0 = reductions(relay)
          {times, vm_ns, []} = cpu([], fn -> times(batch, fun) end)
          r1 = reductions(self())
          q1 = reductions(relay)
          :msacc.stop()
          e = scheduler_us().emulator

          Map.update!(acc, name, fn s ->
            %{
              s
              | times: times ++ s.times,
                vm_ns: s.vm_ns + vm_ns,
                emulator: s.emulator + e,
                reds_caller: s.reds_caller + r1 - r0,
                reds_relay: s.reds_relay + q1 - q0
            }
          end)
        end)
      end)

    n = div(reps, batch) * batch

    Map.new(acc, fn {name, s} ->
      {name,
       %{
         p50_us: median(s.times) / 1000,
         vm_us: s.vm_ns / n / 1000,
         emulator_us: s.emulator / n,
         reds_caller: s.reds_caller / n,
         reds_relay: s.reds_relay / n
       }}
    end)
  end
end

reps = String.to_integer(System.get_env("REPS", "20000"))

if reps < 1000,
  do: raise(ArgumentError, "REPS is at least one batch of 1000 round trips, got #{reps}")

python = Bench.Setup.start(one: [size: 1])
[worker] = Bench.Setup.workers(:one)
pool = Process.whereis(SnakeBridge.Runtime.Pool.process_name(:one))
open = fn -> Bench.Setup.echo_port(python) end

direct = open.()
{:ok, relay} = Bench.Relay.start_link(open)
{:ok, notify} = Hops.Notify.start_link(open)
notify_port = GenServer.call(notify, :port)

vm = String.to_integer(System.pid())
Bench.Measure.pin(vm, "0")
{:os_pid, direct_pid} = Port.info(direct, :os_pid)
{:os_pid, notify_pid} = Port.info(notify_port, :os_pid)

for pid <- [direct_pid, Bench.Relay.os_pid(relay), notify_pid, worker],
    do: Bench.Measure.pin(pid, "0")

term = {:erlang.unique_integer([:positive]), <<1::64>>, [1, 2], %{}, "session-id-xxxxxxxx", nil}

sides = [
  {:direct,
   fn ->
     Port.command(direct, :erlang.term_to_binary(term))

     receive do
       {^direct, {:data, data}} -> :erlang.binary_to_term(data, [:safe])
     end
   end, nil},
  {:relay, fn -> Bench.Relay.echo(relay, term) end, relay},
  {:notify, fn -> Hops.Notify.echo(notify, notify_port, term) end, notify},
  {:pool, fn -> {:ok, 3} = Bench.Operator.add(1, 2, snakebridge: [pool: :one]) end, pool}
]

for {_name, fun, _} <- sides, _ <- 1..1000, do: fun.()
result = Hops.run(sides, reps, 1000)

IO.puts(
  "HOPS " <>
    inspect(Map.put(result, :load, File.read!("/proc/loadavg") |> String.split() |> hd()))
)
