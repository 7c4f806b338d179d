defmodule SnakeBridge.Runtime.Settings do
  @moduledoc """
  Where the runtime finds its interpreter, allowlist, project root and pools: one
  normalized map (`load/0`), documented in `docs/internals.md` ("Runtime settings").

  The project's declaration comes from mix.exs alone. `SnakeBridge.Config` is the one
  place that validates and normalizes it; the Mix compiler bakes the result into the
  application (`SnakeBridge.Config.Bake`), so a release reads the same data with no Mix
  and no mix.exs. Order (first hit wins):

    * declaration (`libraries`, `callbacks`, `python_path`, `docs`, `node`,
      `max_inflated_bytes`): keys set
      with `config :snakebridge, ...` (same shape as in mix.exs; used by tests and by
      apps that want to override one), then the baked settings, then the current Mix
      project's mix.exs (a project compiled before the compiler baked anything);
    * interpreter: `SNAKEBRIDGE_PYTHON`, then `config :snakebridge, python: ...`, then
      the one a release ships (`SnakeBridge.Release`), then the project's (`python:` in
      mix.exs, else the managed venv);
    * root (where `.snakebridge/ledger.json` lives and `python_path` is relative to):
      `config :snakebridge, root: ...`, then the release's `snakebridge/` directory,
      then the project's root, then the current directory. In a release the
      `python_path:` directories are the copies it ships.

  The ledger of dynamic calls is on in `:dev` and off otherwise unless
  `config :snakebridge, ledger: true | false` says so.

  Pools: `config :snakebridge, pools: [default: [size: 2], gpu: [size: 1, env: %{...}]]`;
  without it there is one `:default` pool with one worker per scheduler
  (`pool_size:` sets the size of every pool that does not give its own). Per-pool keys
  are `SnakeBridge.Runtime.Pool.keys/0` (see `SnakeBridge.Runtime.Pool.start_link/1`);
  any other key is refused with an error naming it.
  """

  alias SnakeBridge.Config

  @type library :: Config.runtime_library()

  @defaults [timeout: 30_000, checkout_timeout: 5_000, max_queue: 1_000]
  @declaration_keys [:libraries, :callbacks, :python_path, :docs, :node, :max_inflated_bytes]

  @doc "The resolved settings every pool starts from (see `docs/internals.md`)."
  @spec load() :: map
  def load do
    env = Application.get_all_env(:snakebridge)
    overrides = Config.runtime_overrides!(env)

    # The project is read only when the app env does not already say everything.
    project =
      if Enum.all?(@declaration_keys, &Map.has_key?(overrides, &1)) and env[:python] &&
           env[:root],
         do: %{},
         else: project()

    declaration =
      @declaration_keys
      |> Map.new(&{&1, Map.get(project, &1, empty(&1))})
      |> Map.merge(overrides)

    release = SnakeBridge.Release.shipped()
    root = env[:root] || release[:root] || project[:root] || File.cwd!()
    mix_env = project[:mix_env] || mix_env()

    ledger? =
      case env[:ledger] do
        nil -> mix_env == :dev
        flag -> flag == true
      end

    Map.merge(declaration, %{
      python: python(env[:python] || release[:python] || project[:python], release),
      root: root,
      mix_env: mix_env,
      ledger_path: if(ledger?, do: Path.join([root, ".snakebridge", "ledger.json"])),
      python_path: python_path(root, python_dirs(release, overrides, declaration))
    })
  end

  defp empty(:libraries), do: %{}
  defp empty(:callbacks), do: %{}
  defp empty(:python_path), do: []
  defp empty(:docs), do: %{source: :python}
  defp empty(:node), do: :local
  defp empty(:max_inflated_bytes), do: nil

  @doc "Pool names and their options, defaults filled in."
  @spec pools() :: [{atom, keyword}]
  def pools do
    global = Keyword.take(Application.get_all_env(:snakebridge), Keyword.keys(@defaults))
    default_size = Application.get_env(:snakebridge, :pool_size, System.schedulers_online())

    configured =
      case Application.get_env(:snakebridge, :pools) do
        nil -> [default: []]
        pools when is_list(pools) -> pools
      end

    # A pool's own options win over pool_size and the global defaults.
    for {name, opts} <- configured do
      SnakeBridge.Runtime.Pool.check_keys!(opts, "config :snakebridge, pools: [#{name}: ...]")

      {name,
       @defaults
       |> Keyword.merge(global)
       |> Keyword.merge(size: default_size)
       |> Keyword.merge(opts)}
    end
  end

  @doc """
  Normalizes a library declaration (the mix.exs shape: `[numpy: "~> 2.0", json: :stdlib]`)
  to `%{name => library}`, with `SnakeBridge.Config`'s rules; a map is taken as already
  normalized. Raises `SnakeBridge.Config.Error` on an invalid declaration.
  """
  @spec normalize_libraries(term) :: %{String.t() => library}
  def normalize_libraries(nil), do: %{}
  def normalize_libraries(libs) when is_map(libs), do: libs
  def normalize_libraries(libs), do: Config.runtime_overrides!(libraries: libs).libraries

  # In a release, the python_path: directories are the copies it ships, unless the app
  # env names its own.
  defp python_dirs(%{python_path: shipped}, overrides, _declaration)
       when not is_map_key(overrides, :python_path),
       do: shipped

  defp python_dirs(_release, _overrides, declaration), do: declaration.python_path

  defp python(configured, release) do
    candidate = non_empty(System.get_env("SNAKEBRIDGE_PYTHON")) || configured

    cond do
      release != nil and candidate == release.python and not File.exists?(candidate) ->
        {:error,
         "this release's Python interpreter #{candidate} is missing: the release was " <>
           "copied without all of its snakebridge/ directory (copied from " <>
           "#{release.base_python} at `mix release`); copy the whole release directory, " <>
           "or point SNAKEBRIDGE_PYTHON at an interpreter with the project's libraries."}

      candidate == nil ->
        {:error,
         "no Python interpreter is configured for SnakeBridge; run `mix snakebridge.setup` " <>
           "to build the managed environment, or set SNAKEBRIDGE_PYTHON / " <>
           "`config :snakebridge, python: \"/path/to/bin/python\"`"}

      File.exists?(candidate) ->
        {:ok, Path.expand(candidate)}

      found = System.find_executable(candidate) ->
        {:ok, found}

      true ->
        {:error,
         "the Python interpreter #{candidate} does not exist; run `mix snakebridge.setup` " <>
           "to build the managed environment, or point SNAKEBRIDGE_PYTHON at an interpreter " <>
           "that has snakebridge installed"}
    end
  end

  # The baked declaration, else the live mix.exs (inside Mix, before a compile baked it).
  # SnakeBridge.Config reads mix.exs only while Mix runs; if mix.exs is invalid there,
  # the compiler reports it, and the runtime goes on with the app env.
  defp project do
    SnakeBridge.Config.Bake.read() || live_project() || %{}
  end

  defp live_project do
    Config.runtime()
  rescue
    _ -> nil
  catch
    # Mix is loaded but not running (an escript, `elixir -e`, a release with Mix).
    :exit, _ -> nil
  end

  # Mix.env/0 only works while Mix runs; anywhere else (a release) this is :prod.
  defp mix_env do
    if Code.ensure_loaded?(Mix) and function_exported?(Mix, :env, 0) do
      try do
        Mix.env()
      rescue
        _ -> :prod
      catch
        :exit, _ -> :prod
      end
    else
      :prod
    end
  end

  # What the workers get in front of PYTHONPATH: snakebridge's own Python package (so the
  # worker protocol is in lockstep with this client), then the project's `python_path:`.
  defp python_path(root, dirs) do
    SnakeBridge.PythonSource.python_path(Enum.map(dirs, &Path.expand(&1, root)), nil)
  end

  defp non_empty(nil), do: nil
  defp non_empty(""), do: nil
  defp non_empty(value), do: value
end
