defmodule SnakeBridge.Runtime.Telemetry do
  @moduledoc """
  Call events, through `:telemetry` when the host application has it (no hard
  dependency: hex packages are optional for SnakeBridge users).

  Call events (emitted in the calling process):

    * `[:snakebridge, :call, :start]`, measurements `%{system_time: t}`;
    * `[:snakebridge, :call, :stop]`, `%{duration: native}`, for every call that
      returned, `{:error, _}` included (metadata `:error` is the `%SnakeBridge.Error{}`
      then, else absent), as the `:telemetry` span convention says;
    * `[:snakebridge, :call, :exception]`, `%{duration: native}`, only when the call
      raised (metadata adds `:kind`, `:reason`, `:stacktrace`);
    * `[:snakebridge, :call, :retry]`, `%{attempt: n, backoff_ms: ms}`, before an
      idempotent call is sent again after its worker crashed (`n` executions have run;
      metadata adds `:reason`; see `SnakeBridge.Runtime.Retry`).

  Metadata: `:library`, `:python_module`, `:function`, `:call_type`, `:pool`, `:worker`;
  `:start`, `:stop` and `:retry` carry `:node`: the node chosen to run the call
  (`:start`), the one whose pool served it or will retry it (`:stop`, `:retry`); nil
  when the call was refused before it was sent (see `SnakeBridge.Cluster`).

  Pool events (emitted in the pool process); metadata `:pool`, `:node` (the pool's
  node), `:worker` (its id),
  `:os_pid`, `:function` (`"module.function"` running at the time, or nil) and `:reason`
  (a crash reason, see `SnakeBridge.Error`):

    * `[:snakebridge, :worker, :crash]`, `%{}`: a worker died (or was killed for a
      timeout: reason `:timeout`);
    * `[:snakebridge, :worker, :restart]`, `%{}`: a replacement worker is starting;
    * `[:snakebridge, :worker, :taint]`, `%{crashes: n, cool_down_ms: ms}`: a function's
      circuit opened (`SnakeBridge.Runtime.Circuit`; crashes, timeouts and hangs count);
    * `[:snakebridge, :worker, :hang]`, `%{timeout_ms: ms}`: an idle worker did not
      answer its heartbeat and was replaced (reason `:hang`; `:function` is the last
      function it ran, which the hang is counted against);
    * `[:snakebridge, :worker, :spare]`, `%{}`: a warm spare took a slot (`worker` is the
      spare's id);
    * `[:snakebridge, :worker, :rotate]`, `%{calls: n, rss_kb: kb | nil}`: a worker was
      recycled (reason `:max_calls`, `:max_age`, `:max_memory`, or `:taint`: it ran a
      function whose circuit then opened);
    * `[:snakebridge, :call, :circuit_open]`, `%{retry_in_ms: ms}`: a call was refused by
      an open circuit (metadata `:pool`, `:function`, `:reason`).

  Without `:telemetry`, set `config :snakebridge, log_calls: true` to get one
  `Logger.debug` line per call carrying the same fields as Logger metadata
  (`snakebridge_library`, `snakebridge_function`, `snakebridge_worker`,
  `snakebridge_duration_us`).
  """
  require Logger

  @doc false
  # Whether call events go anywhere (`:telemetry` or the Logger line): callers skip
  # building their metadata when not.
  def enabled?, do: backend() != :none

  @doc false
  # `meta` nil: the caller found events disabled (`enabled?/0`); so is the call's stop.
  def start(nil), do: nil

  def start(meta) do
    case backend() do
      :telemetry ->
        apply(:telemetry, :execute, [
          [:snakebridge, :call, :start],
          %{system_time: System.system_time()},
          meta
        ])

        System.monotonic_time()

      :logger ->
        System.monotonic_time()

      :none ->
        nil
    end
  end

  @doc false
  def stop(nil, _meta, _worker, _result), do: :ok

  def stop(started, meta, worker, result) do
    case backend() do
      :none ->
        :ok

      backend ->
        duration = System.monotonic_time() - started
        meta = Map.put(meta, :worker, worker)
        emit(backend, duration, meta, result)
    end
  end

  defp emit(:telemetry, duration, meta, {:error, error}),
    do:
      apply(:telemetry, :execute, [
        [:snakebridge, :call, :stop],
        %{duration: duration},
        Map.put(meta, :error, error)
      ])

  defp emit(:telemetry, duration, meta, _ok),
    do: apply(:telemetry, :execute, [[:snakebridge, :call, :stop], %{duration: duration}, meta])

  defp emit(:logger, duration, meta, result) do
    us = System.convert_time_unit(duration, :native, :microsecond)
    outcome = if match?({:error, _}, result), do: "error", else: "ok"

    Logger.debug(
      fn ->
        "snakebridge #{meta.call_type} #{meta.python_module}.#{meta.function} #{outcome} in #{us}µs"
      end,
      snakebridge_library: meta.library,
      snakebridge_function: meta.function,
      snakebridge_worker: meta.worker,
      snakebridge_duration_us: us
    )
  end

  @doc false
  # The call raised (`kind`, `reason`, `stack` as caught).
  def exception(nil, _meta, _kind, _reason, _stack), do: :ok

  def exception(started, meta, kind, reason, stack) do
    if backend() == :telemetry do
      apply(:telemetry, :execute, [
        [:snakebridge, :call, :exception],
        %{duration: System.monotonic_time() - started},
        Map.merge(meta, %{kind: kind, reason: reason, stacktrace: stack})
      ])
    end

    :ok
  end

  @doc false
  def worker(event, measurements, meta),
    do: execute([:snakebridge, :worker, event], measurements, meta)

  @doc false
  def call_event(event, measurements, meta),
    do: execute([:snakebridge, :call, event], measurements, meta)

  defp execute(name, measurements, meta) do
    if backend() == :telemetry,
      do: apply(:telemetry, :execute, [name, measurements, Map.put_new(meta, :node, node())])

    :ok
  end

  # Checked once per VM and cached: telemetry can't appear later without a restart.
  defp backend do
    case :persistent_term.get({__MODULE__, :backend}, nil) do
      nil ->
        backend =
          cond do
            Code.ensure_loaded?(:telemetry) and function_exported?(:telemetry, :execute, 3) ->
              :telemetry

            Application.get_env(:snakebridge, :log_calls, false) ->
              :logger

            true ->
              :none
          end

        :persistent_term.put({__MODULE__, :backend}, backend)
        backend

      backend ->
        backend
    end
  end

  @doc false
  def reset, do: :persistent_term.erase({__MODULE__, :backend})
end
