defmodule Mix.Tasks.Snakebridge.Verify do
  @shortdoc "Checks that manifest, generated source and lock agree"
  @moduledoc """
  Checks that `.snakebridge/manifest.json`, the generated source under
  `lib/snakebridge_generated/` and `snakebridge.lock` agree with each other and with the
  current Python environment. Prints one line per mismatch with the command that fixes
  it, and exits non-zero when there is any.

      mix snakebridge.verify [--format json]

  A thin shell over the Python command `snakebridge verify`.
  """
  use Mix.Task

  @impl Mix.Task
  def run(argv) do
    SnakeBridge.CLIPort.run_task("verify", argv)
    :ok
  end
end
