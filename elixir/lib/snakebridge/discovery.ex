defmodule SnakeBridge.Discovery do
  @moduledoc """
  The search and doc-lookup logic behind every generated module's `__search__/1` and
  `doc/1`, answered offline from the module's own data.

  Why a module of its own: each generated module carries only its data (the function
  entries returned by `__functions__/0`, and the modules nested under it) and one-line
  definitions delegating here. Written into every generated module, the same logic
  was a ~70-line block repeated per Python module and class: bigger files, longer
  compiles and one copy per module to keep in step.

  A generated module `M` answers:

    * `M.__functions__()`: one map per wrapped function (`:name`, `:arities`,
      `:python`, `:python_name`, `:kind`, `:streaming`, `:summary`);
    * `M.__classes__()`: one map per wrapped class (`:module`, `:python`, `:summary`);
    * `M.__search__(query)`: `search(M, nested, query)`;
    * `M.doc(name)`: `doc(M, name)`.
  """

  @typedoc "One entry of a generated module's `__functions__/0`."
  @type entry :: %{
          required(:name) => atom(),
          required(:python) => String.t(),
          required(:python_name) => String.t(),
          required(:summary) => String.t(),
          optional(atom()) => term()
        }

  @doc """
  The functions of `module` and of the generated modules in `nested` (searched through
  their own `__search__/1`) whose Elixir name, Python name or summary contains `query`,
  case-insensitively. Each result is a `__functions__/0` entry plus `:module`; then the
  library's symbols that have no binding yet, from its docs (`SnakeBridge.Docs`,
  `generated: false`, `:module` and `:name` as strings).
  """
  @spec search(module(), [module()], String.t()) :: [map()]
  def search(module, nested, query)
      when is_atom(module) and is_list(nested) and is_binary(query) do
    needle = String.downcase(query)

    own =
      for entry <- module.__functions__(), matches?(entry, needle) do
        Map.put(entry, :module, module)
      end

    own ++
      Enum.flat_map(nested, & &1.__search__(query)) ++
      SnakeBridge.Docs.not_generated(module, query)
  end

  defp matches?(entry, needle) do
    [Atom.to_string(entry.name), entry.python, entry.summary]
    |> Enum.join(" ")
    |> String.downcase()
    |> String.contains?(needle)
  end

  @doc """
  The Markdown documentation of the function `module` generated for `name` (its Elixir
  name, as an atom or string, or its Python name), or `nil` when there is none.

  Reads the docs chunk (`Code.fetch_docs/1`); when the module was compiled without
  docs, the function's one-line summary.
  """
  @spec doc(module(), atom() | String.t()) :: String.t() | nil
  def doc(module, name) when is_atom(module) and (is_atom(name) or is_binary(name)) do
    wanted = to_string(name)

    case Enum.find(module.__functions__(), &(wanted in [Atom.to_string(&1.name), &1.python_name])) do
      nil -> nil
      entry -> fetch(module, entry)
    end
  end

  defp fetch(module, %{name: name} = entry) do
    case Code.fetch_docs(module) do
      {:docs_v1, _, _, _, _, _, docs} ->
        # Several arities may carry docs (*args wrappers); the full one is the longest.
        texts = for {{:function, ^name, _}, _, _, %{"en" => text}, _} <- docs, do: text
        Enum.max_by(texts, &byte_size/1, fn -> entry.summary end)

      _ ->
        entry.summary
    end
  end
end
