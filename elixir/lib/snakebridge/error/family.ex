defmodule SnakeBridge.Error.Family do
  @moduledoc """
  The compile-time expansion of `SnakeBridge.Error.family/1`: the exception modules a
  `rescue` must list to catch a Python exception family.

  Elixir's `rescue Module` is an exact struct check, and a bang variant raises the module
  of the most specific class along the Python MRO that has one, so which module a
  library's `ValueError` subclass raises depends on which exception modules the project
  generated. The family is therefore computed where it is used, at compile time, from the
  generated registries (`SnakeBridge.Exceptions.<module_name>.__exception_mro__/0`).

  The libraries are those of the project's `snakebridge:` entry in mix.exs, when compiling
  in a Mix project that has one; else those the running SnakeBridge runtime declares (IEx,
  `Code.eval_string/1`); else none, and the family is the builtin module alone.

  A call to the registry from a macro records no compile-time dependency, so the caller
  takes each library's generated file (`<generated_dir>/<library>.ex`, which holds the
  registry) as an `@external_resource`: regenerating it, or generating a library's first
  file, recompiles every module that uses the family.
  """

  alias SnakeBridge.Config

  @doc false
  @spec expand(Macro.t(), Macro.Env.t()) :: [module]
  def expand(base, env) do
    module = Macro.expand(base, env)
    builtins = SnakeBridge.Error.builtin_modules()

    {class, own} =
      cond do
        module == SnakeBridge.Error ->
          {nil, [SnakeBridge.Error | Enum.sort(Map.values(builtins))]}

        is_binary(class = class_of(builtins, module)) ->
          {class, [module]}

        true ->
          raise CompileError, file: env.file, line: env.line, description: base_message(base)
      end

    generated =
      for {registry, file} <- registries(env),
          generated <- members(registry, file, class, env),
          generated not in own,
          uniq: true,
          do: generated

    own ++ Enum.sort(generated)
  end

  defp class_of(builtins, module) do
    Enum.find_value(builtins, fn {class, builtin} -> builtin == module && class end)
  end

  defp base_message(base) do
    "SnakeBridge.Error.family/1 takes SnakeBridge.Error or a builtin exception module " <>
      "(SnakeBridge.ValueError, SnakeBridge.KeyError, ...), got #{Macro.to_string(base)}; " <>
      "to rescue one library class exactly, rescue its generated module " <>
      "(`rescue e in Numpy.Linalg.LinAlgError`), and to test any Python class by name, " <>
      "use `catch :error, e when SnakeBridge.Error.is_python_error(e, \"module.Class\")`"
  end

  # {registry module, generated file or nil} for each declared library.
  defp registries(env) do
    if Config.mix_project?() and Mix.Project.config()[:snakebridge] != nil do
      case Config.load(Mix.Project.config(), Config.project_root()) do
        {:ok, config} ->
          for library <- config.libraries do
            file = Path.join([config.root, config.generated_dir, library.name <> ".ex"])
            {registry(library.module_name), file}
          end

        {:error, message} ->
          raise CompileError,
            file: env.file,
            line: env.line,
            description: "SnakeBridge.Error.family/1 reads mix.exs `snakebridge:`: #{message}"
      end
    else
      for {_name, %{module_name: name}} <-
            :persistent_term.get({SnakeBridge.Runtime, :libraries}, %{}),
          do: {registry(name), nil}
    end
  end

  defp registry(module_name), do: Module.concat(SnakeBridge.Exceptions, module_name)

  # The registry's modules whose MRO holds `class` (every module for `nil`). Waits for the
  # registry when the parallel compiler is still compiling it.
  defp members(registry, file, class, env) do
    track(file, env)

    case Code.ensure_compiled(registry) do
      {:module, ^registry} ->
        unless function_exported?(registry, :__exception_mro__, 0) do
          raise CompileError,
            file: env.file,
            line: env.line,
            description:
              "#{inspect(registry)} has no __exception_mro__/0: it was generated before " <>
                "SnakeBridge.Error.family/1 existed; regenerate it with `mix snakebridge.generate`"
        end

        for {module, mro} <- registry.__exception_mro__(),
            class == nil or class in mro,
            do: module

      {:error, _no_registry} ->
        []
    end
  end

  defp track(nil, _env), do: :ok

  defp track(file, %Macro.Env{module: module}) when module != nil do
    if Module.open?(module) and file not in Module.get_attribute(module, :external_resource) do
      Module.put_attribute(module, :external_resource, file)
    end

    :ok
  end

  defp track(_file, _env), do: :ok
end
