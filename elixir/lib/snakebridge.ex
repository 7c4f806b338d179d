defmodule SnakeBridge do
  @moduledoc """
  Call Python libraries from Elixir.

  Most code uses the generated modules (`Numpy.mean(xs)`); this module is the dynamic
  surface for what the compile-time scanner cannot see (`apply/3`, names built at
  runtime). It obeys the same allowlist (only libraries declared in mix.exs can be
  reached) and, in development, records each call in `.snakebridge/ledger.json` so
  `mix snakebridge.promote` can turn it into a generated binding.

      {:ok, 2.0} = SnakeBridge.call("numpy", "mean", [[1, 2, 3]])
      {:ok, ref} = SnakeBridge.call("numpy", "array", [[1.0, 2.0]])
      {:ok, 3.0} = SnakeBridge.method(ref, "sum")
      {:ok, {2}} = SnakeBridge.attr(ref, "shape")
      {:ok, pi} = SnakeBridge.get("math", "pi")
      SnakeBridge.stream("itertools", "count", [1]) |> Enum.take(3)  #=> [1, 2, 3]

  `module` is a dotted Python module (`"numpy.linalg"`); `function` may be dotted
  inside it (`"Symbol.simplify"`). `opts` works as in generated code: Python keyword
  arguments, plus runtime options under `snakebridge: [timeout: ms, session: id,
  pool: name]`.

  Values: numbers, strings, lists, exact tuples and dicts, `nil` and booleans cross by
  value; `SnakeBridge.bytes/1` marks Python `bytes`; NaN and ±infinity are `:nan`,
  `:infinity`, `:neg_infinity`; dates and times are `Date`, `Time`, `NaiveDateTime`,
  `DateTime`, a `timedelta` a `SnakeBridge.Duration`, sets `MapSet`s, `Decimal` and
  `complex` the `%Decimal{}`/`%Complex{}` layouts, slices `SnakeBridge.Slice`, Ellipsis
  `:...`; anything else, dict and tuple subclasses included, comes back as a
  `SnakeBridge.Ref` (see its Access and Enumerable).
  Results are `{:ok, value}` or `{:error, %SnakeBridge.Error{}}`; bang variants raise.

  Elixir functions anywhere in `args` or `opts` reach Python as callables that run in
  the calling process (`SnakeBridge.call("builtins", "sorted", [xs], key: &abs/1)`);
  see `docs/guides/callbacks.md`.
  """

  alias SnakeBridge.{Bulk, Bytes, Error, Ref, Runtime, Tensor, ZeroCopyRef}
  alias SnakeBridge.Runtime.Ops

  @doc "Calls `module.function(*args, **opts)`."
  @spec call(String.t() | atom, String.t() | atom, list, keyword) ::
          {:ok, term} | {:error, SnakeBridge.Error.t()}
  def call(module, function, args \\ [], opts \\ []) do
    with {:ok, descriptor} <- descriptor(:call, module, function),
         do: Runtime.call(descriptor, args, opts)
  end

  @doc "Like `call/4`, returning the value or raising."
  @spec call!(String.t() | atom, String.t() | atom, list, keyword) :: term
  def call!(module, function, args \\ [], opts \\ []) do
    Runtime.call!(descriptor!(:call, module, function), args, opts)
  end

  @doc "Reads a module attribute (`SnakeBridge.get(\"math\", \"pi\")`)."
  @spec get(String.t() | atom, String.t() | atom, keyword) ::
          {:ok, term} | {:error, SnakeBridge.Error.t()}
  def get(module, attribute, opts \\ []) do
    with {:ok, descriptor} <- descriptor(:get_attr, module, attribute),
         do: Runtime.call(descriptor, [], opts)
  end

  @doc "Like `get/3`, returning the value or raising (`SnakeBridge.get!(\"math\", \"pi\")`)."
  @spec get!(String.t() | atom, String.t() | atom, keyword) :: term
  def get!(module, attribute, opts \\ []) do
    Runtime.call!(descriptor!(:get_attr, module, attribute), [], opts)
  end

  @doc "Calls method `name` on the object behind `ref`."
  @spec method(Ref.t(), String.t() | atom, list, keyword) ::
          {:ok, term} | {:error, SnakeBridge.Error.t()}
  def method(%Ref{} = ref, name, args \\ [], opts \\ []) do
    Runtime.ref_call(ref, :method, to_string(name), args, [ledger: true] ++ opts)
  end

  @doc "Like `method/4`, returning the value or raising."
  @spec method!(Ref.t(), String.t() | atom, list, keyword) :: term
  def method!(%Ref{} = ref, name, args \\ [], opts \\ []) do
    Runtime.ref_call!(ref, :method, to_string(name), args, [ledger: true] ++ opts)
  end

  @doc "Reads attribute `name` of the object behind `ref`."
  @spec attr(Ref.t(), String.t() | atom, keyword) :: {:ok, term} | {:error, SnakeBridge.Error.t()}
  def attr(%Ref{} = ref, name, opts \\ []),
    do: Runtime.ref_call(ref, :get_attr, to_string(name), [], opts)

  @doc "Like `attr/3`, returning the value or raising."
  @spec attr!(Ref.t(), String.t() | atom, keyword) :: term
  def attr!(%Ref{} = ref, name, opts \\ []),
    do: Runtime.ref_call!(ref, :get_attr, to_string(name), [], opts)

  @doc "Sets attribute `name` of the object behind `ref`."
  @spec set_attr(Ref.t(), String.t() | atom, term, keyword) ::
          :ok | {:error, SnakeBridge.Error.t()}
  def set_attr(%Ref{} = ref, name, value, opts \\ []) do
    case Runtime.ref_call(ref, :set_attr, to_string(name), [value], opts) do
      {:ok, _} -> :ok
      error -> error
    end
  end

  @doc """
  Releases the Python object behind `ref` now, instead of when its session ends; for a
  `SnakeBridge.ZeroCopyRef`, the worker that made it removes its shared memory (or
  forgets its DLPack export) now.
  """
  @spec release(Ref.t() | ZeroCopyRef.t()) :: :ok | {:error, SnakeBridge.Error.t()}
  def release(%Ref{} = ref), do: Runtime.release(ref)
  def release(%ZeroCopyRef{} = handle), do: Bulk.release(handle)

  @doc """
  The array behind `ref` as a `SnakeBridge.Tensor`: its bytes in C order and native byte
  order, an Nx type tuple (`{:f, 64}`) and a shape, with no per-element work. Takes
  numpy arrays and anything with `__array__` or the buffer protocol (a pandas Series, a
  CPU torch tensor); a non-contiguous array is made contiguous once, in the worker.

      {:ok, ref} = SnakeBridge.call("numpy", "arange", [6.0])
      {:ok, %SnakeBridge.Tensor{type: {:f, 64}, shape: {6}}} = SnakeBridge.to_tensor(ref)

  dtypes: bool (as `{:u, 8}`), int8..int64, uint8..uint64, float16/32/64, complex64/128
  (see `SnakeBridge.Tensor`); any other (`object`, strings, datetimes) is an
  `:encode_error` that names the conversion to make. Also takes a `:shm` handle
  (`share/2`), read here without a worker. `opts`: runtime options
  (`snakebridge: [timeout: ms]`).

  With Nx: `tensor.data |> Nx.from_binary(tensor.type) |> Nx.reshape(tensor.shape)`.
  """
  @spec to_tensor(Ref.t() | ZeroCopyRef.t(), keyword) ::
          {:ok, Tensor.t()} | {:error, SnakeBridge.Error.t()}
  def to_tensor(ref, opts \\ []), do: Bulk.to_tensor(ref, opts)

  @doc "Like `to_tensor/2`, returning the tensor or raising."
  @spec to_tensor!(Ref.t() | ZeroCopyRef.t(), keyword) :: Tensor.t()
  def to_tensor!(ref, opts \\ []), do: ok!(Bulk.to_tensor(ref, opts))

  @doc """
  One column of a table (pandas or polars DataFrame, pyarrow Table) as a
  `SnakeBridge.Tensor`: numeric and boolean columns; nulls of a float column are NaN,
  nulls elsewhere are refused (fill them first).
  """
  @spec column(Ref.t(), term, keyword) :: {:ok, Tensor.t()} | {:error, SnakeBridge.Error.t()}
  def column(ref, name, opts \\ []), do: Bulk.column(ref, name, opts)

  @doc "Like `column/3`, returning the tensor or raising."
  @spec column!(Ref.t(), term, keyword) :: Tensor.t()
  def column!(ref, name, opts \\ []), do: ok!(Bulk.column(ref, name, opts))

  @doc """
  A table (pandas or polars DataFrame or Series, pyarrow Table or RecordBatch) as an
  Arrow IPC stream binary: what `Explorer.DataFrame.load_ipc_stream/1` reads. Nulls,
  strings, timestamps (with their zone) and categoricals (dictionary columns) keep
  their types; a pandas index that is not the default one becomes a column.
  """
  @spec to_arrow(Ref.t() | ZeroCopyRef.t(), keyword) ::
          {:ok, binary} | {:error, SnakeBridge.Error.t()}
  def to_arrow(ref, opts \\ []), do: Bulk.to_arrow(ref, opts)

  @doc "Like `to_arrow/2`, returning the binary or raising."
  @spec to_arrow!(Ref.t() | ZeroCopyRef.t(), keyword) :: binary
  def to_arrow!(ref, opts \\ []), do: ok!(Bulk.to_arrow(ref, opts))

  @doc """
  A table in Python from an Arrow IPC stream binary (or an `:arrow` handle):
  `library` is `"pandas"` (a DataFrame, the default), `"pyarrow"` (a Table) or
  `"polars"` (a DataFrame); the library and pyarrow must be declared. The stream is read
  from the request's bytes without a copy.

      {:ok, df} = SnakeBridge.from_arrow(Explorer.DataFrame.dump_ipc_stream!(frame), "pandas")
  """
  @spec from_arrow(binary | ZeroCopyRef.t(), String.t() | atom, keyword) ::
          {:ok, Ref.t()} | {:error, SnakeBridge.Error.t()}
  def from_arrow(data, library \\ "pandas", opts \\ []), do: Bulk.from_arrow(data, library, opts)

  @doc "Like `from_arrow/3`, returning the ref or raising."
  @spec from_arrow!(binary | ZeroCopyRef.t(), String.t() | atom, keyword) :: Ref.t()
  def from_arrow!(data, library \\ "pandas", opts \\ []),
    do: ok!(Bulk.from_arrow(data, library, opts))

  @doc """
  A `SnakeBridge.ZeroCopyRef` for the array or table behind `ref`, which any worker on
  this machine, in any pool, accepts as an argument and maps without a copy; the data
  never passes through the BEAM. An array goes to shared memory (`:shm`, one copy, and
  it arrives read-only), a table as an Arrow stream (`:arrow`, it arrives as a
  `pyarrow.Table`); `as: :dlpack` exports it through DLPack instead, valid only inside
  its worker. The data lives until its session ends or `release/1`, and never outlives
  its worker. `opts`: `as: :shm | :arrow | :dlpack`, runtime options.

  A `SnakeBridge.Tensor` is shared by this BEAM instead (`as: :shm` only): its bytes go
  once into a shared-memory segment that any worker on this machine maps read-only. It
  lives until `release/1` or the exit of the process that shared it, and never outlives
  the BEAM.
  """
  @spec share(Ref.t() | SnakeBridge.Tensor.t(), keyword) ::
          {:ok, ZeroCopyRef.t()} | {:error, SnakeBridge.Error.t()}
  def share(ref, opts \\ []), do: Bulk.share(ref, opts)

  @doc "Like `share/2`, returning the handle or raising."
  @spec share!(Ref.t() | SnakeBridge.Tensor.t(), keyword) :: ZeroCopyRef.t()
  def share!(ref, opts \\ []), do: ok!(Bulk.share(ref, opts))

  @doc """
  The array or tensor behind `ref` (or a `:dlpack` handle) as a `library` object
  (`"numpy"` or `"torch"`) over the same memory, through DLPack, in the same worker:
  a write on either side is seen on the other. numpy arrays that Elixir sent are
  read-only and DLPack shares only writable memory: copy them first.
  """
  @spec from_dlpack(Ref.t() | ZeroCopyRef.t(), String.t() | atom, keyword) ::
          {:ok, Ref.t()} | {:error, SnakeBridge.Error.t()}
  def from_dlpack(ref, library, opts \\ []), do: Bulk.from_dlpack(ref, library, opts)

  @doc "Like `from_dlpack/3`, returning the ref or raising."
  @spec from_dlpack!(Ref.t() | ZeroCopyRef.t(), String.t() | atom, keyword) :: Ref.t()
  def from_dlpack!(ref, library, opts \\ []), do: ok!(Bulk.from_dlpack(ref, library, opts))

  @doc """
  Streams the items of the iterable `module.function(*args, **opts)` returns, lazily
  (`snakebridge: [batch: n]` fetches n per round trip). Halting early closes the
  Python generator.
  """
  @spec stream(String.t() | atom, String.t() | atom, list, keyword) :: Enumerable.t()
  def stream(module, function, args \\ [], opts \\ []) do
    Runtime.stream(descriptor!(:stream, module, function), args, opts)
  end

  @doc """
  Marks a binary as Python `bytes`. With `dtype:` (and `shape:`) it becomes a numpy
  array in the worker without per-element conversion.
  """
  @spec bytes(binary, keyword) :: Bytes.t()
  def bytes(data, opts \\ []) when is_binary(data) do
    dtype = opts[:dtype] && to_string(opts[:dtype])
    %Bytes{data: data, dtype: dtype, shape: opts[:shape]}
  end

  @doc """
  Runs `fun` in a session of its own (or the one named `id`); every ref created inside
  is released when `fun` returns or raises.
  """
  @spec with_session(String.t() | nil, (() -> result)) :: result when result: var
  def with_session(id \\ nil, fun) when is_function(fun, 0) do
    SnakeBridge.Runtime.Session.with_session(id || SnakeBridge.Runtime.Session.new_id(), fun)
  end

  @doc """
  A Python `slice(start, stop, step)` for indexing; `nil` is an open end:
  `arr[SnakeBridge.slice(0, 2)]` is `arr[0:2]`, `SnakeBridge.slice(nil, nil, 2)` is `::2`,
  and labels work too (`SnakeBridge.slice("a", "c")` for pandas' `.loc["a":"c"]`).
  """
  @spec slice(term, term, term) :: SnakeBridge.Slice.t()
  def slice(start, stop, step \\ nil),
    do: %SnakeBridge.Slice{start: start, stop: stop, step: step}

  @doc """
  Python's `*items`: given as the last positional argument of a call, each item becomes
  one more positional argument, so `Sympy.diff(f, x, SnakeBridge.splat([x, y, y]))` is
  `diff(f, x, *[x, y, y])` however many items there are (a binding's arities take only
  so many `*args` directly; see `SnakeBridge.Splat`).
  """
  @spec splat(list) :: SnakeBridge.Splat.t()
  def splat(items) when is_list(items), do: %SnakeBridge.Splat{items: items}

  @doc "Python's `Ellipsis` (`...`), the atom `:...`: `arr[{:..., 0}]` is numpy's `arr[..., 0]`."
  @spec ellipsis() :: :...
  def ellipsis, do: :...

  @doc "numpy's `newaxis`, which is Python's `None`: `arr[{SnakeBridge.slice(nil, nil), nil}]`."
  @spec newaxis() :: nil
  def newaxis, do: nil

  @doc """
  Python's `obj[key]`: `{:ok, value}`, or `{:error, %SnakeBridge.Error{type: :key_error}}`
  (`:index_error`...) where `Access` (`obj[key]`) gives `nil`. A tuple is a
  multi-dimensional index; ranges index inclusively (see `SnakeBridge.Slice`).
  """
  @spec get_item(Ref.t(), term) :: {:ok, term} | {:error, SnakeBridge.Error.t()}
  def get_item(%Ref{} = ref, key), do: Ops.get_item(ref, key)

  @doc "Like `get_item/2`, raising `SnakeBridge.KeyError`, `SnakeBridge.IndexError`... instead."
  @spec get_item!(Ref.t(), term) :: term
  def get_item!(%Ref{} = ref, key), do: ok!(Ops.get_item(ref, key))

  @doc "Python's `obj[key] = value` (the object changes in place)."
  @spec set_item(Ref.t(), term, term) :: :ok | {:error, SnakeBridge.Error.t()}
  def set_item(%Ref{} = ref, key, value), do: Ops.set_item(ref, key, value)

  @doc "Python's `del obj[key]`."
  @spec del_item(Ref.t(), term) :: :ok | {:error, SnakeBridge.Error.t()}
  def del_item(%Ref{} = ref, key), do: Ops.del_item(ref, key)

  for {name, op, doc} <- [
        {:len, "len", "Python's `len(obj)`."},
        {:bool, "bool",
         "Python's `bool(obj)` (numpy refuses it for arrays of more than one element)."},
        {:hash, "hash", "Python's `hash(obj)`."},
        {:str, "str", "Python's `str(obj)`."},
        {:repr, "repr", "Python's `repr(obj)`, in full (`inspect/1` shows a short one)."},
        {:to_elixir, "to_elixir",
         "The plain Elixir value of a ref that kept a Python identity: a mapping (`Counter`, " <>
           "`OrderedDict`, `defaultdict`) as a map, a named tuple as a map of its fields, another " <>
           "tuple subclass as a tuple, an array or Series as a list (`tolist()`)."}
      ] do
    @doc doc <> " `{:ok, value}` or `{:error, %SnakeBridge.Error{}}`."
    @spec unquote(name)(Ref.t()) :: {:ok, term} | {:error, SnakeBridge.Error.t()}
    def unquote(name)(%Ref{} = ref), do: Ops.run(unquote(op), [ref])

    def unquote(name)(other), do: {:error, not_a_ref(unquote(name), other)}

    @doc "Like `#{name}/1`, returning the value or raising."
    @spec unquote(:"#{name}!")(Ref.t()) :: term
    def unquote(:"#{name}!")(%Ref{} = ref), do: Ops.run!(unquote(op), [ref])
    def unquote(:"#{name}!")(other), do: Error.raise!(not_a_ref(unquote(:"#{name}!"), other))
  end

  # A value that came back by value (a tuple of arrays, a list, a number) is already
  # Elixir data: say so, rather than failing with a FunctionClauseError.
  defp not_a_ref(function, value) do
    Error.runtime(
      :bad_argument,
      "SnakeBridge.#{function}/1 takes a Python object (a SnakeBridge.Ref); got " <>
        "#{inspect(value, limit: 5, printable_limit: 40)}, which is Elixir data already " <>
        "(a tuple or list that came back holds its refs as elements: call it on those)"
    )
  end

  @doc "Python's `value in obj`: `{:ok, boolean}` or `{:error, %SnakeBridge.Error{}}`."
  @spec contains(Ref.t(), term) :: {:ok, boolean} | {:error, SnakeBridge.Error.t()}
  def contains(%Ref{} = ref, value), do: Ops.run("contains", [ref, value])

  @doc "Like `contains/2`, returning the boolean or raising."
  @spec contains!(Ref.t(), term) :: boolean
  def contains!(%Ref{} = ref, value), do: Ops.run!("contains", [ref, value])

  @doc """
  Python's `with ref as value: ...`: calls `__enter__`, runs `fun.(value)` and returns its
  result. `__exit__` always runs. If `fun` raises (or throws, or exits), `__exit__`
  receives the exception (the Python exception behind a `SnakeBridge` error, else a
  `snakebridge.ElixirError` naming the Elixir one) and the exception propagates unless
  `__exit__` returns true: then, as in Python, it is suppressed and `with_context/2`
  returns `nil`. Errors of `__enter__`/`__exit__` themselves raise.

      SnakeBridge.with_context(lock, fn _ -> :done end)
  """
  @spec with_context(Ref.t(), (term -> result)) :: result | nil when result: var
  def with_context(%Ref{} = ref, fun) when is_function(fun, 1), do: Ops.with_context(ref, fun)

  @doc "The docs of a Python symbol, generated or not (`SnakeBridge.Docs.doc/2`)."
  defdelegate doc(module, name), to: SnakeBridge.Docs

  @doc "Prints the docs of a Python symbol in IEx (`SnakeBridge.Docs.h/1`)."
  defdelegate h(what), to: SnakeBridge.Docs

  defp ok!({:ok, value}), do: value
  defp ok!(:ok), do: :ok
  defp ok!({:error, error}), do: SnakeBridge.Error.raise!(error)

  defp descriptor(call_type, module, function) do
    case names(module, function) do
      {:ok, module, function} ->
        {:ok,
         %{
           call_type: call_type,
           library: library_for(module),
           python_module: module,
           function: function,
           kwargs: :any,
           optional_positional: [],
           idempotent: false,
           ledger: true
         }}

      {:error, message} ->
        {:error, Error.runtime(:bad_argument, message)}
    end
  end

  defp descriptor!(call_type, module, function) do
    case descriptor(call_type, module, function) do
      {:ok, descriptor} -> descriptor
      {:error, error} -> Error.raise!(error)
    end
  end

  # The dynamic calls name a Python module and a member of it; a ref or an Elixir module
  # in their place is a natural slip, answered with the call that was meant.
  defp names(%Ref{} = ref, _function),
    do:
      {:error,
       "the first argument is the Python module's name (\"numpy\"), got a Python object " <>
         "#{inspect(ref)}; call the object itself with SnakeBridge.method(ref, \"__call__\", " <>
         "args, opts), one of its methods with SnakeBridge.method(ref, \"name\", args, opts)"}

  defp names(module, function)
       when (is_binary(module) or is_atom(module)) and (is_binary(function) or is_atom(function)) and
              not is_nil(module) and not is_nil(function) do
    case to_string(module) do
      "Elixir." <> elixir ->
        {:error,
         "the first argument is the Python module's name as a string (\"numpy\", " <>
           "\"scipy.stats\"), got the Elixir module #{elixir}"}

      python ->
        {:ok, python, to_string(function)}
    end
  end

  defp names(module, function),
    do:
      {:error,
       "a dynamic call names the Python module and the function as strings " <>
         "(SnakeBridge.call(\"math\", \"sqrt\", [2.0])), got #{inspect(module, limit: 5)} and " <>
         "#{inspect(function, limit: 5)}"}

  # The declared library whose Python module is `module` or a parent of it. Unknown
  # modules keep their root name; the worker then refuses them (allowlist).
  defp library_for(module) do
    libraries = :persistent_term.get({SnakeBridge.Runtime, :libraries}, %{})

    found =
      libraries
      |> Enum.filter(fn {_name, %{python_module: py}} ->
        module == py or String.starts_with?(module, py <> ".")
      end)
      |> Enum.max_by(fn {_name, %{python_module: py}} -> byte_size(py) end, fn -> nil end)

    case found do
      {name, _} -> name
      nil -> module |> String.split(".") |> hd()
    end
  end
end
