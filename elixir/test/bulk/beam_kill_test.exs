defmodule SnakeBridge.Bulk.BeamKillTest do
  # A real BEAM with a real pool shares arrays, and places tensors in shared memory
  # itself, then is killed with SIGKILL: nothing of its or its worker's shared memory
  # may stay in /dev/shm, whether its worker was idle or busy.
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
    # Shared memory this BEAM places itself: a shared tensor (and a call's large tensor
    # argument when the worker is busy).
    big = SnakeBridge.Tensor.new!(:binary.copy(<<0>>, 5_000_000), {:f, 64}, {625_000})
    {:ok, mine} = SnakeBridge.share(big)
    IO.puts("worker \#{pid} \#{handle.id} \#{mine.id}")
    #{if busy?, do: busy(), else: ""}
    Process.sleep(500)
    IO.puts("ready")
    Process.sleep(:infinity)
    """)

    path
  end

  # The worker runs a long call, and a call with a large tensor argument waits behind it,
  # its tensor in a segment this BEAM placed.
  defp busy do
    """
    spawn(fn -> SnakeBridge.call("time", "sleep", [60]) end)
    wait = fn wait -> unless hd(SnakeBridge.Runtime.Pool.info(:default).workers).busy, do: (Process.sleep(20); wait.(wait)) end
    wait.(wait)
    spawn(fn ->
      SnakeBridge.Bulk.placed([big], [], fn args, _ -> SnakeBridge.call("numpy", "sum", args) end)
    end)
    placed = fn placed -> if length(SnakeBridge.Bulk.Segments.list()) < 2, do: (Process.sleep(20); placed.(placed)) end
    placed.(placed)
    """
  end

  # The entries of /dev/shm named after an OS process: a worker's segments, or a BEAM's
  # private directory.
  defp entries_of(os_pid) do
    prefix = "snakebridge-#{os_pid}-"
    "/dev/shm" |> File.ls!() |> Enum.filter(&String.starts_with?(&1, prefix))
  end

  # The segments in a BEAM's private directories.
  defp placed_by(os_pid) do
    Enum.flat_map(entries_of(os_pid), &File.ls!(Path.join("/dev/shm", &1)))
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

      {worker, segment, placed} =
        receive do
          {^port, {:data, {:eol, "worker " <> rest}}} ->
            [pid, id, placed] = String.split(rest)
            {String.to_integer(pid), id, placed}
        after
          90_000 -> flunk("the owner VM never shared")
        end

      assert_receive {^port, {:data, {:eol, "ready"}}}, 30_000
      assert segment in entries_of(worker)
      assert length(entries_of(worker)) == 2
      {:os_pid, beam} = Port.info(port, :os_pid)
      assert [dir] = entries_of(beam)
      assert File.dir?(Path.join("/dev/shm", dir))
      assert placed in placed_by(beam)
      assert length(placed_by(beam)) == if(unquote(busy?), do: 2, else: 1)
      System.cmd("kill", ["-9", Integer.to_string(beam)])
      assert_receive {^port, {:exit_status, _}}, 30_000
      eventually(fn -> not alive?(worker) end)
      eventually(fn -> entries_of(worker) == [] end)
      # The reaper removed the directory with the segments in it.
      eventually(fn -> entries_of(beam) == [] end)
    end
  end
end
