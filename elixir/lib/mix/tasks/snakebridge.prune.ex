defmodule Mix.Tasks.Snakebridge.Prune do
  @shortdoc "Removes generated bindings the code no longer calls (explicit only)"
  @moduledoc """
  Removes generated bindings that no scanned source calls any more. Bindings are never
  removed automatically (a binding only a test or a rare path calls must not vanish
  behind someone's back); this task is the only way.

      mix snakebridge.prune [--dry-run] [--library L] [--pattern P] [--keep a,b]

    * `--dry-run` — print what would be removed and change nothing
    * `--library L` — only this library (repeatable)
    * `--pattern P` — only symbols whose Elixir name (`Numpy.Linalg.solve`) or Python
      name (`numpy.linalg.solve`) matches the glob `P` (repeatable)
    * `--keep a,b` — never remove these (Elixir or Python names, globs allowed)

  A symbol's `!` and `_stream` variants and its generated setter (`put_x`) go with it:
  naming any of them in `--pattern` or `--keep` names the whole symbol, and prune
  removes exactly the symbols it lists. Symbols called dynamically (promoted from the
  ledger, or seen in it) are pruned only when a `--pattern` names them. A symbol still
  called from `test/` is reported with the file and line of the call.
  Before changing anything the manifest, the lock and the generated files are copied to
  `.snakebridge/backups/<id>/`; `mix snakebridge.restore` brings them back.

  The scan happens here, in Elixir; the Python command `snakebridge prune` decides,
  backs up, and re-renders the affected library files.
  """
  use Mix.Task

  alias SnakeBridge.Config

  @impl Mix.Task
  def run(argv) do
    Mix.Project.get!()
    payload = Mix.Tasks.Snakebridge.Analyze.detection_payload(Config.load!())
    SnakeBridge.CLIPort.run_task("prune", argv, payload)
    :ok
  end
end
