defmodule Mix.Tasks.Snakebridge.Restore do
  @shortdoc "Brings back the state saved before the last prune or repair"
  @moduledoc """
  `mix snakebridge.prune` and `mix snakebridge.repair` save the manifest, the lock and
  the generated files under `.snakebridge/backups/<id>/` before they change anything.
  This task puts the newest such backup back, once: run again, it says there is nothing
  to restore. `--id` restores a given backup. The state a restore replaces is itself
  backed up first, so a restore can be undone with `--id`.

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
