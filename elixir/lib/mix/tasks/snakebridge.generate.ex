defmodule Mix.Tasks.Snakebridge.Generate do
  @shortdoc "Scans the project and generates SnakeBridge bindings"
  @moduledoc """
  Runs the generation step on its own: scans the sources and sends every detected call
  to the Python CLI's `generate` command, which adds the missing bindings to
  `lib/snakebridge_generated/`, `.snakebridge/manifest.json` and `snakebridge.lock`.
  Runs even in strict mode (it is how a strict project's bindings get made).

      mix snakebridge.generate [--force]

  `--force` re-renders every library's file from a fresh introspection.
  """

  use Mix.Task

  alias SnakeBridge.Scanner.Prepass

  @impl true
  def run(argv) do
    Mix.Project.get!()
    {opts, _rest, _invalid} = OptionParser.parse(argv, switches: [force: :boolean])
    {status, diagnostics} = Prepass.run(force: opts[:force] == true, generate: :always)
    Prepass.print(diagnostics)

    case status do
      :error -> exit({:shutdown, 1})
      _ -> Mix.shell().info("snakebridge: bindings are up to date")
    end
  end
end
