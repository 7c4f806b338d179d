defmodule Mix.Tasks.Snakebridge.Ledger do
  @shortdoc "Lists dynamic calls recorded in development, not yet generated"
  @moduledoc """
  Lists the dynamic calls (`SnakeBridge.call/4` and friends) that the runtime recorded
  in `.snakebridge/ledger.json` during development and that have no generated binding
  yet, with how often each was called. `mix snakebridge.promote` generates them.

      mix snakebridge.ledger [--all] [--format json]

  A thin shell over the Python command `snakebridge ledger`.
  """
  use Mix.Task

  @impl Mix.Task
  def run(argv) do
    SnakeBridge.CLIPort.run_task("ledger", argv)
    :ok
  end
end
