defmodule Mix.Tasks.Snakebridge.Repair do
  @shortdoc "Regenerates whatever verify found missing or changed"
  @moduledoc """
  Runs the same checks as `mix snakebridge.verify`, then regenerates every library
  with a missing or changed binding (in the managed Python environment) and rewrites
  the manifest and the lock. A missing or unreadable manifest is rebuilt from the
  bindings the generated files define and the calls the code makes. It never removes a
  binding the code calls (nor, when rebuilding, any binding): if re-rendering would,
  it changes nothing and says which ones. Exits non-zero if something could not be
  repaired.

      mix snakebridge.repair [--dry-run]

  A thin shell over the Python command `snakebridge repair`.
  """
  use Mix.Task

  alias SnakeBridge.Config

  @impl Mix.Task
  def run(argv) do
    Mix.Project.get!()
    config = Config.load!()

    payload =
      config
      |> Mix.Tasks.Snakebridge.Verify.bindings_payload()
      |> Map.merge(Mix.Tasks.Snakebridge.Analyze.detection_payload(config))

    SnakeBridge.CLIPort.run_task("repair", argv, payload)
    :ok
  end
end
