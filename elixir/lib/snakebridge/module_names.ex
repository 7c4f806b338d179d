defmodule SnakeBridge.ModuleNames do
  @moduledoc """
  Refuses a library whose Elixir root module already belongs to someone else.

  A library is generated as the module `module_name:` names (by default its import name
  capitalized: `time` → `Time`). When Elixir, OTP, a dependency or the app itself already
  defines that module, the generated file would silently replace it for the whole app:
  with `time: :stdlib`, `Time.utc_now/0` becomes undefined at run time after nothing but
  a "redefining module" warning. The pre-pass asks `collisions/2` before it generates
  anything, and fails the compile with these messages.

  Modules the app defines are read from the scanner's findings (a `defmodule` in the
  library's namespace, the root included); Elixir's, OTP's and the dependencies' in their
  code path directories.
  """

  alias SnakeBridge.Config

  @doc """
  One message per declared library whose root module is taken: who defines it, and the
  `module_name:` that fixes it. `findings` are the scanner's per-file findings.
  """
  @spec collisions(Config.t(), [{String.t(), [tuple]}], [String.t()]) :: [String.t()]
  def collisions(%Config{} = config, findings, code_path \\ foreign_code_path()) do
    app_defined =
      for {file, file_findings} <- findings,
          {:defines, module} <- file_findings,
          reduce: %{},
          do: (acc -> Map.put_new(acc, module, file))

    for lib <- config.libraries,
        owner = owner(lib.module_name, app_defined, code_path),
        owner != nil,
        do: message(lib, owner)
  end

  # The code path directories of Elixir, OTP and the project's dependencies. Others on
  # the path (sibling apps sharing a build directory, the app's own ebin with the
  # bindings generated before) do not own names this app may use.
  defp foreign_code_path do
    elixir = :code.lib_dir(:elixir) |> List.to_string() |> Path.dirname() |> Path.expand()
    otp = :code.root_dir() |> List.to_string() |> Path.expand()
    deps = if Mix.Project.get(), do: dependency_ebins(), else: MapSet.new()

    for dir <- :code.get_path(),
        dir = dir |> List.to_string() |> Path.expand(),
        MapSet.member?(deps, dir) or inside?(dir, elixir) or inside?(dir, otp),
        do: dir
  end

  defp dependency_ebins do
    build = Mix.Project.build_path()

    for {dep, _path} <- Mix.Project.deps_paths(),
        into: MapSet.new(),
        do: Path.expand(Path.join([build, "lib", Atom.to_string(dep), "ebin"]))
  end

  defp inside?(dir, root), do: String.starts_with?(dir, root <> "/")

  defp owner(module, app_defined, code_path) do
    case Map.fetch(app_defined, module) do
      {:ok, file} ->
        "the app already defines in #{file}"

      :error ->
        beam = "Elixir." <> module <> ".beam"

        Enum.find_value(code_path, fn dir ->
          path = Path.join(dir, beam)
          if File.regular?(path), do: "the #{application(dir)} application already defines"
        end)
    end
  end

  # `.../lib/elixir/ebin` → `elixir`; `.../lib/stdlib-4.3/ebin` → `stdlib`.
  defp application(ebin) do
    ebin |> Path.dirname() |> Path.basename() |> String.replace(~r/-[0-9][0-9.]*$/, "")
  end

  defp message(lib, owner) do
    suggestion = "Py" <> String.replace(lib.module_name, ".", "")

    "snakebridge library #{inspect(lib.name)} would be generated as the Elixir module " <>
      "#{lib.module_name}, which #{owner}; generating it would replace that " <>
      "module for the whole app. Give the library another module name in mix.exs: " <>
      "`#{declaration(lib, suggestion)}`"
  end

  defp declaration(lib, suggestion) do
    key =
      if Regex.match?(~r/^[a-z_][a-zA-Z0-9_]*$/, lib.name), do: lib.name, else: inspect(lib.name)

    version =
      cond do
        lib.stdlib -> "stdlib: true"
        lib.local -> "local: true"
        true -> "version: #{inspect(lib.version)}"
      end

    "#{key}: [#{version}, module_name: #{suggestion}]"
  end
end
