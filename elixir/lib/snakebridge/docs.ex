defmodule SnakeBridge.Docs do
  @moduledoc """
  Docs and search over every declared library's whole public surface, including the
  symbols the app has not generated yet: what you need before writing the call.

  Who answers depends on `docs: [source: ...]` in mix.exs:

    * `:metadata` — the committed index `.snakebridge/docs/<library>.tsv`, which
      generation writes (`snakebridge.docs_index`). No Python is started, so it works
      offline and in strict CI.
    * `:python` (default) — live introspection: the project's interpreter walks the
      library (once per VM; cached) and reads the full docstring of the symbol asked for.
    * `:hybrid` — the index first; Python for a library without one, or a symbol it
      does not list.

  Each answer is an entry map: `:library`, `:python` (dotted name), `:kind`
  (`"module"`, `"class"`, `"function"`, `"method"`), `:elixir` (its Elixir spelling,
  `"Numpy.Linalg.inv(a)"`), `:signature` (Python's), `:summary`, and for `doc/2` also
  `:doc` (the full text when Python or the generated module has it, else `nil`) and
  `:source` (who answered). The ranking of `search/2` lives here, so
  `mix snakebridge.search`, `SnakeBridge.h/1` and `__search__/1` agree.
  """

  alias SnakeBridge.Runtime.Settings

  @type entry :: %{
          required(:library) => String.t(),
          required(:python) => String.t(),
          required(:kind) => String.t(),
          required(:elixir) => String.t(),
          required(:signature) => String.t(),
          required(:summary) => String.t(),
          optional(atom) => term
        }

  @stopwords ~w(a an the of to for in on and or with by from is are as at into its it be
                this that using use given)

  @doc """
  The entries of every declared library (or `libraries:`) matching `query`, best first.

  Options: `:limit` (default 10), `:libraries` (names), `:source` (overrides mix.exs).
  """
  @spec search(String.t(), keyword) :: {:ok, [entry]} | {:error, String.t()}
  def search(query, opts \\ []) when is_binary(query) do
    settings = Settings.load()
    source = Keyword.get(opts, :source, settings.docs.source)
    names = Keyword.get(opts, :libraries, Map.keys(settings.libraries))

    with {:ok, entries} <- collect(settings, names, source) do
      {:ok, entries |> rank(query) |> Enum.take(Keyword.get(opts, :limit, 10))}
    end
  end

  @doc """
  The docs of one symbol, generated or not: `doc(Numpy.Linalg, :inv)`,
  `doc("numpy.linalg", "inv")` (a Python module path), `doc(Numpy, "ndarray")`.

  A generated binding answers from its own `@doc`; otherwise the configured source.
  """
  @spec doc(module | String.t(), atom | String.t()) :: {:ok, entry} | {:error, String.t()}
  def doc(module, name)
      when (is_atom(module) or is_binary(module)) and (is_atom(name) or is_binary(name)) do
    settings = Settings.load()
    name = to_string(name)

    with {:ok, library} <- library_for(settings, module) do
      generated(module, name) || lookup(settings, library, module, name)
    end
  end

  @doc """
  Prints the docs of `what` in IEx: `SnakeBridge.h("numpy.linalg.inv")`,
  `SnakeBridge.h("Numpy.Linalg.inv")`. When nothing has that name, prints the best
  search matches for it instead.
  """
  @spec h(String.t()) :: :ok
  def h(what) when is_binary(what) do
    {module, name} = split_name(what)

    case doc(module, name) do
      {:ok, entry} ->
        IO.puts(format(entry))

      {:error, message} ->
        settings = Settings.load()

        scope =
          case library_for(settings, module) do
            {:ok, library} -> [libraries: [library]]
            {:error, _} -> []
          end

        case search(String.replace(name, "_", " "), [limit: 5] ++ scope) do
          {:ok, [_ | _] = matches} ->
            IO.puts("#{message}\nClosest matches:\n" <> Enum.map_join(matches, "\n", &line/1))

          _ ->
            IO.puts(message)
        end
    end
  end

  @doc """
  For a generated module's `__search__/1`: index (or live) entries matching `query`
  (substring of the Elixir name, Python name or summary, as `SnakeBridge.Discovery`
  matches) that have no binding yet and whose closest generated module is `module`,
  so each is reported once however deep the search recurses.
  """
  @spec not_generated(module, String.t()) :: [map]
  def not_generated(module, query) do
    settings = Settings.load()
    needle = String.downcase(query)

    with {:ok, library} <- library_for(settings, module),
         {:ok, entries} <- collect(settings, [library], settings.docs.source) do
      prefix = inspect(module)

      for entry <- entries,
          {mod, fun} = elixir_name(entry),
          String.starts_with?(mod, prefix),
          String.contains?(String.downcase("#{fun} #{entry.python} #{entry.summary}"), needle),
          owner(mod, fun) == module do
        Map.merge(entry, %{module: mod, name: fun, generated: false})
      end
    else
      _ -> []
    end
  end

  @doc "One line for a listing: the Elixir spelling, the Python name and the summary."
  @spec line(entry) :: String.t()
  def line(entry), do: "  #{entry.elixir}  (#{entry.python})  #{entry.summary}"

  # -------------------------------------------------------------------- ranking

  @doc false
  # Query words found in the symbol's own name weigh most (a name word that starts a query
  # word counts: `inv` for "inverse"), then words of the summary; covering every word
  # adds a bonus. Ties: fewer dots, then the Python name.
  @spec rank([entry], String.t()) :: [entry]
  def rank(entries, query) do
    words = words(query)

    entries
    |> Enum.map(&{score(&1, words), &1})
    |> Enum.filter(fn {score, _} -> score > 0 end)
    |> Enum.sort_by(fn {score, e} -> {-score, dots(e.python), e.python} end)
    |> Enum.map(fn {_, e} -> e end)
  end

  defp score(_entry, []), do: 0

  defp score(entry, words) do
    name = entry.python |> String.split(".") |> List.last() |> name_words()
    summary = words(entry.summary)

    hits =
      for word <- words do
        in_name =
          cond do
            word in name -> 5
            Enum.any?(name, &prefix_match?(&1, word)) -> 3
            true -> 0
          end

        in_summary =
          cond do
            Enum.any?(summary, &same_word?(&1, word)) -> 2
            Enum.any?(summary, &(byte_size(word) >= 4 and String.starts_with?(&1, word))) -> 1
            true -> 0
          end

        in_name + in_summary
      end

    # Name words the query does not ask for (`quick` in `inv_quick`) cost a little.
    extra =
      Enum.count(name, fn part ->
        not Enum.any?(words, &(&1 == part or prefix_match?(part, &1)))
      end)

    total = Enum.sum(hits)
    covered = if Enum.all?(hits, &(&1 > 0)), do: 3, else: 0
    if total > 0, do: total + covered - extra - kind_penalty(entry.kind), else: 0
  end

  # Most searches are for something to call: functions first, then classes and methods.
  defp kind_penalty("function"), do: 0
  defp kind_penalty(_), do: 1

  defp prefix_match?(name_word, word) do
    byte_size(name_word) >= 3 and
      (String.starts_with?(word, name_word) or
         (byte_size(word) >= 3 and String.starts_with?(name_word, word)))
  end

  defp same_word?(a, b), do: a == b or stem(a) == stem(b)

  defp stem(word) do
    Enum.find_value(~w(ing es s ed), word, fn suffix ->
      if String.ends_with?(word, suffix) and byte_size(word) > byte_size(suffix) + 2,
        do: String.slice(word, 0, String.length(word) - String.length(suffix))
    end)
  end

  defp words(text) do
    text
    |> String.downcase()
    |> String.split(~r/[^a-z0-9]+/, trim: true)
    |> Enum.reject(&(&1 in @stopwords))
  end

  # `solve_ivp` -> ["solve", "ivp"], `LinAlgError` -> ["lin", "alg", "error"].
  defp name_words(name) do
    name
    |> String.replace(~r/([a-z0-9])([A-Z])/, "\\1_\\2")
    |> words()
  end

  defp dots(python), do: python |> String.graphemes() |> Enum.count(&(&1 == "."))

  # -------------------------------------------------------------------- sources

  defp collect(settings, names, source) do
    Enum.reduce_while(names, {:ok, []}, fn name, {:ok, acc} ->
      case entries(settings, name, source) do
        {:ok, entries} -> {:cont, {:ok, acc ++ entries}}
        {:error, _} = error -> {:halt, error}
      end
    end)
  end

  defp entries(settings, name, :metadata), do: read_index(settings.root, name)
  defp entries(settings, name, :python), do: live(settings, name)

  defp entries(settings, name, :hybrid) do
    case read_index(settings.root, name) do
      {:ok, entries} -> {:ok, entries}
      {:error, _} -> live(settings, name)
    end
  end

  @doc "The path of a library's docs index under the project root."
  @spec index_path(String.t(), String.t()) :: String.t()
  def index_path(root, library), do: Path.join([root, ".snakebridge", "docs", "#{library}.tsv"])

  @doc false
  @spec read_index(String.t(), String.t()) :: {:ok, [entry]} | {:error, String.t()}
  def read_index(root, library) do
    path = index_path(root, library)

    case File.stat(path, time: :posix) do
      {:ok, %{mtime: mtime, size: size}} ->
        cached({:index, path, mtime, size}, fn -> {:ok, parse(File.read!(path), library)} end)

      {:error, _} ->
        {:error,
         "#{library} has no docs index (#{path}); it is written at generation when " <>
           "mix.exs has `docs: [source: :metadata]` or `:hybrid`: run `mix snakebridge.generate`"}
    end
  end

  # A class's `bases` row (its indexed library bases, in resolution order) becomes the
  # class entry's `:bases`, where `find/4` looks for the methods it inherits.
  defp parse(text, library) do
    rows =
      for line <- String.split(text, "\n", trim: true),
          not String.starts_with?(line, "#"),
          [python, kind, elixir, signature, summary] <- [String.split(line, "\t")] do
        %{
          library: library,
          python: python,
          kind: kind,
          elixir: elixir,
          signature: signature,
          summary: summary
        }
      end

    {bases, symbols} = Enum.split_with(rows, &(&1.kind == "bases"))
    bases = Map.new(bases, &{&1.python, String.split(&1.signature)})

    Enum.map(symbols, fn
      %{kind: "class"} = entry -> Map.put(entry, :bases, Map.get(bases, entry.python, []))
      entry -> entry
    end)
  end

  defp live(settings, name) do
    with {:ok, lib} <- fetch_library(settings, name),
         {:ok, python} <- settings.python do
      cached({:live, python, name}, fn ->
        with {:ok, text} <-
               child(settings, ["walk", lib.python_module, inspect(lib.module_name)]),
             do: {:ok, parse(text, name)}
      end)
    end
  end

  defp lookup(settings, library, module, name) do
    source = settings.docs.source

    with {:ok, entries} <- entries(settings, library, source),
         {:ok, entry} <- find(entries, module, name, library) do
      full_doc(settings, entry, source)
    else
      {:error, _} = error when source == :hybrid ->
        case lookup(%{settings | docs: %{source: :python}}, library, module, name) do
          {:ok, entry} -> {:ok, entry}
          _ -> error
        end

      {:error, _} = error ->
        error
    end
  end

  defp full_doc(_settings, entry, :metadata),
    do: {:ok, Map.merge(entry, %{doc: nil, source: :metadata})}

  # :python reads the full docstring; :hybrid too when Python is there, else the index's.
  defp full_doc(settings, entry, source) do
    with {:ok, _python} <- settings.python,
         {:ok, text} <- child(settings, ["lookup", entry.python]) do
      {signature, doc} =
        case String.split(text, "\n", parts: 2) do
          [signature, doc] -> {signature, doc}
          [signature] -> {signature, ""}
        end

      {:ok, Map.merge(entry, %{signature: signature, doc: doc, source: :python})}
    else
      {:error, _} when source == :hybrid ->
        {:ok, Map.merge(entry, %{doc: nil, source: :metadata})}

      {:error, _} = error ->
        error
    end
  end

  defp find(entries, module, name, library) do
    match =
      if is_binary(module) do
        dotted = module <> "." <> name
        Enum.find(entries, &(&1.python == dotted))
      else
        prefix = inspect(module)

        Enum.find(entries, &(elixir_name(&1) == {prefix, name})) ||
          Enum.find(entries, &(python_leaf(&1) == name and container(&1) == prefix))
      end

    case match || inherited(entries, module, name) do
      nil ->
        where = if is_binary(module), do: module, else: inspect(module)
        {:error, "#{library} has no public symbol #{name} in #{where} (searched its docs)"}

      entry ->
        {:ok, entry}
    end
  end

  # A method the class inherits from an indexed base: the base's entry, named and spelled
  # as the class's (`sympy.Matrix.inv`, `Sympy.Matrix.inv(ref, opts)`).
  defp inherited(entries, module, name) do
    class =
      if is_binary(module),
        do: Enum.find(entries, &(&1.kind == "class" and &1.python == module)),
        else: Enum.find(entries, &(&1.kind == "class" and class_module(&1) == inspect(module)))

    Enum.find_value((class && class.bases) || [], fn base ->
      with %{} = entry <-
             Enum.find(entries, &(&1.kind == "method" and &1.python == "#{base}.#{name}")) do
        {base_module, _} = elixir_name(entry)

        %{
          entry
          | python: "#{class.python}.#{name}",
            elixir: String.replace_prefix(entry.elixir, base_module, class_module(class))
        }
      end
    end)
  end

  # `Sympy.Matrix` for the class entry spelled `Sympy.Matrix.new(...)`.
  defp class_module(class), do: elem(elixir_name(class), 0)

  defp generated(module, name) when is_atom(module) do
    if Code.ensure_loaded?(module) and function_exported?(module, :__functions__, 0) do
      case Enum.find(module.__functions__(), &(name in [Atom.to_string(&1.name), &1.python_name])) do
        nil ->
          nil

        entry ->
          {:ok,
           %{
             library: nil,
             python: entry.python,
             kind: to_string(entry[:kind] || "function"),
             elixir: "#{inspect(module)}.#{entry.name}",
             signature: "",
             summary: entry.summary,
             doc: SnakeBridge.Discovery.doc(module, name),
             source: :generated
           }}
      end
    end
  end

  defp generated(_module, _name), do: nil

  # ------------------------------------------------------------------- helpers

  defp library_for(settings, module) when is_binary(module) do
    root = module |> String.split(".") |> hd()

    case Enum.find(settings.libraries, fn {_, lib} -> lib.python_module == root end) do
      {name, _} -> {:ok, name}
      nil -> {:error, "#{root} is not a declared library (declared: #{declared(settings)})"}
    end
  end

  defp library_for(settings, module) when is_atom(module) do
    name = inspect(module)

    found =
      Enum.find(settings.libraries, fn {_, lib} ->
        root = inspect(lib.module_name)
        name == root or String.starts_with?(name, root <> ".")
      end)

    case found do
      {library, _} -> {:ok, library}
      nil -> {:error, "#{name} belongs to no declared library (declared: #{declared(settings)})"}
    end
  end

  defp declared(settings), do: settings.libraries |> Map.keys() |> Enum.sort() |> Enum.join(", ")

  defp fetch_library(settings, name) do
    case Map.fetch(settings.libraries, name) do
      {:ok, lib} -> {:ok, lib}
      :error -> {:error, "#{name} is not a declared library (declared: #{declared(settings)})"}
    end
  end

  defp split_name(what) do
    {module, [name]} = what |> String.split(".") |> Enum.split(-1)
    module = Enum.join(module, ".")

    if module =~ ~r/^[A-Z]/ do
      case safe_module(module) do
        nil -> {module |> String.split(".") |> Enum.map_join(".", &Macro.underscore/1), name}
        atom -> {atom, name}
      end
    else
      {module, name}
    end
  end

  defp safe_module(name) do
    String.to_existing_atom("Elixir." <> name)
  rescue
    ArgumentError -> nil
  end

  # "Numpy.Linalg.inv(a)" -> {"Numpy.Linalg", "inv"}
  defp elixir_name(%{elixir: elixir}) do
    [path | _] = String.split(elixir, "(", parts: 2)
    {mod, [fun]} = path |> String.split(".") |> Enum.split(-1)
    {Enum.join(mod, "."), fun}
  end

  defp python_leaf(entry), do: entry.python |> String.split(".") |> List.last()

  # The Elixir module a symbol is listed in: a class in its parent module.
  defp container(%{kind: "class"} = entry) do
    {mod, _new} = elixir_name(entry)
    mod |> String.split(".") |> Enum.drop(-1) |> Enum.join(".")
  end

  defp container(entry), do: elem(elixir_name(entry), 0)

  # The closest generated module at or above `mod`; nil for a binding `mod` already has.
  defp owner(mod, fun) do
    case safe_module(mod) do
      nil ->
        parent(mod, fun)

      atom ->
        cond do
          not (Code.ensure_loaded?(atom) and function_exported?(atom, :__functions__, 0)) ->
            parent(mod, fun)

          Enum.any?(atom.__functions__(), &(Atom.to_string(&1.name) == fun)) ->
            nil

          true ->
            atom
        end
    end
  end

  defp parent(mod, fun) do
    case mod |> String.split(".") |> Enum.drop(-1) do
      [] -> nil
      parts -> owner(Enum.join(parts, "."), fun)
    end
  end

  defp child(settings, args) do
    {:ok, python} = settings.python
    out = Path.join(System.tmp_dir!(), "snakebridge-docs-#{System.unique_integer([:positive])}")

    try do
      env = [{"PYTHONPATH", settings.python_path}]

      case System.cmd(python, ["-m", "snakebridge.docs_index" | args] ++ [out],
             env: env,
             stderr_to_stdout: true
           ) do
        {_, 0} ->
          {:ok, File.read!(out)}

        {output, status} ->
          {:error,
           "Python (#{python}) could not read the docs (exit #{status}): " <>
             String.slice(String.trim(output), -800, 800)}
      end
    after
      File.rm(out)
    end
  end

  defp cached(key, fun) do
    key = {__MODULE__, key}

    case :persistent_term.get(key, nil) do
      nil ->
        with {:ok, _} = result <- fun.() do
          :persistent_term.put(key, result)
          result
        end

      result ->
        result
    end
  end

  defp format(entry) do
    doc = entry[:doc] || entry.summary

    """
    #{entry.elixir}

    Python: #{entry.python}#{entry.signature}   (#{entry.kind}; docs from #{entry.source})

    #{doc}
    """
  end
end
