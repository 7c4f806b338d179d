defmodule Mix.Tasks.Snakebridge.Promote do
  @shortdoc "Generates bindings for recorded dynamic calls"
  @moduledoc """
  Turns dynamic calls recorded in `.snakebridge/ledger.json` into generated bindings:
  adds them to the manifest (marked promoted, so analyze and prune know their callers
  are dynamic), regenerates the affected library files and the lock, and removes the
  promoted entries from the ledger. A recorded call that no binding replaces (a module,
  a function read as a value) is reported and nothing is written for it; the reason
  stays in the ledger. Exits 1 when a call could not be generated. Promotion is always
  explicit, so what CI builds is exactly the committed manifest, never what a dev run
  happened to call.

      mix snakebridge.promote --all
      mix snakebridge.promote --library numpy

  A thin shell over the Python command `snakebridge promote`.
  """
  use Mix.Task

  @impl Mix.Task
  def run(argv) do
    SnakeBridge.CLIPort.run_task("promote", argv)
    :ok
  end
end
