defmodule SnakeBridge.Scanner.Manifest do
  @moduledoc """
  The pre-pass's integrity check of `.snakebridge/manifest.json`, without Python and
  without decoding JSON.

  A truncated, conflicted or otherwise damaged manifest would otherwise go unnoticed
  until the next generation (or be silently replaced by it), so every `mix compile`
  checks it, at the cost of one stat when nothing changed: the cache remembers the stat
  and content hash of the last manifest that passed. Only when the stat changed is the
  file read and hashed; only when the hash is new are its lines checked, against the
  line layout Python's `snakebridge.state.manifest` writes (`layout_problem` there
  states the same rules): the header, then each section ("symbols", then the optional
  "promoted" and "files") with one entry per line and its `"~"` end line, then the
  closing brace. A union merge of two valid manifests passes; a file cut short, with
  merge-conflict markers, reformatted or hand-mangled does not, and fails every compile
  until it is repaired.

  A missing manifest passes: nothing has been generated yet, or the files are checked
  by `mix snakebridge.verify`.
  """

  alias Mix.Task.Compiler.Diagnostic

  @path ".snakebridge/manifest.json"
  @sections ["symbols", "promoted", "files"]

  @string ~S'"(?:[^"\\\x00-\x1f]|\\.)*"'
  @symbol_line Regex.compile!(
                 "^#{@string}: \\{\"arities\": \\[(?:\\d+(?:, \\d+)*)?\\], \"checksum\": " <>
                   "#{@string}, \"elixir_module\": #{@string}, \"kind\": #{@string}, " <>
                   "\"library\": #{@string}, \"name\": #{@string}, \"python\": #{@string}\\},$"
               )
  @string_line Regex.compile!("^#{@string}: #{@string},$")

  @typedoc "What the cache keeps: the stat and md5 of the last manifest that passed."
  @type known :: {stat :: tuple, hash :: binary} | nil

  @doc """
  Checks the manifest of the project at `root`. Returns `{:ok, known}` (what to keep in
  the cache for the next run) or `{:error, diagnostic}`. `written_at` is when the cache
  was saved: a stat no older than that second is not trusted (one-second mtimes, as in
  `SnakeBridge.Scanner.Cache`).
  """
  @spec check(String.t(), known, integer) :: {:ok, known} | {:error, Diagnostic.t()}
  def check(root, known, written_at) do
    path = Path.join(root, @path)

    case stat(path) do
      nil -> {:ok, nil}
      {mtime, _, _} = stat when mtime < written_at - 1 -> trusted(path, stat, known)
      stat -> read(path, stat, known)
    end
  end

  defp trusted(_path, stat, {stat, _hash} = known), do: {:ok, known}
  defp trusted(path, stat, known), do: read(path, stat, known)

  defp read(path, stat, known) do
    case File.read(path) do
      {:ok, bytes} ->
        hash = :erlang.md5(bytes)

        cond do
          match?({_, ^hash}, known) -> {:ok, {stat, hash}}
          problem = layout_problem(bytes) -> {:error, diagnostic(path, problem)}
          true -> {:ok, {stat, hash}}
        end

      {:error, reason} ->
        {:error, diagnostic(path, "cannot be read (#{:file.format_error(reason)})")}
    end
  end

  @doc "Why `bytes` is not laid out as SnakeBridge writes a manifest, or nil."
  @spec layout_problem(binary) :: String.t() | nil
  def layout_problem(bytes) do
    cond do
      not String.valid?(bytes) ->
        "it is not valid UTF-8"

      not String.ends_with?(bytes, "\n") ->
        "the file does not end with a newline (truncated?)"

      true ->
        case bytes |> String.split("\n") |> Enum.drop(-1) do
          ["{", ~s("snakebridge_manifest": 1,) | rest] -> sections(rest, 3, @sections, true)
          _ -> ~s(it does not start with the lines `{` and `"snakebridge_manifest": 1,`)
        end
    end
  end

  defp sections([opening | rest], n, remaining, first?) do
    name = Enum.find(remaining, &(opening == ~s("#{&1}": {)))

    if name == nil or (first? and name != "symbols") do
      section_expected(n)
    else
      later = remaining |> Enum.drop_while(&(&1 != name)) |> tl()
      entries(rest, n + 1, name, later)
    end
  end

  defp sections([], n, _remaining, _first?), do: section_expected(n)

  defp section_expected(n), do: ~s|line #{n} should open a section ("symbols": { first)|

  defp entries(lines, n, name, later) do
    sentinel = ~s("~": "end of #{name}")
    rule = if name == "symbols", do: @symbol_line, else: @string_line

    case Enum.split_while(lines, &(&1 != sentinel)) do
      {entries, [^sentinel | after_sentinel]} ->
        case Enum.find_index(entries, &(not Regex.match?(rule, &1))) do
          nil -> close(after_sentinel, n + length(entries) + 1, name, later)
          i -> "line #{n + i} is not a #{name} entry as SnakeBridge writes it"
        end

      {_entries, []} ->
        "the #{name} section has no end line #{sentinel} (truncated?)"
    end
  end

  defp close(["}", "}"], _n, _name, _later), do: nil
  defp close(["}" | _], n, _name, _later), do: "line #{n + 1} should be the final `}`"
  defp close(["}," | rest], n, _name, later), do: sections(rest, n + 1, later, false)
  defp close(_, n, name, _later), do: "line #{n} should close the #{name} section"

  defp diagnostic(path, problem) do
    %Diagnostic{
      compiler_name: "snakebridge",
      file: path,
      position: nil,
      severity: :error,
      message:
        "#{@path} is damaged: #{problem}. Nothing was generated. Fix: restore it from git " <>
          "(`git checkout -- #{@path}`), or run `mix snakebridge.repair`, which rebuilds " <>
          "it from the generated files and the calls in your code"
    }
  end

  defp stat(path) do
    case :prim_file.read_file_info(path, [{:time, :posix}]) do
      {:ok, {:file_info, size, :regular, _, _, mtime, _, _, _, _, _, inode, _, _}} ->
        {mtime, size, inode}

      _ ->
        nil
    end
  end
end
