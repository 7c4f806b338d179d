defmodule SnakeBridge.Scanner.Cache do
  @moduledoc """
  The pre-pass's own cache under the project's build directory: per-file scan results
  keyed by file stat and content hash, parsed generated bindings, the stamp of the
  last generation, the errors it ended with (replayed until their inputs change), the
  unknown keywords found at call sites (reported until the calls or the bindings
  change), and the stat and hash of the last manifest that passed its check.

  A file is re-read only when its stat (mtime, size, inode) changed, and re-parsed only
  when its content hash changed too. A file whose mtime is not older than the moment
  the cache was written is treated as changed ("racy" entries, as git does), because
  mtimes have one-second resolution here and an edit in that second would be missed.
  Stored with `:erlang.term_to_binary/1`; a cache from another format version, or one
  that cannot be read, is simply discarded.
  """

  @version 8

  defstruct version: @version,
            key: nil,
            written_at: 0,
            sources: %{},
            dirs: %{},
            generated: %{},
            stamp: nil,
            summary: nil,
            last_missing: [],
            last_diagnostics: [],
            failed: nil,
            keywords: [],
            manifest: nil

  @type entry :: {stat :: tuple, hash :: binary, value :: term}

  @type t :: %__MODULE__{
          version: pos_integer,
          key: term,
          written_at: integer,
          sources: %{String.t() => entry},
          dirs: map,
          generated: %{String.t() => entry},
          stamp: {binary, binary} | nil,
          summary: [map] | nil,
          last_missing: [tuple],
          last_diagnostics: [map],
          failed: {missing :: [map], errors :: [map]} | nil,
          keywords: [map],
          manifest: SnakeBridge.Scanner.Manifest.known()
        }

  @doc "The cache file of the current Mix project."
  @spec path() :: String.t()
  def path, do: Path.join([Mix.Project.app_path(), "snakebridge", "prepass.cache"])

  @doc """
  Loads the cache; `key` is what per-file results depend on (the library roots). A
  different key keeps the stamp but drops every per-file result.
  """
  @spec load(String.t(), term) :: t
  def load(path, key) do
    with {:ok, binary} <- File.read(path),
         %__MODULE__{version: @version} = cache <- safe_decode(binary) do
      if cache.key == key, do: cache, else: %{cache | key: key, sources: %{}, dirs: %{}}
    else
      _ -> %__MODULE__{key: key}
    end
  end

  defp safe_decode(binary) do
    :erlang.binary_to_term(binary)
  rescue
    ArgumentError -> nil
  end

  @spec save(t, String.t()) :: :ok
  def save(%__MODULE__{} = cache, path) do
    File.mkdir_p!(Path.dirname(path))
    cache = %{cache | written_at: System.os_time(:second)}
    tmp = path <> ".tmp"
    File.write!(tmp, :erlang.term_to_binary(cache))
    File.rename!(tmp, path)
  end

  @doc "Removes the cache directory (what `mix clean` calls)."
  @spec clean(String.t()) :: :ok
  def clean(path) do
    File.rm_rf!(Path.dirname(path))
    :ok
  end

  @doc """
  Refreshes the entries for `files` (relative to `root`) in `table`, calling
  `compute.(relative_path, content)` for each file whose content changed.

  Returns `{table, changed_paths, rechecked}` where `rechecked` counts the files that
  were read again (so the caller knows the cache is worth saving); entries of files no
  longer listed are dropped.
  `compute` runs in parallel when many files changed.
  """
  @spec refresh(
          %{String.t() => entry},
          [String.t()],
          String.t(),
          integer,
          (String.t(), binary ->
             term)
        ) ::
          {%{String.t() => entry}, [String.t()], non_neg_integer}
  def refresh(table, files, root, written_at, compute) do
    {kept, stale} =
      files
      |> stats(root)
      |> Enum.reduce({%{}, []}, fn {rel, stat}, {kept, stale} ->
        case Map.get(table, rel) do
          {^stat, _hash, _value} = entry when stat != nil ->
            if racy?(stat, written_at),
              do: {kept, [{rel, stat, entry} | stale]},
              else: {Map.put(kept, rel, entry), stale}

          entry ->
            {kept, [{rel, stat, entry} | stale]}
        end
      end)

    results = map(stale, &recompute(&1, root, compute))

    Enum.reduce(results, {kept, []}, fn
      {rel, :gone}, {table, changed} -> {table, [rel | changed]}
      {rel, {:same, entry}}, {table, changed} -> {Map.put(table, rel, entry), changed}
      {rel, {:new, entry}}, {table, changed} -> {Map.put(table, rel, entry), [rel | changed]}
    end)
    |> then(fn {table, changed} -> {table, Enum.sort(changed), length(stale)} end)
  end

  # One stat per file is most of a no-op compile. The calls block on the file system,
  # not on the CPU, so a few processes overlapping them pays even on two cores.
  defp stats(files, root) when length(files) < 200,
    do: Enum.map(files, &{&1, stat(Path.join(root, &1))})

  defp stats(files, root) do
    files
    |> Enum.chunk_every(div(length(files), 16) + 1)
    |> Enum.map(fn chunk ->
      Task.async(fn -> Enum.map(chunk, &{&1, stat(Path.join(root, &1))}) end)
    end)
    |> Enum.flat_map(&Task.await(&1, :infinity))
  end

  # The stat taken before reading is the one recorded: an edit landing after it shows
  # up as a changed stat on the next run, never as a missed change.
  defp recompute({_rel, nil, _old} = item, _root, _compute), do: {elem(item, 0), :gone}

  defp recompute({rel, stat, old}, root, compute) do
    case File.read(Path.join(root, rel)) do
      {:ok, content} ->
        hash = :erlang.md5(content)

        case old do
          {_, ^hash, value} -> {rel, {:same, {stat, hash, value}}}
          _ -> {rel, {:new, {stat, hash, compute.(rel, content)}}}
        end

      {:error, _} ->
        {rel, :gone}
    end
  end

  defp map(items, fun) when length(items) < 32, do: Enum.map(items, fun)

  # One long-lived worker per scheduler over a shared queue, not one process per file:
  # each parse then runs on an already grown heap instead of a fresh 233-word one.
  defp map(items, fun) do
    queue = :ets.new(:snakebridge_scan_queue, [:public, read_concurrency: true])
    :ets.insert(queue, items |> Enum.with_index() |> Enum.map(fn {item, i} -> {i, item} end))
    counter = :atomics.new(1, signed: false)
    count = length(items)

    result =
      1..System.schedulers_online()
      |> Enum.map(fn _ ->
        Task.async(fn ->
          Process.flag(:min_heap_size, 65_536)
          drain(queue, counter, count, fun, [])
        end)
      end)
      |> Enum.flat_map(&Task.await(&1, :infinity))

    :ets.delete(queue)
    result
  end

  defp drain(queue, counter, count, fun, acc) do
    # add_get is one atomic step: every index goes to exactly one worker.
    i = :atomics.add_get(counter, 1, 1) - 1

    if i >= count do
      acc
    else
      [{^i, item}] = :ets.lookup(queue, i)
      drain(queue, counter, count, fun, [fun.(item) | acc])
    end
  end

  defp stat(path) do
    case :prim_file.read_file_info(path, [{:time, :posix}]) do
      {:ok,
       {:file_info, size, :regular, _access, _atime, mtime, _ctime, _mode, _links, _major, _minor,
        inode, _uid, _gid}} ->
        {mtime, size, inode}

      _ ->
        nil
    end
  end

  defp racy?({mtime, _size, _inode}, written_at), do: mtime >= written_at - 1
end
