defmodule SnakeBridge.PythonFunction do
  @moduledoc """
  A generated binding passed as a value reaches Python as the Python object it binds.

  Why: Python code passes functions around all the time (`df.apply(np.sum)`,
  `sorted(words, key=str.lower)`, `defaultdict(list)`). Written in Elixir as a capture
  of the generated binding, `&Numpy.sum!/1` or `&Builtins.Str.lower!/1`, the natural
  spelling would otherwise be an Elixir callback: Python calling back into the BEAM
  once per element, for a function that is Python's own. Here such a capture becomes
  `%SnakeBridge.PythonFunction{path: "numpy.sum"}`, which the worker resolves to
  `numpy.sum` through the allowlist, like any call, so no callback runs.

  The rule: a capture `&Mod.name/arity` or `&Mod.name!/arity` of a function, method,
  class method, static method, constructor (`new`) or class called as a function
  (`&Builtins.int!/0`) that a generated module lists in `__functions__/0`, at an arity
  it has, passed as a positional argument or a keyword argument's value. Everything
  else, an anonymous fn, a capture of your own function, a capture nested inside a list
  or map, stays an Elixir callback (`SnakeBridge.call/4`).
  """

  @enforce_keys [:path]
  defstruct [:path]

  @type t :: %__MODULE__{path: String.t()}

  # The kinds of generated bindings whose Python object is itself a callable.
  @callable_kinds [:function, :method, :classmethod, :staticmethod, :constructor, :class]

  @doc """
  The Python object a capture of a generated binding stands for, or `:error` when
  `fun` is not one (it then stays an Elixir callback).
  """
  @spec from(function) :: {:ok, t} | :error
  def from(fun) when is_function(fun) do
    with {:type, :external} <- Function.info(fun, :type),
         {:module, module} = Function.info(fun, :module),
         {:name, name} = Function.info(fun, :name),
         {:arity, arity} = Function.info(fun, :arity),
         # A capture does not load its module; in interactive mode it may not be yet.
         {:module, ^module} <- Code.ensure_loaded(module),
         true <- function_exported?(module, :__functions__, 0),
         %{python: path} when is_binary(path) <- cached_binding(module, name, arity) do
      {:ok, %__MODULE__{path: path}}
    else
      _ -> :error
    end
  end

  # `__functions__/0` decodes the module's whole table on every call (about a millisecond
  # for numpy's top level), and a capture is looked up on every call it is passed to, so
  # each capture's entry is looked up once per version of its module (its md5) and kept:
  # one term per capture the code writes.
  defp cached_binding(module, name, arity) do
    key = {__MODULE__, module, module.module_info(:md5), name, arity}

    case :persistent_term.get(key, :unknown) do
      :unknown ->
        entry = binding(module.__functions__(), name, arity)
        :persistent_term.put(key, entry)
        entry

      entry ->
        entry
    end
  end

  defp binding(entries, name, arity) do
    name = name |> Atom.to_string() |> String.trim_trailing("!")

    Enum.find(entries, fn entry ->
      Atom.to_string(entry.name) == name and entry.kind in @callable_kinds and
        arity in entry.arities
    end)
  end

  @doc """
  `args` with every capture of a generated binding among them replaced by its Python
  object. Arguments without a function are returned as they are, unallocated.
  """
  @spec swap(list) :: list
  def swap(args) do
    if Enum.any?(args, &is_function/1), do: Enum.map(args, &swap_one/1), else: args
  end

  @doc "Like `swap/1`, for the values of a keyword list."
  @spec swap_kwargs(keyword) :: keyword
  def swap_kwargs(kwargs) do
    if Enum.any?(kwargs, fn {_, v} -> is_function(v) end),
      do: Enum.map(kwargs, fn {k, v} -> {k, swap_one(v)} end),
      else: kwargs
  end

  defp swap_one(value) when is_function(value) do
    case from(value) do
      {:ok, python} -> python
      :error -> value
    end
  end

  defp swap_one(value), do: value
end
