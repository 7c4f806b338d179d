defmodule :telemetry do
  @moduledoc """
  A stand-in for the `:telemetry` hex package, which this machine cannot fetch, so that
  the telemetry guide's handlers run against the real runtime's events. It has the
  package's API for what the guides use (`attach/4`, `attach_many/4`, `detach/1`,
  `execute/3`, `list_handlers/1`) and its semantics: handlers are
  `fun(event, measurements, metadata, config)`, run in the emitting process, and one
  that raises is detached.

  Like the package, handlers live in an ETS table owned by a process of their own
  (`:telemetry_handler_table`), not in a persistent term: replacing a persistent term on
  every attach and detach costs a global literal-area scan each time, and is the pattern
  behind OTP 25's `size_object` aborts that the runtime itself had to leave.
  """
  require Logger

  def attach(id, event, fun, config), do: attach_many(id, [event], fun, config)

  def attach_many(id, events, fun, config) when is_function(fun, 4) do
    handler = %{id: id, events: events, function: fun, config: config}
    :telemetry_handler_table.insert(handler)
  end

  def detach(id), do: :telemetry_handler_table.delete(id)

  def list_handlers(prefix) do
    for handler <- :telemetry_handler_table.all(),
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
    for handler <- :telemetry_handler_table.for_event(event) do
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

defmodule :telemetry_handler_table do
  @moduledoc """
  Owns the stand-in's handler table. Writes go through this process, so two attaches of
  one id cannot both succeed; `execute/3` reads the table directly from the emitting
  process, as the package does. Rows are `{event, id, handler}`, in attach order.
  """
  use GenServer

  def start_link(_), do: GenServer.start_link(__MODULE__, nil, name: __MODULE__)

  def insert(handler), do: GenServer.call(__MODULE__, {:insert, handler})
  def delete(id), do: GenServer.call(__MODULE__, {:delete, id})

  def for_event(event), do: for({_, _, handler} <- :ets.lookup(__MODULE__, event), do: handler)

  def all do
    __MODULE__
    |> :ets.tab2list()
    |> Enum.uniq_by(fn {_, id, _} -> id end)
    |> Enum.map(fn {_, _, handler} -> handler end)
  end

  @impl true
  def init(nil) do
    :ets.new(__MODULE__, [:duplicate_bag, :named_table, :protected, read_concurrency: true])
    {:ok, nil}
  end

  @impl true
  def handle_call({:insert, handler}, _from, state) do
    if :ets.match_object(__MODULE__, {:_, handler.id, :_}) == [] do
      :ets.insert(__MODULE__, for(event <- handler.events, do: {event, handler.id, handler}))
      {:reply, :ok, state}
    else
      {:reply, {:error, :already_exists}, state}
    end
  end

  def handle_call({:delete, id}, _from, state) do
    case :ets.select_delete(__MODULE__, [{{:_, id, :_}, [], [true]}]) do
      0 -> {:reply, {:error, :not_found}, state}
      _rows -> {:reply, :ok, state}
    end
  end
end

defmodule :telemetry_app do
  @moduledoc "Starts the stand-in's handler table with the docs app, as the package's own application does."
  use Application

  @impl true
  def start(_type, _args) do
    Supervisor.start_link([:telemetry_handler_table], strategy: :one_for_one)
  end
end
