defmodule SnakeBridge.Cluster.Load do
  @moduledoc """
  What each node tells the others about itself: its pools' capacity (size, busy
  workers, and the calls waiting behind them, queued in the pool or pipelined to a
  worker) and its declared libraries, each with its entry in the node's
  `snakebridge.lock` (`SnakeBridge.Cluster.Lock`). Routing reads it from a local
  table, so choosing a node never waits on the network.

  Why this is cheap: every `load_interval` ms (default 200) this process asks each
  local pool for its counts (one message per pool) and sends one message to each other
  node only when something changed (a count, or calls were served since), plus a
  reminder every 25 intervals; a node that connects, or is heard from for the first
  time, gets the current state at once.
  Between advertisements, the calls this node routed to a pool are counted (`sent/2`)
  and added to its load, so a burst of calls does not all pick the same node before
  the next advertisement arrives; an advertisement resets that count.
  """
  use GenServer

  alias SnakeBridge.Cluster

  @table __MODULE__
  # Every Load process joins this group of the cluster scope: it is how they find each other.
  @group :"$snakebridge_nodes"
  @remind_every 25
  @spec_keys [:python_module, :include, :exclude, :allow, :streaming, :idempotent, :locked]

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts, name: __MODULE__)

  @doc "A pool's last advertised `%{size:, busy:, queued:}` on `node`, or nil."
  @spec get(atom, node) :: map | nil
  def get(pool, node) do
    case lookup({pool, node}) do
      {_key, size, busy, queued, _sent} -> %{size: size, busy: busy, queued: queued}
      nil -> nil
    end
  end

  @doc "Busy plus queued calls per worker of a pool on `node` (0.0 when unknown)."
  @spec score(atom, node) :: float
  def score(pool, node) do
    case lookup({pool, node}) do
      {_key, size, busy, queued, sent} -> (busy + queued + sent) / max(size, 1)
      nil -> 0.0
    end
  end

  @doc false
  # A call was routed to the pool on `node`: count it until the next advertisement.
  def sent(pool, node) do
    if :ets.whereis(@table) != :undefined,
      do: :ets.update_counter(@table, {pool, node}, {5, 1}, {{pool, node}, 1, 0, 0, 0})

    :ok
  end

  @doc """
  The library declarations of `node` (`%{name => spec}`), or nil when that node has not
  advertised them.
  """
  @spec declared(node) :: map | nil
  def declared(node) do
    if node == node() do
      declared_here()
    else
      case lookup({:declared, node}) do
        {_key, declared} -> declared
        nil -> nil
      end
    end
  end

  @doc false
  # This node's declarations, as compared between nodes.
  def declared_here do
    for {name, lib} <- :persistent_term.get({SnakeBridge.Runtime, :libraries}, %{}),
        into: %{},
        do: {name, Map.take(lib, @spec_keys)}
  end

  @doc """
  `node`'s declaration of `library`: its spec, nil when that node does not declare it,
  or `:unknown` when that node has not advertised its declarations. One table read of
  that library's entry alone, as a call needs it.
  """
  @spec declared(node, String.t()) :: map | nil | :unknown
  def declared(node, library) do
    if node == node() do
      case :persistent_term.get({SnakeBridge.Runtime, :libraries}, %{}) do
        %{^library => lib} -> Map.take(lib, @spec_keys)
        _ -> nil
      end
    else
      case lookup({:declared, node, library}) do
        {_key, spec} -> spec
        nil -> if lookup({:declared, node}), do: nil, else: :unknown
      end
    end
  end

  @doc false
  # As declared/2, for the serving side of a call from `node`: when nothing is known of
  # it yet, this process is asked, so the advertisement a node sends before its first
  # call (see handle_info/2) is read even when it still waits in the mailbox. Bounded:
  # this process may itself be waiting on the asking pool (its tick reads the pools).
  def declared_now(node, library) do
    with :unknown <- declared(node, library) do
      GenServer.call(__MODULE__, {:declared, node, library}, 100)
    end
  catch
    :exit, _ -> :unknown
  end

  defp lookup(key) do
    case :ets.whereis(@table) do
      :undefined ->
        nil

      table ->
        case :ets.lookup(table, key) do
          [entry] -> entry
          [] -> nil
        end
    end
  end

  # ---------------------------------------------------------------- server

  @impl true
  def init(opts) do
    :ets.new(@table, [:named_table, :public, :set, read_concurrency: true])
    :ok = :pg.join(Cluster.scope(), @group, self())
    :ok = :net_kernel.monitor_nodes(true)
    send(self(), :tick)
    {:ok, %{interval: Keyword.fetch!(opts, :load_interval), last: nil, ticks: 0}}
  end

  @impl true
  def handle_call({:declared, node, library}, _from, state),
    do: {:reply, declared(node, library), state}

  @impl true
  def handle_info(:tick, state) do
    advert = {local_loads(), declared_here()}
    {loads, _declared} = advert
    for {pool, {size, busy, queued, _calls}} <- loads, do: put(pool, node(), size, busy, queued)

    ticks = state.ticks + 1

    if advert != state.last or rem(ticks, @remind_every) == 0 do
      for pid <- peers(), do: send(pid, advert_message(advert))
    end

    Process.send_after(self(), :tick, state.interval)
    {:noreply, %{state | last: advert, ticks: ticks}}
  end

  def handle_info({:advert, node, loads, declared}, state) when is_map(loads) do
    # A node heard from for the first time gets ours back: the one sent at :nodeup is
    # lost when that node's SnakeBridge was not running yet. Sent before theirs is
    # recorded, so it is on its way before any call from here can be routed there (that
    # node's pools check our declarations, SnakeBridge.Cluster.Guard).
    if state.last != nil and not :ets.member(@table, {:declared, node}),
      do: send({__MODULE__, node}, advert_message(state.last))

    forget_pools(node, Map.keys(loads))
    for {pool, {size, busy, queued, _calls}} <- loads, do: put(pool, node, size, busy, queued)
    record(node, declared)
    {:noreply, state}
  end

  def handle_info({:nodeup, node}, state) do
    if state.last, do: send({__MODULE__, node}, advert_message(state.last))
    {:noreply, state}
  end

  def handle_info({:nodedown, node}, state) do
    forget_pools(node, [])
    :ets.delete(@table, {:declared, node})
    :ets.match_delete(@table, {{:declared, node, :_}, :_})
    {:noreply, state}
  end

  def handle_info(_other, state), do: {:noreply, state}

  defp advert_message({loads, declared}), do: {:advert, node(), loads, declared}

  # A node's declarations, whole and one row per library (a call reads only its own).
  # New rows go in before stale ones go out, so a reader never sees a library missing
  # that is declared in both the old and the new advertisement.
  defp record(node, declared) do
    if lookup({:declared, node}) != {{:declared, node}, declared} do
      rows = for {name, spec} <- declared, do: {{:declared, node, name}, spec}
      :ets.insert(@table, [{{:declared, node}, declared} | rows])

      for {{:declared, ^node, name}, _} <- :ets.match_object(@table, {{:declared, node, :_}, :_}),
          not Map.has_key?(declared, name),
          do: :ets.delete(@table, {:declared, node, name})
    end
  end

  defp put(pool, node, size, busy, queued),
    do: :ets.insert(@table, {{pool, node}, size, busy, queued, 0})

  defp forget_pools(node, keep) do
    for {{pool, ^node}, _, _, _, _} <- :ets.tab2list(@table),
        pool not in keep,
        do: :ets.delete(@table, {pool, node})
  end

  defp peers do
    me = self()
    for pid <- :pg.get_members(Cluster.scope(), @group), pid != me, do: pid
  end

  defp local_loads do
    for pool <- SnakeBridge.Runtime.pools(), counts = counts(pool), into: %{}, do: {pool, counts}
  end

  defp counts(pool) do
    info = GenServer.call(SnakeBridge.Runtime.Pool.process_name(pool), :info, 1_000)
    busy = Enum.count(info.workers, & &1.busy)
    # Calls already written to a busy worker's pipe wait behind its running one, as
    # queued ones do: a worker running one call with one pipelined carries two.
    queued = Enum.reduce(info.workers, 0, &(&1.queued + &1.pipelined + &2))
    # Calls served: a pool that served calls since the last advertisement is re-advertised.
    calls = Enum.reduce(info.workers, 0, &(&1.calls + &2))
    {info.size, busy, queued, calls}
  catch
    :exit, _ -> nil
  end
end
