# Runtime benchmark. Run through bench/runtime/run.py (it sets the interpreter, runs this
# with `mix run` in elixir/, then renders the table and plot). Every ratio is against
# the raw port echo measured in this same run.
defmodule Bench.Operator do
  # The exact shape the generator emits for a wrapper (see lib/snakebridge_generated/).
  @d_add %{
    call_type: :call,
    library: "operator",
    python_module: "operator",
    function: "add",
    kwargs: [],
    optional_positional: [],
    idempotent: false
  }
  def add(a, b, opts \\ []), do: SnakeBridge.Runtime.call(@d_add, [a, b], opts)

  @d_concat %{@d_add | function: "concat"}
  def concat(a, b, opts \\ []), do: SnakeBridge.Runtime.call(@d_concat, [a, b], opts)
end

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
  @out Path.expand("results.etf", __DIR__)

  def percentile(sorted, p),
    do: Enum.at(sorted, min(length(sorted) - 1, trunc(length(sorted) * p)))

  def latencies(n, fun) do
    for _ <- 1..div(n, 10), do: fun.()

    times =
      for _ <- 1..n do
        t0 = System.monotonic_time(:nanosecond)
        fun.()
        System.monotonic_time(:nanosecond) - t0
      end

    sorted = Enum.sort(times)
    %{p50_us: percentile(sorted, 0.50) / 1000, p99_us: percentile(sorted, 0.99) / 1000, n: n}
  end

  # Alternating batches of `a` and `b`; each gets p50/p99 over all its samples, plus
  # the p50 of each round (the report takes the median of the per-round ratios, which
  # load spikes on a shared host distort far less than one long run).
  def paired_latencies(rounds, batch, a, b) do
    for _ <- 1..max(div(batch, 10), 1), do: {a.(), b.()}

    per_round = for _ <- 1..rounds, do: {timed(batch, a), timed(batch, b)}
    as = Enum.flat_map(per_round, &elem(&1, 0))
    bs = Enum.flat_map(per_round, &elem(&1, 1))
    round_p50 = fn times -> percentile(Enum.sort(times), 0.5) / 1000 end

    {Map.put(summary(as), :round_p50_us, Enum.map(per_round, &round_p50.(elem(&1, 0)))),
     Map.put(summary(bs), :round_p50_us, Enum.map(per_round, &round_p50.(elem(&1, 1))))}
  end

  defp timed(n, fun) do
    for _ <- 1..n do
      t0 = System.monotonic_time(:nanosecond)
      fun.()
      System.monotonic_time(:nanosecond) - t0
    end
  end

  defp summary(times) do
    sorted = Enum.sort(times)

    %{
      p50_us: percentile(sorted, 0.50) / 1000,
      p99_us: percentile(sorted, 0.99) / 1000,
      n: length(times)
    }
  end

  def echo_port(python) do
    Port.open({:spawn_executable, python}, [
      :binary,
      {:packet, 4},
      args: [Path.expand("echo_port.py", __DIR__)]
    ])
  end

  def echo(port, term) do
    Port.command(port, :erlang.term_to_binary(term))

    receive do
      {^port, {:data, data}} -> :erlang.binary_to_term(data, [:safe])
    end
  end

  def throughput(callers, per_caller, fun) do
    t0 = System.monotonic_time(:nanosecond)

    1..callers
    |> Enum.map(fn _ -> Task.async(fn -> for _ <- 1..per_caller, do: {:ok, _} = fun.() end) end)
    |> Task.await_many(:infinity)

    seconds = (System.monotonic_time(:nanosecond) - t0) / 1.0e9
    callers * per_caller / seconds
  end

  def alternate(rounds, a, b) do
    pairs = for _ <- 1..rounds, do: {a.(), b.()}
    median = fn xs -> xs |> Enum.sort() |> Enum.at(div(length(xs), 2)) end
    {median.(Enum.map(pairs, &elem(&1, 0))), median.(Enum.map(pairs, &elem(&1, 1)))}
  end

  def rss(pool) do
    {:ok, stats} = SnakeBridge.Runtime.stats(snakebridge: [pool: pool])
    stats["rss_kb"]
  end

  def run(python) do
    IO.puts("python: #{python}")
    results = %{}

    request_like =
      {123_456,
       %{
         call_type: :call,
         library: "operator",
         python_module: "operator",
         function: "add",
         args: [1, 2],
         kwargs: %{},
         idempotent: false,
         session: "abcdefghijklmnop"
       }}

    # 1. Trivial call latency, raw echo vs generated-shape wrapper. The host is shared:
    # echo and call batches alternate (10 rounds of 2,000), so load drift hits both alike.
    port = echo_port(python)

    {echo_lat, call_lat} =
      paired_latencies(
        10,
        2_000,
        fn -> echo(port, request_like) end,
        fn -> {:ok, 3} = Bench.Operator.add(1, 2, snakebridge: [pool: :one]) end
      )

    IO.inspect({echo_lat, call_lat}, label: "latency echo / call")
    results = Map.merge(results, %{echo_latency: echo_lat, call_latency: call_lat})

    # 2. Throughput with 1 and 2 workers, 8 concurrent callers. The host is shared, so
    # the pools alternate over 3 rounds and each reports its median.
    {one, two} =
      alternate(
        3,
        fn ->
          throughput(8, 3_000, fn -> Bench.Operator.add(1, 2, snakebridge: [pool: :one]) end)
        end,
        fn ->
          throughput(8, 3_000, fn -> Bench.Operator.add(1, 2, snakebridge: [pool: :two]) end)
        end
      )

    IO.inspect({one, two}, label: "calls/s 1 vs 2 workers")
    results = Map.merge(results, %{calls_per_s_1: one, calls_per_s_2: two, callers: 8})

    # Same with a CPU-bound call (PBKDF2, 2,000 rounds: about 0.4 ms of Python-side work),
    # where the workers, not the BEAM, are the bottleneck.
    pw = SnakeBridge.bytes("password")
    salt = SnakeBridge.bytes("salt")

    work = fn pool ->
      fn ->
        throughput(8, 200, fn ->
          Bench.Hashlib.pbkdf2_hmac("sha256", pw, salt, 2000, snakebridge: [pool: pool])
        end)
      end
    end

    ceiling = fn ->
      {out, 0} = System.cmd(python, [Path.expand("ceiling.py", __DIR__), "1600"])
      [one, two] = out |> String.split() |> Enum.map(&String.to_float/1)
      {one, two}
    end

    # The host's ceiling (plain Python, 1 and 2 processes) before and after, same run.
    ceiling_before = ceiling.()
    {cpu_one, cpu_two} = alternate(3, work.(:one), work.(:two))
    ceiling_after = ceiling.()

    IO.inspect({cpu_one, cpu_two, ceiling_before, ceiling_after},
      label: "cpu-bound calls/s 1 vs 2 workers, ceiling"
    )

    results =
      Map.merge(results, %{
        cpu_calls_per_s_1: cpu_one,
        cpu_calls_per_s_2: cpu_two,
        ceiling: [ceiling_before, ceiling_after]
      })

    # 3. 10 MB binary round trip.
    blob = :crypto.strong_rand_bytes(10 * 1024 * 1024)
    empty = SnakeBridge.bytes("")
    rounds = 20
    mb = byte_size(blob) / (1024 * 1024)

    {echo_big, call_big} =
      paired_latencies(rounds, 1, fn -> ^blob = echo(port, blob) end, fn ->
        {:ok, %SnakeBridge.Bytes{data: ^blob}} =
          Bench.Operator.concat(SnakeBridge.bytes(blob), empty, snakebridge: [pool: :one])
      end)

    echo_mb = mb / (echo_big.p50_us / 1.0e6)
    call_mb = mb / (call_big.p50_us / 1.0e6)

    IO.inspect({echo_mb, call_mb}, label: "10MB MB/s echo / call")
    results = Map.merge(results, %{echo_mb_s: echo_mb, call_mb_s: call_mb})
    Port.close(port)

    # 4. 10,000-float list into numpy.sum.
    floats = Enum.map(1..10_000, &(&1 * 0.5))

    sum_lat =
      latencies(1_000, fn -> {:ok, _} = Bench.Numpy.sum(floats, snakebridge: [pool: :one]) end)

    IO.inspect(sum_lat, label: "numpy.sum of 10k floats")
    results = Map.put(results, :numpy_sum_10k, sum_lat)

    # 5. Ref churn: 1,000,000 calls, each creating an array that is dropped (its session
    # ends every 1,000 calls). RSS sampled through the worker's own stats.
    churn_total = String.to_integer(System.get_env("CHURN", "1000000"))
    batch = 1_000
    {:ok, _} = Bench.Numpy.zeros(100, snakebridge: [pool: :one])
    start_rss = rss(:one)

    samples =
      Enum.reduce(1..div(churn_total, batch), [{0, start_rss}], fn i, acc ->
        SnakeBridge.with_session(fn ->
          for _ <- 1..batch,
              do: {:ok, %SnakeBridge.Ref{}} = Bench.Numpy.zeros(100, snakebridge: [pool: :one])
        end)

        if rem(i * batch, 50_000) == 0, do: [{i * batch, rss(:one)} | acc], else: acc
      end)
      |> Enum.reverse()

    # Explicit release/1 after each call, 100,000 times.
    release_start = rss(:one)

    for _ <- 1..100_000 do
      {:ok, ref} = Bench.Numpy.zeros(100, snakebridge: [pool: :one])
      :ok = SnakeBridge.release(ref)
    end

    release_end = rss(:one)
    IO.inspect({samples, release_start, release_end}, label: "churn rss")

    results =
      Map.merge(results, %{
        churn_samples: samples,
        churn_calls: churn_total,
        release_rss: {release_start, release_end}
      })

    env = %{
      otp: System.otp_release(),
      elixir: System.version(),
      schedulers: System.schedulers_online(),
      cpus: :erlang.system_info(:logical_processors_available),
      python: python
    }

    File.write!(@out, :erlang.term_to_binary(Map.put(results, :env, env)))
    IO.puts("wrote #{@out}")
  end
end

python = System.fetch_env!("SNAKEBRIDGE_PYTHON")
Application.stop(:snakebridge)
Application.put_env(:snakebridge, :python, python)

Application.put_env(:snakebridge, :libraries, operator: :stdlib, hashlib: :stdlib, numpy: "~> 2.0")

Application.put_env(:snakebridge, :ledger, false)
Application.put_env(:snakebridge, :pools, one: [size: 1], two: [size: 2])
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
Bench.run(python)
