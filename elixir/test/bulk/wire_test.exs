defmodule SnakeBridge.Bulk.WireTest do
  @moduledoc """
  The bulk terms between a real Python process and this BEAM, without the call path:
  what Python's `snakebridge.runtime.bulk` encodes decodes (with `[:safe]`) into
  `%SnakeBridge.Tensor{}` and `%SnakeBridge.ZeroCopyRef{}` here, a tensor encoded here is
  a numpy view of the frame there, and `ZeroCopyRef.materialize/1` reads shared memory
  the Python side owns, until it is released.
  """
  use ExUnit.Case, async: true

  alias SnakeBridge.{Tensor, ZeroCopyRef}

  @script """
  import json, sys
  import numpy as np, pandas as pd
  from snakebridge import etf
  from snakebridge.runtime.bulk.service import Bulk

  bulk = Bulk("exunit:0:ab", prefix=sys.argv[1], node="exunit@host")
  arr = np.arange(12, dtype=np.float64).reshape(3, 4)
  for term in (
      bulk.to_tensor(arr),
      bulk.share(arr, "s1"),
      bulk.share(pd.DataFrame({"v": [1.5, 2.5]}), "s1"),
      bulk.share(arr, "s1", kind="dlpack"),
  ):
      print(etf.encode(term).hex(), flush=True)
  for line in sys.stdin:
      command, _, arg = line.strip().partition(" ")
      if command == "release_session":
          print(bulk.release_session(arg), flush=True)
          continue
      frame = bytes.fromhex(line.strip())
      got = etf.whole_term(etf.make_reader(
          struct_hook=lambda t: bulk.struct_in(t, "s1"),
          raw_binary_structs=frozenset({etf.Atom("Elixir.SnakeBridge.Tensor")}),
      ))(frame)
      print(json.dumps({"list": got.tolist(), "dtype": str(got.dtype),
                        "view": got.base is frame, "writeable": got.flags.writeable}, default=str), flush=True)
  bulk.close()
  """

  setup do
    prefix = "sbexunit_#{System.unique_integer([:positive])}"
    python = Application.fetch_env!(:snakebridge, :python)

    port =
      Port.open({:spawn_executable, python}, [
        :binary,
        {:line, 1_000_000},
        :exit_status,
        args: ["-c", @script, prefix]
      ])

    terms = for _ <- 1..4, do: decode(line(port))

    on_exit(fn ->
      # A failed test still leaves nothing in /dev/shm.
      for name <- segments(prefix), do: File.rm(Path.join("/dev/shm", name))
    end)

    {:ok, port: port, prefix: prefix, terms: terms}
  end

  defp line(port) do
    receive do
      {^port, {:data, {:eol, text}}} -> text
      {^port, {:exit_status, status}} -> flunk("the Python side exited with #{status}")
    after
      30_000 -> flunk("no answer from the Python side")
    end
  end

  defp decode(hex), do: hex |> Base.decode16!(case: :lower) |> :erlang.binary_to_term([:safe])

  defp segments(prefix) do
    {:ok, names} = File.ls("/dev/shm")
    Enum.filter(names, &String.starts_with?(&1, prefix <> "-"))
  end

  defp ask(port, text) do
    Port.command(port, text <> "\n")
    line(port)
  end

  test "Python's terms decode into the structs, with Nx's types and tuple shapes", %{
    terms: [tensor, shm, arrow, dlpack]
  } do
    assert %Tensor{type: {:f, 64}, shape: {3, 4}} = tensor

    assert Tensor.to_list(tensor) == [
             [0.0, 1.0, 2.0, 3.0],
             [4.0, 5.0, 6.0, 7.0],
             [8.0, 9.0, 10.0, 11.0]
           ]

    assert %ZeroCopyRef{kind: :shm, type: {:f, 64}, shape: {3, 4}, size: 96} = shm
    assert %ZeroCopyRef{owner: "exunit:0:ab", session: "s1", node: "exunit@host"} = shm
    assert shm.host == ZeroCopyRef.this_host()
    assert %ZeroCopyRef{kind: :arrow, type: nil, shape: nil} = arrow
    assert %ZeroCopyRef{kind: :dlpack, type: {:f, 64}, shape: {3, 4}, size: nil} = dlpack
    refute ZeroCopyRef.local?(shm)
  end

  test "materialize reads shared memory until the owner releases it", %{
    port: port,
    prefix: prefix,
    terms: [tensor, shm, arrow, dlpack]
  } do
    assert length(segments(prefix)) == 2
    assert ZeroCopyRef.materialize(shm) == {:ok, tensor}
    assert {:ok, <<255, 255, 255, 255, _::binary>>} = ZeroCopyRef.materialize(arrow)
    assert {:error, message} = ZeroCopyRef.materialize(dlpack)
    assert message =~ "valid only inside the worker that made it (exunit:0:ab)"

    assert {:error, message} = ZeroCopyRef.materialize(%{shm | host: "elsewhere/boot"})
    assert message =~ "does not cross machines"
    assert {:error, message} = ZeroCopyRef.materialize(%{shm | id: "../../etc/passwd"})
    assert message =~ "not a shared memory segment name"
    assert {:error, message} = ZeroCopyRef.materialize(%{shm | size: 8})
    assert message =~ "holds 96 bytes"

    assert ask(port, "release_session s1") == "3"
    assert segments(prefix) == []
    assert {:error, message} = ZeroCopyRef.materialize(shm)
    assert message =~ "released"
  end

  test "a Tensor sent from here is a read-only numpy view of the frame", %{port: port} do
    for {values, type, dtype} <- [
          {[[1.5, :nan], [:infinity, -2.0]], {:f, 64}, "float64"},
          {[1, -2, 3], {:s, 16}, "int16"},
          {[[1, 2]], {:u, 8}, "uint8"},
          {[{1.0, -1.0}], {:c, 64}, "complex64"}
        ] do
      tensor = Tensor.from_list(values, type)
      hex = tensor |> :erlang.term_to_binary() |> Base.encode16(case: :lower)
      reply = ask(port, hex)
      assert reply =~ ~s("dtype": "#{dtype}")
      assert reply =~ ~s("view": true) and reply =~ ~s("writeable": false)
    end

    assert ask(
             port,
             Tensor.from_list([[1, 2], [3, 4]], {:s, 64})
             |> :erlang.term_to_binary()
             |> Base.encode16(case: :lower)
           ) =~
             ~s("list": [[1, 2], [3, 4]])
  end

  test "closing the owner's port leaves no segment", %{port: port, prefix: prefix} do
    assert length(segments(prefix)) == 2
    {:os_pid, os_pid} = Port.info(port, :os_pid)
    Port.close(port)
    wait_gone(os_pid, 300)
    assert segments(prefix) == []
  end

  defp wait_gone(_os_pid, 0), do: flunk("the Python side did not exit")

  defp wait_gone(os_pid, tries) do
    if File.exists?("/proc/#{os_pid}") do
      Process.sleep(20)
      wait_gone(os_pid, tries - 1)
    end
  end
end
