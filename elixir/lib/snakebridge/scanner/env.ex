defmodule SnakeBridge.Scanner.Env do
  @moduledoc """
  The lexical environment the scanner threads through a file: the enclosing module,
  its aliases and imports, and the module's own function names (which win over imports).

  It mirrors what Elixir's compiler tracks for name resolution, and nothing more: an
  `alias`, `import` or `require ..., as:` changes the environment for the statements that
  follow it in the same block, and nested blocks (`def`, `fn`, `case` clauses, ...) get a
  copy that is dropped when the block ends.
  """

  defstruct module: nil,
            aliases: %{},
            imports: [],
            locals: MapSet.new(),
            roots: [],
            heads: MapSet.new(),
            keywords: false

  @type import_spec :: %{
          module: String.t(),
          library: boolean,
          only: nil | MapSet.t({atom, non_neg_integer}),
          except: MapSet.t({atom, non_neg_integer})
        }

  @type t :: %__MODULE__{
          module: String.t() | nil,
          aliases: %{atom => String.t()},
          imports: [import_spec],
          locals: MapSet.t({atom, non_neg_integer}),
          roots: [String.t()],
          heads: MapSet.t(atom),
          keywords: boolean
        }

  @doc "A fresh file-level environment for the given library root modules."
  @spec new([String.t()]) :: t
  def new(roots) do
    heads =
      for root <- roots,
          into: MapSet.new(),
          do: root |> String.split(".") |> hd() |> String.to_atom()

    %__MODULE__{roots: roots, heads: heads}
  end

  @doc """
  `expand/2` for the target of a remote call, returning `nil` early (without building
  any string) when the alias cannot name a library module: most remote calls in a file
  are `Enum.map` and friends, and this runs for every one of them.
  """
  @spec library_target(Macro.t(), t) :: String.t() | nil
  def library_target({:__aliases__, _, [first | _]} = ast, env) when is_atom(first) do
    if Map.has_key?(env.aliases, first) or MapSet.member?(env.heads, first) do
      module = expand(ast, env)
      if library?(module, env), do: module
    end
  end

  def library_target(ast, env) do
    module = expand(ast, env)
    if library?(module, env), do: module
  end

  @doc """
  Expands an alias AST (`{:__aliases__, _, segments}`, `__MODULE__`, an atom) to a module
  name string, or `nil` when it is not statically known (a variable, an Erlang module).
  """
  @spec expand(Macro.t(), t) :: String.t() | nil
  def expand({:__aliases__, _, [first | rest]}, env) do
    head =
      case first do
        atom when is_atom(atom) -> Map.get(env.aliases, atom, Atom.to_string(atom))
        {:__MODULE__, _, ctx} when is_atom(ctx) -> env.module
        _ -> nil
      end

    cond do
      head == nil -> nil
      Enum.all?(rest, &is_atom/1) -> Enum.join([head | Enum.map(rest, &Atom.to_string/1)], ".")
      true -> nil
    end
  end

  def expand({:__MODULE__, _, ctx}, env) when is_atom(ctx), do: env.module

  def expand(atom, _env) when is_atom(atom) and atom not in [nil, true, false] do
    case Atom.to_string(atom) do
      "Elixir." <> name -> name
      _erlang -> nil
    end
  end

  def expand(_other, _env), do: nil

  @doc "Whether the module name is a declared library's root module or nested under one."
  @spec library?(String.t() | nil, t | [String.t()]) :: boolean
  def library?(nil, _), do: false
  def library?(module, %__MODULE__{roots: roots}), do: library?(module, roots)

  def library?(module, roots) when is_list(roots) do
    Enum.any?(roots, fn root ->
      module == root or
        (byte_size(module) > byte_size(root) and
           binary_part(module, 0, byte_size(root) + 1) == root <> ".")
    end)
  end

  @doc "Adds `alias full, as: short`."
  @spec put_alias(t, atom, String.t()) :: t
  def put_alias(env, short, full), do: %{env | aliases: Map.put(env.aliases, short, full)}

  @doc "The last segment of a module name as the atom `alias` would define."
  @spec last_segment(String.t()) :: atom
  def last_segment(full) do
    full |> String.split(".") |> List.last() |> String.to_atom()
  end

  @doc "Adds an import; a later import of the same module replaces the earlier one."
  @spec put_import(t, import_spec) :: t
  def put_import(env, spec) do
    imports = Enum.reject(env.imports, &(&1.module == spec.module))
    %{env | imports: imports ++ [spec]}
  end
end
