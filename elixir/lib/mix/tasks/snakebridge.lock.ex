defmodule Mix.Tasks.Snakebridge.Lock do
  @shortdoc "Shows the lock, or rewrites it from the current environment"
  @moduledoc """
  Shows `snakebridge.lock` next to the current environment and says what the next
  `mix compile` would regenerate. `--rebuild` rewrites the lock from the current
  environment (Python version, platform, interpreter hash, resolved library versions);
  `--check` exits non-zero when the lock is out of date.

      mix snakebridge.lock [--rebuild | --check]

  A thin shell over the Python command `snakebridge lock`.
  """
  use Mix.Task

  @impl Mix.Task
  def run(argv) do
    SnakeBridge.CLIPort.run_task("lock", argv)
    :ok
  end
end
