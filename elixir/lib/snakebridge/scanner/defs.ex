defmodule SnakeBridge.Scanner.Defs do
  @moduledoc """
  The functions a module body defines, as `{name, arity}` pairs.

  Used twice: by the scanner, because a module's own functions win over imported ones
  (`mean(x)` in a module that defines `mean/1` is not `Numpy.mean/1`), and to read
  which bindings the committed generated source already defines. Default arguments
  count: `def mean(a, opts \\\\ [])` defines `mean/1` and `mean/2`.
  """

  @def_kinds [:def, :defp, :defmacro, :defmacrop, :defguard, :defguardp, :defdelegate]
  @public_kinds [:def, :defmacro, :defguard, :defdelegate]

  @doc "The definition kinds that introduce a function head."
  def def_kinds, do: @def_kinds

  @doc """
  `{name, arity}` pairs defined directly in a module body (not in nested modules).
  With `public: true` only `def`, `defmacro`, `defguard` and `defdelegate` count.
  """
  @spec in_body(Macro.t(), keyword) :: MapSet.t({atom, non_neg_integer})
  def in_body(body, opts \\ []) do
    kinds = if Keyword.get(opts, :public, false), do: @public_kinds, else: @def_kinds

    body
    |> statements()
    |> Enum.flat_map(fn
      {kind, _, [head | _]} -> if kind in kinds, do: head_arities(head), else: []
      _ -> []
    end)
    |> MapSet.new()
  end

  @doc "The statements of a body: a `__block__`'s expressions, or the single expression."
  @spec statements(Macro.t()) :: [Macro.t()]
  def statements({:__block__, _, exprs}) when is_list(exprs), do: exprs
  def statements(nil), do: []
  def statements(expr), do: [expr]

  @doc """
  The `{name, arity}` pairs a definition head introduces, e.g. for
  `mean(a, opts \\\\ []) when is_list(opts)` → `[{:mean, 1}, {:mean, 2}]`.
  """
  @spec head_arities(Macro.t()) :: [{atom, non_neg_integer}]
  def head_arities({:when, _, [head | _]}), do: head_arities(head)

  def head_arities({name, _, args}) do
    case head_name(name) do
      nil ->
        []

      name ->
        args = if is_list(args), do: args, else: []
        max = length(args)

        case Enum.count(args, &match?({:\\, _, [_, _]}, &1)) do
          0 -> [{name, max}]
          defaults -> for arity <- (max - defaults)..max, do: {name, arity}
        end
    end
  end

  def head_arities(_), do: []

  defp head_name(name) when is_atom(name), do: name
  defp head_name({:unquote, _, [name]}) when is_atom(name), do: name
  defp head_name({:unquote, _, [name]}) when is_binary(name), do: String.to_atom(name)
  defp head_name(_), do: nil
end
