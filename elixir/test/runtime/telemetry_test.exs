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

defmodule SnakeBridge.Runtime.TelemetryEventsTest do
  @moduledoc """
  With `:telemetry` loaded, calls emit start/stop/exception events. The package cannot
  be fetched here, so a minimal module with the same `execute/3` is loaded for the test.
  """
  use SnakeBridge.RuntimeCase, async: false

  @fake """
  -module(telemetry).
  -export([execute/3]).
  execute(Event, Measurements, Metadata) ->
      case whereis(sb_telemetry_test) of
          undefined -> ok;
          Pid -> Pid ! {telemetry, Event, Measurements, Metadata}, ok
      end.
  """

  setup do
    dir = Path.join(System.tmp_dir!(), "sb_fake_telemetry_#{System.unique_integer([:positive])}")
    File.mkdir_p!(dir)
    source = Path.join(dir, "telemetry.erl")
    File.write!(source, @fake)
    {:ok, :telemetry, beam} = :compile.file(String.to_charlist(source), [:binary])
    {:module, :telemetry} = :code.load_binary(:telemetry, ~c"telemetry.erl", beam)
    Process.register(self(), :sb_telemetry_test)
    SnakeBridge.Runtime.Telemetry.reset()

    on_exit(fn ->
      :code.purge(:telemetry)
      :code.delete(:telemetry)
      :code.purge(:telemetry)
      SnakeBridge.Runtime.Telemetry.reset()
      File.rm_rf(dir)
    end)
  end

  test "start, stop and exception events carry library, function, worker and duration" do
    assert {:ok, "1"} = SnakeBridge.call("json", "dumps", [1])

    assert_receive {:telemetry, [:snakebridge, :call, :start], %{system_time: _},
                    %{library: "json", function: "dumps"}}

    assert_receive {:telemetry, [:snakebridge, :call, :stop], %{duration: duration},
                    %{library: "json", function: "dumps", worker: "default:" <> _, pool: :default}}

    assert is_integer(duration) and duration > 0

    # An {:error, _} return is a :stop carrying the error, as the span convention says.
    assert {:error, _} = SnakeBridge.call("json", "loads", ["{"])

    assert_receive {:telemetry, [:snakebridge, :call, :stop], %{duration: _},
                    %{function: "loads", error: %SnakeBridge.Error{type: :value_error}}}

    refute_received {:telemetry, [:snakebridge, :call, :exception], _, _}

    # :exception is for raises only.
    assert_raise FunctionClauseError, fn ->
      SnakeBridge.call("json", "dumps", [1], snakebridge: [pool: "not an atom"])
    end

    assert_receive {:telemetry, [:snakebridge, :call, :exception], %{duration: _},
                    %{function: "dumps", kind: :error, reason: %FunctionClauseError{}}}
  end

  test "crashes, taints, restarts, circuit refusals and retries are events" do
    pool = start_pool(:"telemetry_#{System.unique_integer([:positive])}", circuit: [crashes: 2])

    ExUnit.CaptureLog.capture_log(fn ->
      for _ <- 1..2 do
        assert {:error, _} =
                 SnakeBridge.call("sbtest", "exit_with", [5],
                   snakebridge: [pool: pool, idempotent: true]
                 )
      end
    end)

    assert_receive {:telemetry, [:snakebridge, :call, :retry], %{attempt: 1, backoff_ms: _},
                    %{function: "exit_with", reason: {:exit, 5}}}

    assert_receive {:telemetry, [:snakebridge, :worker, :crash], %{},
                    %{pool: ^pool, function: "sbtest.exit_with", reason: {:exit, 5}, worker: _}}

    assert_receive {:telemetry, [:snakebridge, :worker, :restart], %{}, %{pool: ^pool}}

    assert_receive {:telemetry, [:snakebridge, :worker, :taint], %{crashes: 2, cool_down_ms: _},
                    %{function: "sbtest.exit_with", reason: {:exit, 5}}}

    assert {:error, %SnakeBridge.Error{type: :circuit_open}} =
             SnakeBridge.call("sbtest", "exit_with", [5], snakebridge: [pool: pool])

    assert_receive {:telemetry, [:snakebridge, :call, :circuit_open], %{retry_in_ms: _},
                    %{pool: ^pool, function: "sbtest.exit_with", reason: {:exit, 5}}}
  end
end
