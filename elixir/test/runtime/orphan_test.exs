defmodule SnakeBridge.Runtime.OrphanTest do
  @moduledoc "Workers die with their BEAM: a separate VM is started, then ended two ways."
  use SnakeBridge.RuntimeCase, async: true

  defp start_vm(ending) do
    ebin = Path.expand("../../_build/test/lib/snakebridge/ebin", __DIR__)

    script = """
    Application.put_env(:snakebridge, :python, #{inspect(python())})
    Application.put_env(:snakebridge, :libraries, sbtest: :stdlib)
    Application.put_env(:snakebridge, :ledger, false)
    Application.put_env(:snakebridge, :pools, default: [size: 2, env: %{"PYTHONPATH" => #{inspect(support_python())}}])
    {:ok, _} = Application.ensure_all_started(:snakebridge)
    wait = fn wait ->
      info = SnakeBridge.Runtime.Pool.info(:default)
      if Enum.all?(info.workers, &(&1.status == :ready)), do: info, else: (Process.sleep(20); wait.(wait))
    end
    info = wait.(wait)
    # One worker busy in a long call, one idle.
    spawn(fn -> SnakeBridge.call("sbtest", "sleep", [60]) end)
    Process.sleep(300)
    IO.puts("PIDS " <> Enum.map_join(info.workers, ",", & &1.os_pid))
    #{ending}
    """

    port =
      Port.open({:spawn_executable, System.find_executable("elixir")}, [
        :binary,
        :exit_status,
        :stderr_to_stdout,
        {:line, 10_000},
        args: ["-pa", ebin, "-e", script]
      ])

    {port, read_pids(port)}
  end

  defp read_pids(port) do
    receive do
      {^port, {:data, {:eol, "PIDS " <> pids}}} ->
        pids |> String.split(",") |> Enum.map(&String.to_integer/1)

      {^port, {:data, _other}} ->
        read_pids(port)

      {^port, {:exit_status, status}} ->
        flunk("VM exited with #{status} before reporting its workers")
    after
      60_000 -> flunk("VM never reported its workers")
    end
  end

  test "no orphan workers after the VM exits normally" do
    {_port, pids} = start_vm("System.halt(0)")
    assert length(pids) == 2
    eventually(fn -> not Enum.any?(pids, &alive?/1) end)
  end

  test "no orphan workers after the VM is killed" do
    {port, pids} = start_vm("Process.sleep(:infinity)")
    assert Enum.all?(pids, &alive?/1)
    {:os_pid, vm} = Port.info(port, :os_pid)
    System.cmd("kill", ["-9", Integer.to_string(vm)])
    eventually(fn -> not Enum.any?(pids, &alive?/1) end)
  end
end
