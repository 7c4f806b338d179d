defmodule SnakeBridge.Config.Bake do
  @moduledoc """
  Compiles the project's runtime settings (`SnakeBridge.Config.runtime/1`) into the
  application, as the module `SnakeBridge.Config.Baked` in the app's own `ebin`.

  Why: a release has no Mix and no mix.exs, so the allowlist and the library settings
  must travel inside the compiled application, the way `Application.compile_env/3`
  values do. The Mix compiler writes the module on every `mix compile` (cheaply: the
  bytes are rebuilt in memory and the file is rewritten only when they differ), so
  `mix.exs` stays the single source and `mix release` ships its current state without
  a repeated `config :snakebridge, libraries: ...`. `SnakeBridge.Runtime.Settings`
  reads it back with `read/0`.

  The module is built from Erlang abstract forms (one function, `runtime/0`, returning
  the map), deterministically, so the same declaration gives the same bytes. One
  module per node: an umbrella with two apps declaring `snakebridge:` cannot go into one
  release (the runtime has one allowlist per node).
  """

  alias SnakeBridge.Config

  @module SnakeBridge.Config.Baked

  @doc "The module name the settings are compiled into."
  @spec module() :: module
  def module, do: @module

  @doc """
  Writes the baked module for `config` into `ebin` (default: the current Mix project's
  compile path) and loads it. Returns `:unchanged` when the file already holds these
  settings.
  """
  @spec write(Config.t(), Path.t()) :: :ok | :unchanged
  def write(%Config{} = config, ebin \\ Mix.Project.compile_path()) do
    binary = compile(Config.runtime(config))
    path = Path.join(ebin, "#{@module}.beam")

    if File.read(path) == {:ok, binary} do
      :unchanged
    else
      File.mkdir_p!(ebin)
      File.write!(path, binary)
      :code.purge(@module)
      {:module, @module} = :code.load_binary(@module, String.to_charlist(path), binary)
      :ok
    end
  end

  @doc """
  What the Mix compiler calls on every compile: bakes the current project's declaration
  into its compile path. A project without `snakebridge:` gets no baked module (a stale
  one is removed); an invalid declaration bakes nothing, the pre-pass reports it.
  """
  @spec write_project() :: :ok | :unchanged | :none
  def write_project do
    ebin = Mix.Project.compile_path()

    with entry when entry != nil <- Mix.Project.config()[:snakebridge],
         {:ok, config} <- Config.load(Mix.Project.config(), Config.project_root()) do
      write(config, ebin)
    else
      nil ->
        _ = File.rm(Path.join(ebin, "#{@module}.beam"))
        :none

      {:error, _} ->
        :none
    end
  end

  @doc "The baked settings, or `nil` when the application has none (no `snakebridge:` compile)."
  @spec read() :: Config.runtime() | nil
  def read do
    # apply/3: the module exists only in applications the compiler baked.
    if Code.ensure_loaded?(@module), do: apply(@module, :runtime, [])
  end

  @doc false
  @spec compile(map) :: binary
  def compile(runtime) do
    forms = [
      {:attribute, 1, :module, @module},
      {:attribute, 1, :export, [runtime: 0]},
      {:function, 1, :runtime, 0, [{:clause, 1, [], [], [:erl_parse.abstract(runtime)]}]}
    ]

    {:ok, @module, binary} = :compile.forms(forms, [:binary, :deterministic, :no_line_info])
    binary
  end
end
