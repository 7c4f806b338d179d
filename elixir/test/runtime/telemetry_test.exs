defmodule SnakeBridge.Runtime.TelemetryTest do
  use SnakeBridge.RuntimeCase, async: false
  import ExUnit.CaptureLog

  setup do
    SnakeBridge.Runtime.Telemetry.reset()
    Application.put_env(:snakebridge, :log_calls, true)

    on_exit(fn ->
      Application.delete_env(:snakebridge, :log_calls)
      SnakeBridge.Runtime.Telemetry.reset()
    end)
  end

  test "without :telemetry, calls are visible through Logger with metadata" do
    refute Code.ensure_loaded?(:telemetry)

    log =
      capture_log(
        [metadata: [:snakebridge_library, :snakebridge_function, :snakebridge_worker]],
        fn ->
          assert {:ok, "1"} = SnakeBridge.call("json", "dumps", [1])
          assert {:error, _} = SnakeBridge.call("json", "loads", ["{"])
        end
      )

    assert log =~ ~r/snakebridge call json.dumps ok in \d+µs/
    assert log =~ "snakebridge call json.loads error"
    assert log =~ "snakebridge_library=json"
    assert log =~ ~r/snakebridge_worker=default:\d/
  end
end
