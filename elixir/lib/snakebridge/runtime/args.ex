defmodule SnakeBridge.Runtime.Args do
  @moduledoc """
  Turns the arguments of an Elixir call into the positional and keyword arguments of
  the Python call, following the descriptor the generator emitted.

  Why a module of its own: these rules are the other half of the generator's arity and
  keyword rules (what a generated function accepts is decided in Python at generation
  time, and enforced here at call time, before anything is sent). Keeping them apart
  from the call path lets the two halves change together without touching pooling.

  The last argument of every call, `opts`, is a keyword list: every key except
  `:snakebridge` is a Python keyword argument; the `:snakebridge` key holds runtime
  options, which `SnakeBridge.Runtime` checks.
  """

  @doc """
  Splits the extra arguments of a `*args` wrapper: a trailing keyword list (`[]`
  included) is `opts`, everything else is positional, in order, after `required`.
  """
  @spec split_varargs(list, list) :: {list, keyword}
  def split_varargs(required, extra) do
    case Enum.split(extra, -1) do
      {init, [last]} when is_list(last) ->
        if Keyword.keyword?(last), do: {required ++ init, last}, else: {required ++ extra, []}

      _ ->
        {required ++ extra, []}
    end
  end

  @doc """
  Checks and shapes one call's arguments. Returns `{:ok, args, kwargs, runtime_opts}`
  or `{:error, message}` naming the problem and the fix.
  """
  @spec shape(map, term, term) :: {:ok, list, keyword, term} | {:error, String.t()}
  def shape(descriptor, args, opts) do
    cond do
      not proper_list?(args) ->
        {:error,
         "positional arguments must be a proper list, got #{inspect(args, limit: 5)}; " <>
           "a `*args` parameter takes a list (e.g. `diff(f, [x])`, not `diff(f, x)`)"}

      not is_list(opts) or not Keyword.keyword?(opts) ->
        {:error,
         "opts must be a keyword list (Python keyword arguments), got #{inspect(opts, limit: 5)}"}

      true ->
        {sb, kwargs} = Keyword.pop(opts, :snakebridge, [])

        with {:ok, args, kwargs} <- move_optional_positional(descriptor, args, kwargs),
             :ok <- check_kwargs(descriptor, kwargs) do
          {:ok, args, kwargs, sb}
        end
    end
  end

  defp proper_list?(list) when is_list(list) do
    _ = length(list)
    true
  rescue
    ArgumentError -> false
  end

  defp proper_list?(_other), do: false

  defp move_optional_positional(descriptor, args, kwargs) do
    names = Map.get(descriptor, :optional_positional, [])

    if names == [] do
      {:ok, args, kwargs}
    else
      {moved, gap, kwargs} =
        Enum.reduce(names, {[], nil, kwargs}, fn name, {moved, gap, kwargs} ->
          key = String.to_atom(name)

          case Keyword.fetch(kwargs, key) do
            {:ok, value} when gap == nil -> {[value | moved], nil, Keyword.delete(kwargs, key)}
            {:ok, _value} -> {moved, {gap, name}, kwargs}
            :error -> {moved, gap || name, kwargs}
          end
        end)

      case gap do
        {missing, given} ->
          {:error,
           "#{given}: is positional-only and comes after #{missing}:, which was not given; pass #{missing}: too"}

        _ ->
          {:ok, args ++ Enum.reverse(moved), kwargs}
      end
    end
  end

  defp check_kwargs(%{kwargs: :any}, _kwargs), do: :ok
  defp check_kwargs(%{kwargs: accepted}, []) when is_list(accepted), do: :ok

  defp check_kwargs(%{kwargs: accepted} = descriptor, kwargs) when is_list(accepted) do
    case Enum.reject(Keyword.keys(kwargs), &(Atom.to_string(&1) in accepted)) do
      [] ->
        :ok

      unknown ->
        valid =
          if accepted == [],
            do: "it takes no keyword arguments",
            else: "valid: " <> Enum.join(accepted, ", ")

        {:error,
         "unknown keyword argument(s) #{Enum.map_join(unknown, ", ", &"#{&1}:")} for " <>
           "#{descriptor.python_module}.#{descriptor.function}; #{valid}. Runtime options go under `snakebridge: [...]`"}
    end
  end

  defp check_kwargs(_descriptor, _kwargs), do: :ok
end
