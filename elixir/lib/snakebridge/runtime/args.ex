defmodule SnakeBridge.Runtime.Args do
  @moduledoc """
  Turns the arguments of an Elixir call into the positional and keyword arguments of
  the Python call, following the descriptor the generator emitted.

  Why a module of its own: these rules are the other half of the generator's arity and
  keyword rules (what a generated function accepts is decided in Python at generation
  time, and enforced here at call time, before anything is sent). Keeping them apart
  from the call path lets the two halves change together without touching pooling.

  The last argument of every call, `opts`, is a keyword list (or, from a generated
  wrapper that was not given it, `python_default/0`: then the last argument given may
  be `opts`, see `shape/3`): every key except
  `:snakebridge` is a Python keyword argument; the `:snakebridge` key holds runtime
  options, which `SnakeBridge.Runtime` checks. A Python keyword argument literally named
  `snakebridge` is spelled with a trailing underscore, `snakebridge_: value`, Python's
  own convention for a name that is taken (`class_`). (`snakebridge_:` therefore always
  means Python's `snakebridge=`.)

  Descriptor keys read here (all optional; the generator's `shape.py` writes them):

    * `kwargs:` accepted keyword names, or `:any`
    * `positional:` Python names of the positional parameters, in order (a method's ref
      not counted), `required:` how many of them are required, `positional_only:` the
      optional ones Python refuses by keyword (given in `opts`, they are moved into
      place), `varargs:` whether a `*args` takes any number of further positionals
    * `optional_positional:` (descriptors written by hand) positional-only names that
      follow the arguments given, moved from opts into place

  A `SnakeBridge.Splat` (`SnakeBridge.splat/1`) as the last positional argument is
  expanded into its items before these checks, in every call (generated or dynamic), so
  a `*args` takes more positionals than a wrapper's arities spell out.
  """

  alias SnakeBridge.Splat

  # What a generated wrapper passes for an argument left out; Python's default applies.
  @python_default :__python_default__

  @doc "The value generated wrappers default their optional arguments to."
  @spec python_default() :: atom
  def python_default, do: @python_default

  @doc """
  Splits the extra arguments of a wrapper with optional positionals or `*args`:
  arguments left out (`python_default/0`, always a trailing run) are dropped, then a
  trailing keyword list (`[]` included) is `opts`, and everything else is positional,
  in order, after `required`. Without such a list `opts` is `python_default/0` (left
  out), and `shape/3` decides whether the last required argument is it.
  """
  @spec split_varargs(list, list) :: {list, keyword | :__python_default__}
  def split_varargs(required, extra) do
    extra = drop_left_out(extra)

    case Enum.split(extra, -1) do
      {init, [last]} when is_list(last) ->
        if Keyword.keyword?(last),
          do: {required ++ init, last},
          else: {required ++ extra, @python_default}

      _ ->
        {required ++ extra, @python_default}
    end
  end

  defp drop_left_out(args) do
    case :lists.last([nil | args]) do
      @python_default ->
        args |> Enum.reverse() |> Enum.drop_while(&(&1 == @python_default)) |> Enum.reverse()

      _ ->
        args
    end
  end

  @doc """
  Checks and shapes one call's arguments. Returns `{:ok, args, kwargs, runtime_opts}`
  or `{:error, message}` naming the problem and the fix.

  With `opts` given (a keyword list), every argument is what it stands for. With `opts`
  left out (`python_default/0`), trailing left-out arguments are dropped and the last
  argument given may be `opts`: below the descriptor's `required` count it must be, a
  keyword list naming every required parameter not given by position (Python's
  `date(year=2024, month=1, day=2)`); at or above it, a non-empty keyword list that names
  the parameter at its own position is `opts` (`shorten(text, width=12)`), any other
  value that parameter's value.
  """
  @spec shape(map, term, term) :: {:ok, list, keyword, term} | {:error, String.t()}
  def shape(descriptor, args, @python_default) do
    # `opts` left out (a generated wrapper's default): the last argument may be it.
    if proper_list?(args) do
      with {:ok, args, opts} <- named_required(descriptor, drop_left_out(args)) do
        shape(descriptor, args, opts)
      end
    else
      shape(descriptor, args, [])
    end
  end

  def shape(descriptor, args, opts) do
    # Most calls give plain positionals (no function, no splat) and no Python keyword
    # arguments: their checks come down to the positional ones.
    with {:ok, sb} <- runtime_only(opts),
         true <- plain?(args),
         {:ok, args, kwargs} <- check_positional(descriptor, args, []) do
      {:ok, args, kwargs, sb}
    else
      _ -> shape_any(descriptor, args, opts)
    end
  end

  defp runtime_only([]), do: {:ok, []}
  defp runtime_only([{:snakebridge, sb}]), do: {:ok, sb}
  defp runtime_only(_opts), do: :any

  # A proper list with no function and no `SnakeBridge.Splat` at its top level.
  defp plain?([]), do: true
  defp plain?([%Splat{} | _]), do: false
  defp plain?([arg | rest]) when not is_function(arg), do: plain?(rest)
  defp plain?(_args), do: false

  defp shape_any(descriptor, args, opts) do
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
        # A capture of a generated binding (`&Numpy.sum!/1`) is the Python object itself.
        kwargs = kwargs |> unreserve() |> SnakeBridge.PythonFunction.swap_kwargs()

        with {:ok, args} <- expand_splat(descriptor, args),
             args = SnakeBridge.PythonFunction.swap(args),
             {:ok, args, kwargs} <- check_positional(descriptor, args, kwargs),
             :ok <- check_kwargs(descriptor, kwargs) do
          {:ok, args, kwargs, sb}
        end
    end
  end

  # `SnakeBridge.splat(items)` as the last positional argument is Python's `*items`: its
  # items take its place. Calls without one pay one scan of the arguments, no allocation.
  defp expand_splat(descriptor, args) do
    case splat_position(args, 0) do
      :none ->
        {:ok, args}

      {:last, %Splat{items: items}} ->
        if proper_list?(items) do
          {:ok, Enum.drop(args, -1) ++ items}
        else
          {:error,
           "SnakeBridge.splat/1 takes a list, got #{inspect(items, limit: 5)} in a call to " <>
             name(descriptor)}
        end

      {:misplaced, at} ->
        {:error,
         "SnakeBridge.splat/1 stands for the rest of the positional arguments, so it can " <>
           "only be the last one (keyword arguments follow it as opts); got it as argument " <>
           "#{at + 1} of #{length(args)} in a call to #{name(descriptor)}"}
    end
  end

  defp splat_position([], _at), do: :none
  defp splat_position([%Splat{} = splat], _at), do: {:last, splat}
  defp splat_position([%Splat{} | _], at), do: {:misplaced, at}
  defp splat_position([_ | rest], at), do: splat_position(rest, at + 1)

  # `snakebridge_:` is the Python keyword `snakebridge` (the bare key is reserved).
  # keyfind is a BIF: calls without it pay one list scan, no allocation.
  defp unreserve(kwargs) do
    case :lists.keyfind(:snakebridge_, 1, kwargs) do
      false ->
        kwargs

      _ ->
        Enum.map(kwargs, fn
          {:snakebridge_, v} -> {:snakebridge, v}
          pair -> pair
        end)
    end
  end

  defp proper_list?(list) when is_list(list) do
    _ = length(list)
    true
  rescue
    ArgumentError -> false
  end

  defp proper_list?(_other), do: false

  # `opts` left out: is the last argument `opts`? Below the required count it must be,
  # and it must name every required parameter left out (`date(year: 2024, month: 1,
  # day: 2)`); at the required count a keyword list naming the parameter at its own
  # position is `opts` (`shorten(text, width: 12)`), anything else that parameter's
  # value. A keyword list meant as a value goes with an explicit `opts` (full arity).
  defp named_required(%{positional: [_ | _] = names, required: required} = descriptor, args)
       when is_list(args) and is_integer(required) do
    ref = if descriptor.call_type == :method, do: 1, else: 0
    given = length(args) - ref
    last = List.last(args)

    cond do
      given >= 1 and given < required ->
        missing = names |> Enum.take(required) |> Enum.drop(given - 1)
        by_keyword(descriptor, args, last, missing, given - 1)

      given >= 1 and given <= length(names) and names_own_place?(descriptor, names, given, last) ->
        {:ok, Enum.drop(args, -1), last}

      true ->
        {:ok, args, []}
    end
  end

  defp named_required(_descriptor, args), do: {:ok, args, []}

  defp names_own_place?(%{kwargs: accepted}, names, given, [_ | _] = last) do
    name = Enum.at(names, given - 1)

    Keyword.keyword?(last) and (accepted == :any or name in accepted) and
      Keyword.has_key?(last, String.to_atom(name))
  end

  defp names_own_place?(_descriptor, _names, _given, _last), do: false

  defp by_keyword(descriptor, args, last, missing, positionals) do
    if is_list(last) and Keyword.keyword?(last) do
      case Enum.reject(missing, &Keyword.has_key?(last, String.to_atom(&1))) do
        [] -> {:ok, Enum.drop(args, -1), last}
        absent -> missing_error(descriptor, absent, missing, positionals)
      end
    else
      missing_error(descriptor, missing, missing, positionals)
    end
  end

  defp missing_error(descriptor, absent, missing, positionals) do
    keywords = Enum.map_join(missing, ", ", &"#{&1}: ...")

    {:error,
     "missing required argument(s) #{Enum.map_join(absent, ", ", &"#{&1}:")} for " <>
       "#{name(descriptor)}: with #{positionals} positional argument(s) the last argument " <>
       "is the keyword list, which must name every required parameter not given by " <>
       "position (#{keywords}); or give them positionally (to pass a keyword list as a " <>
       "parameter's value, give every argument and opts, e.g. `[]`)"}
  end

  defp check_positional(%{positional: names, required: required} = descriptor, args, kwargs)
       when is_list(names) do
    given = length(args) - if(descriptor.call_type == :method, do: 1, else: 0)
    varargs = Map.get(descriptor, :varargs, false) == true

    cond do
      Enum.member?(args, @python_default) ->
        {:error,
         "#{inspect(@python_default)} stands for an argument left out and can only end the " <>
           "argument list; pass the parameter in opts instead"}

      given > length(names) and not varargs ->
        {:error,
         "#{name(descriptor)} takes at most #{length(names)} positional argument(s)" <>
           listed(names) <> ", got #{given}; pass keyword arguments in the last argument (opts)"}

      true ->
        by_position = Enum.take(names, given)

        case for({key, _} <- kwargs, Atom.to_string(key) in by_position, do: key) do
          [] ->
            move_positional_only(descriptor, names, max(given, required), args, kwargs)

          twice ->
            {:error,
             "#{Enum.map_join(twice, ", ", &"#{&1}:")} given both positionally and as a " <>
               "keyword argument to #{name(descriptor)}; pass it one way"}
        end
    end
  end

  # A descriptor written by hand (tests, benchmarks) may name only the positional-only
  # parameters that come after the arguments given, under their older key.
  defp check_positional(%{optional_positional: [_ | _] = only} = descriptor, args, kwargs),
    do: move_positional_only(Map.put(descriptor, :positional_only, only), only, 0, args, kwargs)

  defp check_positional(_descriptor, args, kwargs), do: {:ok, args, kwargs}

  # Optional positional-only parameters given in opts go into place, in order, after
  # the positionals given; one that follows a left-out one cannot be placed.
  defp move_positional_only(descriptor, names, given, args, kwargs) do
    only = Map.get(descriptor, :positional_only, [])

    if only == [] do
      {:ok, args, kwargs}
    else
      {moved, gap, kwargs} =
        names
        |> Enum.drop(given)
        |> Enum.take_while(&(&1 in only))
        |> Enum.reduce({[], nil, kwargs}, fn name, {moved, gap, kwargs} ->
          key = String.to_atom(name)

          case Keyword.fetch(kwargs, key) do
            {:ok, value} when gap == nil -> {[value | moved], nil, Keyword.delete(kwargs, key)}
            {:ok, _value} -> {moved, {gap, name}, kwargs}
            :error -> {moved, gap || name, kwargs}
          end
        end)

      case gap do
        {missing, given_name} ->
          {:error,
           "#{given_name}: comes after #{missing}, which was not given, and #{name(descriptor)} " <>
             "takes it only by position; pass #{missing} too"}

        _ ->
          {:ok, args ++ Enum.reverse(moved), kwargs}
      end
    end
  end

  defp name(descriptor), do: "#{descriptor.python_module}.#{descriptor.function}"

  defp listed([]), do: ""
  defp listed(names), do: " (" <> Enum.join(names, ", ") <> ")"

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
