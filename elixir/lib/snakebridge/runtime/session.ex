defmodule SnakeBridge.Runtime.Session do
  @moduledoc """
  Which session a call belongs to.

  Every process has an implicit session, created on its first call and ended when the
  process exits (the pool monitors it). `SnakeBridge.with_session/2` runs a function in
  a named session that ends when the function returns. A call may also name a session
  explicitly with `snakebridge: [session: id]`; such a session lives until a
  `with_session/2` block of that name returns.

  Ending a session releases every ref it created, in whichever worker holds them.
  """

  @key :"$snakebridge_session"

  @doc "The calling process's current `{session_id, owner_pid}`, creating it if needed."
  @spec current() :: {String.t(), pid}
  def current do
    case Process.get(@key) do
      nil ->
        session = {new_id(), self()}
        Process.put(@key, session)
        session

      session ->
        session
    end
  end

  @doc "A fresh unguessable session id."
  @spec new_id() :: String.t()
  def new_id, do: Base.url_encode64(:crypto.strong_rand_bytes(12), padding: false)

  @doc "Runs `fun` with `id` as the current session, then ends the session."
  @spec with_session(String.t(), (() -> result)) :: result when result: var
  def with_session(id, fun) when is_binary(id) and is_function(fun, 0) do
    previous = Process.get(@key)
    Process.put(@key, {id, self()})

    try do
      fun.()
    after
      if previous, do: Process.put(@key, previous), else: Process.delete(@key)
      end_session(id)
    end
  end

  @doc """
  Runs `fun` with `id` as the current session without ending it afterwards (an Elixir
  callback runs in the session of the call that passed it). `nil` keeps the current one.
  """
  @spec with_current(String.t() | nil, (() -> result)) :: result when result: var
  def with_current(nil, fun), do: fun.()

  def with_current(id, fun) when is_binary(id) do
    case Process.get(@key) do
      {^id, _owner} ->
        fun.()

      previous ->
        Process.put(@key, {id, self()})

        try do
          fun.()
        after
          if previous, do: Process.put(@key, previous), else: Process.delete(@key)
        end
    end
  end

  @doc """
  Releases a session's refs (and kept callbacks) in every running pool, here and on the
  other nodes this process placed the session on (`SnakeBridge.Cluster`).
  """
  @spec end_session(String.t()) :: :ok
  def end_session(id) do
    for pool <- SnakeBridge.Runtime.pools(), do: SnakeBridge.Runtime.Pool.end_session(pool, id)
    SnakeBridge.Cluster.end_session(id)
    SnakeBridge.Runtime.Callbacks.forget_session(id)
  end
end
