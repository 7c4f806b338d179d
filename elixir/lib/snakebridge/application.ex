defmodule SnakeBridge.Application do
  @moduledoc """
  Starts the runtime: the registry of running pools (`SnakeBridge.Runtime.Pools`),
  what pools need to serve a BEAM cluster (`SnakeBridge.Cluster.Supervisor`), then the
  supervised pools of Python workers. Starting never needs Python; see
  `SnakeBridge.Runtime.Supervisor`.
  """
  use Application

  @impl true
  def start(_type, _args) do
    children = [
      SnakeBridge.Runtime.Pools,
      SnakeBridge.Cluster.Supervisor,
      SnakeBridge.Runtime.Supervisor
    ]

    Supervisor.start_link(children, strategy: :one_for_one, name: SnakeBridge.Supervisor)
  end
end
