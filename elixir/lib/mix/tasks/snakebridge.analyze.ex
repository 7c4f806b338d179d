defmodule Mix.Tasks.Snakebridge.Analyze do
  @shortdoc "Compares generated bindings with the calls the code makes"
  @moduledoc """
  Scans the project (the configured scan paths, and `test/`) and compares what it calls
  with what is generated: for each library, the generated symbols nothing calls any
  more (candidates for `mix snakebridge.prune`), the ones only tests call, the ones
  called dynamically (promoted from the ledger, or seen in it), and the calls that have
  no binding yet. A setter, a `!` and a `_stream` variant count as their symbol.

      mix snakebridge.analyze [--library L] [--format json]

  The scan happens here, in Elixir; the comparison is the Python command
  `snakebridge analyze`, which receives the detections.
  """
  use Mix.Task

  alias SnakeBridge.Config
  alias SnakeBridge.Scanner.{Cache, Prepass}

  @impl Mix.Task
  def run(argv) do
    Mix.Project.get!()
    SnakeBridge.CLIPort.run_task("analyze", argv, detection_payload(Config.load!()))
    :ok
  end

  @doc """
  The detections the analyze and prune commands receive: `"detections"` from the
  configured scan paths, `"test_detections"` from `test/` (`.ex` and `.exs`).
  """
  @spec detection_payload(Config.t()) :: map
  def detection_payload(%Config{} = config) do
    test_config = %{config | scan_paths: ["test"], scan_exs: true}

    %{
      "detections" => detections(config),
      "test_detections" => detections(test_config)
    }
  end

  defp detections(config) do
    {scan, _cache, _dirty} = Prepass.scan(config, %Cache{})

    for problem <- scan.problems do
      Mix.shell().info([
        :yellow,
        "warning: ",
        :reset,
        "#{problem.file}:#{problem.line}: could not parse (#{problem.message}); skipped"
      ])
    end

    Enum.map(scan.detections, &Prepass.detection_payload/1)
  end
end
