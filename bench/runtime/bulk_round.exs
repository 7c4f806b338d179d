# One round of the bulk A/B (bench/runtime/bulk_ab.md): run by `ab.sh bulk` alternately
# from each checkout's elixir/ dir. In this VM, pinned as bench.exs pins its bulk rows
# (VM on CPU 0, the Python side on CPU 1), it times 1 MB and 10 MB binary round trips
# through `operator.concat(SnakeBridge.bytes(blob), b"")` on a 1-worker pool and through
# the raw echo with 1 MiB pipes (echo_port.py; its Elixir side encodes the same term and
# decodes the echoed bytes), and the same echo through a relay process (the pool's two
# hops, nothing else), the sides taking turns batch by batch. Per side: p50 and the mean of the round trips, MB/s from the
# p50, and per round trip the CPU (schedstat, every thread) and minor page faults
# (/proc/<pid>/stat) of the VM and of the Python process, and the time the VM's
# schedulers spent in the emulator and in GC (microstate accounting). Prints one line
# `AB <term>` for ab_summary.exs. REPS (default 60) round trips per side at 1 MB
# (batches of 10), a tenth of that at 10 MB (batches of 1).
Code.require_file("../support/measure.exs", __DIR__)

defmodule BulkAB do
  import Bench.Measure

  # Minor page faults, user and system CPU ticks of a process so far (fields 10, 14 and
  # 15 of /proc/<pid>/stat, all threads). Ticks are 10 ms: summed over many batches
  # they sample where the CPU time went, without bias.
  def stat(os_pid) do
    [_, after_comm] = :binary.split(File.read!("/proc/#{os_pid}/stat"), ") ")
    fields = String.split(after_comm)
    Enum.map([7, 11, 12], &String.to_integer(Enum.at(fields, &1)))
  end

  # `batches` batches of `size` round trips of each side, the sides taking turns batch
  # by batch (their order flipping every batch). The counters are read around each
  # batch, not each round trip: reading them costs the VM CPU time of its own (the same
  # on both sides), which a batch spreads over its round trips.
  def sides(batches, size, sides) do
    vm = String.to_integer(System.pid())

    zero = %{
      times: [],
      vm_ns: 0,
      py_ns: 0,
      vm_flt: 0,
      py_flt: 0,
      py_user: 0,
      py_sys: 0,
      emulator: 0,
      gc: 0
    }

    acc = Map.new(sides, fn {name, _fun, _pid} -> {name, zero} end)

    acc =
      Enum.reduce(1..batches, acc, fn i, acc ->
        order = if rem(i, 2) == 0, do: sides, else: Enum.reverse(sides)

        Enum.reduce(order, acc, fn {name, fun, py}, acc ->
          :msacc.reset()
          :msacc.start()
          [f0, _, _] = stat(vm)
          [g0, u0, s0] = stat(py)
          {times, vm_ns, [py_ns]} = cpu([py], fn -> times(size, fun) end)
          [f1, _, _] = stat(vm)
          [g1, u1, s1] = stat(py)
          :msacc.stop()
          states = scheduler_us()

          Map.update!(acc, name, fn s ->
            %{
              s
              | times: times ++ s.times,
                vm_ns: s.vm_ns + vm_ns,
                py_ns: s.py_ns + py_ns,
                vm_flt: s.vm_flt + f1 - f0,
                py_flt: s.py_flt + g1 - g0,
                py_user: s.py_user + u1 - u0,
                py_sys: s.py_sys + s1 - s0,
                emulator: s.emulator + states.emulator,
                gc: s.gc + states.gc
            }
          end)
        end)
      end)

    n = batches * size

    Map.new(acc, fn {name, s} ->
      {name,
       %{
         p50_us: median(s.times) / 1000,
         mean_us: Enum.sum(s.times) / n / 1000,
         vm_us: s.vm_ns / n / 1000,
         py_us: s.py_ns / n / 1000,
         vm_flt: s.vm_flt / n,
         py_flt: s.py_flt / n,
         # Ticks of 10 ms, in µs per round trip.
         py_user_us: s.py_user * 10_000 / n,
         py_sys_us: s.py_sys * 10_000 / n,
         emulator_us: s.emulator / n,
         gc_us: s.gc / n
       }}
    end)
  end
end

python = Bench.Setup.start(one: [size: 1])
[worker] = Bench.Setup.workers(:one)

open_wide = fn -> Bench.Setup.echo_port(python, ["--pipe-bytes", "1048576"]) end

wide = open_wide.()
{:os_pid, wide_pid} = Port.info(wide, :os_pid)
{:ok, relay} = Bench.Relay.start_link(open_wide)
relay_pid = GenServer.call(relay, :os_pid)
Bench.Measure.pin(relay_pid, "1")
vm = String.to_integer(System.pid())
Bench.Measure.pin(vm, "0")
Bench.Measure.pin(worker, "1")
Bench.Measure.pin(wide_pid, "1")

echo = fn term ->
  Port.command(wide, :erlang.term_to_binary(term))

  receive do
    {^wide, {:data, data}} -> :erlang.binary_to_term(data, [:safe])
  end
end

empty = SnakeBridge.bytes("")
reps = String.to_integer(System.get_env("REPS", "60"))

rows =
  for mb <- [1, 10] do
    blob = :crypto.strong_rand_bytes(mb * 1024 * 1024)
    {batches, size} = if mb == 1, do: {div(reps, 10), 10}, else: {div(reps, 10), 1}

    echo_side = fn -> ^blob = echo.(blob) end

    call_side = fn ->
      {:ok, %SnakeBridge.Bytes{data: ^blob}} =
        Bench.Operator.concat(SnakeBridge.bytes(blob), empty, snakebridge: [pool: :one])
    end

    relay_side = fn -> ^blob = Bench.Relay.echo(relay, blob) end

    sides = [
      {:echo, echo_side, wide_pid},
      {:relay, relay_side, relay_pid},
      {:call, call_side, worker}
    ]

    # Warm-up: both sides' buffers and the worker's heap at their steady size.
    BulkAB.sides(2, size, sides)
    {mb, BulkAB.sides(batches, size, sides)}
  end

IO.puts(
  "AB " <>
    inspect(%{
      rev: System.get_env("AB_REV", "?"),
      bulk: Map.new(rows),
      load: File.read!("/proc/loadavg") |> String.split() |> hd()
    })
)
