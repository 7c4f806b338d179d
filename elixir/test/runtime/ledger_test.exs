defmodule SnakeBridge.Runtime.LedgerTest do
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.Runtime.Pool

  test "dynamic calls are recorded in the ledger; generated calls are not" do
    dir = Path.join(System.tmp_dir!(), "sb_ledger_#{System.unique_integer([:positive])}")
    on_exit(fn -> File.rm_rf(dir) end)
    path = Path.join([dir, ".snakebridge", "ledger.json"])
    pool = start_pool(:"ledger_#{System.unique_integer([:positive])}", ledger_path: path)
    sb = [snakebridge: [pool: pool]]

    assert {:ok, "1"} = SnakeBridge.call("json", "dumps", [1], sb)
    assert {:ok, "2"} = SnakeBridge.call("json", "dumps", [2], sb)
    assert {:ok, [1]} = SnakeBridge.call("json", "loads", ["[1]"], sb)

    generated = %{
      call_type: :call,
      library: "json",
      python_module: "json",
      function: "JSONEncoder",
      kwargs: :any
    }

    assert {:ok, _encoder} = SnakeBridge.Runtime.call(generated, [], sb)

    # Workers flush when they stop (and every few seconds while busy).
    :ok = stop_supervised({Pool, pool})
    eventually(fn -> File.exists?(path) end)

    # Elixir never parses JSON: ask Python to read the ledger back.
    {:ok, ledger} = SnakeBridge.call("json", "loads", [File.read!(path)])
    entries = ledger["entries"] || ledger["calls"] || ledger
    text = inspect(entries)
    assert text =~ "dumps"
    assert text =~ "loads"
    refute text =~ "JSONEncoder"
  end
end
