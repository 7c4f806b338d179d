defmodule SnakeBridge.Scanner.Files do
  @moduledoc """
  Which files the pre-pass scans: `.ex` (and optionally `.exs`) files under the
  configured scan paths, minus the generated directory, the exclude globs and hidden
  entries (as `Path.wildcard/1` skips them).

  Listing a tree is the costliest part of a no-op compile, so each directory's entries
  are cached under the directory's stat: a directory whose mtime did not change has the
  same entries (creating, deleting or renaming a file changes it), and is not listed
  again. Paths are returned relative to the project root, sorted, so results and caches
  do not depend on the machine or the order the file system lists entries in.
  """

  alias SnakeBridge.Config

  @type dirs :: %{String.t() => {tuple, [String.t()], [String.t()]}}

  @doc "The files to scan (relative paths). Uncached convenience form of `list/3`."
  @spec list(Config.t()) :: [String.t()]
  def list(%Config{} = config), do: config |> list(%{}, 0) |> elem(0)

  @doc """
  Whether a listing may be stale if trusted later: some directory was modified within
  a second of `written_at` (the cache should be saved again so the next run trusts it).
  """
  @spec racy?(dirs, integer) :: boolean
  def racy?(dirs, written_at) do
    Enum.any?(dirs, fn {_rel, {{mtime, _inode}, _names, _subdirs}} -> mtime >= written_at - 1 end)
  end

  @doc """
  The files to scan, using and refreshing `dirs` (directory → `{stat, files, subdirs}`).
  Directories modified at or after `written_at - 1` (one-second mtimes) are re-listed.
  """
  @spec list(Config.t(), dirs, integer) :: {[String.t()], dirs}
  def list(%Config{} = config, dirs, written_at) do
    exts = if config.scan_exs, do: [".ex", ".exs"], else: [".ex"]

    ctx = %{
      root: config.root,
      exts: exts,
      excludes: Enum.map(config.scan_exclude, &glob_regex/1),
      generated: String.trim_trailing(config.generated_dir, "/"),
      old: dirs,
      written_at: written_at
    }

    {files, new_dirs} =
      config.scan_paths
      |> Enum.map(&normalize/1)
      |> Enum.uniq()
      |> Enum.reduce({[], %{}}, fn rel, acc -> walk(rel, ctx, acc) end)

    {files |> Enum.uniq() |> Enum.sort(), new_dirs}
  end

  defp normalize(path), do: path |> Path.split() |> Path.join() |> String.trim_leading("./")

  defp walk(rel, ctx, {files, dirs} = acc) do
    if skipped?(rel, ctx) do
      acc
    else
      abs = Path.join(ctx.root, rel)

      case stat(abs) do
        {:directory, stat} ->
          {names, subdirs} = entries(abs, rel, stat, ctx)
          dirs = Map.put(dirs, rel, {stat, names, subdirs})

          files =
            Enum.reduce(names, files, fn name, files ->
              file = join(rel, name)
              if excluded?(file, ctx), do: files, else: [file | files]
            end)

          Enum.reduce(subdirs, {files, dirs}, fn sub, acc -> walk(join(rel, sub), ctx, acc) end)

        _ ->
          acc
      end
    end
  end

  defp entries(abs, rel, stat, ctx) do
    case Map.get(ctx.old, rel) do
      {^stat, names, subdirs} when elem(stat, 0) < ctx.written_at - 1 ->
        {names, subdirs}

      _ ->
        list_dir(abs, ctx)
    end
  end

  defp list_dir(abs, ctx) do
    case :prim_file.list_dir(abs) do
      {:ok, entries} ->
        entries
        |> Enum.map(&List.to_string/1)
        |> Enum.reject(&String.starts_with?(&1, "."))
        |> Enum.sort()
        |> Enum.reduce({[], []}, fn name, {names, subdirs} ->
          # A name with a source extension is taken to be a file without a stat (the
          # per-file stat that follows drops it if it is not a regular file); only the
          # other names need one, to find the subdirectories.
          if Enum.any?(ctx.exts, &String.ends_with?(name, &1)) do
            {[name | names], subdirs}
          else
            case stat(Path.join(abs, name)) do
              {:directory, _} -> {names, [name | subdirs]}
              _ -> {names, subdirs}
            end
          end
        end)
        |> then(fn {names, subdirs} -> {Enum.reverse(names), Enum.reverse(subdirs)} end)

      {:error, _} ->
        {[], []}
    end
  end

  defp stat(path) do
    case :prim_file.read_file_info(path, [{:time, :posix}]) do
      {:ok, {:file_info, _size, type, _, _, mtime, _, _, _, _, _, inode, _, _}} ->
        {type, {mtime, inode}}

      _ ->
        nil
    end
  end

  defp skipped?(rel, ctx), do: rel == ctx.generated or excluded?(rel, ctx)

  defp excluded?(rel, ctx), do: Enum.any?(ctx.excludes, &Regex.match?(&1, rel))

  defp join(".", name), do: name
  defp join("", name), do: name
  defp join(dir, name), do: dir <> "/" <> name

  @doc """
  A glob (`**` any depth, `*` and `?` within one segment, `{a,b}` alternatives) as an
  anchored regex over root-relative paths. A pattern naming a directory excludes
  everything under it.
  """
  @spec glob_regex(String.t()) :: Regex.t()
  def glob_regex(glob) do
    body = glob |> String.trim_trailing("/") |> translate("")
    Regex.compile!("^" <> body <> "(/.*)?$")
  end

  defp translate("**/" <> rest, acc), do: translate(rest, acc <> "(?:.*/)?")
  defp translate("**" <> rest, acc), do: translate(rest, acc <> ".*")
  defp translate("*" <> rest, acc), do: translate(rest, acc <> "[^/]*")
  defp translate("?" <> rest, acc), do: translate(rest, acc <> "[^/]")
  defp translate("{" <> rest, acc), do: translate(rest, acc <> "(?:")
  defp translate("}" <> rest, acc), do: translate(rest, acc <> ")")
  defp translate("," <> rest, acc), do: translate(rest, acc <> "|")

  defp translate(<<char::utf8, rest::binary>>, acc),
    do: translate(rest, acc <> Regex.escape(<<char::utf8>>))

  defp translate("", acc), do: acc
end
