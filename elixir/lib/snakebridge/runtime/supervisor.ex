defmodule SnakeBridge.Runtime.Supervisor do
  @moduledoc """
  Starts the configured pools (`SnakeBridge.Runtime.Settings.pools/0`), each a
  `SnakeBridge.Runtime.Pool`. Settings are resolved once here, so every pool agrees on
  the interpreter and the allowlist. With no Python configured the pools still start,
  in an "unavailable" state that answers every call with an error naming the fix:
  applications (and strict CI compiles) never fail to boot for want of Python.
  `config :snakebridge, start_pools: false` starts none.
  """
  use Supervisor

  alias SnakeBridge.Runtime.{Pool, Settings}

  def start_link(opts \\ []), do: Supervisor.start_link(__MODULE__, opts, name: __MODULE__)

  @impl true
  def init(_opts) do
    children =
      if Application.get_env(:snakebridge, :start_pools, true) do
        settings = Settings.load()
        :persistent_term.put({SnakeBridge.Runtime, :libraries}, settings.libraries)

        for {name, opts} <- Settings.pools() do
          {Pool, [name: name, settings: settings] ++ opts}
        end
      else
        []
      end

    Supervisor.init(children, strategy: :one_for_one, max_restarts: 10, max_seconds: 10)
  end
end
