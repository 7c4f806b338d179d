defmodule SnakeBridge.Bulk.BeamKillTest do
  # A real BEAM with a real pool shares arrays, then is killed with SIGKILL: nothing of
  # its shared memory may stay in /dev/shm, whether its worker was idle or busy.
  use SnakeBridge.RuntimeCase, async: true

  @ebin Path.expand("../../_build/test/lib/snakebridge/ebin", __DIR__)

  defp script(dir, busy?) do
    path = Path.join(dir, "owner.exs")

    File.write!(path, """
    Application.put_env(:snakebridge, :python, #{inspect(python())})
    Application.put_env(:snakebridge, :libraries, numpy: "~> 2.0", time: :stdlib)
    Application.put_env(:snakebridge, :ledger, false)
    Application.put_env(:snakebridge, :pools, default: [size: 1])
    {:ok, _} = Application.ensure_all_started(:snakebridge)
    {:ok, ref} = SnakeBridge.call("numpy", "ones", [100_000])
    {:ok, handle} = SnakeBridge.share(ref)
    {:ok, _} = SnakeBridge.share(ref)
    [%{os_pid: pid}] = SnakeBridge.Runtime.Pool.info(:default).workers
    IO.puts("worker \#{pid} \#{handle.id}")
    #{if busy?, do: ~s|spawn(fn -> SnakeBridge.call("time", "sleep", [60]) end)|, else: ""}
    Process.sleep(500)
    IO.puts("ready")
    Process.sleep(:infinity)
    """)

    path
  end

  defp segments_of(os_pid) do
    prefix = "snakebridge-#{os_pid}-"
    "/dev/shm" |> File.ls!() |> Enum.filter(&String.starts_with?(&1, prefix))
  end

  for busy? <- [false, true] do
    @tag timeout: 120_000
    test "kill -9 of the BEAM, its worker #{if busy?, do: "busy", else: "idle"}", %{} do
      dir = Path.join(System.tmp_dir!(), "sb_kill_#{System.unique_integer([:positive])}")
      File.mkdir_p!(dir)
      on_exit(fn -> File.rm_rf!(dir) end)
      elixir = System.find_executable("elixir")

      port =
        Port.open({:spawn_executable, elixir}, [
          :binary,
          {:line, 4096},
          :exit_status,
          args: ["-pa", @ebin, script(dir, unquote(busy?))]
        ])

      {worker, segment} =
        receive do
          {^port, {:data, {:eol, "worker " <> rest}}} ->
            [pid, id] = String.split(rest)
            {String.to_integer(pid), id}
        after
          90_000 -> flunk("the owner VM never shared")
        end

      assert_receive {^port, {:data, {:eol, "ready"}}}, 30_000
      assert segment in segments_of(worker)
      assert length(segments_of(worker)) == 2
      {:os_pid, beam} = Port.info(port, :os_pid)
      System.cmd("kill", ["-9", Integer.to_string(beam)])
      assert_receive {^port, {:exit_status, _}}, 30_000
      eventually(fn -> not alive?(worker) end)
      eventually(fn -> segments_of(worker) == [] end)
    end
  end
end
