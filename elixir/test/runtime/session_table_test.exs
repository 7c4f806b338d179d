defmodule SnakeBridge.Runtime.SessionTableTest do
  use ExUnit.Case, async: true

  alias SnakeBridge.Runtime.SessionTable

  defp owner, do: make_ref()

  test "an owned session keeps its slot until closed, whatever its calls did" do
    monitor = owner()
    table = SessionTable.open(%SessionTable{}, "a", 2, monitor, 0)
    assert {:ok, 2} = SessionTable.slot(table, "a")
    assert {:ok, "a"} = SessionTable.owned_by(table, monitor)
    # Settling and idleness never end an owned session: its owner's exit does.
    assert SessionTable.settle(table, "a", false) == table
    assert SessionTable.idle(table, 10_000_000, 1, MapSet.new()) == []
    {entry, table} = SessionTable.close(table, "a")
    assert %{slot: 2, monitor: ^monitor, refs: false} = entry
    assert SessionTable.size(table) == 0
    assert SessionTable.owned_by(table, monitor) == :error
  end

  test "an ownerless session without refs is forgotten once nothing of it is in flight" do
    table = SessionTable.open(%SessionTable{}, "b", 1, nil, 0)
    assert SessionTable.settle(table, "b", true) == table
    assert SessionTable.size(SessionTable.settle(table, "b", false)) == 0
  end

  test "an ownerless session with refs stays until closed or idle for ttl" do
    table = %SessionTable{} |> SessionTable.open("c", 1, nil, 0) |> SessionTable.mark_refs("c")
    assert SessionTable.settle(table, "c", false) == table
    assert SessionTable.idle(table, 999, 1_000, MapSet.new()) == []
    assert SessionTable.idle(table, 1_000, 1_000, MapSet.new()) == ["c"]
    # A call in flight is not idle, and a call resets the clock.
    assert SessionTable.idle(table, 5_000, 1_000, MapSet.new(["c"])) == []
    table = SessionTable.touch(table, "c", 4_500)
    assert SessionTable.idle(table, 5_000, 1_000, MapSet.new()) == []
    assert SessionTable.idle(table, 5_500, 1_000, MapSet.new()) == ["c"]
    assert SessionTable.idle(table, 10 ** 9, :infinity, MapSet.new()) == []
    assert {%{refs: true}, %SessionTable{entries: entries}} = SessionTable.close(table, "c")
    assert entries == %{}
  end

  test "unknown sessions are no-ops" do
    table = %SessionTable{}
    assert SessionTable.slot(table, "x") == :error
    assert SessionTable.touch(table, "x", 1) == table
    assert SessionTable.mark_refs(table, "x") == table
    assert SessionTable.mark_refs(table, nil) == table
    assert SessionTable.settle(table, "x", false) == table
    assert SessionTable.close(table, "x") == {nil, table}
  end

  test "a lost worker is explained to the sessions that held refs in it, and only to them" do
    table =
      %SessionTable{}
      |> SessionTable.open("held", 1, nil, 0)
      |> SessionTable.mark_refs("held")
      |> SessionTable.open("plain", 1, nil, 0)
      |> SessionTable.open("other", 2, nil, 0)
      |> SessionTable.mark_refs("other")
      |> SessionTable.lose_refs(1, "worker w1 was rotated")

    assert SessionTable.lost(table, "held") == "worker w1 was rotated"
    assert SessionTable.lost(table, "plain") == nil
    assert SessionTable.lost(table, "other") == nil
    assert SessionTable.lost(table, "unknown") == nil
    # The explanation ends with the session.
    {_entry, table} = SessionTable.close(table, "held")
    assert SessionTable.lost(table, "held") == nil
  end
end
