defmodule SnakeBridge.Cluster.Supervisor do
  @moduledoc """
  Starts what the pools need to serve a cluster (see `SnakeBridge.Cluster`): the `:pg`
  scope they join, the load advertiser (`SnakeBridge.Cluster.Load`) and the
  reconnector (`SnakeBridge.Cluster.Connector`). It starts before the pools, and costs
  nothing on a node that is not distributed.

  Options come from `config :snakebridge, cluster: [...]`: `nodes:` (node names, default
  `[]`), `reconnect_interval:` (ms, default 2_000), `load_interval:` (ms, default 200).
  """
  use Supervisor

  @defaults [nodes: [], reconnect_interval: 2_000, load_interval: 200]

  def start_link(opts \\ []), do: Supervisor.start_link(__MODULE__, opts, name: __MODULE__)

  @impl true
  def init(_opts) do
    opts = options!(Application.get_env(:snakebridge, :cluster, []))

    children = [
      %{id: :pg, start: {:pg, :start_link, [SnakeBridge.Cluster.scope()]}},
      {SnakeBridge.Cluster.Load, opts},
      {SnakeBridge.Cluster.Connector, opts}
    ]

    Supervisor.init(children, strategy: :rest_for_one)
  end

  @doc false
  def options!(opts) do
    unless Keyword.keyword?(opts) do
      raise ArgumentError,
            "config :snakebridge, cluster: must be a keyword list, got #{inspect(opts)}"
    end

    case Keyword.keys(opts) -- Keyword.keys(@defaults) do
      [] ->
        :ok

      unknown ->
        raise ArgumentError,
              "config :snakebridge, cluster: unknown keys #{inspect(unknown)}; known: #{inspect(Keyword.keys(@defaults))}"
    end

    opts = Keyword.merge(@defaults, opts)

    unless is_list(opts[:nodes]) and
             Enum.all?(opts[:nodes], &(is_atom(&1) and String.contains?(Atom.to_string(&1), "@"))) do
      raise ArgumentError,
            "config :snakebridge, cluster: [nodes: ...] must list node names like :\"py@host\", got #{inspect(opts[:nodes])}"
    end

    for key <- [:reconnect_interval, :load_interval],
        not (is_integer(opts[key]) and opts[key] > 0) do
      raise ArgumentError,
            "config :snakebridge, cluster: [#{key}: ...] must be a positive integer (ms), got #{inspect(opts[key])}"
    end

    opts
  end
end
