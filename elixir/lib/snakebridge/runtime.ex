defmodule SnakeBridge.Runtime do
  @moduledoc """
  The runtime API generated code calls (see `docs/internals.md`):

      SnakeBridge.Runtime.call(descriptor, args, opts)   # {:ok, term} | {:error, %SnakeBridge.Error{}}
      SnakeBridge.Runtime.call!(descriptor, args, opts)  # term, or raises
      SnakeBridge.Runtime.stream(descriptor, args, opts) # lazy Stream

  `descriptor` is the literal map the generator emits (`call_type`, `library`,
  `python_module`, `function`, `kwargs`, `optional_positional`, `idempotent`). `opts`
  is a keyword list: every key but `:snakebridge` is a Python keyword argument, checked
  against `descriptor.kwargs` before anything is sent; runtime options sit under
  `:snakebridge`:

    * `timeout:` ms the Python call may run, or `:infinity` (default 30_000,
      `config :snakebridge, timeout:`); past it the call returns `:timeout` and its
      worker is replaced
    * `session:` a session id (default: the calling process's session)
    * `pool:` the pool name (default `:default`)
    * `node:` where the call runs in a BEAM cluster: `:local` (default), `:any`, a node
      name or a function of the call (see `SnakeBridge.Cluster`)
    * `batch:` items fetched per round trip by streams (default 1)
    * `numeric_lists:` force (`true`) or forbid (`false`) turning numeric lists of 16 or
      more elements into numpy arrays without per-element conversion (default: on for
      numpy, scipy, pandas, sklearn, statsmodels; see `SnakeBridge.Runtime.Numeric`)

    * `idempotent:` `true` lets this call be retried after a worker crash (default: the
      library's or function's `idempotent:` from the config)
    * `retry:` `[attempts: n, base: ms, max: ms]` over the pool's `retry:` (see
      `SnakeBridge.Runtime.Retry`)

  Idempotent calls are retried when their worker crashed (`:worker_crash`: a signal, an
  exit, a protocol break), never after a `:timeout` and never when refused by an open
  circuit (`:circuit_open`): up to `attempts` executions in all (default 3), each retry
  after an exponentially growing, fully jittered backoff, and never past the call's
  deadline (a retry gets what is left of its timeout). Other calls are never retried, so
  their side effects happen at most once.

  Elixir functions anywhere in `args` or `opts` reach Python as callables that run in
  this process (see `SnakeBridge.Runtime.Callbacks`); the timeout covers the whole call,
  its callbacks included.
  """

  alias SnakeBridge.{Error, Ref}
  alias SnakeBridge.Cluster.Router
  alias SnakeBridge.Runtime.{Args, Callbacks, Numeric, Pool, Retry, Session, Telemetry, Wire}

  @runtime_keys [:timeout, :session, :pool, :batch, :numeric_lists, :idempotent, :node, :retry]

  @type descriptor :: %{
          required(:call_type) => atom,
          required(:library) => String.t() | nil,
          required(:python_module) => String.t() | nil,
          required(:function) => String.t() | nil,
          optional(:kwargs) => [String.t()] | :any,
          optional(:optional_positional) => [String.t()],
          optional(:idempotent) => boolean,
          optional(:ledger) => boolean
        }

  @typedoc """
  Keyword options, or the left-out marker `:__python_default__` a generated wrapper
  passes when its caller gave no `opts`; `SnakeBridge.Runtime.Args.shape/3` may then read
  the last argument as the keyword list.
  """
  @type opts :: keyword | :__python_default__

  @doc "Runs a call. See the module doc for `descriptor` and `opts`."
  @spec call(descriptor, list, opts) :: {:ok, term} | {:error, Error.t()}
  def call(descriptor, args, opts \\ []) do
    with {:ok, args, kwargs, sb, runtime} <- prepare(descriptor, args, opts) do
      run(descriptor, descriptor.call_type, args, kwargs, sb, runtime)
    end
  end

  @doc "Like `call/3` but returns the value or raises (`SnakeBridge.ValueError`, ...)."
  @spec call!(descriptor, list, opts) :: term
  def call!(descriptor, args, opts \\ []) do
    case call(descriptor, args, opts) do
      {:ok, value} -> value
      {:error, error} -> Error.raise!(error)
    end
  end

  @doc """
  Runs a wrapper of a Python `*args` function: generated code passes the required
  arguments and the extra ones as given; a trailing keyword list (`[]` included) among
  the extras is `opts`, everything else is positional, in order. `fun` is `:call`,
  `:call!` or `:stream`.
  """
  @spec varargs(:call | :call! | :stream, descriptor, list, list) :: term
  def varargs(fun, descriptor, required, extra) do
    {args, opts} = Args.split_varargs(required, extra)

    case fun do
      :call -> call(descriptor, args, opts)
      :call! -> call!(descriptor, args, opts)
      :stream -> stream(descriptor, args, opts)
    end
  end

  @doc """
  Calls a function whose result is iterable and streams the items lazily: one round
  trip per `batch` items, so consumption is the backpressure; halting early closes the
  Python generator. Errors raise (a stream has no `{:error, _}` channel).
  """
  @spec stream(descriptor, list, opts) :: Enumerable.t()
  def stream(descriptor, args, opts \\ []) do
    iterator_stream(fn ->
      with {:ok, args, kwargs, sb, runtime} <- prepare(descriptor, args, opts),
           {:ok, %Ref{} = ref} <- run(descriptor, :stream, args, kwargs, sb, runtime),
           do: {:ok, ref, sb}
    end)
  end

  @doc false
  # Streams an existing ref's iteration (Enumerable for refs).
  def iterate(%Ref{} = ref, opts) do
    sb = Keyword.get(opts, :snakebridge, [])

    iterator_stream(fn ->
      with {:ok, %Ref{} = iterator} <- ref_call(ref, :iter, nil, [], snakebridge: sb),
           do: {:ok, iterator, sb}
    end)
  end

  # A lazy Stream over a Python iterator ref that `start` obtains: one round trip per
  # batch; halting early closes the iterator.
  defp iterator_stream(start) do
    Stream.resource(
      fn ->
        case start.() do
          {:ok, %Ref{} = ref, sb} -> {ref, false, sb}
          {:error, error} -> Error.raise!(error)
        end
      end,
      &next_items/1,
      &close_stream/1
    )
  end

  defp next_items({ref, true, sb}), do: {:halt, {ref, true, sb}}

  defp next_items({ref, false, sb}) do
    case ref_call(ref, :stream_next, nil, [Keyword.get(sb, :batch, 1)], snakebridge: sb) do
      {:ok, {items, done}} when is_list(items) -> {items, {ref, done == true, sb}}
      {:error, error} -> Error.raise!(error)
    end
  end

  defp close_stream({ref, _done, sb}) do
    _ = ref_call(ref, :stream_close, nil, [], snakebridge: sb)
    :ok
  end

  @doc false
  # Calls that act on a ref: :method, :get_attr, :set_attr, :to_string, :iter, ...
  def ref_call(%Ref{} = ref, call_type, name, args, opts \\ []) do
    descriptor = %{
      call_type: call_type,
      library: nil,
      python_module: ref.type,
      function: name,
      kwargs: :any,
      idempotent: false,
      ledger: Keyword.get(opts, :ledger, false)
    }

    opts = Keyword.delete(opts, :ledger)
    sb = Keyword.get(opts, :snakebridge, [])
    opts = Keyword.put(opts, :snakebridge, Keyword.put_new(sb, :pool, ref.pool || :default))
    call(descriptor, [ref | args], opts)
  end

  @doc false
  def ref_call!(ref, call_type, name, args, opts \\ []) do
    case ref_call(ref, call_type, name, args, opts) do
      {:ok, value} -> value
      {:error, error} -> Error.raise!(error)
    end
  end

  @doc "Releases a ref now (idempotent). Its worker drops the Python object."
  @spec release(Ref.t()) :: :ok | {:error, Error.t()}
  def release(%Ref{} = ref) do
    request = %{call_type: :release, args: [ref], kwargs: %{}, session: ref.session}
    request_id = :erlang.unique_integer([:positive])
    frame = :erlang.term_to_binary({request_id, request})

    pool = Router.ref_pool(ref)

    case pool
         |> Pool.request({:worker, ref.worker}, request_id, frame, nil)
         |> Callbacks.await(pool, request_id, request) do
      {:reply, _data, _worker} -> :ok
      # The worker is gone, or its node, and the object with it: released either way.
      {:error, %Error{type: type}} when type in [:ref_lost, :node_down] -> :ok
      {:error, error} -> {:error, error}
    end
  end

  @doc "Worker statistics (refs held, RSS in KiB, OS pid) of the worker serving this process."
  def stats(opts \\ []) do
    call(
      %{call_type: :stats, library: nil, python_module: nil, function: nil, kwargs: :any},
      [],
      opts
    )
  end

  @doc "The names of the running pools."
  @spec pools() :: [atom]
  defdelegate pools, to: SnakeBridge.Runtime.Pools, as: :names

  # ---------------------------------------------------------------- preparation

  defp prepare(descriptor, args, opts) do
    case Args.shape(descriptor, args, opts) do
      {:ok, args, kwargs, sb} ->
        with {:ok, runtime} <- runtime_opts(sb, descriptor), do: {:ok, args, kwargs, sb, runtime}

      {:error, message} ->
        bad(descriptor, message)
    end
  end

  # The runtime options a call reads, in one pass over `sb`: `{pool, session, timeout,
  # numeric_lists, idempotent, retry, node}` with their defaults (numeric_lists and
  # idempotent: @unset, their defaults depend on the call). The rest of the list is read
  # first, so the first of a repeated key wins, as for Keyword.get/3. Anything the pass
  # does not know (an unknown key, a list that is no keyword list) goes to
  # check_runtime_opts/2, which names the problem.
  @unset :"$snakebridge_unset"
  @runtime_defaults {:default, nil, nil, @unset, @unset, nil, nil}

  defp runtime_opts([], _descriptor), do: {:ok, @runtime_defaults}

  defp runtime_opts(sb, descriptor) do
    case read_runtime_opts(sb) do
      # Every key the pass does not take is refused there: this is that error.
      :unknown ->
        {:error, _} = check_runtime_opts(sb, descriptor)

      {_pool, _session, nil, _numeric, _idempotent, nil, nil} = runtime ->
        {:ok, runtime}

      {_pool, _session, timeout, _numeric, _idempotent, retry, node} = runtime ->
        with :ok <- check_timeout(timeout, descriptor),
             :ok <- check_retry(retry, descriptor),
             :ok <- check_node(node, descriptor),
             do: {:ok, runtime}
    end
  end

  defp read_runtime_opts([]), do: @runtime_defaults
  defp read_runtime_opts([{key, value} | rest]), do: read_runtime_opt(key, value, rest)
  defp read_runtime_opts(_other), do: :unknown

  defp read_runtime_opt(key, value, rest) do
    case read_runtime_opts(rest) do
      :unknown -> :unknown
      runtime -> put_runtime_opt(key, value, runtime)
    end
  end

  defp put_runtime_opt(:pool, value, runtime), do: put_elem(runtime, 0, value)
  defp put_runtime_opt(:session, value, runtime), do: put_elem(runtime, 1, value)
  defp put_runtime_opt(:timeout, value, runtime), do: put_elem(runtime, 2, value)
  defp put_runtime_opt(:numeric_lists, value, runtime), do: put_elem(runtime, 3, value)
  defp put_runtime_opt(:idempotent, value, runtime), do: put_elem(runtime, 4, value)
  defp put_runtime_opt(:retry, value, runtime), do: put_elem(runtime, 5, value)
  defp put_runtime_opt(:node, value, runtime), do: put_elem(runtime, 6, value)
  defp put_runtime_opt(:batch, _value, runtime), do: runtime
  defp put_runtime_opt(_key, _value, _runtime), do: :unknown

  defp check_runtime_opts([], _descriptor), do: :ok

  defp check_runtime_opts(sb, descriptor) do
    if is_list(sb) and Keyword.keyword?(sb) do
      case Keyword.keys(sb) -- @runtime_keys do
        [] ->
          with :ok <- check_timeout(Keyword.get(sb, :timeout), descriptor),
               :ok <- check_retry(Keyword.get(sb, :retry), descriptor),
               do: check_node(Keyword.get(sb, :node), descriptor)

        unknown ->
          bad(
            descriptor,
            "unknown runtime option(s) #{inspect(unknown)} under :snakebridge; known: #{inspect(@runtime_keys)}"
          )
      end
    else
      bad(
        descriptor,
        "`snakebridge:` runtime options must be a keyword list, e.g. [timeout: 5000]"
      )
    end
  end

  defp check_timeout(timeout, _descriptor)
       when timeout == nil or timeout == :infinity or (is_integer(timeout) and timeout > 0),
       do: :ok

  defp check_timeout(timeout, descriptor),
    do:
      bad(
        descriptor,
        "timeout: must be a positive integer (ms) or :infinity, got #{inspect(timeout)}"
      )

  defp check_retry(nil, _descriptor), do: :ok

  defp check_retry(retry, descriptor) do
    case Retry.policy(retry) do
      {:ok, _policy} -> :ok
      {:error, message} -> bad(descriptor, message)
    end
  end

  defp check_node(nil, _descriptor), do: :ok

  defp check_node(node, descriptor) do
    with {:error, message} <- Router.check_policy(node), do: bad(descriptor, message)
  end

  # The error names the call it refused (built only when a call is refused).
  defp bad(descriptor, message),
    do: {:error, %{Error.runtime(:bad_argument, message) | call: call_info(descriptor)}}

  defp call_info(descriptor) do
    %{
      call_type: descriptor.call_type,
      library: descriptor.library,
      python_module: descriptor.python_module,
      function: descriptor.function
    }
  end

  # ---------------------------------------------------------------- execution

  defp run(descriptor, call_type, args, kwargs, sb, runtime) do
    {pool, session, timeout, numeric, idempotent, retry_opts, _node} = runtime

    {session, route} =
      case session do
        nil ->
          {session, owner} = Session.current()
          {session, {:session, session, owner}}

        session when is_binary(session) ->
          {session, {:session, session, nil}}
      end

    {registration, call, key, numeric_module} = Wire.plan(call_type, descriptor)

    {args, kwargs, numeric} =
      case numeric do
        @unset when numeric_module -> {Numeric.pack_args(args), Numeric.pack_kwargs(kwargs), nil}
        @unset -> {args, kwargs, nil}
        true -> {Numeric.pack_args(args), Numeric.pack_kwargs(kwargs), true}
        _off -> {args, kwargs, false}
      end

    wire = %{
      call_type: call_type,
      descriptor: descriptor,
      registration: registration,
      key: key,
      args: args,
      kwargs: python_kwargs(kwargs),
      session: session,
      numeric: numeric
    }

    # An idempotent call carries what its retries need: the call's own `retry:`, when it
    # started and, from its first retry on, its whole time limit (the series never runs
    # past the call's deadline).
    retry =
      if idempotent == true or
           (idempotent == @unset and Map.get(descriptor, :idempotent, false) == true),
         do: %{
           opts: retry_opts,
           done: 1,
           started: System.monotonic_time(:millisecond),
           limit: nil
         }

    # Where it runs: this node's pool (an atom) or {pool, node} (SnakeBridge.Cluster);
    # chosen before :start, so every event of the call names the node.
    target = target(pool, sb, session, args, descriptor, call)

    # Events cost nothing when nobody listens: no metadata is built.
    meta =
      if Telemetry.enabled?() do
        node = if match?({:error, _}, target), do: nil, else: Router.node_of(target)
        Map.merge(call, %{pool: pool, node: node})
      end

    started = Telemetry.start(meta)

    try do
      case target do
        {:error, error} ->
          {{:error, %{error | call: call}}, nil, nil}

        # On this node, large tensor arguments cross through shared memory, not the pipe.
        target when is_atom(target) ->
          SnakeBridge.Bulk.placed(wire.args, wire.kwargs, fn args, kwargs ->
            wire = %{wire | args: args, kwargs: kwargs}
            send_request(target, route, wire, call, timeout, retry)
          end)

        target ->
          send_request(target, route, wire, call, timeout, retry)
      end
    rescue
      exception ->
        Telemetry.exception(started, meta, :error, exception, __STACKTRACE__)
        reraise exception, __STACKTRACE__
    else
      {result, _worker, _served_by} when started == nil ->
        result

      {result, worker, served_by} ->
        # A retry elsewhere may have moved it: :stop names the node that served it.
        meta = Map.put(meta, :node, served_by && Router.node_of(served_by))
        Telemetry.stop(started, meta, worker, result)
        result
    end
  end

  # A routing function's raise comes back as an error; what still raises (a `pool:` that
  # is no atom) does so inside the call's events, with no node.
  defp target(pool, sb, session, args, descriptor, call) do
    Router.target(pool, sb, session, args, descriptor)
  rescue
    exception ->
      meta = Map.merge(call, %{pool: pool, node: nil})
      Telemetry.exception(Telemetry.start(meta), meta, :error, exception, __STACKTRACE__)
      reraise exception, __STACKTRACE__
  end

  defp python_kwargs([]), do: %{}

  defp python_kwargs(kwargs),
    do: Map.new(kwargs, fn {key, value} -> {Atom.to_string(key), value} end)

  defp pool_name({pool, _node}), do: pool
  defp pool_name(pool), do: pool

  # `pool` is the pool here, or `{pool, node}` on another node (SnakeBridge.Cluster):
  # descriptor ids are the same on every node (Wire), so both get the compact form.
  # `retry` is nil for a call that is never retried.
  defp send_request(pool, route, wire, call, timeout, retry, form \\ :compact)

  defp send_request(pool, route, wire, call, timeout, retry, form) do
    request_id = :erlang.unique_integer([:positive])
    {frame, registration} = frame(request_id, wire, form)

    # Callbacks read the wire's session, and the functions in its args and kwargs.
    case pool
         |> Pool.request(route, request_id, frame, timeout, wire.key, registration)
         |> Callbacks.await(pool, request_id, wire) do
      {:reply, data, worker} ->
        case decode_reply(data, request_id, wire, call, worker) do
          # The worker did not know the descriptor (the pool's record of what it was
          # sent disagrees with the worker's): the same call in full, which never fails so.
          :unknown_descriptor ->
            send_request(pool, route, wire, call, timeout, retry, :full)

          result ->
            {Pool.explain_lost(result, pool, wire.session), worker, pool}
        end

      # Another worker may well succeed: the crash was the process's, not the call's
      # limit (:timeout) nor a refusal (:circuit_open).
      {:error, %Error{type: :worker_crash, reason: reason} = error}
      when retry != nil and reason != nil ->
        retry_crashed(pool, route, wire, call, timeout, retry, form, error)

      # The node went away mid-call: another node serving the pool may run it.
      {:error, %Error{type: :node_down} = error} when retry != nil ->
        case Router.retry_target(pool, wire.descriptor, wire.session) do
          nil ->
            {{:error, %{error | call: call}}, nil, pool}

          next ->
            Telemetry.call_event(
              :retry,
              %{attempt: 1, backoff_ms: 0},
              Map.merge(call, %{
                pool: pool_name(next),
                node: Router.node_of(next),
                reason: :node_down
              })
            )

            send_request(next, route, wire, call, timeout, nil)
        end

      {:error, error} ->
        {{:error, %{error | call: call}}, nil, pool}
    end
  end

  # The series of retries of an idempotent call whose worker crashed: its bound and
  # backoff are the pool's `retry:` under the library's and function's (mix.exs), under
  # the call's own (Retry.for_call/4); each retry runs with what is left of the call's
  # timeout (the pool's when the call names none). The limit is taken
  # at the first retry and kept: later attempts run with a shortened `timeout`, which
  # would shorten the deadline again.
  defp retry_crashed(pool, route, wire, call, timeout, retry, form, error) do
    {policy, pool_timeout} = Pool.retry(pool)
    policy = Retry.for_call(policy, call, retry.opts)
    limit = retry.limit || timeout || pool_timeout

    remaining =
      if limit == :infinity,
        do: :infinity,
        else: retry.started + limit - System.monotonic_time(:millisecond)

    case Retry.next(policy, retry.done, remaining) do
      :stop ->
        {{:error, %{error | call: call}}, nil, pool}

      {:retry, backoff} ->
        Telemetry.call_event(
          :retry,
          %{attempt: retry.done, backoff_ms: backoff},
          Map.merge(call, %{
            pool: pool_name(pool),
            node: Router.node_of(pool),
            reason: error.reason
          })
        )

        Process.sleep(backoff)
        left = if remaining == :infinity, do: :infinity, else: remaining - backoff
        next = %{retry | done: retry.done + 1, limit: limit}
        send_request(pool, route, wire, call, left, next, form)
    end
  catch
    # The pool went away while the call was being retried: the crash is the answer.
    :exit, _ -> {{:error, %{error | call: call}}, nil, pool}
  end

  defp frame(request_id, %{registration: registration} = wire, :compact)
       when registration != nil do
    {Wire.call(request_id, registration, wire.args, wire.kwargs, wire.session, wire.numeric),
     registration}
  end

  defp frame(request_id, wire, _form) do
    {Wire.full(
       request_id,
       wire.call_type,
       wire.descriptor,
       wire.args,
       wire.kwargs,
       wire.session,
       wire.numeric
     ), nil}
  end

  defp worker_error(map, call, worker),
    do: map |> Error.from_worker(call, worker) |> Callbacks.restore(map)

  @doc false
  # Every atom the worker may send. Naming them here puts them in the atom table when
  # this module loads, which `binary_to_term(.., [:safe])` requires; Python can never
  # name any other atom.
  def known_atoms do
    [SnakeBridge.Ref, SnakeBridge.Bytes, :__struct__, :id, :session, :worker, :pool, :node] ++
      [:type, :repr] ++
      [
        :data,
        :dtype,
        :shape,
        :nan,
        :infinity,
        :neg_infinity,
        :ok,
        :error,
        :log,
        :ready,
        :default,
        :refs,
        :callbacks,
        :callback,
        :cast,
        :fun,
        :named
      ] ++ value_atoms()
  end

  # The structs and atoms of SnakeBridge.Values (slices, dates, sets, decimals...).
  defp value_atoms do
    [SnakeBridge.Slice, :start, :stop, :step, :..., SnakeBridge.Duration, :microseconds] ++
      [Date, Time, NaiveDateTime, DateTime, Calendar.ISO, :calendar, :year, :month, :day] ++
      [:hour, :minute, :second, :microsecond, :time_zone, :zone_abbr, :utc_offset] ++
      [
        :std_offset,
        MapSet,
        :map,
        :version,
        Decimal,
        :sign,
        :coef,
        :exp,
        :NaN,
        :inf,
        Complex,
        :re,
        :im
      ]
  end

  # Replies shorter than this (every trivial call's) go straight to binary_to_term: a
  # copy of so few bytes costs less than trying the bytes match first.
  @bytes_reply_min 256

  # The pool forwards any frame that starts like this call's reply, and a library can
  # write frames of its own: whatever the bytes say, the caller gets a result, never
  # an exception.
  defp decode_reply(data, request_id, request, call, worker) do
    # A plain bytes reply large enough for its copy to matter keeps its payload in the
    # frame (Wire.bytes_reply/2).
    term =
      with true <- byte_size(data) >= @bytes_reply_min,
           {:ok, bytes} <- Wire.bytes_reply(data, request_id) do
        {request_id, {:ok, bytes}}
      else
        _ -> :erlang.binary_to_term(data, [:safe])
      end

    case term do
      {^request_id, {:ok, value}} ->
        {:ok, value}

      {^request_id, {:error, %{"type" => "unknown_descriptor"}}} ->
        :unknown_descriptor

      # The worker marks replies that left refs in the session (the pool reads the mark).
      {^request_id, {:ok, value}, :refs} ->
        {:ok, value}

      {^request_id, {:error, %{"type" => type} = map}} when is_binary(type) ->
        {:error, worker_error(map, call, worker)}

      # Python kept some of the call's Elixir functions: they stay callable for the session.
      {^request_id, {:ok, value}, :callbacks} ->
        Callbacks.keep(request_id, request)
        {:ok, value}

      {^request_id, {:error, %{"type" => type} = map}, :callbacks} when is_binary(type) ->
        Callbacks.keep(request_id, request)
        {:error, worker_error(map, call, worker)}

      other ->
        out_of_protocol(call, worker, inspect(other, limit: 8, printable_limit: 80))
    end
  rescue
    ArgumentError ->
      out_of_protocol(call, worker, "it names an atom unknown to this node or is not a term")

    exception ->
      out_of_protocol(call, worker, Exception.message(exception))
  end

  defp out_of_protocol(call, worker, what) do
    {:error,
     %{
       Error.runtime(
         :worker_crash,
         "the worker's reply to this call is out of protocol (#{what}); the call's result " <>
           "is unknown. Something in the worker writes to the protocol's file descriptor"
       )
       | call: call,
         worker: worker
     }}
  end
end
