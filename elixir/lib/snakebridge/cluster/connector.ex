defmodule SnakeBridge.Cluster.Connector do
  @moduledoc """
  Keeps this node connected to the nodes listed under
  `config :snakebridge, cluster: [nodes: [...]]`, trying the missing ones every
  `reconnect_interval` ms (default 2_000) with plain `Node.connect/1`. Erlang does not
  reconnect a node by itself after a partition or a restart; this is what makes such a
  node rejoin the pools' groups with no manual step. A node that is not distributed
  (started without `--sname`/`--name`) has nothing to do.
  """
  use GenServer

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts, name: __MODULE__)

  @impl true
  def init(opts) do
    state = %{
      nodes: Keyword.fetch!(opts, :nodes),
      interval: Keyword.fetch!(opts, :reconnect_interval)
    }

    if state.nodes != [], do: send(self(), :connect)
    {:ok, state}
  end

  @impl true
  def handle_info(:connect, state) do
    if Node.alive?() do
      connected = Node.list()
      for node <- state.nodes, node != node(), node not in connected, do: Node.connect(node)
    end

    Process.send_after(self(), :connect, state.interval)
    {:noreply, state}
  end
end
