# Runtime benchmark. Run through bench/runtime/run.py (it sets the interpreter, runs this
# with `mix run` in elixir/, then renders the table and plot). Every SnakeBridge figure
# sits beside the raw port echo (echo_port.py) measured in the same run, in interleaved
# rounds; the report takes medians of per-round ratios.
Code.require_file("../support/measure.exs", __DIR__)

defmodule Bench.Hashlib do
  @d_pbkdf2_hmac %{
    call_type: :call,
    library: "hashlib",
    python_module: "hashlib",
    function: "pbkdf2_hmac",
    kwargs: ["dklen"],
    optional_positional: [],
    idempotent: false
  }
  def pbkdf2_hmac(name, password, salt, iterations, opts \\ []),
    do: SnakeBridge.Runtime.call(@d_pbkdf2_hmac, [name, password, salt, iterations], opts)
end

defmodule Bench.Numpy do
  @d_sum %{
    call_type: :call,
    library: "numpy",
    python_module: "numpy",
    function: "sum",
    kwargs: ["axis", "dtype", "out", "keepdims", "initial", "where"],
    optional_positional: [],
    idempotent: false
  }
  def sum(a, opts \\ []), do: SnakeBridge.Runtime.call(@d_sum, [a], opts)

  @d_zeros %{@d_sum | function: "zeros", kwargs: ["dtype", "order", "like", "device"]}
  def zeros(shape, opts \\ []), do: SnakeBridge.Runtime.call(@d_zeros, [shape], opts)
end

defmodule Bench do
  import Bench.Measure

  @out Path.expand("results.etf", __DIR__)
  # VM on CPU 0; the Python side (worker or echo) on CPU 0 too, or on CPU 1.
  @placements [same: "0", cross: "1"]

  # ---------------------------------------------------------------- placement and CPU

  # What the kernel says the process may run on (checks that a pin took effect).
  def allowed(os_pid) do
    "/proc/#{os_pid}/status"
    |> File.read!()
    |> String.split("\n")
    |> Enum.find_value(fn line ->
      case String.split(line, ":\t") do
        ["Cpus_allowed_list", cpus] -> String.trim(cpus)
        _ -> nil
      end
    end)
  end

  # Nanoseconds on CPU of every thread of a process, from the scheduler's own account.

  # The capacity of each pipe a process holds (F_GETPIPE_SZ through /proc/<pid>/fd).
  def pipe_sizes(python, os_pid) do
    script = """
    import fcntl, os, sys
    base = f"/proc/{sys.argv[1]}/fd"
    sizes = []
    for fd in sorted(os.listdir(base), key=int):
        if os.readlink(f"{base}/{fd}").startswith("pipe:"):
            with open(f"{base}/{fd}", "rb", buffering=0) as f:
                sizes.append(f"{fd}={fcntl.fcntl(f, fcntl.F_GETPIPE_SZ)}")
    print(" ".join(sizes))
    """

    {out, 0} = System.cmd(python, ["-c", script, to_string(os_pid)])
    String.trim(out)
  end

  def worker_pids(pool), do: for(w <- SnakeBridge.Runtime.Pool.info(pool).workers, do: w.os_pid)

  # ---------------------------------------------------------------- measurements

  # `n` sequential round trips: per-call p50/p99 (µs) and CPU per call (µs) of the VM and
  # of the Python process, from schedstat deltas over the batch.
  def batch(n, python_pid, fun) do
    for _ <- 1..div(n, 10), do: fun.()
    {times, vm_ns, [py_ns]} = cpu([python_pid], fn -> times(n, fun) end)
    sorted = Enum.sort(times)

    %{
      p50_us: percentile(sorted, 0.50) / 1000,
      p99_us: percentile(sorted, 0.99) / 1000,
      vm_cpu_us: vm_ns / n / 1000,
      py_cpu_us: py_ns / n / 1000
    }
  end

  # `args`: `["--pipe-bytes", n]` gives the echo's pipes the capacity the worker's have.
  defdelegate echo_port(python, args \\ []), to: Bench.Setup

  # The echo pays what any port bridge pays on the Elixir side: encode the request,
  # one port round trip, decode the reply.
  def echo(port, term) do
    Port.command(port, :erlang.term_to_binary(term))

    receive do
      {^port, {:data, data}} -> :erlang.binary_to_term(data, [:safe])
    end
  end

  # calls/s and CPU per call (µs, the VM's and the workers' schedstat) of `callers`
  # processes making `per_caller` calls each.
  def measured_throughput(worker_pids, callers, per_caller, fun) do
    {rate, vm_ns, py_ns} = cpu(worker_pids, fn -> throughput(callers, per_caller, fun) end)
    calls = callers * per_caller

    %{
      rate: rate,
      cpu_us: (vm_ns + Enum.sum(py_ns)) / calls / 1000,
      vm_us: vm_ns / calls / 1000,
      py_us: Enum.sum(py_ns) / calls / 1000
    }
  end

  def throughput(callers, per_caller, fun) do
    {_, wall} = concurrently(callers, fn -> for _ <- 1..per_caller, do: fun.() end)
    callers * per_caller / (wall / 1.0e9)
  end

  # `n` echo processes, each driven by one Elixir process doing sequential round trips:
  # how far plain Python processes scale with the BEAM in the loop on this host. Each
  # driver opens its port and warms it up before the clock starts.
  def echo_throughput(python, n, per_port, term) do
    parent = self()

    drivers =
      for _ <- 1..n do
        spawn_link(fn ->
          port = echo_port(python)
          for _ <- 1..100, do: echo(port, term)
          send(parent, {:warm, self()})

          receive do
            :go -> for _ <- 1..per_port, do: echo(port, term)
          end

          send(parent, {:done, self()})
          Port.close(port)
        end)
      end

    for pid <- drivers, do: receive(do: ({:warm, ^pid} -> :ok))
    t0 = System.monotonic_time(:nanosecond)
    for pid <- drivers, do: send(pid, :go)
    for pid <- drivers, do: receive(do: ({:done, ^pid} -> :ok))
    seconds = (System.monotonic_time(:nanosecond) - t0) / 1.0e9
    n * per_port / seconds
  end

  # What Runtime.call sends for Bench.Operator.add(1, 2): the echo moves the same term
  # (the same frame size) through the same encode/decode.
  def request_like do
    {session, _owner} = SnakeBridge.Runtime.Session.current()
    {id, _frame} = registration()
    {:erlang.unique_integer([:positive]), id, [1, 2], %{}, session, nil}
  end

  def registration do
    SnakeBridge.Runtime.Wire.registration(:call, %{
      library: "operator",
      python_module: "operator",
      function: "add"
    })
  end

  # ---------------------------------------------------------------- the run

  def run(python, rounds) do
    vm = System.pid()
    [one_pid] = worker_pids(:one)
    two_pids = worker_pids(:two)
    [unpipelined_pid] = worker_pids(:unpipelined)
    port = echo_port(python)
    {:os_pid, echo_pid} = Port.info(port, :os_pid)
    # The bulk rows also compare against an echo whose pipes are as large as the worker's.
    wide = echo_port(python, ["--pipe-bytes", "1048576"])
    {:os_pid, wide_pid} = Port.info(wide, :os_pid)
    :ready = echo(wide, :ready)
    {:ok, relay} = Bench.Relay.start_link(fn -> Bench.echo_port(python) end)
    relay_pid = Bench.Relay.os_pid(relay)
    term = request_like()
    frame_bytes = byte_size(:erlang.term_to_binary(term))
    # worker_path.py times the worker's stages on these exact bytes.
    File.write!(Path.expand("request.etf", __DIR__), :erlang.term_to_binary(term))
    File.write!(Path.expand("registration.etf", __DIR__), elem(registration(), 1))
    add = fn -> {:ok, 3} = Bench.Operator.add(1, 2, snakebridge: [pool: :one]) end

    settings = %{
      pool_sizes: %{
        one: length(SnakeBridge.Runtime.Pool.info(:one).workers),
        two: length(SnakeBridge.Runtime.Pool.info(:two).workers),
        unpipelined: length(SnakeBridge.Runtime.Pool.info(:unpipelined).workers)
      },
      pipeline: %{
        one: :sys.get_state(SnakeBridge.Runtime.Pool.process_name(:one)).pipeline,
        unpipelined: :sys.get_state(SnakeBridge.Runtime.Pool.process_name(:unpipelined)).pipeline
      },
      worker_pipes: pipe_sizes(python, one_pid),
      echo_pipes: pipe_sizes(python, echo_pid),
      wide_echo_pipes: pipe_sizes(python, wide_pid),
      request_bytes: frame_bytes,
      schedulers: System.schedulers_online(),
      rounds: rounds
    }

    IO.inspect(settings, label: "settings")

    # 1. Trivial call: same CPU and cross CPU, echo and call alternating within each
    # round (their order flips every round).
    latency =
      for round <- 1..rounds, {placement, cpu} <- @placements do
        pin(vm, "0")
        pin(echo_pid, cpu)
        pin(relay_pid, cpu)
        pin(one_pid, cpu)
        pins = %{vm: allowed(vm), echo: allowed(echo_pid), worker: allowed(one_pid)}
        true = pins == %{vm: "0", echo: cpu, worker: cpu} and allowed(relay_pid) == cpu
        echo_side = fn -> batch(2_000, echo_pid, fn -> echo(port, term) end) end
        relay_side = fn -> batch(2_000, relay_pid, fn -> Bench.Relay.echo(relay, term) end) end
        call_side = fn -> batch(2_000, one_pid, add) end

        # The order of the three sides rotates from round to round.
        sides = [echo: echo_side, relay: relay_side, call: call_side]
        {first, rest} = Enum.split(sides, rem(round, 3))
        measured = Map.new(rest ++ first, fn {name, side} -> {name, side.()} end)

        row = Map.merge(%{round: round, placement: placement, pins: pins}, measured)
        IO.inspect(row, label: "latency")
        row
      end

    # What wrapping a local call in SnakeBridge.Bulk.placed/3 costs (it looks for large
    # tensors among the arguments): the trivial call's arguments through placed/3 and
    # straight to the same function, alternating, VM on CPU 0.
    placed =
      for round <- 1..rounds do
        {_, _, args, kwargs, _, _} = term
        direct = fn a, k -> {a, k} end
        n = 200_000

        time = fn f ->
          t0 = System.monotonic_time(:nanosecond)
          for _ <- 1..n, do: f.()
          (System.monotonic_time(:nanosecond) - t0) / n
        end

        sides = [
          placed: fn -> time.(fn -> SnakeBridge.Bulk.placed(args, kwargs, direct) end) end,
          direct: fn -> time.(fn -> direct.(args, kwargs) end) end
        ]

        sides = if rem(round, 2) == 0, do: Enum.reverse(sides), else: sides
        row = Map.new(sides, fn {name, side} -> {name, side.()} end)
        IO.inspect(row, label: "placed/3 ns per call")
        Map.put(row, :round, round)
      end

    # Everything below runs unpinned (both CPUs for every process).
    for pid <- [vm, echo_pid, relay_pid, one_pid, unpipelined_pid | two_pids],
        do: pin(pid, "0,1")

    open = fn -> Bench.echo_port(python) end
    floors = for n <- [1, 2], do: elem(Bench.PipelinedRelay.start_link(open, n), 1)
    [floor_one, floor_two] = for floor <- floors, do: {floor, Bench.PipelinedRelay.os_pids(floor)}

    # 2. Throughput, 8 callers, 1 and 2 workers; beside it the host's ceilings: 1 and 2
    # echo processes (BEAM in the loop) and 1 and 2 plain Python processes (ceiling.py).
    tput =
      for round <- 1..rounds do
        row = %{
          round: round,
          one: pool_throughput(:one),
          unpipelined: pool_throughput(:unpipelined),
          two: pool_throughput(:two),
          echo_one: echo_throughput(python, 1, 16_000, term),
          echo_two: echo_throughput(python, 2, 8_000, term),
          floor_one: floor_throughput(floor_one, term),
          floor_two: floor_throughput(floor_two, term)
        }

        IO.inspect(row, label: "throughput")
        row
      end

    pw = SnakeBridge.bytes("password")
    salt = SnakeBridge.bytes("salt")

    work = fn pool ->
      throughput(8, 100, fn ->
        {:ok, _} = Bench.Hashlib.pbkdf2_hmac("sha256", pw, salt, 2000, snakebridge: [pool: pool])
      end)
    end

    cpu_bound =
      for round <- 1..rounds do
        {out, 0} = System.cmd(python, [Path.expand("ceiling.py", __DIR__), "800"])
        [plain_one, plain_two] = out |> String.split() |> Enum.map(&String.to_float/1)

        row = %{
          round: round,
          one: work.(:one),
          two: work.(:two),
          plain_one: plain_one,
          plain_two: plain_two
        }

        IO.inspect(row, label: "cpu-bound throughput")
        row
      end

    # 3. Bulk binaries: 1 MB and 10 MB round trips (VM on CPU 0, Python on CPU 1).
    pin(vm, "0")
    pin(echo_pid, "1")
    pin(wide_pid, "1")
    pin(one_pid, "1")

    true =
      {allowed(vm), allowed(echo_pid), allowed(wide_pid), allowed(one_pid)} ==
        {"0", "1", "1", "1"}

    empty = SnakeBridge.bytes("")

    bulk =
      for mb <- [1, 10], round <- 1..rounds do
        blob = :crypto.strong_rand_bytes(mb * 1024 * 1024)
        reps = if mb == 1, do: 20, else: 4

        echo_side = fn ->
          batch(reps, echo_pid, fn -> ^blob = echo(port, blob) end)
        end

        call_side = fn ->
          batch(reps, one_pid, fn ->
            {:ok, %SnakeBridge.Bytes{data: ^blob}} =
              Bench.Operator.concat(SnakeBridge.bytes(blob), empty, snakebridge: [pool: :one])
          end)
        end

        wide_side = fn ->
          batch(reps, wide_pid, fn -> ^blob = echo(wide, blob) end)
        end

        # The order of the three sides rotates from round to round.
        sides = [echo: echo_side, wide: wide_side, call: call_side]
        {first, rest} = Enum.split(sides, rem(round, 3))
        m = Map.new(rest ++ first, fn {name, side} -> {name, side.()} end)

        row = %{
          mb: mb,
          round: round,
          echo_mb_s: mb / (m.echo.p50_us / 1.0e6),
          wide_echo_mb_s: mb / (m.wide.p50_us / 1.0e6),
          call_mb_s: mb / (m.call.p50_us / 1.0e6)
        }

        IO.inspect(row, label: "bulk")
        row
      end

    # 4. A 10,000-float and a 10,000-int list into numpy.sum, pinned as the bulk rows (VM
    # on CPU 0, worker and echo on CPU 1). The baseline is the wide echo (the worker's
    # pipe size) of the same list in the same round: the Elixir side encodes it, the
    # bytes make the round trip, and the echo's reply is decoded, so the row is judged by
    # a ratio, not by a host-dependent figure. Their order alternates every round.
    floats = Enum.map(1..10_000, &(&1 * 0.5))
    ints = Enum.to_list(1..10_000)

    numpy_sum =
      for round <- 1..rounds, {kind, list} <- [floats: floats, ints: ints] do
        echo_side = fn -> batch(200, wide_pid, fn -> ^list = echo(wide, list) end) end

        call_side = fn ->
          batch(200, one_pid, fn ->
            {:ok, _} = Bench.Numpy.sum(list, snakebridge: [pool: :one])
          end)
        end

        {e, c} =
          if rem(round, 2) == 0 do
            {echo_side.(), call_side.()}
          else
            c = call_side.()
            {echo_side.(), c}
          end

        row = %{
          kind: kind,
          round: round,
          p50_us: c.p50_us,
          echo_p50_us: e.p50_us,
          ratio: c.p50_us / e.p50_us
        }

        IO.inspect(row, label: "numpy.sum")
        row
      end

    Port.close(port)
    Port.close(wide)
    for pid <- [vm, one_pid], do: pin(pid, "0,1")

    # 5. Ref churn: calls each creating an array that is dropped (its session ends every
    # 1,000 calls), then release/1 after each call. RSS from the worker's own stats.
    churn_total = String.to_integer(System.get_env("CHURN", "300000"))
    {:ok, _} = Bench.Numpy.zeros(100, snakebridge: [pool: :one])
    start_rss = rss(:one)

    samples =
      Enum.reduce(1..div(churn_total, 1_000), [{0, start_rss}], fn i, acc ->
        SnakeBridge.with_session(fn ->
          for _ <- 1..1_000,
              do: {:ok, %SnakeBridge.Ref{}} = Bench.Numpy.zeros(100, snakebridge: [pool: :one])
        end)

        if rem(i * 1_000, 25_000) == 0, do: [{i * 1_000, rss(:one)} | acc], else: acc
      end)
      |> Enum.reverse()

    release_start = rss(:one)

    for _ <- 1..50_000 do
      {:ok, ref} = Bench.Numpy.zeros(100, snakebridge: [pool: :one])
      :ok = SnakeBridge.release(ref)
    end

    release_end = rss(:one)
    IO.inspect({samples, release_start, release_end}, label: "churn rss")

    {load, 0} = System.cmd("cat", ["/proc/loadavg"])

    # 6. The crash barrier (crash.exs), last: its crash storms load the machine.
    crash = Bench.Crash.run(String.to_integer(System.get_env("CRASH_ROUNDS", "5")))
    {crash_load, 0} = System.cmd("cat", ["/proc/loadavg"])

    floor_processes = for {_, os_pids} <- [floor_one, floor_two], do: length(os_pids)

    results = %{
      settings: Map.put(settings, :floor_processes, floor_processes),
      latency: latency,
      throughput: tput,
      cpu_bound: cpu_bound,
      bulk: bulk,
      numpy_sum: numpy_sum,
      placed: placed,
      crash: Map.put(crash, :load_after, String.trim(crash_load)),
      churn_samples: samples,
      churn_calls: churn_total,
      release_calls: 50_000,
      release_rss: {release_start, release_end},
      load_after: String.trim(load),
      env: %{
        otp: System.otp_release(),
        elixir: System.version(),
        schedulers: System.schedulers_online(),
        cpus: :erlang.system_info(:logical_processors_available),
        python: python
      }
    }

    File.write!(@out, :erlang.term_to_binary(results))
    IO.puts("wrote #{@out}")
  end

  defp floor_throughput({floor, os_pids}, term) do
    measured_throughput(os_pids, 8, 2_000, fn -> Bench.PipelinedRelay.echo(floor, term) end)
  end

  defp pool_throughput(pool) do
    measured_throughput(worker_pids(pool), 8, 2_000, fn ->
      {:ok, 3} = Bench.Operator.add(1, 2, snakebridge: [pool: pool])
    end)
  end

  def rss(pool) do
    {:ok, stats} = SnakeBridge.Runtime.stats(snakebridge: [pool: pool])
    stats["rss_kb"]
  end
end

python = System.fetch_env!("SNAKEBRIDGE_PYTHON")
Application.stop(:snakebridge)
Application.put_env(:snakebridge, :python, python)

Application.put_env(:snakebridge, :libraries, operator: :stdlib, hashlib: :stdlib, numpy: "~> 2.0")

Application.put_env(:snakebridge, :ledger, false)

Application.put_env(:snakebridge, :pools,
  one: [size: 1],
  two: [size: 2],
  unpipelined: [size: 1, pipeline: 1]
)

Application.put_env(:snakebridge, :max_queue, 100_000)
Application.put_env(:snakebridge, :checkout_timeout, 600_000)
{:ok, _} = Application.ensure_all_started(:snakebridge)

wait = fn wait, pool ->
  info = SnakeBridge.Runtime.Pool.info(pool)

  unless Enum.all?(info.workers, &(&1.status == :ready)),
    do:
      (
        Process.sleep(20)
        wait.(wait, pool)
      )
end

wait.(wait, :one)
wait.(wait, :two)
wait.(wait, :unpipelined)
Code.require_file("crash.exs", __DIR__)
Bench.run(python, String.to_integer(System.get_env("ROUNDS", "7")))
