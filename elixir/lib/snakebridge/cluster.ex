defmodule SnakeBridge.Cluster do
  @moduledoc """
  Python pools across a BEAM cluster, on Erlang distribution and OTP's `:pg`: no
  transport or membership of our own.

  ## Joining

  Every node runs its own pools, as on one machine. Each pool process joins the `:pg`
  group named after the pool (`:default`, `:gpu`) in the `SnakeBridge.Cluster` scope,
  so `members/1` lists the nodes that serve a pool, and a node that stops or is cut off
  leaves every group at once (`:pg` watches the connections). Each node advertises its
  pools' capacity (size, busy workers, queued calls) and its declared libraries to
  the other nodes every `load_interval` ms, only when it changed
  (`SnakeBridge.Cluster.Load`); routing reads the last advertisement from a local
  table, never asks a remote node while a call waits.

  ## Routing

  Where a call runs: `snakebridge: [node: ...]` in the call's opts, else the pool's
  `node:` (`config :snakebridge, pools: [default: [size: 2, node: :any]]`), else the
  project's `node:` in mix.exs, else `:local`:

    * `:local` (the default): this node's pool, exactly the one-machine path, with no
      extra message or process hop; a pool that does not run on this node goes to a
      node that serves it, as with `:any`;
    * `:any`: the least loaded node serving the pool (busy plus queued calls per
      worker, counting the calls this node sent since the last advertisement), this
      node first when tied;
    * a node name (`:"py@gpu-host"`): that node;
    * a function of the call, `fun/1` or `{module, function}`: it receives
      `%{pool:, library:, python_module:, function:, call_type:, args:}` and returns
      one of the above.

  A call that uses a ref (`SnakeBridge.Ref`, its `node` field) goes to the ref's node,
  wherever the caller is. A session stays on one node and one worker: the first call
  of a session in a pool fixes its node (in the calling process), and its later calls
  in that pool go there whatever their routing says; a call that names another node
  for a session already placed elsewhere is refused (`:bad_argument`). The node's pool
  monitors the session's owner process across the network, so the refs a process on
  node A made on node B stay alive until A releases them (`SnakeBridge.release/1`,
  the end of `SnakeBridge.with_session/2`) or the owner exits.

  ## Node loss

  When a node goes down or is partitioned away, the calls in flight to it return
  `{:error, %SnakeBridge.Error{type: :node_down}}` naming the node; refs that live
  there give `:ref_lost` (their objects are gone: the node's pools released the
  sessions of owners they can no longer see). Idempotent calls are retried once on
  another node that serves the same pool (and declares the library the same way).
  The other nodes keep serving. A node that comes back rejoins the groups by itself
  once connected: list the nodes under `config :snakebridge, cluster: [nodes: [...]]`
  and `SnakeBridge.Cluster.Connector` reconnects them every `reconnect_interval` ms.
  A silent network cut is noticed after the kernel's `net_ticktime` (60 s by default:
  lower it with `--erl "-kernel net_ticktime 10"` for faster failover).

  OTP 25 turns on the kernel parameter `prevent_overlapping_partitions` by default:
  when one node reports that it lost its connection to another, `global` on the
  nodes that still see both disconnects from one side, so the cluster splits into
  fully connected parts instead of overlapping ones. For SnakeBridge this means a
  single broken link between two nodes can cut a third node off from one of them
  too: that node leaves the pools' groups on the far side, its calls in flight from
  there fail with `:node_down` and its refs there become `:ref_lost`, exactly as for
  a node that went down. The `Connector` keeps retrying; while the broken link
  persists `global` may disconnect a reconnected node again, and once the link is
  back the next attempt sticks and the node rejoins the groups. Keep the default
  (OTP advises against disabling it, and it must be the same on every node); the
  cluster tests set it to `false` only because they cut one link on purpose and
  check that the third node keeps serving.

  ## Data

  Zero-copy handles (`SnakeBridge.ZeroCopyRef`) are node-local: shared memory does not
  cross machines. A call routed to another node than the one whose worker made a
  handle in its arguments is refused with a `:bad_argument` error saying so; it is never
  copied silently (it may be gigabytes). Bring the data along explicitly as a
  `SnakeBridge.Tensor` (`SnakeBridge.ZeroCopyRef.materialize/1`), or route the call to
  the handle's node (`snakebridge: [node: handle_node]`).

  ## Allowlist

  Each node enforces its own allowlist, from its own release: a worker never runs
  code its node did not declare. Nodes compare their declarations (each library's
  `python_module`, `include`, `exclude`, `allow`, `streaming`, `idempotent`) through
  the advertisements: a call for a library that another node declares differently,
  or not at all, is never routed there: `:any` skips that node, and a call naming it
  gets a `:not_allowed` error saying what differs.

  The same holds for what the declarations resolved to: each node advertises, per
  library, its entry in the `snakebridge.lock` it was built with (the resolved version,
  and the lock's Python version; `SnakeBridge.Cluster.Lock`). Nodes whose entries for
  a library differ (another version, another Python, or a lock on one node only) do
  not serve each other's calls for it; the error names the library, both versions and
  both nodes. Libraries whose entries agree are still served. The lock is read once,
  with the declaration (compiled into the application, so a release carries it), never
  per call, and no Python is asked.

  Both sides check: the caller's node before it sends (`SnakeBridge.Cluster.Router`),
  and the serving node's pool before it runs a call that comes from a process on
  another node (`SnakeBridge.Cluster.Guard`), against what that node advertised. So a
  node that does not check (an older SnakeBridge, a request sent to the pool by hand)
  cannot make another run a library at another version; a node that never advertised
  (one that runs no SnakeBridge) is refused too.

  ## Callbacks

  Elixir functions in a call's arguments, and named functions Python calls with
  `snakebridge.call_elixir`, run in the calling process, on the caller's node, also
  when another node serves the call. A named function must be registered under
  `callbacks:` on both nodes: the serving node's worker refuses names its node does not
  register, and the caller's node checks its own (the registry of its pool of that
  name, or its `callbacks:` setting when that pool does not run there).
  `cast_elixir` runs on the serving node, under its registry.

  ## Telemetry

  Call events (`SnakeBridge.Runtime.Telemetry`) carry `:node`, the node that served
  the call; pool events carry the pool's node.

  ## Deployment

  Nodes need a name, a shared cookie and a way to find each other. libcluster is a hex
  package (out of reach here); plain distribution does it:

      # on every host (release: put the flags in rel/vm.args.eex)
      elixir --sname py1 --cookie "$COOKIE" -S mix run --no-halt
      # or, in a release: RELEASE_DISTRIBUTION=sname RELEASE_NODE=py1 RELEASE_COOKIE=...

      # config/runtime.exs of every node: whom to (re)connect to
      config :snakebridge, cluster: [nodes: [:"py1@host-a", :"gpu@host-b"]]

  `Node.connect/1` or the `--erl "-connect_all true"` default do the rest; the
  `cluster: [nodes: ...]` list makes a restarted or partitioned node come back
  without a manual step.

  A node that serves a `:gpu` pool to the others configures that pool; the others do
  not (a pool that does not run on a node is routed to a node that serves it). Every
  node still declares the same libraries in its mix.exs, `torch` included: a node never
  sends calls for a library it does not declare itself (see "Allowlist"):

      # on gpu@host-b
      config :snakebridge, pools: [default: [size: 2], gpu: [size: 1, env: %{"CUDA_VISIBLE_DEVICES" => "0"}]]

      # on any node
      SnakeBridge.call("torch", "mm", [a, b], snakebridge: [pool: :gpu])
      Numpy.mean(xs, snakebridge: [node: :any])   # spread CPU work over every node

  `cluster:` keys: `nodes:` (default `[]`), `reconnect_interval:` (ms, default
  2_000), `load_interval:` (ms, default 200).
  """

  alias SnakeBridge.Cluster.Load

  @scope __MODULE__

  @doc "The `:pg` scope the pools join."
  @spec scope() :: atom
  def scope, do: @scope

  @doc "The nodes that serve `pool`, this node first, then by name."
  @spec members(atom) :: [node]
  def members(pool) do
    nodes = if Process.whereis(@scope), do: member_nodes(pool), else: []
    local = node()
    Enum.sort_by(nodes, &{&1 != local, &1})
  end

  defp member_nodes(pool),
    do: @scope |> :pg.get_members(pool) |> Enum.map(&node/1) |> Enum.uniq()

  @doc """
  What each node serving `pool` advertised last: `%{node:, size:, busy:, queued:}`,
  this node first.
  """
  @spec load(atom) :: [map]
  def load(pool) do
    for node <- members(pool), entry = Load.get(pool, node), do: Map.put(entry, :node, node)
  end

  @doc false
  # Called by a pool as it starts: it joins its group and sets its routing default.
  def join(pool, policy) do
    SnakeBridge.Cluster.Router.put_policy(pool, policy)
    if Process.whereis(@scope), do: :pg.join(@scope, pool, self())
    :ok
  end

  @doc false
  # The session ended in this process: end it on the other nodes it was placed on.
  def end_session(session), do: SnakeBridge.Cluster.Router.end_session(session)
end
