defmodule SnakeBridge.Bulk do
  @moduledoc """
  The calls behind `SnakeBridge.to_tensor/2`, `share/2`, `to_arrow/2`, `from_arrow/3`,
  `column/3` and `from_dlpack/3`: bulk data that crosses as raw memory, never element
  by element.

  Why a module of its own: these calls have replies no other call has. A large tensor
  or Arrow stream does not come through the worker's pipe (a few hundred MB/s) but
  through a one-shot shared-memory segment that this process reads with one
  `File.read/1` and unlinks (several GB/s); the worker does that only when the caller
  names this machine (`host:`), so a caller on another machine gets the bytes in the
  reply. Handles get the node and pool of the worker that made them here, so that
  `release/1` finds it.

  The other way, a large tensor goes to a worker through a segment that this BEAM
  writes (`SnakeBridge.Bulk.Segments`) and the worker maps read-only: `share/2` of a
  `SnakeBridge.Tensor` makes such a handle, and `placed/3` does it for the duration of
  one call (`from_arrow/3` sends a large stream so).
  """

  alias SnakeBridge.{Error, Ref, Runtime, Tensor, ZeroCopyRef}
  alias SnakeBridge.Bulk.Segments
  import Bitwise, only: [<<<: 2]

  @libraries ~w(pandas pyarrow polars)
  @shares [:shm, :arrow, :dlpack]
  # The owner of the segments this BEAM places (a worker id names any other owner).
  @elixir_owner "elixir"
  # Below this a tensor argument goes through the pipe: a segment costs a few system
  # calls each way, and fresh shared-memory pages to fill (bench/zerocopy).
  @segment_min 1 <<< 22
  # Every atom a bulk reply may carry; naming them here puts them in the atom table
  # before the first reply is decoded with [:safe].
  @atoms [Tensor, ZeroCopyRef, :kind, :owner, :host, :node, :size, :shm, :arrow, :dlpack] ++
           [:s, :u, :f, :c]

  @doc false
  def atoms, do: @atoms

  @doc "See `SnakeBridge.to_tensor/2`."
  @spec to_tensor(Ref.t() | ZeroCopyRef.t() | Tensor.t(), keyword) ::
          {:ok, Tensor.t()} | {:error, Error.t()}
  def to_tensor(value, opts \\ [])

  def to_tensor(%Ref{} = ref, opts), do: ref |> bulk_call(:to_tensor, [], opts) |> received()

  # A :dlpack handle: refused, saying it is valid only inside its worker.
  def to_tensor(%ZeroCopyRef{kind: kind} = handle, _opts) when kind in [:shm, :dlpack],
    do: materialize(handle)

  def to_tensor(%Tensor{} = tensor, _opts), do: {:ok, tensor}

  def to_tensor(other, _opts),
    do: refuse("to_tensor/2", "a ref to an array (or a :shm handle)", other)

  @doc "See `SnakeBridge.column/3`."
  @spec column(Ref.t(), term, keyword) :: {:ok, Tensor.t()} | {:error, Error.t()}
  def column(%Ref{} = ref, name, opts \\ []),
    do: ref |> bulk_call(:column, [name], opts) |> received()

  @doc "See `SnakeBridge.to_arrow/2`."
  @spec to_arrow(Ref.t() | ZeroCopyRef.t(), keyword) :: {:ok, binary} | {:error, Error.t()}
  def to_arrow(value, opts \\ [])
  def to_arrow(%Ref{} = ref, opts), do: ref |> bulk_call(:to_arrow, [], opts) |> received()
  def to_arrow(%ZeroCopyRef{kind: :arrow} = handle, _opts), do: materialize(handle)

  def to_arrow(other, _opts),
    do: refuse("to_arrow/2", "a ref to a table (or an :arrow handle)", other)

  @doc "See `SnakeBridge.from_arrow/3`."
  @spec from_arrow(binary | ZeroCopyRef.t(), String.t() | atom, keyword) ::
          {:ok, Ref.t()} | {:error, Error.t()}
  def from_arrow(data, library \\ "pandas", opts \\ []) do
    library = to_string(library)

    cond do
      library not in @libraries ->
        bad(
          "from_arrow/3 makes a table of #{Enum.map_join(@libraries, ", ", &inspect/1)}, " <>
            "not #{inspect(library)}"
        )

      is_binary(data) ->
        # A uint8 tensor: the worker reads the stream straight from the request's bytes,
        # or from a segment when it is large.
        bytes = %Tensor{data: data, type: {:u, 8}, shape: {byte_size(data)}}
        placed([bytes, library], [], fn args, _kwargs -> run(:from_arrow, args, opts) end)

      match?(%ZeroCopyRef{kind: :arrow}, data) ->
        run(:from_arrow, [data, library], opts)

      true ->
        bad(
          "from_arrow/3 takes an Arrow IPC stream binary (to_arrow/2, " <>
            "Explorer.DataFrame.dump_ipc_stream/1) or an :arrow handle, not " <>
            inspect(data, limit: 5)
        )
    end
  end

  @doc "See `SnakeBridge.share/2`."
  @spec share(Ref.t(), keyword) :: {:ok, ZeroCopyRef.t()} | {:error, Error.t()}
  def share(ref, opts \\ [])

  def share(%Ref{} = ref, opts) do
    {kind, opts} = Keyword.pop(opts, :as)

    if kind == nil or kind in @shares do
      kwargs = if kind, do: [as: Atom.to_string(kind)], else: []

      with {:ok, %ZeroCopyRef{} = handle} <-
             Runtime.ref_call(ref, :share, nil, [], kwargs ++ opts) do
        # Decoded from the worker's map, which has no node or pool: they are known here.
        {:ok, Map.merge(handle, %{node: Atom.to_string(node()), pool: ref.pool || :default})}
      end
    else
      bad("share/2 as: is one of #{inspect(@shares)}, not #{inspect(kind)}")
    end
  end

  def share(%Tensor{} = tensor, opts) do
    case Keyword.get(opts, :as, :shm) do
      :shm ->
        with {:ok, tensor} <- valid(tensor), do: place(tensor)

      other ->
        bad(
          "share/2 places a SnakeBridge.Tensor in shared memory as: :shm, not #{inspect(other)}"
        )
    end
  end

  def share(other, _opts),
    do: refuse("share/2", "a ref to an array or a table, or a SnakeBridge.Tensor", other)

  # large?/1 as a guard (never raising, so `not large_tensor(x)` is true of any other term).
  defguardp large_tensor(value)
            when is_map(value) and is_map_key(value, :__struct__) and
                   :erlang.map_get(:__struct__, value) == Tensor and is_map_key(value, :data) and
                   is_binary(:erlang.map_get(:data, value)) and
                   byte_size(:erlang.map_get(:data, value)) >= @segment_min

  @doc """
  Runs `fun.(args, kwargs)` with every `SnakeBridge.Tensor` of `segment_min/0` bytes or
  more among `args` and the values of `kwargs` (a keyword list or a map, given back as
  the same; top level only) placed in a shared-memory
  segment and passed as a `:shm` handle: the worker maps the bytes read-only instead of
  reading them from its pipe, and gets the same read-only numpy array. The segments are
  removed when `fun` returns (or raises, or this process exits).
  """
  @spec placed(list, kwargs, (list, kwargs -> result)) :: result
        when kwargs: keyword | %{optional(String.t()) => term}, result: term
  # A call of up to two arguments and no kwargs (most calls) decides in one match, with
  # no walk: every call on this node passes here.
  def placed([], kwargs, fun) when kwargs == [] or kwargs == %{}, do: fun.([], kwargs)

  def placed([a] = args, kwargs, fun)
      when (kwargs == [] or kwargs == %{}) and not large_tensor(a),
      do: fun.(args, kwargs)

  def placed([a, b] = args, kwargs, fun)
      when (kwargs == [] or kwargs == %{}) and not large_tensor(a) and not large_tensor(b),
      do: fun.(args, kwargs)

  def placed(args, kwargs, fun) do
    if any_large?(args) or any_large_kwarg?(kwargs) do
      {args, names} = Enum.map_reduce(args, [], &place_arg/2)

      {placed, names} =
        Enum.map_reduce(kwargs, names, fn {key, value}, acc ->
          {value, acc} = place_arg(value, acc)
          {{key, value}, acc}
        end)

      try do
        fun.(args, if(is_map(kwargs), do: Map.new(placed), else: placed))
      after
        Enum.each(names, &Segments.remove/1)
      end
    else
      fun.(args, kwargs)
    end
  end

  @doc "The smallest tensor `placed/3` sends through shared memory (4 MiB)."
  @spec segment_min() :: pos_integer
  def segment_min, do: @segment_min

  defp large?(%Tensor{data: data}) when byte_size(data) >= @segment_min, do: true
  defp large?(_value), do: false

  # Every call on this node passes here, most with no tensor at all: a plain walk of the
  # arguments (and of the kwargs' values), no protocol dispatch, no closure.
  defp any_large?([value | rest]), do: large?(value) or any_large?(rest)
  defp any_large?([]), do: false

  defp any_large_kwarg?(kwargs) when is_map(kwargs),
    do: kwargs |> :maps.values() |> any_large?()

  defp any_large_kwarg?([{_key, value} | rest]), do: large?(value) or any_large_kwarg?(rest)
  defp any_large_kwarg?([]), do: false

  # A malformed tensor stays as it is, for the worker to refuse naming the argument.
  defp place_arg(%Tensor{} = tensor, names) do
    with true <- large?(tensor),
         {:ok, tensor} <- valid(tensor),
         {:ok, handle} <- place(tensor) do
      {handle, [handle.id | names]}
    else
      _ -> {tensor, names}
    end
  end

  defp place_arg(value, names), do: {value, names}

  defp valid(%Tensor{data: data, type: type, shape: shape}) do
    case Tensor.new(data, type, shape) do
      {:ok, tensor} -> {:ok, tensor}
      {:error, message} -> bad(message)
    end
  end

  defp place(%Tensor{data: data, type: type, shape: shape}) do
    case Segments.place(data, self()) do
      {:ok, name} ->
        {:ok,
         %ZeroCopyRef{
           kind: :shm,
           id: name,
           type: type,
           shape: shape,
           size: byte_size(data),
           owner: @elixir_owner,
           session: @elixir_owner,
           host: host(),
           node: Atom.to_string(node())
         }}

      {:error, message} ->
        {:error, Error.runtime(:encode_error, message)}
    end
  end

  @doc "See `SnakeBridge.from_dlpack/3`."
  @spec from_dlpack(Ref.t() | ZeroCopyRef.t(), String.t() | atom, keyword) ::
          {:ok, Ref.t()} | {:error, Error.t()}
  def from_dlpack(value, library, opts \\ [])

  def from_dlpack(%Ref{} = ref, library, opts),
    do: Runtime.ref_call(ref, :from_dlpack, nil, [to_string(library)], opts)

  def from_dlpack(%ZeroCopyRef{kind: :dlpack, pool: pool} = handle, library, opts) do
    sb = Keyword.get(opts, :snakebridge, [])

    sb =
      sb |> Keyword.put_new(:pool, pool || :default) |> Keyword.put_new(:session, handle.session)

    # Only its worker can use it: a handle from another node goes there.
    sb =
      case owner_pool(handle) do
        {:ok, {_pool, node}} -> Keyword.put_new(sb, :node, node)
        _local_or_unknown -> sb
      end

    run(:from_dlpack, [handle, to_string(library)], Keyword.put(opts, :snakebridge, sb))
  end

  def from_dlpack(other, _library, _opts),
    do: refuse("from_dlpack/3", "a ref or a :dlpack handle", other)

  @doc """
  See `SnakeBridge.release/1`: the owning worker removes the handle's data now (this
  BEAM, for a handle that `share/2` made of a `SnakeBridge.Tensor`).
  """
  @spec release(ZeroCopyRef.t()) :: :ok | {:error, Error.t()}
  def release(%ZeroCopyRef{owner: @elixir_owner, id: name, node: owner_node}) do
    cond do
      Segments.own?(name) ->
        Segments.remove(name)

      owner_node == Atom.to_string(node()) ->
        :ok

      true ->
        bad(
          "this handle's segment was placed by node #{owner_node}, which alone removes it; " <>
            "release it there"
        )
    end
  end

  def release(%ZeroCopyRef{owner: owner, session: session} = handle) do
    request = %{call_type: :release, args: [handle], kwargs: %{}, session: session}
    request_id = :erlang.unique_integer([:positive])
    frame = :erlang.term_to_binary({request_id, request})

    with {:ok, pool} <- owner_pool(handle) do
      case pool
           |> Runtime.Pool.request({:worker, owner}, request_id, frame, nil)
           |> Runtime.Callbacks.await(pool, request_id, request) do
        {:reply, _data, _worker} -> :ok
        # Its worker is gone, or its node, and the data with it (the reaper unlinked it).
        {:error, %Error{type: type}} when type in [:ref_lost, :node_down] -> :ok
        {:error, error} -> {:error, error}
      end
    end
  end

  # The pool of the worker that made a handle: on its node, which may be another one
  # (only the owner unlinks; this node's pool has no worker of that name).
  defp owner_pool(%ZeroCopyRef{pool: pool} = handle) do
    pool = pool || :default

    if ZeroCopyRef.local?(handle) do
      {:ok, pool}
    else
      try do
        {:ok, {pool, String.to_existing_atom(handle.node)}}
      rescue
        ArgumentError ->
          bad(
            "this handle was made on node #{handle.node}, which this node has never " <>
              "been connected to; release it there"
          )
      end
    end
  end

  # ---------------------------------------------------------------- internals

  defp bulk_call(ref, call_type, args, opts),
    do: Runtime.ref_call(ref, call_type, nil, args, [host: host()] ++ opts)

  defp run(call_type, args, opts) do
    descriptor = %{
      call_type: call_type,
      library: nil,
      python_module: nil,
      function: nil,
      kwargs: :any,
      idempotent: false
    }

    Runtime.call(descriptor, args, opts)
  end

  # A large reply waits in a segment: read its first `size` bytes, then hand the segment
  # back to the worker (rename it to `back`, the worker's reusable one) or unlink it.
  defp received({:ok, {:shm, name, size, type, shape, back}}) do
    with {:ok, data} <- take(name, size, back), do: tensor(data, type, shape)
  end

  defp received({:ok, {:shm, name, size, back}}), do: take(name, size, back)
  defp received(other), do: other

  defp tensor(data, type, shape) do
    case Tensor.new(data, type, shape) do
      {:ok, tensor} -> {:ok, tensor}
      {:error, message} -> {:error, Error.runtime(:encode_error, message)}
    end
  end

  @shm_dir "/dev/shm"

  defp take(name, size, back) do
    path = Path.join(@shm_dir, name)

    result =
      with :ok <- ZeroCopyRef.check_name(name),
           {:ok, file} <- :file.open(path, [:read, :raw, :binary]) do
        try do
          :file.pread(file, 0, size)
        after
          :file.close(file)
          hand_back(path, back)
        end
      end

    case result do
      {:ok, data} when byte_size(data) == size ->
        {:ok, data}

      {:ok, data} ->
        lost("the worker's reply segment held #{byte_size(data)} bytes, not #{size}")

      :eof ->
        lost("the worker's reply segment was empty")

      {:error, message} when is_binary(message) ->
        lost(message)

      {:error, reason} ->
        lost("cannot read the worker's reply segment #{name}: #{:file.format_error(reason)}")
    end
  end

  defp hand_back(path, back) do
    if is_binary(back) and ZeroCopyRef.check_name(back) == :ok,
      do: File.rename(path, Path.join(@shm_dir, back)),
      else: File.rm(path)
  end

  defp lost(message), do: {:error, Error.runtime(:ref_lost, message)}

  defp materialize(handle) do
    case ZeroCopyRef.materialize(handle) do
      {:ok, value} -> {:ok, value}
      {:error, message} -> {:error, Error.runtime(:ref_lost, message)}
    end
  end

  @doc false
  # This machine as handles name it; read once per VM.
  def host do
    case :persistent_term.get({__MODULE__, :host}, nil) do
      nil ->
        host = ZeroCopyRef.this_host()
        :persistent_term.put({__MODULE__, :host}, host)
        host

      host ->
        host
    end
  end

  defp refuse(fun, takes, other),
    do: bad("#{fun} takes #{takes}, not #{inspect(other, limit: 5)}")

  defp bad(message), do: {:error, Error.runtime(:bad_argument, message)}
end
