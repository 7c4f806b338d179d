defmodule SnakeBridge.Runtime.HandshakeTest do
  use SnakeBridge.RuntimeCase, async: true

  import ExUnit.CaptureLog

  alias SnakeBridge.Runtime.{Pool, WorkerPort}

  # An interpreter whose workers speak protocol 99 while `marker` exists: the real
  # worker, with the version its release would carry patched in before it starts.
  defp interpreter(dir, marker) do
    script = Path.join(dir, "python")

    File.write!(script, """
    #!/bin/sh
    exec "#{python()}" -c '
    import os, runpy, sys
    import snakebridge.runtime.frames as frames
    if os.path.exists(sys.argv[1]):
        frames.PROTOCOL = 99
    sys.argv = ["worker"]
    runpy.run_module("snakebridge.runtime.worker", run_name="__main__")
    ' "#{marker}"
    """)

    File.chmod!(script, 0o755)
    script
  end

  defp echo(pool), do: SnakeBridge.call("sbtest", "echo", [1], snakebridge: [pool: pool])

  @tag :tmp_dir
  test "a worker of another protocol version gets no call; the error names both versions and the fix",
       %{tmp_dir: dir} do
    marker = Path.join(dir, "other-release")

    pool =
      start_pool(:"handshake_#{System.unique_integer([:positive])}",
        python: interpreter(dir, marker)
      )

    assert {:ok, [[1], %{}]} = echo(pool)

    # The environment now holds another release: the replacement of a killed worker
    # reports protocol 99.
    File.write!(marker, "")
    [%{os_pid: os_pid}] = Pool.info(pool).workers

    log =
      capture_log(fn ->
        System.cmd("kill", ["-9", Integer.to_string(os_pid)])

        eventually(fn ->
          case echo(pool) do
            {:error, %SnakeBridge.Error{message: message}} -> message =~ "protocol 99"
            _ -> false
          end
        end)
      end)

    assert log =~ "speaks protocol 99"
    {:error, %SnakeBridge.Error{message: message}} = echo(pool)
    assert message =~ "speaks protocol 99"
    assert message =~ "speaks protocol #{WorkerPort.protocol()}"
    assert message =~ "mix snakebridge.setup"

    # Fixed: the next worker the pool starts speaks this client's version and serves.
    File.rm!(marker)
    capture_log(fn -> eventually(fn -> match?({:ok, [[1], %{}]}, echo(pool)) end) end)
  end

  @tag :tmp_dir
  test "a spare of another protocol version is never swapped in", %{tmp_dir: dir} do
    marker = Path.join(dir, "other-release")
    name = :"handshake_#{System.unique_integer([:positive])}"
    pool = start_pool(name, python: interpreter(dir, marker), spares: 1)
    eventually(fn -> match?([%{status: :ready}], Pool.info(pool).spares) end)

    File.write!(marker, "")
    [%{os_pid: os_pid}] = Pool.info(pool).spares

    log =
      capture_log(fn ->
        System.cmd("kill", ["-9", Integer.to_string(os_pid)])
        # Its replacement starts, reports protocol 99 and is stopped.
        eventually(fn -> match?([%{os_pid: p}] when p != os_pid, Pool.info(pool).spares) end)
        eventually(fn -> Pool.info(pool).spares == [] end)
      end)

    assert log =~ ~r/worker #{name}:spare:\w+ speaks protocol 99/
    # The slot's worker still serves.
    assert {:ok, [[1], %{}]} = echo(pool)

    File.rm!(marker)
    eventually(fn -> match?([%{status: :ready}], Pool.info(pool).spares) end)
  end

  test "a worker that reports no protocol version is named as older than the handshake" do
    assert {:error, message} = WorkerPort.check_protocol(%{"pid" => 1}, "w:1", "/usr/bin/python3")
    assert message =~ "no protocol version"
    assert message =~ "/usr/bin/python3"
    assert :ok = WorkerPort.check_protocol(%{"protocol" => WorkerPort.protocol()}, "w:1", "py")
  end
end
