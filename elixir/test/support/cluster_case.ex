defmodule SnakeBridge.ClusterCase do
  @moduledoc """
  Real BEAM nodes for cluster tests: `start_nodes/2` starts local peer nodes (OTP's
  `:peer`) that are distributed among themselves through a private epmd on a free
  port, each running the :snakebridge application with its own real Python pool.

  The test VM itself stays undistributed: it drives the peers over their standard
  I/O (`:peer.call/4`), so cutting a node off or killing it never touches the VM
  running the tests. The private epmd and every peer are children of this VM's ports:
  they stop with the test (`stop_nodes/1`, or the VM exiting), leaving no process.
  """
  import ExUnit.Assertions

  @support_python Path.expand("python", __DIR__)
  @src Path.expand("../../../src", __DIR__)

  @doc """
  Starts `count` nodes. Options: `libraries:` (a keyword list, or a function of the
  node's index giving one), `pools:` (per node, same), `cluster:` extra cluster config,
  `root:` the node's project root (where its `snakebridge.lock` is; default the cwd),
  `callbacks:` its `callbacks:` setting (default none).
  Returns `%{epmd: port, nodes: [%{peer: pid, node: atom, index: i}]}`.
  """
  def start_nodes(count, opts \\ []) do
    {epmd, port} = start_epmd()
    tag = System.unique_integer([:positive])
    names = for i <- 1..count, do: :"sbc#{i}_#{tag}@127.0.0.1"

    nodes = for {name, i} <- Enum.with_index(names, 1), do: start_peer(name, i, port)

    for n <- nodes, do: boot(n, names, opts)

    # Everyone connected, every pool in its group, every node's declarations known.
    cluster = %{epmd: epmd, port: port, names: names, opts: opts, nodes: nodes}
    wait_until(fn -> Enum.all?(nodes, &(length(members(cluster, &1, :default)) == count)) end)
    wait_until(fn -> Enum.all?(nodes, &knows_all?(&1, names)) end)
    cluster
  end

  defp knows_all?(n, names),
    do: Enum.all?(names, &(on(n, SnakeBridge.Cluster.Load, :declared, [&1]) != nil))

  @doc """
  Starts node `n` again under the same name (after it was killed), with the same
  configuration, and returns it.
  """
  def restart_node(cluster, n) do
    fresh = start_peer(n.node, n.index, cluster.port)
    boot(fresh, cluster.names, cluster.opts)
    fresh
  end

  # Not linked: a test kills nodes on purpose.
  defp start_peer(name, index, port) do
    [short, host] = name |> Atom.to_string() |> String.split("@")

    {:ok, peer, node} =
      :peer.start(%{
        name: String.to_atom(short),
        host: String.to_charlist(host),
        longnames: true,
        connection: :standard_io,
        args: peer_args(port)
      })

    ^node = name
    %{peer: peer, node: node, index: index}
  end

  defp boot(n, names, opts) do
    :ok =
      :peer.call(n.peer, SnakeBridge.ClusterNode, :boot, [boot_env(n.index, names, opts)], 60_000)
  end

  @doc """
  Starts a VM that is not distributed, but would find the cluster's epmd and has its
  cookie once it makes itself a node: `%{peer: pid}`. Stop it with `stop_peer/1`.
  """
  def start_plain_peer(cluster) do
    {:ok, peer, :nonode@nohost} =
      :peer.start(%{connection: :standard_io, args: peer_args(cluster.port)})

    %{peer: peer}
  end

  @doc "Kills node `n`'s VM with SIGKILL (its Python workers go with it) and returns its workers' OS pids."
  def kill_node(n) do
    os_pid = on(n, :os, :getpid, [])
    workers = on(n, SnakeBridge.ClusterNode, :worker_pids, [])
    {_, 0} = System.cmd("kill", ["-9", List.to_string(os_pid)])
    stop_peer(n.peer)
    workers
  end

  @doc "Whether an OS process is alive."
  def os_alive?(pid),
    do: match?({_, 0}, System.cmd("kill", ["-0", "#{pid}"], stderr_to_stdout: true))

  @doc "Stops every node (`extra`: nodes restarted since), then the private epmd."
  def stop_nodes(%{epmd: epmd, nodes: nodes}, extra \\ []) do
    for n <- nodes ++ extra, do: stop_peer(n.peer)
    if Port.info(epmd), do: Port.close(epmd)
    :ok
  end

  def stop_peer(peer) do
    :peer.stop(peer)
  catch
    :exit, _ -> :ok
  end

  @doc "Runs `apply(m, f, a)` on node `n` (in a fresh process there)."
  def on(n, m, f, a, timeout \\ 60_000), do: :peer.call(n.peer, m, f, a, timeout)

  def members(_cluster, n, pool), do: on(n, SnakeBridge.Cluster, :members, [pool])

  @doc "Polls `fun` until it returns truthy (5 s)."
  def wait_until(fun, attempts \\ 250) do
    cond do
      fun.() -> :ok
      attempts == 0 -> flunk("condition never became true")
      true -> Process.sleep(20) && wait_until(fun, attempts - 1)
    end
  end

  defp peer_args(port) do
    paths = Enum.flat_map(:code.get_path(), &[~c"-pa", &1])

    [
      ~c"-start_epmd",
      ~c"false",
      ~c"-epmd_port",
      Integer.to_charlist(port),
      ~c"-setcookie",
      ~c"snakebridge_cluster_test"
    ] ++
      [~c"-kernel", ~c"net_ticktime", ~c"4"] ++
      [~c"-kernel", ~c"prevent_overlapping_partitions", ~c"false" | paths]
  end

  defp boot_env(index, names, opts) do
    pick = fn key, default ->
      case Keyword.get(opts, key, default) do
        fun when is_function(fun, 1) -> fun.(index)
        value -> value
      end
    end

    %{
      python: SnakeBridge.RuntimeCase.python(),
      libraries:
        pick.(:libraries, sbtest: :stdlib, sbcluster: :stdlib, json: :stdlib, math: :stdlib),
      pools: pick.(:pools, default: [size: 1, env: %{"PYTHONPATH" => @support_python}]),
      python_path: @src,
      cluster:
        Keyword.merge(
          [nodes: names, reconnect_interval: 200, load_interval: 50],
          pick.(:cluster, [])
        ),
      root: pick.(:root, File.cwd!()),
      callbacks: pick.(:callbacks, [])
    }
  end

  @doc """
  Writes `root`/snakebridge.lock with Python's own writer (`snakebridge.state.lock`):
  Python `python`, and `libraries` as `%{name => %{"requested" =>, "resolved" =>,
  "files_hash" =>}}` (string keys and values).
  """
  def write_lock(root, python, libraries) do
    script = """
    import sys, json
    from pathlib import Path
    from types import MappingProxyType
    from snakebridge.state import lock
    spec = json.loads(sys.argv[2])
    libs = {n: lock.LibraryLock(r["requested"], r["resolved"], r["files_hash"], r.get("options", ""))
            for n, r in spec["libraries"].items()}
    lk = lock.Lock("0.1.0", "sha256:g", spec["python"], "linux-x86_64", "sha256:i",
                   MappingProxyType(libs))
    lock.write(Path(sys.argv[1]) / "snakebridge.lock", lk)
    """

    spec = json(%{"python" => python, "libraries" => libraries})
    python_bin = SnakeBridge.RuntimeCase.python()
    {_, 0} = System.cmd(python_bin, ["-c", script, root, spec], env: [{"PYTHONPATH", @src}])
    :ok
  end

  # The input to that script: strings and maps only.
  defp json(map) when is_map(map),
    do: "{" <> Enum.map_join(map, ", ", fn {k, v} -> json(k) <> ": " <> json(v) end) <> "}"

  defp json(text) when is_binary(text), do: inspect(text)

  # epmd in the foreground under a shell that stops it when this VM closes the port
  # (or exits): no daemon is left behind.
  defp start_epmd(attempts \\ 5) do
    port = 20_000 + :rand.uniform(20_000)

    epmd =
      Port.open({:spawn, "sh -c 'epmd -port #{port} & pid=$!; read _; kill $pid; wait'"}, [
        :binary
      ])

    if wait_epmd(port, 50) do
      {epmd, port}
    else
      Port.close(epmd)

      if attempts == 0,
        do: flunk("could not start a private epmd"),
        else: start_epmd(attempts - 1)
    end
  end

  defp wait_epmd(port, attempts) do
    case System.cmd("epmd", ["-port", "#{port}", "-names"], stderr_to_stdout: true) do
      {"epmd: up and running" <> _, 0} -> true
      _ when attempts == 0 -> false
      _ -> Process.sleep(20) && wait_epmd(port, attempts - 1)
    end
  end
end

defmodule SnakeBridge.ClusterNode do
  @moduledoc """
  What runs inside a peer node of `SnakeBridge.ClusterCase`: booting the app, and
  long-lived processes that own sessions (a `:peer.call/4` runs in a fresh process
  each time, whose implicit session would end with it).
  """

  def boot(env) do
    {:ok, _} = Application.ensure_all_started(:elixir)
    {:ok, _} = Application.ensure_all_started(:logger)
    Logger.configure(level: :error)
    Application.load(:snakebridge)
    Application.put_env(:snakebridge, :python, env.python)
    Application.put_env(:snakebridge, :libraries, env.libraries)
    Application.put_env(:snakebridge, :callbacks, Map.get(env, :callbacks, []))
    Application.put_env(:snakebridge, :python_path, [])
    Application.put_env(:snakebridge, :docs, source: :python)
    Application.put_env(:snakebridge, :node, :local)
    Application.put_env(:snakebridge, :root, env.root)
    Application.put_env(:snakebridge, :ledger, false)
    Application.put_env(:snakebridge, :pools, env.pools)
    Application.put_env(:snakebridge, :cluster, env.cluster)
    {:ok, _} = Application.ensure_all_started(:snakebridge)
    wait_ready(200)
  end

  defp wait_ready(0), do: {:error, :not_ready}

  defp wait_ready(n) do
    ready? =
      Enum.all?(SnakeBridge.Runtime.pools(), fn pool ->
        Enum.all?(SnakeBridge.Runtime.Pool.info(pool).workers, &(&1.status == :ready))
      end)

    if ready?, do: :ok, else: Process.sleep(50) && wait_ready(n - 1)
  end

  @doc "A process on this node that runs what it is sent, keeping its session."
  def spawn_owner do
    spawn(fn -> owner_loop() end)
  end

  defp owner_loop do
    receive do
      {:run, from, ref, {m, f, a}} ->
        send(from, {ref, apply(m, f, a)})
        owner_loop()

      :stop ->
        :ok
    end
  end

  @doc "Runs `apply(m, f, a)` in `owner` and returns its result."
  def run(owner, m, f, a, timeout \\ 30_000) do
    ref = make_ref()
    send(owner, {:run, self(), ref, {m, f, a}})

    receive do
      {^ref, result} -> result
    after
      timeout -> {:timeout, :owner}
    end
  end

  @doc "Sends `apply(m, f, a)` to `owner` without waiting; `await/2` gets the result."
  def run_async(owner, m, f, a) do
    ref = make_ref()

    collector =
      spawn(fn ->
        receive do
          {^ref, result} ->
            receive do
              {:get, from} -> send(from, {:result, result})
            end
        end
      end)

    send(owner, {:run, collector, ref, {m, f, a}})
    collector
  end

  def await(collector, timeout \\ 30_000) do
    send(collector, {:get, self()})

    receive do
      {:result, result} -> result
    after
      timeout -> {:timeout, :async}
    end
  end

  @doc """
  A call to the `:default` pool on `node` sent the way a node that does not check sends
  it: straight to that pool, past this node's router. `{:ok, value}` or the pool's
  `{:error, error}`. On a VM that is not a node yet, it becomes `name` first.
  """
  def unchecked_call(node, library, function, args, name \\ nil) do
    if name, do: {:ok, _} = :net_kernel.start([name, :longnames])
    alias SnakeBridge.Runtime.{Pool, Session, Wire}
    descriptor = %{library: library, python_module: library, function: function}
    registration = Wire.registration(:call, descriptor)
    {session, owner} = Session.current()
    id = :erlang.unique_integer([:positive])
    frame = Wire.call(id, registration, args, %{}, session, nil)
    key = library <> "." <> function

    case Pool.request(
           {:default, node},
           {:session, session, owner},
           id,
           frame,
           nil,
           key,
           registration
         ) do
      {:reply, data, _worker} ->
        {^id, reply} = :erlang.binary_to_term(data)
        reply

      {:error, error} ->
        {:error, error}
    end
  end

  @doc "OS pids of this node's workers of `pool`."
  def worker_pids(pool \\ :default),
    do: for(w <- SnakeBridge.Runtime.Pool.info(pool).workers, do: w.os_pid)

  @doc "Applies in a fresh process and returns `{:ok, result}` or `{:exit, reason}`."
  def safely(m, f, a) do
    {:ok, apply(m, f, a)}
  catch
    kind, reason -> {kind, reason}
  end

  @doc "Starts one more pool on this node, under the runtime's supervisor."
  def start_pool(name, opts) do
    opts = [name: name, size: 1, env: %{"PYTHONPATH" => Path.expand("python", __DIR__)}] ++ opts

    {:ok, _} =
      Supervisor.start_child(SnakeBridge.Runtime.Supervisor, {SnakeBridge.Runtime.Pool, opts})

    wait_ready(200)
  end

  @doc "Makes a ref on `node` inside `with_session/2` and returns it after the block ended."
  def ref_in_block(node) do
    SnakeBridge.with_session("block-" <> SnakeBridge.Runtime.Session.new_id(), fn ->
      {:ok, ref} = SnakeBridge.call("json", "JSONDecoder", [], snakebridge: [node: node])
      {:ok, [1]} = SnakeBridge.method(ref, "decode", ["[1]"])
      ref
    end)
  end

  @doc "A call routed by an anonymous function that answers `target`."
  def call_with_fun(target) do
    SnakeBridge.call("sbtest", "getpid", [],
      snakebridge: [
        node: fn call ->
          send(self(), {:routed, call})
          target
        end
      ]
    )
    |> then(fn result ->
      receive do
        {:routed, call} -> {result, call}
      after
        0 -> {result, nil}
      end
    end)
  end

  @doc "A call served on `node` whose Elixir function reports where it ran."
  def callback_on(node) do
    SnakeBridge.call("sbtest", "call_with", [fn x -> {x * 2, node()} end, 21],
      snakebridge: [node: node]
    )
  end

  @doc "A stream of `sbtest.tracked(3)` served on `node`, consumed here."
  def stream_on(node) do
    "sbtest" |> SnakeBridge.stream("tracked", [3], snakebridge: [node: node]) |> Enum.to_list()
  end

  @doc "A named callback (`snakebridge.call_elixir`): its argument and where it ran."
  def tag(x), do: [x, Atom.to_string(node())]

  @doc "Another one, registered on node 3 only."
  def tag3(x), do: [x, Atom.to_string(node())]

  @doc "A routing function (as `{module, function}`): the last node serving the pool."
  def last_member(call), do: call.pool |> SnakeBridge.Cluster.members() |> List.last()

  @doc "Runs `apply(m, f, a)` with a stand-in `:telemetry` that collects the events."
  def with_telemetry(m, f, a) do
    Process.register(self(), :sb_telemetry_collector)

    Code.compile_string("""
    defmodule :telemetry do
      def execute(name, measurements, meta),
        do: send(:sb_telemetry_collector, {:telemetry, name, measurements, meta})
    end
    """)

    SnakeBridge.Runtime.Telemetry.reset()

    try do
      result = apply(m, f, a)
      {result, collect([])}
    after
      :code.purge(:telemetry)
      :code.delete(:telemetry)
      :code.purge(:telemetry)
      SnakeBridge.Runtime.Telemetry.reset()
      Process.unregister(:sb_telemetry_collector)
    end
  end

  defp collect(acc) do
    receive do
      {:telemetry, name, measurements, meta} -> collect([{name, measurements, meta} | acc])
    after
      200 -> Enum.reverse(acc)
    end
  end

  @doc "Which nodes the given process sees connected."
  def connected, do: Node.list()

  @doc "Cuts this node off from `other` until `heal/1`: a wrong cookie refuses reconnects."
  def partition(other) do
    # The refused reconnects are expected: not worth an error line each.
    :logger.set_primary_config(:level, :critical)
    :erpc.call(other, :logger, :set_primary_config, [:level, :critical])
    :erlang.set_cookie(other, :wrong_cookie_partitioned)
    Node.disconnect(other)
    :ok
  end

  def heal(other) do
    :logger.set_primary_config(:level, :error)
    :erlang.set_cookie(other, :erlang.get_cookie())
    :ok
  end
end
