defmodule SnakeBridge.Runtime.Pool do
  @moduledoc """
  One named pool of Python worker OS processes, each an Erlang port this process owns.

  Why one process owns every port of a pool: a call then costs two message hops
  (caller -> pool -> port, port -> pool -> caller) and the pool never decodes a reply
  (it recognizes it by its `{request_id, ...}` prefix and forwards the bytes; the caller
  decodes). Encoding happens in the caller, so large payloads never occupy the pool.

  Scheduling: each worker slot runs one request at a time, and up to `pipeline - 1`
  more (default 4 in all) are already written to its pipe, so the worker starts the next
  one as soon as it has written a reply instead of idling while the reply travels (with
  a few written, it reads them without sleeping in between, which costs it and the VM
  less CPU per call than depth 2 did). A
  session (see
  `SnakeBridge.Runtime.Session`) is pinned to the slot it first landed on, because the
  refs it creates live in that worker; new sessions go to the least loaded slot. Calls
  wait in their slot's queue; the pool's queues are bounded (`max_queue`) and a call
  that cannot be queued, or waits longer than `checkout_timeout`, gets
  `:pool_overloaded` instead of piling up.

  Timeouts: a call that runs past its timeout is answered with `:timeout`, and its
  worker is killed and replaced, so no late reply can reach a later caller (request ids
  are also unique per node and checked on every reply). A pipelined call's timeout
  starts when it becomes the one in flight. When a worker dies, its pipelined calls had
  not started (its exit arrives after every reply it wrote): they run on its
  replacement. When the pool stops a worker (a timeout, a hang), they may have started:
  they fail with `:worker_crash` (reason `:killed`), and callers retry idempotent ones.

  Requests are built by the caller (`SnakeBridge.Runtime.Wire`): a compact frame names
  its descriptor by id, and the pool writes the descriptor's registration ahead of the
  first such frame each worker gets (again when the worker last read another
  descriptor's under that id). A worker is given calls only once its `{:ready, info}`
  reports this client's protocol version (`WorkerPort.check_protocol/3`).

  Callbacks (see `SnakeBridge.Runtime.Callbacks`): while a call runs, its worker may send
  `{:callback, ...}`. The pool answers the waiting caller with `{:callback, frame,
  worker}` (its `request/5` returns), and the job waits for the caller's `resume/4`,
  which carries the answer to the worker. Meanwhile the caller may call again: a call
  from the very process a waiting job called back goes straight to that worker (a
  nested call; the waiting job is stacked under it), never into the queue, so nesting
  cannot deadlock. A nested call's deadline is capped by the outer one: the timeout
  covers the whole outer call. The caller is monitored from its first callback on: if
  it dies, the worker is told (`caller_gone`) and unwinds instead of waiting forever.
  A worker that dies or is killed while callers are inside callbacks is remembered
  (`gone`), so their `resume/4` (or a nested call) gets its error at once.

  Lifecycle: ports are linked to the pool; workers exit on stdin EOF, and the kernel
  kills them when the VM goes (`snakebridge.runtime.lifeline`), so stopping the pool or
  the VM leaves no Python process behind. A worker that fails to start is retried with
  backoff; while it keeps failing, calls get an error that says why instead of waiting.
  A worker's death is classified (`WorkerPort.crash_reason/2`) and counted against the
  function it was running (`SnakeBridge.Runtime.Circuit`); `spares:` workers are swapped
  in at once (a spare's interpreter is spawned by a helper, `Pool.Opener`, so the pool
  never waits on a fork while it serves calls); idle workers get heartbeats (a stuck one
  is replaced as `:hang`); workers are recycled on `max_calls:`, `max_age:` and
  `max_memory_mb:`, and when a function they ran has its circuit opened (`:taint`),
  draining first while their sessions hold refs.

  Frames the pool does not expect (a library writing to the protocol's descriptor) are
  dropped: they never fail another caller's call, and OS pids come only from the port.
  """
  use GenServer
  require Logger

  alias SnakeBridge.Error
  alias SnakeBridge.Runtime.{Circuit, Retry, SessionTable, Telemetry, WorkerPort}
  alias SnakeBridge.Runtime.Pool.{Errors, Job, Opener, Slot}

  @log_prefix <<131, 104, 3, 100, 0, 3, "log">>
  @log_prefix_utf8 <<131, 104, 3, 119, 3, "log">>
  # The worker writes atoms as SMALL_ATOM_UTF8 (119).
  @callback_prefix <<131, 104, 5, 119, 8, "callback">>
  @cast_prefix <<131, 104, 4, 119, 4, "cast">>
  @max_backoff 5_000
  @tick 50
  @max_gone 64
  @spare_delay 250
  # Written after every callback frame a worker sends: requests the worker reads before
  # it were pipelined behind the calling job (it runs them later), requests after it are
  # nested calls of the callback.
  @fence :erlang.term_to_binary({:fence})
  @pipeline 4

  defstruct name: nil,
            settings: nil,
            size: 1,
            env: [],
            timeout: 30_000,
            checkout_timeout: 5_000,
            heartbeat: 5_000,
            heartbeat_timeout: 2_000,
            max_queue: 1_000,
            pipeline: @pipeline,
            slots: %{},
            ports: %{},
            instances: %{},
            sessions: %SessionTable{},
            session_ttl: 300_000,
            circuits: %{},
            circuit_limits: nil,
            retry: %Retry{},
            library_limits: [],
            spares: %{},
            opening: %{},
            spare_count: 0,
            spare_failures: 0,
            limits: %{},
            callers: %{},
            gone: %{},
            queued: 0,
            ticking: false,
            unavailable: nil

  # ---------------------------------------------------------------- client API

  @doc false
  def child_spec(opts) do
    %{
      id: {__MODULE__, Keyword.fetch!(opts, :name)},
      start: {__MODULE__, :start_link, [opts]},
      type: :worker,
      shutdown: 5_000
    }
  end

  @doc """
  Starts a pool. Options: `:name` (atom, required), `:size`, `:env` (map or keyword of
  extra environment variables for the workers), `:python`, `:libraries`, `:ledger_path`,
  `:timeout`, `:checkout_timeout`, `:max_queue`, `:session_ttl` (ms, or `:infinity`,
  default 300_000: how long a session named by `snakebridge: [session: id]` keeps its
  refs without a call; see `SnakeBridge.Runtime.SessionTable`), `:spares` (default 0),
  `:max_calls`, `:max_age` (ms), `:max_memory_mb`, `:drain_timeout` (ms, default 60_000),
  `:heartbeat` (ms or `false`, default 5_000), `:heartbeat_timeout` (ms, default 2_000),
  `:pipeline` (calls written to a worker at once, the one running included; default 4,
  1 = none),
  `:circuit` (`crashes:`, `window:`, `cool_down:`, `max_cool_down:`; see
  `SnakeBridge.Runtime.Circuit`), `:retry` (`attempts:`, `base:`, `max:`: how idempotent
  calls are retried after a crash; see `SnakeBridge.Runtime.Retry`), `:settings` (a map from
  `SnakeBridge.Runtime.Settings.load/0`, default: loaded now).
  """
  def start_link(opts) do
    name = Keyword.fetch!(opts, :name)
    check_keys!(Keyword.drop(opts, [:name, :settings]), "SnakeBridge.Runtime.Pool.start_link/1")

    with {:error, message} <- Retry.policy(opts[:retry]) do
      raise ArgumentError,
            "SnakeBridge.Runtime.Pool.start_link/1: pool #{inspect(name)}: #{message}"
    end

    GenServer.start_link(__MODULE__, opts, name: process_name(name))
  end

  @keys [:size, :env, :python, :libraries, :ledger_path, :timeout, :checkout_timeout] ++
          [:max_queue, :session_ttl, :spares, :max_calls, :max_age, :max_memory_mb] ++
          [:drain_timeout, :heartbeat, :heartbeat_timeout, :circuit, :pipeline, :node, :retry]

  @doc "The keys a pool takes (`start_link/1`, `config :snakebridge, pools: [name: [...]]`)."
  @spec keys() :: [atom]
  def keys, do: @keys

  @doc """
  Raises `ArgumentError` naming every key of `opts` that is not a pool key, the closest
  known one and the full list: a misspelt option must not be ignored (`spare: 1` would
  start no spare at all). `where` says where the options came from.
  """
  @spec check_keys!(keyword, String.t()) :: :ok
  def check_keys!(opts, where) do
    unless is_list(opts) and Keyword.keyword?(opts) do
      raise ArgumentError, "#{where}: pool options must be a keyword list, got #{inspect(opts)}"
    end

    case Keyword.keys(opts) -- @keys do
      [] ->
        :ok

      unknown ->
        hints =
          for key <- unknown do
            closest = Enum.max_by(@keys, &String.jaro_distance(to_string(&1), to_string(key)))

            if String.jaro_distance(to_string(closest), to_string(key)) > 0.8,
              do: "#{inspect(key)} (did you mean #{inspect(closest)}?)",
              else: inspect(key)
          end

        raise ArgumentError,
              "#{where}: unknown pool key(s) #{Enum.join(hints, ", ")}; a pool takes " <>
                Enum.map_join(@keys, ", ", &inspect/1)
    end
  end

  @doc "The registered process name of pool `name` (`{name, node}`: that pool on another node)."
  @spec process_name(atom | {atom, node}) :: atom | {atom, node}
  def process_name({name, node}), do: {process_name(name), node}
  def process_name(:default), do: :"Elixir.SnakeBridge.Runtime.Pool.default"
  # Other names: built once per name and cached (atom building costs on every call).
  def process_name(name) when is_atom(name) do
    case :persistent_term.get({__MODULE__, name}, nil) do
      nil ->
        registered = :"Elixir.SnakeBridge.Runtime.Pool.#{name}"
        :persistent_term.put({__MODULE__, name}, registered)
        registered

      registered ->
        registered
    end
  end

  @doc """
  Sends one encoded request and waits for its reply. `route` is `{:session, id, owner}`
  (owner pid or nil) or `{:worker, worker_id}`; `key` names the Python function
  (`"module.function"`) for taint (`SnakeBridge.Runtime.Circuit`); `registration` is the
  compact frame's descriptor (`SnakeBridge.Runtime.Wire.registration/2`), written to a
  worker ahead of the first call that needs it. Returns `{:reply, binary, worker_id}`,
  `{:callback, binary, worker_id}` (the worker calls back: answer with `resume/4`) or
  `{:error, %SnakeBridge.Error{}}`.
  """
  def request(pool, route, request_id, frame, timeout, key \\ nil, registration \\ nil),
    do: call_pool(pool, {:call, route, request_id, frame, timeout, key, registration})

  @doc """
  Answers a callback: `frame` goes to the worker whose job `request_id` called back, and
  the call waits on as in `request/5` (its reply, or the next callback).
  """
  def resume(pool, worker, request_id, frame),
    do: call_pool(pool, {:resume, worker, request_id, frame})

  defp call_pool(pool, message) do
    GenServer.call(process_name(pool), message, :infinity)
  catch
    :exit, reason when is_tuple(pool) ->
      {:error, SnakeBridge.Cluster.Router.exit_error(pool, reason)}

    :exit, {:noproc, _} ->
      {:error,
       Error.runtime(
         :worker_crash,
         "SnakeBridge pool #{inspect(pool)} is not running; start the :snakebridge " <>
           "application, or configure the pool under `config :snakebridge, pools: [...]`"
       )}

    :exit, reason ->
      {:error,
       Error.runtime(
         :worker_crash,
         "SnakeBridge pool #{inspect(pool)} stopped during the call: #{inspect(reason)}"
       )}
  end

  @doc """
  How the pool's idempotent calls are retried (`SnakeBridge.Runtime.Retry`), and the
  timeout its calls get when they name none: `{policy, timeout}`.
  """
  @spec retry(atom | {atom, node}) :: {Retry.t(), timeout}
  def retry(pool), do: GenServer.call(process_name(pool), :retry)

  @doc "Ends a session in this pool: its refs are released in the worker that holds them."
  def end_session(pool, session), do: GenServer.cast(process_name(pool), {:end_session, session})

  @doc "Pool state for tests and diagnostics: worker ids, OS pids, queue lengths."
  def info(pool), do: GenServer.call(process_name(pool), :info)

  @doc """
  The functions that crashed workers of this pool: one map per function with its
  circuit's `state` (`:closed`, `:open`, `:half_open`), the last crash `reason`, the
  number of `crashes`, `retry_in_ms` (nil when closed) and the `limits` that apply to it
  (its library's `circuit:`, else the pool's). See `SnakeBridge.Runtime.Circuit`.
  """
  def circuits(pool), do: GenServer.call(process_name(pool), :circuits)

  @doc """
  A `:ref_lost` error of a call in `session` gets the pool's account of why the refs'
  worker is gone (rotated after draining, crashed, timed out, hung), when it has one.
  Any other result passes through.
  """
  @spec explain_lost(result, atom, String.t() | nil) :: result when result: term
  def explain_lost({:error, %Error{type: :ref_lost} = error} = result, pool, session)
      when is_binary(session) do
    case GenServer.call(process_name(pool), {:lost, session}) do
      nil -> result
      why -> {:error, %{error | message: error.message <> "; " <> why}}
    end
  catch
    :exit, _ -> result
  end

  def explain_lost(result, _pool, _session), do: result

  # ---------------------------------------------------------------- server

  @impl true
  def init(opts) do
    Process.flag(:trap_exit, true)
    settings = Keyword.get_lazy(opts, :settings, &SnakeBridge.Runtime.Settings.load/0)
    callbacks = SnakeBridge.Runtime.Callbacks.by_name(settings[:callbacks])
    SnakeBridge.Runtime.Pools.register(Keyword.fetch!(opts, :name), callbacks)
    SnakeBridge.Cluster.join(opts[:name], Keyword.get(opts, :node, settings[:node] || :local))

    settings =
      settings
      |> maybe_put(:python, opts[:python] && {:ok, opts[:python]})
      |> maybe_put(
        :libraries,
        opts[:libraries] && SnakeBridge.Runtime.Settings.normalize_libraries(opts[:libraries])
      )
      |> maybe_put(:ledger_path, opts[:ledger_path])

    state = %__MODULE__{
      name: Keyword.fetch!(opts, :name),
      settings: settings,
      size: max(Keyword.get(opts, :size, System.schedulers_online()), 1),
      env:
        opts
        |> Keyword.get(:env, [])
        |> Enum.map(fn {k, v} -> {to_charlist(k), to_charlist(v)} end),
      timeout: Keyword.get(opts, :timeout, 30_000),
      checkout_timeout: Keyword.get(opts, :checkout_timeout, 5_000),
      max_queue: Keyword.get(opts, :max_queue, 1_000),
      pipeline: max(Keyword.get(opts, :pipeline, @pipeline), 1),
      session_ttl: Keyword.get(opts, :session_ttl, 300_000),
      heartbeat: Keyword.get(opts, :heartbeat, 5_000),
      heartbeat_timeout: Keyword.get(opts, :heartbeat_timeout, 2_000),
      circuit_limits: Circuit.limits(opts[:circuit], Circuit.defaults()),
      library_limits:
        Circuit.library_limits(
          settings.libraries,
          Circuit.limits(opts[:circuit], Circuit.defaults())
        ),
      retry: elem(Retry.policy(opts[:retry]), 1),
      spare_count: Keyword.get(opts, :spares, 0),
      limits: %{
        max_calls: Keyword.get(opts, :max_calls),
        max_age: Keyword.get(opts, :max_age),
        max_memory_kb: opts[:max_memory_mb] && opts[:max_memory_mb] * 1024,
        drain_timeout: Keyword.get(opts, :drain_timeout, 60_000)
      }
    }

    schedule_sweep(state)
    schedule_heartbeat(state)

    case settings.python do
      {:ok, _python} ->
        slots = Map.new(1..state.size, fn index -> {index, %Slot{}} end)
        state = %{state | slots: slots}
        # All workers are spawned now and become ready concurrently (ports are async).
        state = Enum.reduce(1..state.size, state, fn index, acc -> start_worker(acc, index) end)
        {:ok, Enum.reduce(1..state.spare_count//1, state, fn _, acc -> start_spare(acc) end)}

      {:error, message} ->
        {:ok, %{state | unavailable: message}}
    end
  end

  defp maybe_put(map, _key, nil), do: map
  defp maybe_put(map, key, value), do: Map.put(map, key, value)

  @impl true
  def handle_call({:call, route, request_id, frame, timeout, key, registration}, from, state) do
    with nil <- state.unavailable,
         nil <- SnakeBridge.Cluster.Guard.refusal(from, key, registration, frame),
         {:ok, state} <- check_circuit(state, key),
         {:ok, index, state} <- pick_slot(state, route) do
      submit(state, index, %Job{
        from: from,
        request_id: request_id,
        key: key,
        frame: frame,
        registration: registration,
        timeout: timeout || state.timeout,
        session: route_session(route)
      })
    else
      message when is_binary(message) ->
        {:reply, {:error, Error.runtime(:python_unavailable, message)}, state}

      # A call from another node for a library the two nodes do not run alike.
      %Error{} = refused ->
        {:reply, {:error, refused}, state}

      {:error, error, state} ->
        {:reply, {:error, error}, state}
    end
  end

  def handle_call({:resume, worker, request_id, frame}, {pid, _} = from, state) do
    with {:ok, index} <- Map.fetch(state.instances, worker),
         slot = state.slots[index],
         %Job{request_id: ^request_id, waiting: true, caller: ^pid} = job <- slot.current do
      true = Port.command(slot.port, frame)
      {:noreply, put_current(state, index, %{job | from: from, waiting: false})}
    else
      _ -> {:reply, {:error, gone_error(state, worker)}, state}
    end
  end

  def handle_call(:retry, _from, state), do: {:reply, {state.retry, state.timeout}, state}

  def handle_call({:lost, session}, _from, state),
    do: {:reply, SessionTable.lost(state.sessions, session), state}

  def handle_call(:circuits, _from, state) do
    report =
      for circuit <- Circuit.report(state.circuits, now()) do
        limits = Circuit.limits_for(state.library_limits, circuit.function, state.circuit_limits)
        Map.put(circuit, :limits, limits)
      end

    {:reply, report, state}
  end

  def handle_call(:info, _from, state) do
    workers = for {index, slot} <- Enum.sort(state.slots), do: Slot.report(slot, index)

    {:reply,
     %{
       name: state.name,
       size: state.size,
       workers: workers,
       sessions: SessionTable.size(state.sessions),
       spares:
         for {_port, spare} <- state.spares do
           %{worker: spare.worker, os_pid: spare.os_pid, status: spare.status}
         end,
       unavailable: state.unavailable
     }, state}
  end

  @impl true
  def handle_cast({:end_session, session}, state) do
    {:noreply, drop_session(state, session)}
  end

  @impl true
  def handle_info({port, {:data, data}}, state) when is_port(port) do
    case Map.fetch(state.ports, port) do
      {:ok, :spare} -> {:noreply, spare_frame(state, port, data)}
      {:ok, index} -> {:noreply, handle_frame(state, index, data)}
      :error -> {:noreply, state}
    end
  end

  def handle_info(:start_spare, state) do
    if map_size(state.spares) + map_size(state.opening) < state.spare_count,
      do: {:noreply, start_spare(state)},
      else: {:noreply, state}
  end

  # A spare's port, opened by a helper (`Opener`): what it said before the handover is
  # handled first, as if it had come here.
  def handle_info({:opened, ref, helper, port, spare}, state) do
    early = Opener.take(helper, port)

    state = %{
      state
      | opening: Map.delete(state.opening, ref),
        spares: Map.put(state.spares, port, spare),
        ports: Map.put(state.ports, port, :spare)
    }

    {:noreply,
     Enum.reduce(early, state, fn message, acc ->
       {:noreply, acc} = handle_info(message, acc)
       acc
     end)}
  end

  def handle_info({:open_failed, ref, message}, state) do
    {worker, opening} = Map.pop(state.opening, ref)
    Logger.error("SnakeBridge: spare worker #{worker} could not be started: #{message}")
    failures = state.spare_failures + 1
    Process.send_after(self(), :start_spare, restart_backoff(failures))
    {:noreply, %{state | opening: opening, spare_failures: failures}}
  end

  def handle_info({port, {:exit_status, status}}, state) when is_port(port) do
    {:noreply, worker_exited(state, port, {:status, status})}
  end

  def handle_info({:EXIT, port, reason}, state) when is_port(port) do
    {:noreply, worker_exited(state, port, {:port, reason})}
  end

  def handle_info({:EXIT, _pid, reason}, state) when reason in [:normal, :shutdown] do
    {:noreply, state}
  end

  def handle_info({:EXIT, _pid, reason}, state), do: {:stop, reason, state}

  # One sweep timer per pool instead of a timer per call (starting and cancelling a
  # timer for every call is a measurable share of a trivial call's cost).
  def handle_info(:tick, state) do
    now = now()

    state =
      Enum.reduce(state.slots, %{state | ticking: false}, fn {index, slot}, acc ->
        acc = expire_queued(acc, index, now)

        case slot.current do
          %Job{request_id: request_id, deadline: deadline} when deadline <= now ->
            expire(acc, index, request_id)

          _ ->
            acc
        end
      end)

    {:noreply, ensure_tick(state)}
  end

  # Idle workers must answer a cheap request within heartbeat_timeout: one stuck in C
  # code holding the GIL never does, and is replaced before a call lands on it. Busy
  # workers are judged by their call's timeout.
  def handle_info(:heartbeat, state) do
    state =
      Enum.reduce(state.slots, state, fn {index, slot}, acc ->
        case Slot.free?(slot) && rotation_due(acc, slot) do
          reason when reason not in [nil, false] -> rotate_or_drain(acc, index, reason)
          false -> acc
          nil -> dispatch(acc, index, Job.heartbeat(acc.heartbeat_timeout))
        end
      end)

    schedule_heartbeat(state)
    {:noreply, state}
  end

  def handle_info({:restart_worker, index}, state) do
    slot = state.slots[index]
    if slot.status == :down, do: {:noreply, start_worker(state, index)}, else: {:noreply, state}
  end

  def handle_info({:DOWN, monitor, :process, _pid, _reason}, state) do
    case SessionTable.owned_by(state.sessions, monitor) do
      :error ->
        case Map.pop(state.callers, monitor) do
          {nil, _} -> {:noreply, state}
          {index, callers} -> {:noreply, caller_down(%{state | callers: callers}, index, monitor)}
        end

      {:ok, session} ->
        {:noreply, drop_session(state, session)}
    end
  end

  # Ownerless sessions that hold refs end after session_ttl without a call.
  def handle_info(:sweep_sessions, state) do
    busy =
      for {_index, slot} <- state.slots,
          %Job{session: session} <- Slot.jobs(slot),
          session != nil,
          into: MapSet.new(),
          do: session

    idle = SessionTable.idle(state.sessions, now(), state.session_ttl, busy)
    state = Enum.reduce(idle, state, &drop_session(&2, &1))
    schedule_sweep(state)
    {:noreply, state}
  end

  def handle_info(_other, state), do: {:noreply, state}

  defp ensure_tick(%{ticking: true} = state), do: state

  defp ensure_tick(state) do
    if Enum.any?(state.slots, fn {_index, slot} -> Slot.active?(slot) end) do
      Process.send_after(self(), :tick, @tick)
      %{state | ticking: true}
    else
      state
    end
  end

  defp expire(state, index, request_id) do
    slot = state.slots[index]

    case slot.current do
      %Job{request_id: ^request_id, kind: :heartbeat} = job ->
        Logger.warning(
          "SnakeBridge: Python worker #{slot.worker} #{WorkerPort.describe(:hang)}: no answer " <>
            "within #{job.timeout} ms; it was killed and replaced",
          snakebridge_worker: slot.worker
        )

        # Nothing runs on an idle worker: what hung it is the last call it served (a thread
        # it left behind holds the GIL), and that function is counted as if it crashed.
        last = %Job{key: slot.last}
        Telemetry.worker(:hang, %{timeout_ms: job.timeout}, worker_meta(state, slot, last, :hang))

        state
        |> count_crash(slot, last, :hang)
        |> lose_refs(index, "did not answer its heartbeat (:hang) and was replaced")
        |> fail_inflight(index, "hung (no answer to a liveness probe)")
        |> kill_worker(index)
        |> start_worker(index)

      %Job{request_id: ^request_id} = job ->
        # A nested call's deadline is the outer call's: name the limit that was set.
        timeout = List.last(slot.stack, job).timeout

        error = Errors.timeout(timeout, slot.worker, slot.stack != [] or job.waiting)

        reply(job.from, {:error, error})

        state
        |> taint(slot, job, :timeout)
        |> abandon(index, error)
        |> lose_refs(
          index,
          "was stopped when #{job.key || "a call"} ran past its #{timeout} ms timeout"
        )
        |> fail_inflight(index, "was stopped because its call ran past its timeout")
        |> kill_worker(index)
        |> start_worker(index)

      _ ->
        state
    end
  end

  # Queued calls past their checkout deadline get :pool_overloaded. They sit in arrival
  # order with one checkout_timeout, so the expired ones are at the front.
  defp expire_queued(state, index, now) do
    slot = state.slots[index]

    case :queue.peek(slot.queue) do
      {:value, %Job{checkout_by: by, from: from}} when is_integer(by) and by <= now ->
        queue = :queue.drop(slot.queue)

        reply(
          from,
          {:error, Errors.checkout(state.name, state.checkout_timeout, :queue.len(queue))}
        )

        state = %{put_slot(state, index, %{slot | queue: queue}) | queued: state.queued - 1}
        expire_queued(state, index, now)

      _ ->
        state
    end
  end

  defp schedule_heartbeat(%{heartbeat: false}), do: :ok
  defp schedule_heartbeat(%{heartbeat: ms}), do: Process.send_after(self(), :heartbeat, ms)

  @impl true
  def terminate(_reason, state) do
    SnakeBridge.Runtime.Pools.unregister(state.name)
    for {index, _slot} <- state.slots, do: kill_worker(state, index)
    for {port, spare} <- state.spares, do: WorkerPort.close(port, spare.os_pid, false)
    :ok
  end

  # ---------------------------------------------------------------- routing

  defp pick_slot(state, {:worker, worker}) do
    case Map.fetch(state.instances, worker) do
      {:ok, index} ->
        {:ok, index, state}

      :error ->
        {:error, Errors.ref_lost(worker), state}
    end
  end

  defp pick_slot(state, {:session, session, owner}) do
    case SessionTable.slot(state.sessions, session) do
      {:ok, index} when is_pid(owner) ->
        {:ok, index, state}

      {:ok, index} ->
        {:ok, index, %{state | sessions: SessionTable.touch(state.sessions, session, now())}}

      :error ->
        index = least_loaded(state)
        monitor = if is_pid(owner), do: Process.monitor(owner)
        sessions = SessionTable.open(state.sessions, session, index, monitor, now())
        slots = Map.update!(state.slots, index, &%{&1 | sessions: &1.sessions + 1})
        {:ok, index, %{state | sessions: sessions, slots: slots}}
    end
  end

  defp least_loaded(state) do
    {index, _slot} = Enum.min_by(state.slots, fn {index, slot} -> Slot.load(slot, index) end)

    index
  end

  defp drop_session(state, session) do
    case SessionTable.close(state.sessions, session) do
      {nil, _} ->
        state

      {%{slot: index, monitor: monitor, refs: refs?}, sessions} ->
        if monitor, do: Process.demonitor(monitor, [:flush])
        state = %{state | sessions: sessions} |> uncount_session(index)
        # A session whose calls never left a ref behind has nothing to release: no
        # frame, so short-lived caller processes cost the worker nothing when they exit.
        if refs? and state.slots[index].status in [:ready, :starting] do
          enqueue_internal(state, index, Job.release_session(session, state.timeout))
        else
          state
        end
    end
  end

  defp uncount_session(state, index),
    do: %{
      state
      | slots: Map.update!(state.slots, index, &%{&1 | sessions: max(&1.sessions - 1, 0)})
    }

  # A call ended without leaving refs: an ownerless session with nothing else in flight
  # on its slot is forgotten now (distinct session ids must not pile up).
  defp settle(state, _index, nil), do: state

  defp settle(state, index, session) do
    case state.sessions.entries do
      %{^session => %{monitor: nil, refs: false}} ->
        busy? = Enum.any?(Slot.jobs(state.slots[index]), &(&1.session == session))
        sessions = SessionTable.settle(state.sessions, session, busy?)

        if busy?,
          do: state,
          else: uncount_session(%{state | sessions: sessions}, index)

      _ ->
        state
    end
  end

  defp now, do: :erlang.monotonic_time(:millisecond)

  defp schedule_sweep(%{session_ttl: :infinity}), do: :ok

  defp schedule_sweep(%{session_ttl: ttl}),
    do: Process.send_after(self(), :sweep_sessions, ttl |> div(2) |> max(50) |> min(60_000))

  defp route_session({:session, session, _owner}), do: session
  defp route_session(_route), do: nil

  # ---------------------------------------------------------------- queueing

  defp submit(state, index, %Job{from: from} = job) do
    %{^index => slot} = state.slots

    cond do
      Slot.free?(slot) ->
        {:noreply, dispatch(state, index, job)}

      nested?(slot.current, from) ->
        {:noreply, dispatch_nested(state, index, job)}

      slot.status == :down and slot.failures >= 2 and slot.last_error != nil ->
        {:reply, {:error, Error.runtime(:worker_crash, slot.last_error)}, state}

      pipelinable?(state, slot) ->
        {:noreply, pipeline(state, index, job)}

      state.queued >= state.max_queue ->
        {:reply, {:error, Errors.queue_full(state.name, state.queued, state.max_queue)}, state}

      true ->
        queue = :queue.in(%{job | checkout_by: now() + state.checkout_timeout}, slot.queue)
        slots = Map.put(state.slots, index, %{slot | queue: queue})
        {:noreply, ensure_tick(%{state | slots: slots, queued: state.queued + 1})}
    end
  end

  # Pipelining: while a worker runs a call, the next calls of its slot are already written
  # to its pipe (up to `pipeline` in all), so it reads the next one as soon as it writes a
  # reply instead of idling while the reply travels. It still runs them one at a time, in
  # order; their timeouts start when they become the job in flight. Not behind a job in a
  # callback (its nested calls must come first), nor on a worker due for rotation.
  defp pipelinable?(state, slot) do
    Slot.pipeline_room?(slot, state.pipeline) and :queue.is_empty(slot.queue) and
      rotation_due(state, slot) == nil
  end

  defp pipeline(state, index, job) do
    %{^index => slot} = state.slots
    slot = send_frame(slot, job)
    calls = slot.calls + if(job.kind, do: 0, else: 1)
    put_slot(state, index, %{slot | inflight: slot.inflight ++ [job], calls: calls})
  end

  # Queued jobs move into the pipeline while there is room.
  defp top_up(state, index) do
    %{^index => slot} = state.slots

    if pipelinable_queued?(state, slot) do
      case take_queued(state, index) do
        {nil, state} -> state
        {job, state} -> state |> pipeline(index, job) |> top_up(index)
      end
    else
      state
    end
  end

  defp pipelinable_queued?(state, slot) do
    not :queue.is_empty(slot.queue) and Slot.pipeline_room?(slot, state.pipeline) and
      rotation_due(state, slot) == nil
  end

  # See `Slot.requeue_inflight/1`: the jobs go to the worker's replacement.
  defp requeue_inflight(state, index) do
    {slot, count} = Slot.requeue_inflight(state.slots[index])
    %{put_slot(state, index, slot) | queued: state.queued + count}
  end

  # The pool stops a worker whose job in flight timed out or hung: that job's reply may
  # already be on its way, and the next pipelined job running, so the jobs behind it
  # may have started. They fail (idempotent calls are retried by the caller), never run
  # twice unasked.
  defp fail_inflight(state, index, why) do
    slot = state.slots[index]

    for %Job{from: from} <- slot.inflight,
        do: reply(from, {:error, Errors.pipelined_lost(slot.worker, why)})

    put_slot(state, index, %{slot | inflight: []})
  end

  # The caller of a job waiting on a callback calls again: that runs now, on the worker
  # that waits (the same process cannot be anywhere else in the queue).
  defp nested?(%Job{waiting: true, caller: pid}, {pid, _tag}), do: true
  defp nested?(_current, _from), do: false

  defp dispatch_nested(state, index, job) do
    slot = state.slots[index]
    outer = slot.current
    state = put_slot(state, index, %{slot | current: nil, stack: [outer | slot.stack]})
    state = dispatch(state, index, job)
    # Atoms sort after integers: min/2 keeps an integer deadline over :infinity.
    nested = state.slots[index].current
    put_current(state, index, %{nested | deadline: min(nested.deadline, outer.deadline)})
  end

  # Internal requests (session releases) need no caller and are never refused.
  defp enqueue_internal(state, index, job) do
    slot = state.slots[index]

    if Slot.free?(slot) do
      dispatch(state, index, job)
    else
      queue = :queue.in(job, slot.queue)
      slots = Map.put(state.slots, index, %{slot | queue: queue})
      %{state | slots: slots, queued: state.queued + 1}
    end
  end

  defp dispatch(state, index, job) do
    %{^index => slot} = state.slots
    slot = send_frame(slot, job)
    calls = slot.calls + if(job.kind, do: 0, else: 1)
    ensure_tick(put_slot(state, index, %{slot | calls: calls, current: running(job)}))
  end

  # The job the worker runs now: its timeout starts. The reply starts with
  # `131, 104, 2 | 3` and `prefix`: the pool routes it without decoding it.
  defp running(%Job{timeout: :infinity} = job),
    do: %{job | prefix: Job.reply_prefix(job), deadline: :infinity}

  defp running(%Job{timeout: timeout} = job),
    do: %{
      job
      | prefix: Job.reply_prefix(job),
        deadline: :erlang.monotonic_time(:millisecond) + timeout
    }

  # A compact frame goes with its descriptor's registration the first time this worker
  # sees that descriptor (one frame, one write), and again whenever the worker last read
  # another descriptor's registration under the same id (ids are hashes, see Wire).
  defp send_frame(slot, %Job{registration: {id, registration}, frame: frame}) do
    case slot.registered do
      %{^id => ^registration} ->
        true = Port.command(slot.port, frame)
        slot

      registered ->
        true = Port.command(slot.port, [registration | frame])
        %{slot | registered: Map.put(registered, id, registration)}
    end
  end

  defp send_frame(slot, %Job{frame: frame}) do
    true = Port.command(slot.port, frame)
    slot
  end

  defp next_job(state, index) do
    case take_queued(state, index) do
      {nil, state} -> state
      {job, state} -> state |> dispatch(index, job) |> top_up(index)
    end
  end

  # The next queued job worth running: callers that died while waiting need no answer,
  # and jobs past their checkout deadline get :pool_overloaded.
  defp take_queued(state, index) do
    %{^index => slot} = state.slots

    case :queue.out(slot.queue) do
      {{:value, %Job{from: from, checkout_by: by} = job}, queue} ->
        state = %{
          state
          | slots: Map.put(state.slots, index, %{slot | queue: queue}),
            queued: state.queued - 1
        }

        cond do
          caller_gone?(from) ->
            take_queued(state, index)

          is_integer(by) and by <= now() ->
            reply(
              from,
              {:error, Errors.checkout(state.name, state.checkout_timeout, :queue.len(queue))}
            )

            take_queued(state, index)

          true ->
            {job, state}
        end

      {:empty, _} ->
        {nil, state}
    end
  end

  # Only a local pid can be asked (a caller on another node is never skipped).
  defp caller_gone?({pid, _tag}) when is_pid(pid) and node(pid) == node(),
    do: not Process.alive?(pid)

  defp caller_gone?(_internal), do: false

  # ---------------------------------------------------------------- frames

  defp handle_frame(state, index, <<@log_prefix, _::binary>> = data),
    do: log_frame(state, index, data)

  defp handle_frame(state, index, <<@log_prefix_utf8, _::binary>> = data),
    do: log_frame(state, index, data)

  defp handle_frame(state, index, <<@callback_prefix, _::binary>> = data),
    do: callback_frame(state, index, data)

  defp handle_frame(state, _index, <<@cast_prefix, _::binary>> = data) do
    SnakeBridge.Runtime.Callbacks.cast(state.name, data)
    state
  end

  defp handle_frame(state, index, data) do
    %{^index => slot} = state.slots

    case {slot.current, data} do
      {%Job{prefix: id, waiting: false} = job, <<131, 104, arity, rest::binary>>}
      when arity in [2, 3] and binary_part(rest, 0, byte_size(id)) == id ->
        reply(job.from, {:reply, data, slot.worker})
        {slot, state} = succeeded(slot, state, job.key)

        slot =
          cond do
            job.kind == :heartbeat -> %{slot | rss_kb: rss_kb(data)}
            job.key == nil or job.key == slot.last -> slot
            true -> %{slot | last: job.key}
          end

        # A 3-tuple reply says the call left refs in its session: only such sessions
        # need a release_session frame when they end.
        if arity == 3 do
          state = %{state | sessions: SessionTable.mark_refs(state.sessions, job.session)}
          finish(state, index, slot, job)
        else
          state |> finish(index, slot, job) |> settle(index, job.session)
        end

      _ ->
        other_frame(state, index, data)
    end
  rescue
    ArgumentError -> other_frame(state, index, data)
  end

  # While no function has crashed a worker there is no circuit to look at.
  defp succeeded(slot, %{circuits: circuits} = state, _key) when map_size(circuits) == 0,
    do: {slot, state}

  defp succeeded(slot, state, key) do
    slot = Slot.suspect(slot, key, Circuit.verdict(state.circuits, key))
    {slot, %{state | circuits: Circuit.success(state.circuits, key)}}
  end

  # The job in flight answered: the job it was nested in (if any) waits on its callback
  # again, else the next queued job runs.
  defp finish(state, index, slot, %Job{monitor: nil}) do
    case {slot.stack, slot.inflight} do
      {[], [next | rest]} ->
        # The worker has started the next pipelined job: it is now the one in flight.
        slot = %{slot | current: running(next), inflight: rest}
        state |> put_slot(index, slot) |> ensure_tick() |> top_up(index)

      {[], []} ->
        slot = %{slot | current: nil}
        state = put_slot(state, index, slot)

        case rotation_due(state, slot) do
          nil -> if :queue.is_empty(slot.queue), do: state, else: next_job(state, index)
          reason -> rotate_or_drain(state, index, reason)
        end

      _ ->
        finish_nested(state, index, slot)
    end
  end

  defp finish(state, index, slot, job) do
    finish(unwatch(state, job), index, slot, %{job | monitor: nil})
  end

  defp finish_nested(state, index, %{stack: [outer | rest]} = slot) do
    state = put_slot(state, index, %{slot | current: outer, stack: rest})
    if outer.caller == :gone, do: answer_gone(state, index), else: state
  end

  # The worker calls back: hand the frame to the process waiting on the job.
  defp callback_frame(state, index, data) do
    slot = state.slots[index]

    case slot.current do
      %Job{waiting: false, from: {pid, _tag} = from} = job ->
        true = Port.command(slot.port, @fence)
        {state, job} = watch(state, index, job, pid)
        reply(from, {:callback, data, slot.worker})
        put_current(state, index, %{job | from: nil, waiting: true})

      # An internal job, or a caller that died: nobody can run the function.
      %Job{waiting: false, from: nil} ->
        true = Port.command(slot.port, [@fence])
        true = Port.command(slot.port, SnakeBridge.Runtime.Callbacks.caller_gone_frame())
        state

      _ ->
        other_frame(state, index, data)
    end
  end

  # Monitor a job's caller from its first callback on, so its death is noticed.
  defp watch(state, _index, %Job{monitor: monitor} = job, _pid) when monitor != nil,
    do: {state, job}

  defp watch(state, index, job, pid) do
    monitor = Process.monitor(pid)

    {%{state | callers: Map.put(state.callers, monitor, index)},
     %{job | caller: pid, monitor: monitor}}
  end

  defp unwatch(state, %Job{monitor: nil}), do: state

  defp unwatch(state, %Job{monitor: monitor}) do
    Process.demonitor(monitor, [:flush])
    %{state | callers: Map.delete(state.callers, monitor)}
  end

  # The caller of a called-back job died: tell the worker now if the job waits on it
  # (the function then raises in Python and the call unwinds), or when the job waits
  # again after the nested call in flight; its reply then goes nowhere.
  defp caller_down(state, index, monitor) do
    slot = state.slots[index]
    gone = fn job -> %{job | from: nil, caller: :gone, monitor: nil} end

    case slot.current do
      %Job{monitor: ^monitor} = job ->
        state = put_current(state, index, gone.(job))
        if job.waiting, do: answer_gone(state, index), else: state

      _ ->
        stack = Enum.map(slot.stack, &if(&1.monitor == monitor, do: gone.(&1), else: &1))
        put_slot(state, index, %{slot | stack: stack})
    end
  end

  defp answer_gone(state, index) do
    slot = state.slots[index]
    true = Port.command(slot.port, SnakeBridge.Runtime.Callbacks.caller_gone_frame())
    put_current(state, index, %{slot.current | waiting: false})
  end

  # The worker is going away with callers inside callbacks (or stacked under a nested
  # call): remember why, so their resume/4 gets this error instead of waiting.
  defp abandon(state, index, error) do
    slot = state.slots[index]
    jobs = if slot.current, do: [slot.current | slot.stack], else: slot.stack
    state = Enum.reduce(jobs, state, &unwatch(&2, &1))

    if Enum.any?(jobs, &(&1.caller != nil)) do
      gone = if map_size(state.gone) >= @max_gone, do: %{}, else: state.gone
      %{state | gone: Map.put(gone, slot.worker, %{error | call: nil})}
    else
      state
    end
  end

  defp gone_error(state, worker) do
    Map.get_lazy(state.gone, worker, fn -> Errors.callback_gone(worker) end)
  end

  defp put_current(state, index, job) do
    %{^index => slot} = state.slots
    put_slot(state, index, %{slot | current: job})
  end

  defp put_slot(state, index, slot), do: %{state | slots: Map.put(state.slots, index, slot)}

  # Anything else a worker writes: its one `{:ready, _}` while starting, or a frame a
  # library wrote to the protocol's descriptor (a stale or forged reply, junk). Such a
  # frame is logged and dropped: it must not fail the call in flight, which may be
  # another caller's, nor retire a worker whose other sessions hold refs. Its pid comes
  # from the port, never from what the worker says. A library that breaks the framing
  # itself leaves the call in flight unanswered: its timeout replaces the worker.
  defp other_frame(state, index, data) do
    slot = state.slots[index]

    case WorkerPort.safe_decode(data) do
      {:ready, info} when is_map(info) and slot.status == :starting ->
        case WorkerPort.check_protocol(info, slot.worker, elem(state.settings.python, 1)) do
          :ok ->
            slot = %{slot | status: :ready, failures: 0, last_error: nil}
            state = put_slot(state, index, slot)
            if slot.current == nil, do: next_job(state, index), else: state

          {:error, message} ->
            refuse_worker(state, index, message)
        end

      other ->
        stray_frame(state, index, other, byte_size(data))
    end
  end

  # A worker of another protocol version is stopped before it serves anything. Its slot
  # reports why (calls fail at once with the message, as after failed starts) and tries
  # again with backoff: a worker started after the environment is fixed is taken.
  defp refuse_worker(state, index, message) do
    slot = state.slots[index]
    Logger.error("SnakeBridge: " <> message, snakebridge_worker: slot.worker)
    # Its port is forgotten below: the exit that follows is nobody's, and the slot's
    # error stays this one.
    WorkerPort.close(slot.port, slot.os_pid, false)
    failures = max(slot.failures + 1, 2)

    slot = %{Slot.down(slot) | failures: failures, last_error: message}

    state = %{
      state
      | ports: Map.delete(state.ports, state.slots[index].port),
        instances: Map.delete(state.instances, slot.worker),
        slots: Map.put(state.slots, index, slot)
    }

    Process.send_after(self(), {:restart_worker, index}, restart_backoff(failures))
    fail_queue(state, index, message)
  end

  defp restart_backoff(failures), do: min(100 * Integer.pow(2, failures), @max_backoff)

  defp stray_frame(state, index, term, size) do
    slot = state.slots[index]

    Logger.warning(
      fn ->
        "SnakeBridge worker #{slot.worker} wrote a frame that answers no call in flight " <>
          "(#{size} bytes: #{inspect(term, limit: 8, printable_limit: 80)}); it was " <>
          "dropped. Something in the worker writes to the protocol's file descriptor"
      end,
      snakebridge_worker: slot.worker
    )

    state
  end

  defp log_frame(state, index, data) do
    WorkerPort.forward_log(data, state.slots[index].worker, state.name)
    state
  end

  # ---------------------------------------------------------------- workers

  defp start_worker(state, index) do
    case Enum.find(state.spares, fn {_port, spare} -> spare.status == :ready end) do
      {port, spare} -> swap_in(state, index, port, spare)
      nil -> spawn_worker(state, index)
    end
  end

  defp spawn_worker(state, index) do
    slot = state.slots[index]
    worker = "#{state.name}:#{index}:#{Base.encode16(:crypto.strong_rand_bytes(3), case: :lower)}"
    port = WorkerPort.open(state.settings, state.env, worker, state.name)

    slot =
      Slot.fresh(slot,
        port: port,
        worker: worker,
        status: :starting,
        os_pid: WorkerPort.os_pid(port),
        oom_kills: WorkerPort.oom_kills(),
        started: now()
      )

    %{
      state
      | slots: Map.put(state.slots, index, slot),
        ports: Map.put(state.ports, port, index),
        instances: Map.put(state.instances, worker, index)
    }
  end

  # ---------------------------------------------------------------- spares and rotation

  # A spare is a started worker outside the slots, its declared libraries imported
  # before it reports ready: a crash, a timeout or a rotation swaps it in at once instead
  # of waiting for a new interpreter and its imports.
  # Spares are opened by a helper process (`Opener`): the fork and exec of an interpreter
  # would otherwise hold up the replies of every call the pool is serving meanwhile
  # (a crash storm opens one replacement per crash).
  defp start_spare(state) do
    worker = "#{state.name}:spare:#{Base.encode16(:crypto.strong_rand_bytes(3), case: :lower)}"
    %{settings: settings, env: env, name: pool} = state

    ref =
      Opener.open(fn ->
        port = WorkerPort.open(settings, env, worker, pool, preload: true)

        {port,
         %{
           worker: worker,
           os_pid: WorkerPort.os_pid(port),
           oom_kills: WorkerPort.oom_kills(),
           status: :starting,
           started: now()
         }}
      end)

    %{state | opening: Map.put(state.opening, ref, worker)}
  end

  defp spare_frame(state, port, <<@log_prefix, _::binary>> = data),
    do: spare_log(state, port, data)

  defp spare_frame(state, port, <<@log_prefix_utf8, _::binary>> = data),
    do: spare_log(state, port, data)

  defp spare_frame(state, port, data) do
    spare = state.spares[port]

    case WorkerPort.safe_decode(data) do
      {:ready, info} when is_map(info) and spare.status == :starting ->
        case WorkerPort.check_protocol(info, spare.worker, elem(state.settings.python, 1)) do
          :ok ->
            spares = Map.put(state.spares, port, %{spare | status: :ready})
            %{state | spares: spares, spare_failures: 0}

          {:error, message} ->
            Logger.error("SnakeBridge: " <> message, snakebridge_worker: spare.worker)
            WorkerPort.close(port, spare.os_pid, false)
            failures = state.spare_failures + 1
            Process.send_after(self(), :start_spare, restart_backoff(failures))

            %{
              state
              | spares: Map.delete(state.spares, port),
                ports: Map.delete(state.ports, port),
                spare_failures: failures
            }
        end

      _other ->
        Logger.warning("SnakeBridge spare worker #{spare.worker} wrote a stray frame; dropped")
        state
    end
  end

  defp spare_log(state, port, data) do
    WorkerPort.forward_log(data, state.spares[port].worker, state.name)
    state
  end

  defp spare_exited(state, port, exit) do
    {spare, spares} = Map.pop(state.spares, port)
    words = WorkerPort.take_last_words(spare.worker)

    Logger.warning(
      "SnakeBridge: spare worker #{spare.worker} exited (#{inspect(exit)}) before it was used" <>
        if(words, do: "; its last words:\n" <> words, else: "")
    )

    failures = if spare.status == :ready, do: 0, else: state.spare_failures + 1
    Process.send_after(self(), :start_spare, restart_backoff(failures))
    %{state | spares: spares, ports: Map.delete(state.ports, port), spare_failures: failures}
  end

  defp swap_in(state, index, port, spare) do
    slot =
      Slot.fresh(state.slots[index],
        port: port,
        worker: spare.worker,
        status: :ready,
        os_pid: spare.os_pid,
        oom_kills: spare.oom_kills,
        failures: 0,
        last_error: nil,
        started: spare.started
      )

    Telemetry.worker(:spare, %{}, %{
      pool: state.name,
      worker: spare.worker,
      os_pid: spare.os_pid,
      function: nil,
      reason: nil
    })

    # The replacement spare starts a little later: a starting interpreter competes for
    # the CPU with the calls the swapped-in worker is about to serve.
    Process.send_after(self(), :start_spare, @spare_delay)

    state = %{
      state
      | spares: Map.delete(state.spares, port),
        ports: Map.put(state.ports, port, index),
        instances: Map.put(state.instances, spare.worker, index),
        slots: Map.put(state.slots, index, slot)
    }

    next_job(state, index)
  end

  # The circuit of `key` opened: every other worker that ran it (or is running it) is
  # rotated, gracefully, as soon as it is idle.
  defp taint_workers(state, key, crashed) do
    Enum.reduce(state.slots, state, fn {index, slot}, acc ->
      running? = match?(%Job{key: ^key}, slot.current)

      cond do
        slot.worker == crashed or slot.status != :ready or slot.tainted != nil ->
          acc

        running? or MapSet.member?(slot.suspects, key) ->
          acc = put_slot(acc, index, %{slot | tainted: key})
          if Slot.free?(slot), do: rotate_or_drain(acc, index, :taint), else: acc

        true ->
          acc
      end
    end)
  end

  # The clock is read only when a max_age: is set (nothing else reads `now`).
  defp rotation_due(%{limits: %{max_age: nil} = limits}, slot),
    do: Slot.rotation_due(slot, limits, 0)

  defp rotation_due(state, slot), do: Slot.rotation_due(slot, state.limits, now())

  # An idle worker due for rotation retires now unless sessions hold refs in it: then
  # it drains (no new sessions) until they end or drain_timeout passes.
  defp rotate_or_drain(state, index, :draining) do
    {reason, since} = state.slots[index].draining

    if now() - since >= state.limits.drain_timeout or
         not SessionTable.holding_refs?(state.sessions, index),
       do: rotate(state, index, reason),
       else: next_job(state, index)
  end

  defp rotate_or_drain(state, index, reason) do
    if SessionTable.holding_refs?(state.sessions, index) do
      slot = state.slots[index]
      next_job(put_slot(state, index, %{slot | draining: {reason, now()}}), index)
    else
      rotate(state, index, reason)
    end
  end

  defp rotate(state, index, reason) do
    slot = state.slots[index]

    state =
      if SessionTable.holding_refs?(state.sessions, index) do
        Logger.warning(
          "SnakeBridge: worker #{slot.worker} was rotated (#{reason}) after draining for " <>
            "#{state.limits.drain_timeout} ms; refs still held in it are gone",
          snakebridge_worker: slot.worker
        )

        lose_refs(
          state,
          index,
          "was rotated (#{reason}) after draining for #{state.limits.drain_timeout} ms " <>
            "(drain_timeout:), so the refs still held in it were dropped"
        )
      else
        state
      end

    Telemetry.worker(
      :rotate,
      %{calls: slot.calls, rss_kb: slot.rss_kb},
      worker_meta(state, slot, nil, reason)
    )

    state |> kill_worker(index) |> start_worker(index)
  end

  # Sessions that held refs in the slot's worker learn why they are gone the next time
  # they use one (`explain_lost/3`).
  defp lose_refs(state, index, why) do
    worker = state.slots[index].worker
    %{state | sessions: SessionTable.lose_refs(state.sessions, index, "worker #{worker} #{why}")}
  end

  defp rss_kb(data) do
    case WorkerPort.safe_decode(data) do
      {_id, {:ok, %{"rss_kb" => kb}}} when is_integer(kb) -> kb
      _ -> nil
    end
  end

  defp kill_worker(state, index) do
    state = fail_inflight(state, index, "was stopped")
    slot = state.slots[index]

    if slot.port do
      WorkerPort.close(slot.port, slot.os_pid, slot.current != nil)
      WorkerPort.take_last_words(slot.worker)
    end

    %{
      state
      | ports: Map.delete(state.ports, slot.port),
        instances: Map.delete(state.instances, slot.worker),
        slots: Map.put(state.slots, index, Slot.down(slot))
    }
  end

  defp worker_exited(state, port, exit) do
    case Map.fetch(state.ports, port) do
      :error ->
        state

      {:ok, :spare} ->
        spare_exited(state, port, exit)

      {:ok, index} ->
        slot = state.slots[index]
        was_ready = slot.status == :ready

        {reason, why} =
          case exit do
            {:status, status} ->
              reason = WorkerPort.crash_reason(status, slot.oom_kills)
              {reason, WorkerPort.describe(reason)}

            {:port, _} = reason ->
              {reason, WorkerPort.describe(reason)}
          end

        running = slot.current && (slot.current.key || "a request")

        stage =
          cond do
            slot.stack != [] or match?(%Job{waiting: true}, slot.current) -> :callback
            was_ready -> {:ready, running}
            true -> :starting
          end

        message = Errors.exit_message(slot.worker, why, stage, elem(state.settings.python, 1))

        words = WorkerPort.take_last_words(slot.worker)
        state = lose_refs(state, index, why <> Errors.running(running))

        if words do
          Logger.error("SnakeBridge worker #{slot.worker} #{why}; its last words:\n" <> words,
            snakebridge_worker: slot.worker
          )
        end

        state =
          case slot.current do
            %Job{from: from} = job ->
              error = %{Error.runtime(:worker_crash, message, reason) | worker: slot.worker}
              reply(from, {:error, error})
              state |> abandon(index, error) |> taint(slot, job, reason)

            nil ->
              Telemetry.worker(:crash, %{}, worker_meta(state, slot, nil, reason))
              state
          end

        Logger.warning("SnakeBridge: " <> message, snakebridge_worker: slot.worker)

        state = requeue_inflight(state, index)
        slot = state.slots[index]
        failures = if was_ready, do: 0, else: slot.failures + 1

        slot = %{Slot.down(slot) | failures: failures, last_error: message}

        state = %{
          state
          | ports: Map.delete(state.ports, port),
            instances: Map.delete(state.instances, slot.worker),
            slots: Map.put(state.slots, index, slot)
        }

        state = if failures >= 2, do: fail_queue(state, index, message), else: state

        if failures == 0 do
          Telemetry.worker(:restart, %{}, worker_meta(state, slot, nil, reason))
          start_worker(state, index)
        else
          Process.send_after(self(), {:restart_worker, index}, restart_backoff(failures))
          state
        end
    end
  end

  # ---------------------------------------------------------------- taint

  defp check_circuit(%{circuits: circuits} = state, _key) when map_size(circuits) == 0,
    do: {:ok, state}

  defp check_circuit(state, key) do
    case Circuit.check(state.circuits, key, now()) do
      :ok ->
        {:ok, state}

      {:probe, circuits} ->
        {:ok, %{state | circuits: circuits}}

      {:open, circuit} ->
        Telemetry.call_event(:circuit_open, %{retry_in_ms: max(circuit.until - now(), 0)}, %{
          pool: state.name,
          function: key,
          reason: circuit.reason
        })

        {:error, Errors.circuit_open(key, circuit, max(circuit.until - now(), 0)), state}
    end
  end

  # The worker died running `job`, or was stopped because `job` ran past its timeout:
  # either way the call cost a worker, and its function is counted.
  defp taint(state, slot, job, reason) do
    crash_event(state, slot, job, reason)
    count_crash(state, slot, job, reason)
  end

  defp count_crash(state, slot, job, reason) do
    if job.key != nil do
      limits = Circuit.limits_for(state.library_limits, job.key, state.circuit_limits)
      {circuits, event, circuit} = Circuit.crash(state.circuits, job.key, reason, now(), limits)
      SnakeBridge.Circuits.record(state.name, Circuit.report(circuits, now()), state.settings)

      if event in [:opened, :reopened] do
        Logger.warning(
          "SnakeBridge: #{job.key} crashed its worker #{circuit.total} times; calls to it are " <>
            "refused for #{circuit.cool_down} ms",
          snakebridge_worker: slot.worker
        )

        Telemetry.worker(
          :taint,
          %{crashes: circuit.total, cool_down_ms: circuit.cool_down},
          worker_meta(state, slot, job, reason)
        )

        taint_workers(%{state | circuits: circuits}, job.key, slot.worker)
      else
        %{state | circuits: circuits}
      end
    else
      state
    end
  end

  defp crash_event(state, slot, job, reason),
    do: Telemetry.worker(:crash, %{}, worker_meta(state, slot, job, reason))

  defp worker_meta(state, slot, job, reason) do
    %{
      pool: state.name,
      worker: slot.worker,
      os_pid: slot.os_pid,
      function: job && job.key,
      reason: reason
    }
  end

  defp fail_queue(state, index, message) do
    slot = state.slots[index]

    for %Job{from: from} <- :queue.to_list(slot.queue) do
      reply(from, {:error, Error.runtime(:worker_crash, message)})
    end

    count = :queue.len(slot.queue)

    %{
      state
      | slots: Map.put(state.slots, index, %{slot | queue: :queue.new()}),
        queued: state.queued - count
    }
  end

  defp reply(nil, _message), do: :ok
  defp reply(from, message), do: GenServer.reply(from, message)
end
