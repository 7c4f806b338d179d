defmodule Mix.Tasks.Snakebridge.Setup do
  @shortdoc "Builds or updates the managed Python environment"
  @moduledoc """
  Builds `.snakebridge/venv` with uv and installs snakebridge's own dependencies plus
  every declared library: at the version `snakebridge.lock` resolved when it still
  satisfies mix.exs, else the newest matching the requirement (`"~> 2.0"` becomes
  `>=2.0,<3.0`). Also adds the `.gitignore` and `.gitattributes` lines a SnakeBridge
  project needs. Safe to run any number of times; when nothing changed it only checks.

      mix snakebridge.setup [--python /path/to/python3.11] [--force] [--no-git-files]
      mix snakebridge.setup --check

  Needs only a Python 3.11+: when uv is neither on PATH nor importable, setup installs
  the uv version it is tested with into the per-user cache
  (`$XDG_CACHE_HOME/snakebridge`, else `~/.cache/snakebridge`) with
  `pip install --target`, which Debian's python3 allows (PEP 668).

  The venv's base interpreter is `--python`, else `SNAKEBRIDGE_BOOTSTRAP_PYTHON`; else
  the existing venv's; else a uv-managed Python (the version `snakebridge.lock` pins,
  else the bootstrap interpreter's minor version), downloaded by uv when missing; and
  when uv cannot download one (no network, `UV_PYTHON_DOWNLOADS=never`), the located
  `python3.11` or `python3`, saying why. Either way the lock pins its version and hash,
  and setup reports when the environment's interpreter differs from the pinned one.

  `--check` reports what setup would do (install uv, create or rebuild the venv,
  install packages, add git lines) and changes nothing; it exits 1 when something is
  pending or broken. Every long step (installing uv, downloading Python, creating the
  venv, resolving and installing) prints its tool's progress lines as it goes.

  With `snakebridge: [python: ".../bin/python"]` in mix.exs that virtual environment is
  managed instead; with `SNAKEBRIDGE_PYTHON` set, the interpreter it names is only
  checked.

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
