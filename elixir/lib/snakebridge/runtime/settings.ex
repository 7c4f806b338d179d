defmodule SnakeBridge.Runtime.Settings do
  @moduledoc """
  Where the runtime finds its interpreter, allowlist, project root and pools.

  Order (first hit wins):

    * interpreter: `SNAKEBRIDGE_PYTHON`, then `config :snakebridge, python: ...`, then
      `SnakeBridge.Config.runtime/0` (the project's mix.exs and managed venv);
    * libraries: `config :snakebridge, libraries: [...]` (same shape as in mix.exs:
      `[numpy: "~> 2.0", sympy: [version: "~> 1.13", idempotent: :all], json: :stdlib]`),
      then `SnakeBridge.Config.runtime/0`;
    * root (where `.snakebridge/ledger.json` lives): `config :snakebridge, root: ...`,
      then `SnakeBridge.Config.runtime/0`, then the current directory.

  The ledger of dynamic calls is on in `:dev` and off otherwise unless
  `config :snakebridge, ledger: true | false` says so.

  Pools: `config :snakebridge, pools: [default: [size: 2], gpu: [size: 1, env: %{...}]]`;
  without it there is one `:default` pool with one worker per scheduler
  (`pool_size:` overrides the size). Per-pool keys: `size`, `env`, `python`,
  `timeout`, `checkout_timeout`, `max_queue`.
  """

  @type library :: %{python_module: String.t(), idempotent: boolean | [String.t()]}

  @defaults [timeout: 30_000, checkout_timeout: 5_000, max_queue: 1_000]

  @doc "The resolved settings every pool starts from."
  @spec load() :: map
  def load do
    # mix.exs is read only when the app env does not already say everything.
    env = Application.get_all_env(:snakebridge)

    project =
      if (env[:python] || non_empty(System.get_env("SNAKEBRIDGE_PYTHON"))) && env[:libraries] &&
           env[:root],
         do: %{},
         else: project_runtime()

    python = python(project)
    libraries = libraries(project)
    root = Application.get_env(:snakebridge, :root) || project[:root] || File.cwd!()
    mix_env = project[:mix_env] || mix_env()

    ledger? =
      case Application.get_env(:snakebridge, :ledger) do
        nil -> mix_env == :dev
        flag -> flag == true
      end

    %{
      python: python,
      libraries: libraries,
      root: root,
      mix_env: mix_env,
      ledger_path: if(ledger?, do: Path.join([root, ".snakebridge", "ledger.json"])),
      python_path: python_source_dir()
    }
  end

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

    for {name, opts} <- configured do
      {name, @defaults |> Keyword.merge(global) |> Keyword.merge([size: default_size] ++ opts)}
    end
  end

  @doc """
  Normalizes a library declaration (the mix.exs shape, a map of the
  `SnakeBridge.Config.runtime/0` shape, or `nil`) to `%{name => library}`.
  """
  @spec normalize_libraries(term) :: %{String.t() => library}
  def normalize_libraries(nil), do: %{}

  def normalize_libraries(libs) when is_map(libs) do
    Map.new(libs, fn {name, spec} ->
      {to_string(name), normalize_library(to_string(name), spec)}
    end)
  end

  def normalize_libraries(libs) when is_list(libs) do
    Map.new(libs, fn
      {name, spec} -> {to_string(name), normalize_library(to_string(name), spec)}
      name -> {to_string(name), normalize_library(to_string(name), [])}
    end)
  end

  defp normalize_library(name, %{python_module: _} = lib),
    do:
      Map.merge(%{idempotent: false}, Map.take(lib, [:python_module, :idempotent])) |> check(name)

  defp normalize_library(name, spec) when is_binary(spec) or spec == :stdlib,
    do: normalize_library(name, [])

  defp normalize_library(name, spec) when is_list(spec) do
    idempotent =
      case Keyword.get(spec, :idempotent, false) do
        :all -> true
        list when is_list(list) -> Enum.map(list, &to_string/1)
        flag -> flag == true
      end

    %{
      python_module: to_string(Keyword.get(spec, :python_module, String.replace(name, "-", "_"))),
      idempotent: idempotent
    }
  end

  defp check(lib, _name), do: lib

  defp python(project) do
    candidate =
      non_empty(System.get_env("SNAKEBRIDGE_PYTHON")) ||
        Application.get_env(:snakebridge, :python) || project[:python]

    cond do
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

  defp libraries(project) do
    case Application.get_env(:snakebridge, :libraries) do
      nil -> normalize_libraries(project[:libraries])
      libs -> normalize_libraries(libs)
    end
  end

  # SnakeBridge.Config belongs to the compile-time half; it reads mix.exs, which only
  # exists inside Mix. In a release, or if mix.exs is invalid, the app env is the source.
  defp project_runtime do
    config = SnakeBridge.Config

    if Code.ensure_loaded?(config) and function_exported?(config, :runtime, 0) do
      try do
        apply(config, :runtime, [])
      rescue
        _ -> %{}
      catch
        # Mix is loaded but not running (an escript, `elixir -e`, a release with Mix).
        :exit, _ -> %{}
      end
    else
      %{}
    end
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

  # The worker's Python source ships beside this Mix project (src/snakebridge); putting it
  # first on PYTHONPATH keeps the worker protocol in lockstep with this client, even when
  # the user's venv holds an older snakebridge.
  @python_src Path.expand("../../../../src", __DIR__)
  defp python_source_dir do
    if File.dir?(Path.join(@python_src, "snakebridge")), do: @python_src, else: nil
  end

  defp non_empty(nil), do: nil
  defp non_empty(""), do: nil
  defp non_empty(value), do: value
end
