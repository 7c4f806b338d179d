defmodule SnakeBridge.Runtime.Wire do
  @moduledoc """
  The bytes of a call request, built in the calling process.

  A call's descriptor (call type, library, module, function, whether the ledger
  records it) is the same on every call of a wrapper, so it crosses to a worker once:
  the descriptor gets an integer id, and its registration frame `{0, id, descriptor}` is
  encoded once and kept in `:persistent_term`. A call is then the compact term
  `{request_id, id, args, kwargs, session, numeric}`. The pool writes a worker's
  registration in front of the first call that uses it (one frame), and forgets what a
  worker knew when the worker is replaced.

  The id is a hash of the descriptor, so every node of a cluster gives a descriptor the
  same id: a call to another node's pool goes compact too, and a worker serving calls
  from several nodes learns each descriptor once. Two descriptors may share an id: the
  pool keeps the registration it wrote to each worker under each id, and writes the
  call's own again whenever it differs (the worker keeps the last one it read).

  The map form `{request_id, %{call_type:, library:, ...}}` stays valid: the pool's own
  requests (heartbeats, releases) use it, and a worker that answers a compact call with
  `unknown_descriptor` gets the call again in that form.
  """

  # Descriptors made from data (attribute names read at run time) must not grow the
  # persistent term table without bound: past this many, calls use the map form.
  @max_registrations 2_000
  @id_range 2_147_483_647

  @typedoc "A descriptor's id and its encoded registration frame."
  @type registration :: {pos_integer, binary}

  @typedoc """
  What every call of a descriptor derives from it alone, worked out once with its
  registration and kept beside it: the registration (nil past the bound), the call's
  identity for errors and events (`call_type`, `library`, `python_module`,
  `function`), the key its crashes are counted under (`"module.function"`, see
  `SnakeBridge.Runtime.Circuit`; nil without a function) and whether its module takes
  numeric lists as arrays by default (`SnakeBridge.Runtime.Numeric`).
  """
  @type plan :: {registration | nil, map, String.t() | nil, boolean}

  @doc """
  The registration of the descriptor `call_type` + `descriptor` on this node, or nil
  once #{@max_registrations} descriptors are registered (the call then goes in full).
  """
  @spec registration(atom, map) :: registration | nil
  def registration(call_type, descriptor), do: elem(plan(call_type, descriptor), 0)

  @doc "The descriptor's `t:plan/0`: one persistent term lookup per call."
  @spec plan(atom, map) :: plan
  def plan(call_type, descriptor) do
    ledger = Map.get(descriptor, :ledger, false) == true

    key =
      {__MODULE__, call_type, descriptor.library, descriptor.python_module, descriptor.function,
       ledger}

    case :persistent_term.get(key, nil) do
      nil -> register(key, call_type, descriptor, ledger)
      plan -> plan
    end
  end

  # A new key costs a copy of the persistent term table, never a global GC (that is
  # only for updates and deletes): descriptors are added once and never change.
  defp register(key, call_type, descriptor, ledger) do
    count = counter()

    if :atomics.add_get(count, 1, 1) > @max_registrations do
      :atomics.sub(count, 1, 1)
      plan(nil, call_type, descriptor)
    else
      put(key, call_type, descriptor, ledger)
    end
  end

  defp counter do
    case :persistent_term.get({__MODULE__, :count}, nil) do
      nil ->
        # Two first callers may race here: one counter wins, the count is approximate.
        count = :atomics.new(1, [])
        :persistent_term.put({__MODULE__, :count}, count)
        count

      count ->
        count
    end
  end

  defp put(key, call_type, descriptor, ledger) do
    fields = %{
      call_type: call_type,
      library: descriptor.library,
      python_module: descriptor.python_module,
      function: descriptor.function,
      ledger: ledger
    }

    # 1..2^31-1: four bytes on the wire; the same descriptor, the same id on every node.
    id = :erlang.phash2(fields, @id_range) + 1

    plan = plan({id, :erlang.term_to_binary({0, id, fields})}, call_type, descriptor)
    :persistent_term.put(key, plan)
    plan
  end

  defp plan(registration, call_type, %{python_module: module, function: function} = descriptor) do
    call = %{
      call_type: call_type,
      library: descriptor.library,
      python_module: module,
      function: function
    }

    {registration, call, crash_key(module, function),
     SnakeBridge.Runtime.Numeric.numeric_module?(module)}
  end

  # The Python function a crash is counted against: the module's function, or the
  # method on the object's type.
  defp crash_key(module, function) when is_binary(function) and is_binary(module),
    do: module <> "." <> function

  defp crash_key(module, function) when is_binary(function), do: "#{module}.#{function}"
  defp crash_key(_module, _function), do: nil

  # From this size on, a binary argument is referenced by the frame, not copied into it.
  @iovec_min 64 * 1024

  # A binary, or a map (`SnakeBridge.Bytes`, `SnakeBridge.Tensor`, ...) whose `data` is
  # one, of @iovec_min bytes or more.
  defguardp large(arg)
            when (is_binary(arg) and byte_size(arg) >= @iovec_min) or
                   (is_map(arg) and is_map_key(arg, :data) and
                      is_binary(:erlang.map_get(:data, arg)) and
                      byte_size(:erlang.map_get(:data, arg)) >= @iovec_min)

  @doc """
  A compact call frame: a binary, or, when an argument is a binary of
  #{@iovec_min} bytes or more (plain, or the `data` of a map such as
  `SnakeBridge.Bytes`), the same bytes as an iolist that references the large binaries
  instead of copying them.
  """
  @spec call(pos_integer, registration, list, map, String.t(), boolean | nil) :: iodata
  def call(request_id, {id, _frame}, args, kwargs, session, numeric) do
    term = {request_id, id, args, kwargs, session, numeric}

    # term_to_iovec costs ~0.4 us more than term_to_binary on a small term, and a scan
    # of the arguments costs reductions: calls of up to two small arguments decide in
    # this match alone. A 1 MiB copy costs 20-90 us.
    case args do
      [] ->
        :erlang.term_to_binary(term)

      [a] when not large(a) ->
        :erlang.term_to_binary(term)

      [a, b] when not large(a) and not large(b) ->
        :erlang.term_to_binary(term)

      _ ->
        if large_arg?(args), do: :erlang.term_to_iovec(term), else: :erlang.term_to_binary(term)
    end
  end

  defp large_arg?([arg | _rest]) when large(arg), do: true
  defp large_arg?([_arg | rest]), do: large_arg?(rest)
  defp large_arg?(_done), do: false

  # A `SnakeBridge.Bytes` result as the worker writes it: `{id, {:ok, %{__struct__:,
  # data:, dtype: nil, shape: nil}}}`, atoms as SMALL_ATOM_UTF8_EXT, the map's keys in
  # that order or with `data` last.
  @bytes_head <<104, 2, 119, 2, "ok", 116, 4::32, 119, 10, "__struct__", 119, 24,
                "Elixir.SnakeBridge.Bytes">>
  @data_key <<119, 4, "data", 109>>
  @nil_fields <<119, 5, "dtype", 119, 3, "nil", 119, 5, "shape", 119, 3, "nil">>

  @doc """
  The reply `frame` to `request_id` when it is exactly a plain `SnakeBridge.Bytes`
  result: `{:ok, %SnakeBridge.Bytes{}}`, the value `binary_to_term` gives, with `data`
  a sub-binary of the frame (a bulk reply's payload is not copied). `:error` for any
  other frame, which the caller decodes in full.
  """
  @spec bytes_reply(binary, integer) :: {:ok, SnakeBridge.Bytes.t()} | :error
  def bytes_reply(<<131, 104, 2, 97, request_id, @bytes_head, rest::binary>>, request_id),
    do: bytes_data(rest)

  def bytes_reply(
        <<131, 104, 2, 98, request_id::signed-32, @bytes_head, rest::binary>>,
        request_id
      ),
      do: bytes_data(rest)

  def bytes_reply(_frame, _request_id), do: :error

  defp bytes_data(<<@data_key, size::32, data::binary-size(size), @nil_fields>>),
    do: {:ok, %SnakeBridge.Bytes{data: data}}

  defp bytes_data(<<@nil_fields, @data_key, size::32, data::binary-size(size)>>),
    do: {:ok, %SnakeBridge.Bytes{data: data}}

  defp bytes_data(_rest), do: :error

  @doc "The same call in the map form (any worker reads it, registered or not)."
  @spec full(pos_integer, atom, map, list, map, String.t(), boolean | nil) :: binary
  def full(request_id, call_type, descriptor, args, kwargs, session, numeric) do
    request = %{
      call_type: call_type,
      library: descriptor.library,
      python_module: descriptor.python_module,
      function: descriptor.function,
      args: args,
      kwargs: kwargs,
      session: session
    }

    request = if Map.get(descriptor, :ledger), do: Map.put(request, :ledger, true), else: request
    request = if numeric == nil, do: request, else: Map.put(request, :numeric, numeric)
    :erlang.term_to_binary({request_id, request})
  end
end
