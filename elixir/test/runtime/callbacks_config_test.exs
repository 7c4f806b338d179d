defmodule SnakeBridge.Runtime.CallbacksConfigTest do
  @moduledoc "`callbacks:` in the snakebridge: config reaches a pool through Settings.load/0."
  # Changes the application env, which every pool started meanwhile would read.
  use SnakeBridge.RuntimeCase, async: false

  setup do
    previous = Application.fetch_env(:snakebridge, :callbacks)
    Application.put_env(:snakebridge, :callbacks, [{SnakeBridge.TestTools, [:double]}])

    on_exit(fn ->
      case previous do
        {:ok, value} -> Application.put_env(:snakebridge, :callbacks, value)
        :error -> Application.delete_env(:snakebridge, :callbacks)
      end
    end)
  end

  test "a pool started from the settings allows exactly the configured functions" do
    pool = :"cb_config_#{System.unique_integer([:positive])}"
    # No :settings given: the pool loads them as the supervisor does.
    start_supervised!(
      {SnakeBridge.Runtime.Pool, name: pool, size: 1, env: %{"PYTHONPATH" => support_python()}}
    )

    wait_ready(pool)
    sb = [snakebridge: [pool: pool]]

    assert {:ok, 8} =
             SnakeBridge.call("sbtest", "call_elixir", ["SnakeBridge.TestTools", "double", 4], sb)

    assert {:ok, ["CallbackNotAllowed", message]} =
             SnakeBridge.call(
               "sbtest",
               "try_call_elixir",
               ["SnakeBridge.TestTools", "lookup", 1],
               sb
             )

    assert message =~
             "TestTools.lookup is not registered for calls from Python (registered: double)"

    assert {:ok, ["CallbackNotAllowed", _]} =
             SnakeBridge.call("sbtest", "forge_named", ["SnakeBridge.TestTools", "lookup", 1], sb)
  end
end
