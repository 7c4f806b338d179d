defmodule :telemetry do
  @moduledoc """
  A stand-in for the `:telemetry` hex package, which this machine cannot fetch, so that
  the telemetry guide's handlers run against the real runtime's events. It has the
  package's API for what the guides use (`attach/4`, `attach_many/4`, `detach/1`,
  `execute/3`, `list_handlers/1`) and its semantics: handlers are
  `fun(event, measurements, metadata, config)`, run in the emitting process, and one
  that raises is detached.
  """
  require Logger

  @key {__MODULE__, :handlers}

  def attach(id, event, fun, config), do: attach_many(id, [event], fun, config)

  def attach_many(id, events, fun, config) when is_function(fun, 4) do
    handlers = :persistent_term.get(@key, [])

    if Enum.any?(handlers, &(&1.id == id)) do
      {:error, :already_exists}
    else
      handler = %{id: id, events: events, function: fun, config: config}
      :persistent_term.put(@key, handlers ++ [handler])
      :ok
    end
  end

  def detach(id) do
    case Enum.split_with(:persistent_term.get(@key, []), &(&1.id == id)) do
      {[], _} ->
        {:error, :not_found}

      {_, rest} ->
        :persistent_term.put(@key, rest)
        :ok
    end
  end

  def list_handlers(prefix) do
    for handler <- :persistent_term.get(@key, []),
        event <- handler.events,
        Enum.take(event, length(prefix)) == prefix,
        do: %{
          id: handler.id,
          event_name: event,
          function: handler.function,
          config: handler.config
        }
  end

  def execute(event, measurements, metadata) do
    for handler <- :persistent_term.get(@key, []), event in handler.events do
      try do
        handler.function.(event, measurements, metadata, handler.config)
      catch
        kind, reason ->
          Logger.error(
            "Handler #{inspect(handler.id)} has failed and has been detached: " <>
              Exception.format(kind, reason, __STACKTRACE__)
          )

          detach(handler.id)
      end
    end

    :ok
  end
end
