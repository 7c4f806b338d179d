defmodule SnakeBridge.PythonSource do
  @moduledoc """
  Where the snakebridge Python package (the CLI, the generator and the worker) comes
  from: `priv/python` of this Elixir package, put first on `PYTHONPATH` of every Python
  process SnakeBridge starts.

  Why from the package and not from the managed venv: the Python half must match the
  Elixir half that talks to it frame for frame, and `priv/` travels with the package
  wherever it goes (a `path:` dependency, hex, a release's `lib/snakebridge-<vsn>/priv`).
  The managed venv holds only the Python libraries, including snakebridge's own
  dependencies (`mix snakebridge.setup` reads them from `priv/python/pyproject.toml`).
  In this repository `priv/python` links to `src/`.
  """

  @doc "The directory to put on `PYTHONPATH` (it holds the `snakebridge` package)."
  @spec dir() :: String.t()
  def dir, do: Application.app_dir(:snakebridge, "priv/python")

  @doc """
  `PYTHONPATH` for a SnakeBridge Python process: `dir/0`, then `extra` (absolute
  directories, e.g. the project's `python_path:`), then what the environment had.
  """
  @spec python_path([String.t()], String.t() | nil) :: String.t()
  def python_path(extra \\ [], inherited \\ System.get_env("PYTHONPATH")) do
    [dir() | extra]
    |> Kernel.++(if inherited in [nil, ""], do: [], else: [inherited])
    |> Enum.join(":")
  end
end
