defmodule SnakeBridge.Runtime.Telemetry do
  @moduledoc """
  Call events, through `:telemetry` when the host application has it (no hard
  dependency: hex packages are optional for SnakeBridge users).

  Events: `[:snakebridge, :call, :start]` (`%{system_time: t}`),
  `[:snakebridge, :call, :stop]` (`%{duration: native}`) and
  `[:snakebridge, :call, :exception]` (`%{duration: native}`, metadata adds `:error`)
  when the call returned `{:error, _}`. Metadata: `:library`, `:python_module`,
  `:function`, `:call_type`, `:pool`, `:worker`.

  Without `:telemetry`, set `config :snakebridge, log_calls: true` to get one
  `Logger.debug` line per call carrying the same fields as Logger metadata
  (`snakebridge_library`, `snakebridge_function`, `snakebridge_worker`,
  `snakebridge_duration_us`).
  """
  require Logger

  @doc false
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
        [:snakebridge, :call, :exception],
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
