defmodule SnakeBridge.Application do
  @moduledoc """
  Starts the runtime: the supervised pools of Python workers, after what they need to
  serve a BEAM cluster (`SnakeBridge.Cluster.Supervisor`). Starting never needs
  Python; see `SnakeBridge.Runtime.Supervisor`.
  """
  use Application

  @impl true
  def start(_type, _args) do
    children = [SnakeBridge.Cluster.Supervisor, SnakeBridge.Runtime.Supervisor]
    Supervisor.start_link(children, strategy: :one_for_one, name: SnakeBridge.Supervisor)
  end
end
