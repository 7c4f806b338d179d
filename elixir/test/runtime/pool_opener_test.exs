defmodule SnakeBridge.Runtime.Pool.OpenerTest do
  use ExUnit.Case, async: true

  alias SnakeBridge.Runtime.Pool.Opener

  defp sh(script) do
    fn ->
      port =
        Port.open({:spawn_executable, "/bin/sh"}, [
          :binary,
          :exit_status,
          args: ["-c", script]
        ])

      {port, Port.info(port, :os_pid)}
    end
  end

  defp alive?(os_pid),
    do: match?({_, 0}, System.cmd("kill", ["-0", "#{os_pid}"], stderr_to_stdout: true))

  test "the caller owns the opened port, linked to it alone, and the helper is gone" do
    ref = Opener.open(sh("read line; echo got $line"))
    assert_receive {:opened, ^ref, helper, port, {:os_pid, os_pid}}, 5_000
    assert is_integer(os_pid)
    helper_ref = Process.monitor(helper)
    assert Opener.take(helper, port) == []
    assert Port.info(port, :connected) == {:connected, self()}
    assert Port.info(port, :links) == {:links, [self()]}
    assert_receive {:DOWN, ^helper_ref, :process, ^helper, :normal}
    Port.command(port, "hi\n")
    assert_receive {^port, {:data, "got hi\n"}}, 5_000
    assert_receive {^port, {:exit_status, 0}}, 5_000
  end

  test "what the port said before the handover comes back first, in order, exit included" do
    ref = Opener.open(sh("echo one; echo two >&1; exit 3"))
    assert_receive {:opened, ^ref, helper, port, _info}, 5_000
    # Let the process write and exit while the helper still owns the port.
    Process.sleep(300)
    early = Opener.take(helper, port)
    data = for {^port, {:data, bytes}} <- early, into: "", do: bytes
    assert data == "one\ntwo\n"
    assert {^port, {:exit_status, 3}} = List.last(Enum.filter(early, &match?({^port, _}, &1)))
    assert {:EXIT, port, :normal} in early
    refute_receive {^port, _}, 100
  end

  test "a caller that dies before taking the port closes it" do
    parent = self()

    caller =
      spawn(fn ->
        Opener.open(sh("read line"))
        receive do: ({:opened, _, _, _, info} -> send(parent, info))
        receive do: (:never -> :ok)
      end)

    assert_receive {:os_pid, os_pid}, 5_000
    assert alive?(os_pid)
    Process.exit(caller, :kill)
    # stdin closes with the port: `read` ends and the shell exits.
    assert Enum.any?(1..50, fn _ ->
             Process.sleep(50)
             not alive?(os_pid)
           end)
  end

  test "taking from a helper killed meanwhile returns at once, its port gone with it" do
    ref = Opener.open(sh("read line"))
    assert_receive {:opened, ^ref, helper, port, _info}, 5_000
    # As the pool does: the port may still be open when it is taken, and its exit then
    # reaches the caller as a signal.
    Process.flag(:trap_exit, true)
    Process.exit(helper, :kill)
    assert Opener.take(helper, port) == []
    assert_receive {:EXIT, ^helper, :killed}
    refute Port.info(port)
  end

  test "an open that raises is reported, not raised in the caller" do
    ref = Opener.open(fn -> raise ArgumentError, "no such interpreter" end)
    assert_receive {:open_failed, ^ref, "no such interpreter"}, 5_000
  end
end
