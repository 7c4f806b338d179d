defmodule SnakeBridge.Runtime.SessionTable do
  @moduledoc """
  The pool's record of sessions: which worker slot each is pinned to, whether its
  calls left refs there, who owns it and when an ownerless one was last used. Pure
  data (the pool does the monitoring and the messaging), so its rules are tested on
  their own.

  Why entries go away: a session pinned to a slot costs the pool memory for as long as
  its entry lives, so an entry lives only while it means something.

    * An owned session (a process's own, or a `with_session/2` block's) ends when its
      owner exits or the block returns.
    * An ownerless one (named with `snakebridge: [session: id]`) is forgotten as soon
      as none of its calls is in flight and none left a ref (`settle/3`), so any number
      of distinct ids cost nothing; one that holds refs ends when released
      (`Session.end_session/1`) or after `ttl` ms without a call (`idle/4`).
  """

  defstruct entries: %{}, monitors: %{}

  @type session :: String.t()
  @type entry :: %{
          slot: pos_integer,
          monitor: reference | nil,
          refs: boolean,
          used: integer,
          lost: String.t() | nil
        }
  @type t :: %__MODULE__{entries: %{session => entry}, monitors: %{reference => session}}

  @doc "The slot `session` is pinned to, if any."
  @spec slot(t, session) :: {:ok, pos_integer} | :error
  def slot(%__MODULE__{entries: entries}, session) do
    case entries do
      %{^session => %{slot: slot}} -> {:ok, slot}
      _ -> :error
    end
  end

  @doc "Pins a new session to `slot`; `monitor` watches its owner (nil: ownerless)."
  @spec open(t, session, pos_integer, reference | nil, integer) :: t
  def open(%__MODULE__{} = table, session, slot, monitor, now) do
    entry = %{slot: slot, monitor: monitor, refs: false, used: now, lost: nil}
    monitors = if monitor, do: Map.put(table.monitors, monitor, session), else: table.monitors
    %{table | entries: Map.put(table.entries, session, entry), monitors: monitors}
  end

  @doc "A call of an ownerless session: it is not idle (owned ones never expire)."
  @spec touch(t, session, integer) :: t
  def touch(%__MODULE__{entries: entries} = table, session, now) do
    case entries do
      %{^session => %{monitor: nil} = entry} ->
        %{table | entries: Map.put(entries, session, %{entry | used: now})}

      _ ->
        table
    end
  end

  @doc "The session's calls left refs in its worker: it needs a release when it ends."
  @spec mark_refs(t, session | nil) :: t
  def mark_refs(%__MODULE__{entries: entries} = table, session) do
    case entries do
      %{^session => %{refs: false} = entry} ->
        %{table | entries: Map.put(entries, session, %{entry | refs: true})}

      _ ->
        table
    end
  end

  @doc """
  A call of `session` ended. An ownerless session with no ref and no other call
  (`busy?`) in flight is forgotten: returns the table without it.
  """
  @spec settle(t, session | nil, boolean) :: t
  def settle(%__MODULE__{entries: entries} = table, session, busy?) do
    case entries do
      %{^session => %{monitor: nil, refs: false}} when not busy? ->
        %{table | entries: Map.delete(entries, session)}

      _ ->
        table
    end
  end

  @doc "Ends a session: its entry (nil if unknown) and the table without it."
  @spec close(t, session) :: {entry | nil, t}
  def close(%__MODULE__{} = table, session) do
    case Map.pop(table.entries, session) do
      {nil, _} ->
        {nil, table}

      {entry, entries} ->
        monitors =
          if entry.monitor, do: Map.delete(table.monitors, entry.monitor), else: table.monitors

        {entry, %{table | entries: entries, monitors: monitors}}
    end
  end

  @doc "The session whose owner `monitor` watched."
  @spec owned_by(t, reference) :: {:ok, session} | :error
  def owned_by(%__MODULE__{monitors: monitors}, monitor), do: Map.fetch(monitors, monitor)

  @doc "Ownerless sessions unused for `ttl` ms at `now` and not in `busy` (a set)."
  @spec idle(t, integer, pos_integer | :infinity, MapSet.t()) :: [session]
  def idle(_table, _now, :infinity, _busy), do: []

  def idle(%__MODULE__{entries: entries}, now, ttl, busy) do
    for {session, %{monitor: nil, used: used}} <- entries,
        now - used >= ttl,
        not MapSet.member?(busy, session),
        do: session
  end

  @doc "Whether any session pinned to `slot` left refs there."
  @spec holding_refs?(t, pos_integer) :: boolean
  def holding_refs?(%__MODULE__{entries: entries}, slot),
    do: Enum.any?(entries, fn {_session, entry} -> entry.slot == slot and entry.refs end)

  @doc """
  The worker in `slot` is gone (rotated, crashed, killed): every session that held
  refs there is told `why` when it next uses one (`lost/2`).
  """
  @spec lose_refs(t, pos_integer, String.t()) :: t
  def lose_refs(%__MODULE__{entries: entries} = table, slot, why) do
    entries =
      Map.new(entries, fn
        {session, %{slot: ^slot, refs: true} = entry} -> {session, %{entry | lost: why}}
        pair -> pair
      end)

    %{table | entries: entries}
  end

  @doc "Why `session`'s refs were lost, if the pool knows (`lose_refs/3`)."
  @spec lost(t, session) :: String.t() | nil
  def lost(%__MODULE__{entries: entries}, session) do
    case entries do
      %{^session => %{lost: why}} -> why
      _ -> nil
    end
  end

  @doc "How many sessions are pinned."
  @spec size(t) :: non_neg_integer
  def size(%__MODULE__{entries: entries}), do: map_size(entries)
end
