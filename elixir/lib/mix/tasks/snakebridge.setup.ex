defmodule Mix.Tasks.Snakebridge.Setup do
  @shortdoc "Builds or updates the managed Python environment"
  @moduledoc """
  Builds `.snakebridge/venv` with uv on a located Python interpreter and installs the
  SnakeBridge worker plus every declared library: at the version `snakebridge.lock`
  resolved when it still satisfies mix.exs, else the newest matching the requirement
  (`"~> 2.0"` becomes `>=2.0,<3.0`). Also adds the `.gitignore` and `.gitattributes`
  lines a SnakeBridge project needs. Safe to run any number of times; when nothing
  changed it only checks.

      mix snakebridge.setup [--python /path/to/python3.11] [--force] [--no-git-files]

  The base interpreter is `--python`, else `SNAKEBRIDGE_BOOTSTRAP_PYTHON`, else
  `python3.11` or `python3` on PATH. With `snakebridge: [python: ".../bin/python"]` in
  mix.exs that virtual environment is managed instead; with `SNAKEBRIDGE_PYTHON` set,
  the interpreter it names is only checked.

  Runs the Python command `snakebridge setup` on the bootstrap interpreter, since the
  managed one may not exist yet.
  """
  use Mix.Task

  alias SnakeBridge.{CLIPort, Config}

  @impl Mix.Task
  def run(argv) do
    Mix.Project.get!()
    config = Config.load!()

    bootstrap =
      case Config.bootstrap_python() do
        {:ok, path} ->
          path

        {:error, message} ->
          Mix.shell().error("snakebridge setup: " <> message)
          exit({:shutdown, 2})
      end

    CLIPort.run_task(
      "setup",
      argv,
      %{
        "python_source" => Atom.to_string(config.python_source),
        "bootstrap_python" => bootstrap
      },
      python: bootstrap
    )

    :ok
  end
end
