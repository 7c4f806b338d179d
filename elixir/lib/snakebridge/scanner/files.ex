defmodule SnakeBridge.Scanner.Files do
  @moduledoc """
  Which files the pre-pass scans: `.ex` (and optionally `.exs`) files under the
  configured scan paths, minus the generated directory and the exclude globs.

  Paths are returned relative to the project root, sorted, so results and caches do
  not depend on the machine or the order the file system lists entries in.
  """

  alias SnakeBridge.Config

  @spec list(Config.t()) :: [String.t()]
  def list(%Config{} = config) do
    exts = if config.scan_exs, do: "*.{ex,exs}", else: "*.ex"
    excludes = Enum.map(config.scan_exclude, &glob_regex/1)
    generated = String.trim_trailing(config.generated_dir, "/") <> "/"

    config.scan_paths
    |> Enum.flat_map(fn dir ->
      config.root
      |> Path.join(dir)
      |> Path.join("**")
      |> Path.join(exts)
      |> Path.wildcard()
    end)
    |> Enum.map(&Path.relative_to(&1, config.root))
    |> Enum.reject(fn rel ->
      String.starts_with?(rel, generated) or Enum.any?(excludes, &Regex.match?(&1, rel))
    end)
    |> Enum.uniq()
    |> Enum.sort()
  end

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
