defmodule SnakeBridge.Runtime.Callbacks do
  @moduledoc """
  Python calling back into Elixir, on the caller's side.

  **Functions in arguments.** An Elixir function anywhere in a call's arguments travels
  in the request as the fun term it is; the worker turns each into a Python callable
  that knows only its *index*: its position among the request's funs in encoding order
  (`args` first, then `kwargs`; lists and tuples in order, maps key then value in
  `:maps.to_list/1` order, which is the order `term_to_binary/1` writes them; funs are
  not entered). When Python calls one, the worker sends
  `{:callback, request_id, :fun, index, args}`, the pool hands the frame to the process
  waiting on the call, and `await/4` runs it here, in that process: it walks *its own*
  request for the fun (only now, so calls without callbacks pay nothing), applies it and
  answers `{:callback_reply, {:ok, value} | {:error, map}}`. Python never sends a
  function to run: a worker can only pick, by index, among the funs this process sent.

  **Named functions.** `snakebridge.call_elixir("MyApp.Tools", "lookup", *args)` sends
  `{:callback, request_id, :named, {module, function}, args}`; it runs here too, but only
  for a module or function registered under `callbacks:` in the `snakebridge:` config
  (`registry/1`). `cast_elixir` sends `{:cast, module, function, args}`: the pool runs it
  in a new process (`cast/2`), nobody waits.

  **Errors.** An exception, throw or exit in the function becomes Python's
  `snakebridge.ElixirError`, carrying a `token`; the original is kept in this process
  under that token, so when Python lets the error escape, the outer call fails with the
  original (`restore/2`; `SnakeBridge.Error.raise!/1` re-raises it with its stacktrace).

  **Lifetime.** A function is callable while its call runs; when Python kept it (the
  reply is marked `:callbacks`), `keep/2` remembers the request's funs until its session
  ends (`forget_session/1`), so later calls of the same session can still run it.
  """

  require Logger

  alias SnakeBridge.Error
  alias SnakeBridge.Runtime.{Pool, Pools, Session, WorkerPort}

  # Calls of this process with a callback in progress: [{request_id, session, request | funs}].
  @calls :"$snakebridge_calls"
  # Funs of finished calls that Python kept: %{request_id => {session, funs}}.
  @kept :"$snakebridge_kept"
  # Exceptions raised by callbacks, by the token Python carries: %{token => {kind, reason, stack}}.
  @raised :"$snakebridge_raised"
  @max_raised 64
  # This node's `callbacks:`, for calls served by pools that do not run here.
  @node_registry {__MODULE__, :node, :registry}

  @caller_gone :erlang.term_to_binary(
                 {:callback_reply,
                  {:error,
                   %{
                     "type" => "caller_gone",
                     "message" =>
                       "the Elixir process that made this call has exited (or the call " <>
                         "was abandoned), so its functions cannot run any more"
                   }}}
               )

  @doc false
  # What the pool answers a callback nobody is waiting for.
  def caller_gone_frame, do: @caller_gone

  @doc """
  Serves the callbacks of one call: `reply` is what `Pool.request/5` (or `Pool.resume/4`)
  answered. Returns the call's final `{:reply, data, worker}` or `{:error, error}`.
  """
  @spec await(term, atom, integer, map) :: term
  def await({:callback, data, worker}, pool, request_id, request) do
    calls = Process.get(@calls, [])
    # A new outermost call with callbacks: tokens of earlier ones are no longer needed.
    if calls == [], do: Process.delete(@raised)
    Process.put(@calls, [{request_id, request.session, request} | calls])

    try do
      serve({:callback, data, worker}, pool, request_id)
    after
      Process.put(@calls, List.keydelete(Process.get(@calls, []), request_id, 0))
    end
  end

  def await(reply, _pool, _request_id, _request), do: reply

  defp serve({:callback, data, worker}, pool, request_id) do
    answer = run(data, pool)
    pool |> Pool.resume(worker, request_id, answer) |> serve(pool, request_id)
  end

  defp serve(reply, _pool, _request_id), do: reply

  # ---------------------------------------------------------------- one callback

  defp run(data, pool) do
    case WorkerPort.safe_decode(data) do
      {:callback, request_id, :fun, index, args}
      when is_integer(index) and index >= 0 and is_list(args) ->
        run_fun(request_id, index, args)

      {:callback, request_id, :named, {module, function}, args}
      when is_binary(module) and is_binary(function) and is_list(args) ->
        case resolve(pool, module, function, length(args)) do
          {:ok, mod, fun} -> apply_in(session_of(request_id), fn -> apply(mod, fun, args) end)
          {:error, type, message} -> failure(type, message)
        end

      # An atom unknown to this node, or a frame of no known shape.
      _ ->
        failure("exception", "SnakeBridge could not read the callback request safely")
    end
  end

  defp run_fun(request_id, index, args) do
    case funs(request_id) do
      {session, funs} when index < tuple_size(funs) ->
        fun = elem(funs, index)

        if is_function(fun, length(args)) do
          apply_in(session, fn -> apply(fun, args) end)
        else
          {:arity, arity} = Function.info(fun, :arity)

          failure(
            "type_error",
            "#{inspect(fun)} takes #{arity} argument(s), but was called with #{length(args)}"
          )
        end

      _ ->
        failure(
          "caller_gone",
          "this Elixir function is not known to the process Python called back " <>
            "(its call and session are over)"
        )
    end
  end

  # The funs of a call with a callback in progress, or of a kept call. Walked once.
  defp funs(request_id) do
    calls = Process.get(@calls, [])

    case List.keyfind(calls, request_id, 0) do
      {_, session, %{} = request} ->
        funs = walk(request)
        Process.put(@calls, List.keyreplace(calls, request_id, 0, {request_id, session, funs}))
        {session, funs}

      {_, session, funs} ->
        {session, funs}

      nil ->
        Map.get(Process.get(@kept, %{}), request_id)
    end
  end

  defp session_of(request_id) do
    case List.keyfind(Process.get(@calls, []), request_id, 0) do
      {_, session, _} -> session
      nil -> nil
    end
  end

  # Runs the function with the call's session as this process's session, so the refs
  # Python passed (bound to that session) work in nested calls.
  defp apply_in(session, thunk) do
    result =
      try do
        {:ok, Session.with_current(session, thunk)}
      catch
        kind, reason -> {kind, reason, __STACKTRACE__}
      end

    case result do
      {:ok, value} -> :erlang.term_to_binary({:callback_reply, {:ok, value}})
      {kind, reason, stack} -> raised(kind, reason, stack)
    end
  end

  defp raised(kind, reason, stack) do
    reason = if kind == :error, do: Exception.normalize(:error, reason, stack), else: reason
    reason = with_arguments(reason, stack)
    token = :erlang.unique_integer([:positive])
    raised = Process.get(@raised, %{})
    raised = if map_size(raised) >= @max_raised, do: %{}, else: raised
    Process.put(@raised, Map.put(raised, token, {kind, reason, stack}))

    {module, message} =
      case kind do
        :error -> {inspect(reason.__struct__), Exception.message(reason) <> ref_hint(reason)}
        :throw -> {nil, "throw: " <> inspect(reason)}
        :exit -> {nil, "exit: " <> Exception.format_exit(reason)}
      end

    :erlang.term_to_binary(
      {:callback_reply,
       {:error,
        %{
          "type" => "exception",
          "kind" => Atom.to_string(kind),
          "module" => module,
          "message" => message,
          "stacktrace" => Exception.format_stacktrace(stack),
          "token" => token
        }}}
    )
  end

  # A callback whose clauses match Elixir shapes (`fn [x, y] ->`) while Python passed an
  # object as a ref (scipy passes x0 as a numpy array): the error lists the arguments
  # that arrived (Exception.blame/3 fills them in) and says how to convert a ref.
  defp with_arguments(%FunctionClauseError{args: nil} = error, stack) do
    {blamed, _stack} = Exception.blame(:error, error, stack)
    blamed
  end

  defp with_arguments(reason, _stack), do: reason

  defp ref_hint(%FunctionClauseError{args: args}) when is_list(args) do
    case Enum.uniq(for %SnakeBridge.Ref{type: type} <- args, do: type) do
      [] ->
        ""

      types ->
        "\n\nPython passed #{Enum.join(types, ", ")} as a SnakeBridge.Ref (an object " <>
          "that does not cross by value), so a clause matching an Elixir list or map " <>
          "cannot match it; convert it first: SnakeBridge.to_elixir!(x) (a numpy array " <>
          "gives a list), or SnakeBridge.method!(x, \"tolist\")"
    end
  end

  defp ref_hint(_reason), do: ""

  defp failure(type, message),
    do:
      :erlang.term_to_binary({:callback_reply, {:error, %{"type" => type, "message" => message}}})

  @doc """
  The funs of `request` in the worker's decode order (see the moduledoc), as a tuple.
  """
  @spec walk(map) :: tuple
  def walk(request) do
    acc = collect(Map.get(request, :args, []), [])
    acc = collect(Map.get(request, :kwargs, %{}), acc)
    acc |> Enum.reverse() |> List.to_tuple()
  end

  defp collect(fun, acc) when is_function(fun), do: [fun | acc]
  defp collect([head | tail], acc), do: collect(tail, collect(head, acc))
  defp collect([], acc), do: acc

  defp collect(tuple, acc) when is_tuple(tuple),
    do: Enum.reduce(Tuple.to_list(tuple), acc, &collect/2)

  defp collect(map, acc) when is_map(map) do
    Enum.reduce(:maps.to_list(map), acc, fn {key, value}, acc ->
      collect(value, collect(key, acc))
    end)
  end

  defp collect(_other, acc), do: acc

  # ---------------------------------------------------------------- after the call

  @doc false
  # The reply said Python kept some of the call's functions: remember them for the session.
  def keep(request_id, request) do
    funs = walk(request)
    Process.put(@kept, Map.put(Process.get(@kept, %{}), request_id, {request.session, funs}))
    :ok
  end

  @doc false
  # The session ended (SnakeBridge.with_session/2 returned): its kept functions go.
  def forget_session(session) do
    case Process.get(@kept) do
      nil ->
        :ok

      kept ->
        Process.put(@kept, for({id, {s, _} = v} <- kept, s != session, into: %{}, do: {id, v}))
        :ok
    end
  end

  @doc false
  # An error reply whose Python exception was an ElixirError: the original exception,
  # when this process raised it, else one rebuilt from what Python carried.
  @spec restore(Error.t(), map) :: Error.t()
  def restore(%Error{} = error, %{"elixir" => origin}) when is_map(origin) do
    {original, stack} =
      case Map.fetch(Process.get(@raised, %{}), origin["token"]) do
        {:ok, {:error, exception, stack}} -> {exception, stack}
        {:ok, {kind, reason, stack}} -> {{kind, reason}, stack}
        :error -> {nil, nil}
      end

    message =
      case original do
        %{__exception__: true} = exception ->
          "#{inspect(exception.__struct__)}: #{Exception.message(exception)}" <>
            ref_hint(exception)

        _ ->
          if origin["type"],
            do: "#{origin["type"]}: #{origin["message"]}",
            else: origin["message"]
      end

    %{
      error
      | type: :elixir_error,
        message: "#{message} (raised in an Elixir callback; Python did not catch it)",
        exception: original,
        stacktrace: stack
    }
  end

  def restore(error, _map), do: error

  # ---------------------------------------------------------------- named functions

  @doc """
  The functions Python may call by name in pool `pool`: `%{"MyApp.Tools" => {module,
  :all | [name]}}`, from the `callbacks:` setting the pool started with
  (`SnakeBridge.Runtime.Settings.load/0`, normalized by `SnakeBridge.Config`).

  A call served by a pool on another node (`{pool, node}`) runs its named callbacks
  here, in the caller, so this node's rules govern: the registry of its own pool of
  that name, or, when that pool does not run here, this node's `callbacks:` setting
  (read once). The serving node's worker checks its own registry first, so a name must
  be registered on both nodes.
  """
  @spec registry(atom | {atom, node}) :: %{String.t() => {module, :all | [String.t()]}}
  def registry({pool, _node}), do: Pools.callbacks(pool) || node_registry()
  def registry(pool), do: Pools.callbacks(pool) || %{}

  defp node_registry do
    case :persistent_term.get(@node_registry, nil) do
      nil ->
        registry = by_name(SnakeBridge.Runtime.Settings.load().callbacks)
        :persistent_term.put(@node_registry, registry)
        registry

      registry ->
        registry
    end
  end

  @doc false
  # What the worker gets in its init frame, to refuse unregistered names without a
  # round trip (Elixir checks again: the worker is not trusted).
  def worker_registry(callbacks) do
    Map.new(by_name(callbacks), fn {name, {_module, names}} ->
      {name, if(names == :all, do: "all", else: names)}
    end)
  end

  @doc false
  # `%{MyApp.Tools => :all, MyApp.Db => ["get"]}` keyed by the name Python uses.
  def by_name(callbacks) do
    Map.new(callbacks || %{}, fn {module, names} ->
      {module |> Atom.to_string() |> String.replace_prefix("Elixir.", ""), {module, names}}
    end)
  end

  # Python names a module and function by string: only registered ones, and only
  # functions the module exports, are found (no atom is ever created from them).
  defp resolve(pool, module, function, arity) do
    name = String.replace_prefix(module, "Elixir.", "")

    with {:ok, {mod, names}} <- registered(pool, name, function),
         {:ok, fun} <- exported(mod, name, function, names, arity) do
      {:ok, mod, fun}
    end
  end

  defp registered(pool, name, function) do
    case Map.fetch(registry(pool), name) do
      {:ok, {_mod, names} = entry} when names == :all ->
        {:ok, entry}

      {:ok, {_mod, names} = entry} ->
        if function in names,
          do: {:ok, entry},
          else:
            {:error, "not_allowed",
             "#{name}.#{function} is not registered for calls from Python (registered: " <>
               "#{Enum.join(names, ", ")}); add it to `callbacks:` in the snakebridge: config"}

      :error ->
        {:error, "not_allowed",
         "Elixir module #{name} is not registered for calls from Python; add it to " <>
           "`snakebridge: [callbacks: [#{name}]]` in mix.exs"}
    end
  end

  defp exported(mod, name, function, names, arity) do
    exports =
      case Code.ensure_loaded(mod) do
        {:module, _} -> mod.module_info(:exports)
        _ -> []
      end

    arities =
      for {fun, a} <- exports,
          Atom.to_string(fun) == function,
          names != :all or public?(function),
          do: {fun, a}

    case Enum.find(arities, fn {_fun, a} -> a == arity end) do
      {fun, _} ->
        {:ok, fun}

      nil when arities == [] ->
        {:error, "attribute_error", "#{name}.#{function} is not a public function of #{name}"}

      nil ->
        {:error, "type_error",
         "#{name}.#{function} takes #{Enum.map_join(arities, " or ", &elem(&1, 1))} " <>
           "argument(s), but was called with #{arity}"}
    end
  end

  defp public?(function),
    do:
      function != "module_info" and not String.starts_with?(function, "__") and
        not String.starts_with?(function, "MACRO-")

  @doc false
  # A cast from Python: run it in a new process; nobody waits, failures are logged.
  def cast(pool, data) do
    Task.start(fn ->
      with {:cast, module, function, args}
           when is_binary(module) and is_binary(function) and is_list(args) <-
             WorkerPort.safe_decode(data),
           {:ok, mod, fun} <- resolve(pool, module, function, length(args)) do
        apply(mod, fun, args)
      else
        {:error, _type, message} ->
          Logger.warning("SnakeBridge: cast_elixir refused: " <> message)

        other ->
          Logger.warning("SnakeBridge: unreadable cast_elixir frame: #{inspect(other)}")
      end
    end)

    :ok
  end
end
