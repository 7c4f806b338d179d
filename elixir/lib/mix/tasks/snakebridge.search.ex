defmodule Mix.Tasks.Snakebridge.Search do
  @shortdoc "Searches every declared library's docs, generated or not"
  @moduledoc """
  Ranks the symbols of every declared Python library against a query and prints each
  match's Elixir spelling, Python name and summary, best first:

      mix snakebridge.search "solve linear system" [--limit 10] [--library numpy]
                             [--source metadata|python|hybrid]

  Answers from the source `docs: [source: ...]` names in mix.exs (`SnakeBridge.Docs`):
  the committed docs index for `:metadata` (no Python started), live introspection for
  `:python`, the index then Python for `:hybrid`.
  """
  use Mix.Task

  @sources %{"metadata" => :metadata, "python" => :python, "hybrid" => :hybrid}

  @impl Mix.Task
  def run(argv) do
    Mix.Project.get!()

    {opts, words, invalid} =
      OptionParser.parse(argv,
        strict: [limit: :integer, library: :keep, source: :string]
      )

    if invalid != [] or words == [] or (opts[:source] && !@sources[opts[:source]]) do
      Mix.raise(
        "usage: mix snakebridge.search \"query\" [--limit N] [--library NAME] " <>
          "[--source metadata|python|hybrid]"
      )
    end

    search_opts =
      [limit: opts[:limit] || 10]
      |> put_if(:source, opts[:source] && @sources[opts[:source]])
      |> put_if(:libraries, Keyword.get_values(opts, :library) |> non_empty())

    case SnakeBridge.Docs.search(Enum.join(words, " "), search_opts) do
      {:ok, []} ->
        Mix.shell().info("no matches for #{inspect(Enum.join(words, " "))}")

      {:ok, entries} ->
        Enum.each(entries, &Mix.shell().info(SnakeBridge.Docs.line(&1)))

      {:error, message} ->
        Mix.shell().error("snakebridge search: " <> message)
        exit({:shutdown, 1})
    end
  end

  defp put_if(opts, _key, nil), do: opts
  defp put_if(opts, key, value), do: Keyword.put(opts, key, value)

  defp non_empty([]), do: nil
  defp non_empty(list), do: list
end
