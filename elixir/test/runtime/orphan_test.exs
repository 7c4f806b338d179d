defmodule SnakeBridge.Runtime.OrphanTest do
  @moduledoc """
  Workers die with their BEAM, even one stuck in a C call that holds the GIL: a
  separate VM is started with one such worker and one idle, then ended each way a VM
  ends. Counted by the worker processes left alive.
  """
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
    # One worker stuck in C holding the GIL, one idle.
    spawn(fn -> SnakeBridge.call("sbtest", "hold_gil", [60], snakebridge: [timeout: :infinity]) end)
    wait_busy = fn wait_busy ->
      if Enum.any?(SnakeBridge.Runtime.Pool.info(:default).workers, & &1.busy),
        do: :ok, else: (Process.sleep(20); wait_busy.(wait_busy))
    end
    wait_busy.(wait_busy)
    Process.sleep(200)
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

  defp assert_no_orphans(pids) do
    assert length(pids) == 2
    # Bounded polling (5 s); the stuck call alone would last 60 s.
    eventually(fn -> Enum.count(pids, &alive?/1) == 0 end)
  end

  test "no orphan workers after System.halt" do
    {_port, pids} = start_vm("System.halt(0)")
    assert_no_orphans(pids)
  end

  test "no orphan workers after the script ends (as `mix run` does)" do
    {_port, pids} = start_vm(":ok")
    assert_no_orphans(pids)
  end

  test "no orphan workers after the VM is killed with kill -9" do
    {port, pids} = start_vm("Process.sleep(:infinity)")
    assert Enum.all?(pids, &alive?/1)
    {:os_pid, vm} = Port.info(port, :os_pid)
    System.cmd("kill", ["-9", Integer.to_string(vm)])
    assert_no_orphans(pids)
  end
end
