defmodule Mix.Tasks.Snakebridge.Verify do
  @shortdoc "Checks that manifest, generated source and lock agree"
  @moduledoc """
  Checks that `.snakebridge/manifest.json`, the generated source under
  `lib/snakebridge_generated/` and `snakebridge.lock` agree with each other and with the
  current Python environment: every manifest symbol is defined with the code it was
  generated with, nothing else is defined, and every generated file still has the bytes
  recorded when it was generated. Prints one line per mismatch with the command that
  fixes it, and exits non-zero when there is any.

      mix snakebridge.verify [--format json] [--no-environment]

  A thin shell over the Python command `snakebridge verify`.
  """
  use Mix.Task

  alias SnakeBridge.Config
  alias SnakeBridge.Scanner.Bindings

  @impl Mix.Task
  def run(argv) do
    Mix.Project.get!()
    SnakeBridge.CLIPort.run_task("verify", argv, bindings_payload(Config.load!()))
    :ok
  end

  @doc """
  `"bindings"`: every public function the generated files define, read with Elixir's
  parser (`%{"module", "function", "arity", "file"}`). A file that does not parse is
  reported here and contributes nothing, so Python sees its symbols as missing.
  """
  @spec bindings_payload(Config.t()) :: map
  def bindings_payload(%Config{} = config) do
    bindings =
      for rel <- Bindings.files(config.root, config.generated_dir),
          {module, function, arity} <- parse(config.root, rel) do
        %{"module" => module, "function" => function, "arity" => arity, "file" => rel}
      end

    %{"bindings" => bindings}
  end

  defp parse(root, rel) do
    case Bindings.parse(File.read!(Path.join(root, rel)), rel) do
      {:ok, defs} ->
        defs

      {:error, message} ->
        Mix.shell().error("#{rel} does not parse (#{message}); treating it as empty")
        []
    end
  end
end
