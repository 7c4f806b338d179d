defmodule SnakeBridge.Runtime.PrintingTest do
  # Captures the global log, so not async.
  use SnakeBridge.RuntimeCase, async: false
  import ExUnit.CaptureLog

  test "print, raw writes to fd 1, C printf and stderr reach Logger with the worker id" do
    log =
      capture_log(fn ->
        assert {:ok, 5} = SnakeBridge.call("sbtest", "shout", ["hello"])
        assert {:ok, true} = SnakeBridge.call("sbtest", "to_fd1", ["raw fd one\n"])
        assert {:ok, true} = SnakeBridge.call("sbtest", "c_printf", ["from libc printf"])
        assert {:ok, true} = SnakeBridge.call("sbtest", "to_stderr", ["on stderr"])
        # The channel is intact: the next call's reply is still well-formed.
        assert {:ok, 3} = SnakeBridge.call("operator", "add", [1, 2])
      end)

    assert log =~ ~r/\[python default:\d:[0-9a-f]+\] hello/
    assert log =~ "raw fd one"
    assert log =~ "from libc printf"
    assert log =~ ~r/\[warning\].*on stderr/
  end

  test "a large burst of output does not block or corrupt the channel" do
    capture_log(fn ->
      text = String.duplicate("x", 200_000)
      assert {:ok, 200_000} = SnakeBridge.call("sbtest", "shout", [text])
      assert {:ok, 3} = SnakeBridge.call("operator", "add", [1, 2])
    end)
  end
end
