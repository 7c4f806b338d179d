# Distributed (cluster) benchmark. Run through bench/distributed/run.py: it starts a private epmd, runs
# this file in a distributed VM pinned to CPU 0 (`elixir --name ... -S mix run`), then
# renders the table and plot. This VM is node a; it starts nodes b and c as peers.
# Every figure has its baseline in the same run, in interleaved rounds.
defmodule Bench.Cluster do
  alias SnakeBridge.Cluster.{Guard, Router}

  @out Path.expand("results.etf", __DIR__)
  @support Path.expand("../../elixir/test/support/python", __DIR__)
  @src Path.expand("../../src", __DIR__)
  @rounds 5
  @latency_calls 400
  @latency_blocks 5
  @router_calls 200_000
  @guard_checks 200_000
  @spin 100_000
  @callers 6
  @window_ms 2_000

  def main do
    port = System.fetch_env!("BENCH_EPMD_PORT")
    load_before = File.read!("/proc/loadavg")
    names = [node(), :"bench_b@127.0.0.1", :"bench_c@127.0.0.1"]
    boot(names)
    # Node c shares a core with node a: the machine has 2.
    peers =
      for {name, cpu} <- [{Enum.at(names, 1), 1}, {Enum.at(names, 2), 0}],
          do: start_peer(name, port, cpu, names)

    [_a, b, c] = names
    wait(fn -> SnakeBridge.Cluster.members(:default) == names end)

    # cpu1 runs on a only, cpu2 on a and b, cpu3 on all three: the 1/2/3-node figures.
    :ok = SnakeBridge.ClusterNode.start_pool(:cpu1, [])
    :ok = SnakeBridge.ClusterNode.start_pool(:cpu2, [])
    :ok = SnakeBridge.ClusterNode.start_pool(:cpu3, [])
    :ok = :erpc.call(b, SnakeBridge.ClusterNode, :start_pool, [:cpu2, []])
    :ok = :erpc.call(b, SnakeBridge.ClusterNode, :start_pool, [:cpu3, []])
    :ok = :erpc.call(c, SnakeBridge.ClusterNode, :start_pool, [:cpu3, []])

    wait(fn ->
      length(SnakeBridge.Cluster.members(:cpu3)) == 3 and
        length(SnakeBridge.Cluster.members(:cpu2)) == 2
    end)

    settings = check_settings(names)
    IO.inspect(settings, label: "settings measured")

    rounds =
      for round <- 1..@rounds do
        r = %{
          latency: latency(b),
          router: router(),
          guard: guard(b),
          messages: messages(),
          ceiling1: ceiling([0]),
          nodes1: throughput(:cpu1),
          ceiling2: ceiling([0, 1]),
          nodes2: throughput(:cpu2),
          ceiling3: ceiling([0, 1, 0]),
          nodes3: throughput(:cpu3)
        }

        IO.inspect(Map.take(r, [:nodes1, :nodes2, :nodes3, :ceiling1, :ceiling2, :ceiling3]),
          label: "round #{round}"
        )

        r
      end

    load_after = File.read!("/proc/loadavg")
    for p <- peers, do: :peer.stop(p)

    results = %{
      rounds: rounds,
      settings: settings,
      env: %{
        load_before: load_before,
        load_after: load_after,
        commit: "git" |> System.cmd(["rev-parse", "--short", "HEAD"]) |> elem(0) |> String.trim(),
        otp: System.otp_release(),
        elixir: System.version(),
        cpus: System.schedulers_online(),
        spin: @spin,
        callers: @callers,
        window_ms: @window_ms,
        latency_calls: @latency_calls * @latency_blocks,
        router_calls: @router_calls,
        guard_checks: @guard_checks
      }
    }

    File.write!(@out, :erlang.term_to_binary(results))
  end

  defp env(names) do
    %{
      python: System.fetch_env!("SNAKEBRIDGE_PYTHON"),
      libraries: [sbtest: :stdlib, sbcluster: :stdlib],
      pools: [default: [size: 1, env: %{"PYTHONPATH" => @support}]],
      python_path: @src,
      cluster: [nodes: names, reconnect_interval: 1_000, load_interval: 50],
      root: File.cwd!()
    }
  end

  defp boot(names), do: :ok = SnakeBridge.ClusterNode.boot(env(names))

  defp start_peer(name, port, cpu, names) do
    [short, host] = name |> Atom.to_string() |> String.split("@")
    paths = Enum.flat_map(:code.get_path(), &[~c"-pa", &1])

    {:ok, peer, ^name} =
      :peer.start(%{
        name: String.to_atom(short),
        host: String.to_charlist(host),
        longnames: true,
        args: [~c"-start_epmd", ~c"false", ~c"-epmd_port", String.to_charlist(port)] ++ paths
      })

    # Pin the VM's threads and its port-spawning helper (erl_child_setup) before the
    # pools start, so the Python workers inherit the CPU.
    os_pid = :erpc.call(name, :os, :getpid, [])
    pin(os_pid, cpu)
    for child <- children(os_pid), do: pin(child, cpu)
    :ok = :erpc.call(name, SnakeBridge.ClusterNode, :boot, [env(names)], 60_000)
    peer
  end

  defp pin(pid, cpu), do: {_, 0} = System.cmd("taskset", ["-a", "-cp", "#{cpu}", "#{pid}"])

  defp children(pid) do
    case File.read("/proc/#{pid}/task/#{pid}/children") do
      {:ok, text} -> String.split(text)
      _ -> []
    end
  end

  # What the figures depend on, read back from the running system.
  defp check_settings(names) do
    for name <- names, into: %{} do
      pools =
        for pool <- [:default, :cpu1, :cpu2, :cpu3],
            info = pool_info(name, pool),
            into: %{} do
          {pool,
           %{
             size: info.size,
             cpus: for(w <- info.workers, do: affinity(w.os_pid))
           }}
        end

      vm = :erpc.call(name, :os, :getpid, [])
      {name, %{vm_cpus: affinity(vm), pools: pools}}
    end
  end

  defp pool_info(name, pool) do
    :erpc.call(name, SnakeBridge.Runtime.Pool, :info, [pool])
  catch
    _, _ -> nil
  end

  defp affinity(pid) do
    {out, 0} = System.cmd("taskset", ["-cp", "#{pid}"])
    out |> String.split(":") |> List.last() |> String.trim()
  end

  defp wait(fun, n \\ 500) do
    cond do
      fun.() -> :ok
      n == 0 -> raise "bench setup: condition never held"
      true -> Process.sleep(20) && wait(fun, n - 1)
    end
  end

  # ------------------------------------------------------------ latency

  # A trivial call here and on node b, in alternating blocks from one process.
  defp latency(b) do
    {local, remote} =
      Enum.reduce(1..@latency_blocks, {[], []}, fn _, {l, r} ->
        {l ++ times(fn -> SnakeBridge.call("sbtest", "getpid", []) end), r ++ remote_block(b)}
      end)

    %{local: summary(local), remote: summary(remote)}
  end

  # This process's session runs here: the remote calls run in a session of their own.
  defp remote_block(b) do
    SnakeBridge.with_session("bench-remote", fn ->
      times(fn -> SnakeBridge.call("sbtest", "getpid", [], snakebridge: [node: b]) end)
    end)
  end

  defp times(fun) do
    for _ <- 1..@latency_calls do
      t = System.monotonic_time()
      {:ok, _} = fun.()
      System.convert_time_unit(System.monotonic_time() - t, :native, :nanosecond) / 1000
    end
  end

  defp summary(us) do
    sorted = Enum.sort(us)
    at = fn p -> Enum.at(sorted, min(length(sorted) - 1, trunc(length(sorted) * p))) end
    %{p50_us: at.(0.5), p99_us: at.(0.99), n: length(sorted)}
  end

  # The router's own cost on a local call: target/5 alone, as the call path runs it.
  defp router do
    descriptor = %{
      library: "sbtest",
      python_module: "sbtest",
      function: "getpid",
      call_type: :call
    }

    {session, _} = SnakeBridge.Runtime.Session.current()
    :default = Router.target(:default, [], session, [], descriptor)
    t = System.monotonic_time()

    for _ <- 1..@router_calls, do: Router.target(:default, [], session, [], descriptor)

    ns = System.convert_time_unit(System.monotonic_time() - t, :native, :nanosecond)
    %{ns_per_call: ns / @router_calls}
  end

  # The serving node's check (Guard.refusal/4) as a pool makes it before it takes a call:
  # from a process on this node, and from one on node b (as when b calls here; this node
  # has b's advertisement, and the two declare sbtest alike, so the full check runs).
  defp guard(b) do
    descriptor = %{library: "sbtest", python_module: "sbtest", function: "getpid"}
    registration = SnakeBridge.Runtime.Wire.registration(:call, descriptor)
    frame = SnakeBridge.Runtime.Wire.call(1, registration, [], %{}, "bench", nil)
    remote = :erpc.call(b, :erlang, :whereis, [SnakeBridge.Cluster.Load])
    nil = Guard.refusal({remote, make_ref()}, "sbtest.getpid", registration, frame)

    per_check = fn from ->
      t = System.monotonic_time()
      for _ <- 1..@guard_checks, do: Guard.refusal(from, "sbtest.getpid", registration, frame)
      ns = System.convert_time_unit(System.monotonic_time() - t, :native, :nanosecond)
      ns / @guard_checks
    end

    %{local_ns: per_check.({self(), make_ref()}), remote_ns: per_check.({remote, make_ref()})}
  end

  # Messages the calling process sends during one local call (traced, not timed).
  defp messages do
    {:ok, _} = SnakeBridge.call("sbtest", "getpid", [])
    me = self()
    tracer = spawn(fn -> count(me, 0) end)
    :erlang.trace(self(), true, [:send, {:tracer, tracer}])
    {:ok, _} = SnakeBridge.call("sbtest", "getpid", [])
    :erlang.trace(self(), false, [:send])
    send(tracer, :done)

    receive do
      {:sent, n} -> %{local_call: n}
    end
  end

  defp count(me, n) do
    receive do
      {:trace, _, :send, _, _} -> count(me, n + 1)
      :done -> send(me, {:sent, n})
    end
  end

  # ------------------------------------------------------------ throughput

  # @callers processes, each calling `spin` for the window; calls/s over all.
  defp throughput(pool) do
    parent = self()
    deadline = System.monotonic_time(:millisecond) + @window_ms

    callers =
      for _ <- 1..@callers do
        spawn_link(fn -> send(parent, {:done, self(), loop(pool, deadline, 0, %{})}) end)
      end

    per_node =
      Enum.reduce(callers, %{}, fn pid, acc ->
        receive do
          {:done, ^pid, counts} -> Map.merge(acc, counts, fn _k, x, y -> x + y end)
        end
      end)

    total = per_node |> Map.values() |> Enum.sum()
    %{calls_per_s: total * 1000 / @window_ms, per_node: per_node}
  end

  defp loop(pool, deadline, n, counts) do
    if System.monotonic_time(:millisecond) >= deadline do
      counts
    else
      {:ok, _} =
        SnakeBridge.call("sbcluster", "spin", [@spin], snakebridge: [pool: pool, node: :any])

      loop(pool, deadline, n + 1, Map.update(counts, served_node(pool), 1, &(&1 + 1)))
    end
  end

  # The node this process's session was placed on for the pool.
  defp served_node(pool) do
    {session, _} = SnakeBridge.Runtime.Session.current()
    Process.get({:"$snakebridge_node", session, pool})
  end

  # The same spin in plain Python processes, one per listed CPU, pinned: what the host
  # allows, measured in the same round.
  defp ceiling(cpus) do
    python = System.fetch_env!("SNAKEBRIDGE_PYTHON")

    code =
      "import sys, time; sys.path.insert(0, #{inspect(@support)}); import sbcluster; " <>
        "end = time.monotonic() + #{@window_ms / 1000}; n = 0\n" <>
        "while time.monotonic() < end:\n    sbcluster.spin(#{@spin}); n += 1\nprint(n)"

    counts =
      cpus
      |> Enum.map(fn cpu ->
        Task.async(fn -> System.cmd("taskset", ["-c", "#{cpu}", python, "-c", code]) end)
      end)
      |> Enum.map(fn task ->
        {out, 0} = Task.await(task, 30_000)
        out |> String.trim() |> String.to_integer()
      end)

    %{calls_per_s: Enum.sum(counts) * 1000 / @window_ms, processes: length(cpus)}
  end
end

Bench.Cluster.main()
