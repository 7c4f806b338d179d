defmodule Mix.Tasks.Snakebridge.Restore do
  @shortdoc "Brings back the state saved before the last prune"
  @moduledoc """
  `mix snakebridge.prune` saves the manifest, the lock and the generated files under
  `.snakebridge/backups/<id>/` before it changes anything. This task puts a backup back
  (the newest one unless `--id` is given); the state it replaces is itself backed up
  first, so a restore can be undone the same way.

      mix snakebridge.restore [--list] [--id ID]

  A thin shell over the Python command `snakebridge restore`.
  """
  use Mix.Task

  @impl Mix.Task
  def run(argv) do
    SnakeBridge.CLIPort.run_task("restore", argv)
    :ok
  end
end
