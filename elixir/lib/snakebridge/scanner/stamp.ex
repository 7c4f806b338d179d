defmodule SnakeBridge.Scanner.Stamp do
  @moduledoc """
  A fingerprint of everything outside the scanned source that can make the generated
  bindings stale, computed without starting Python.

  It covers the library declarations in mix.exs, the docs source, the generated
  directory setting, the snakebridge version, the exact bytes of `snakebridge.lock`, the
  interpreter file's stat, the modification time of the interpreter's `site-packages`
  directories (installing or upgrading a library changes that directory), and the stat
  of every file under `python_path:` (editing a local module changes its bindings).
  When the stamp differs
  from the one recorded after the last generation, the pre-pass asks Python to
  regenerate; Python then decides what actually changed.
  """

  alias SnakeBridge.Config

  @spec compute(Config.t()) :: binary
  def compute(%Config{} = config) do
    context = Config.context(config)

    parts = [
      context["libraries"],
      # Turning `docs: [source: :metadata]` on must write the docs index.
      context["docs_source"],
      context["generated_dir"],
      context["snakebridge_version"],
      file_digest(Path.join(config.root, "snakebridge.lock")),
      config.python,
      stat(config.python),
      site_packages(config.python),
      python_path_files(config)
    ]

    # md5 is plenty to notice a change, and needs no crypto NIF loaded on a no-op compile.
    :erlang.md5(:erlang.term_to_binary(parts))
  end

  @doc "A short human-readable explanation of what the stamp covers (for verbose output)."
  def describe(%Config{} = config) do
    "library declarations, snakebridge #{config.snakebridge_version}, snakebridge.lock, " <>
      "interpreter #{config.python} and its site-packages, python_path: files"
  end

  defp file_digest(path) do
    case File.read(path) do
      {:ok, bytes} -> :erlang.md5(bytes)
      {:error, _} -> :missing
    end
  end

  defp stat(path) do
    case File.stat(path, time: :posix) do
      {:ok, %File.Stat{mtime: mtime, size: size, inode: inode}} -> {mtime, size, inode}
      {:error, _} -> :missing
    end
  end

  defp python_path_files(%Config{python_path: dirs, root: root}) do
    for dir <- dirs,
        path <- Path.wildcard(Path.join([root, dir, "**", "*"])),
        not String.contains?(path, "/__pycache__/") do
      {path, stat(path)}
    end
  end

  defp site_packages(python) do
    lib = python |> Path.dirname() |> Path.dirname() |> Path.join("lib")

    case File.ls(lib) do
      {:ok, names} ->
        for name <- Enum.sort(names), String.starts_with?(name, "python") do
          dir = Path.join([lib, name, "site-packages"])
          {dir, stat(dir)}
        end

      {:error, _} ->
        []
    end
  end
end
