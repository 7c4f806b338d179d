defmodule SnakeBridge.Bulk.SegmentsTest do
  # Bulk data from Elixir to real workers through shared memory this BEAM places. Not
  # async: one test kills the segment server, which takes every placed segment with it.
  use SnakeBridge.RuntimeCase, async: false

  alias SnakeBridge.{Bulk, Error, Tensor, ZeroCopyRef}
  alias SnakeBridge.Bulk.Segments

  @libraries [
    numpy: "~> 2.0",
    pyarrow: "~> 26.0",
    pandas: "~> 3.0",
    sbbulk: :stdlib,
    builtins: :stdlib
  ]

  setup do
    {:ok,
     pool: start_pool(:"segments_#{System.unique_integer([:positive])}", libraries: @libraries)}
  end

  defp sb(pool), do: [snakebridge: [pool: pool]]
  defp call(pool, module, function, args), do: SnakeBridge.call(module, function, args, sb(pool))

  defp call!(pool, module, function, args),
    do: SnakeBridge.call!(module, function, args, sb(pool))

  defp f64(n),
    do: Tensor.new!(for(i <- 1..n, into: <<>>, do: <<i * 1.0::float-native-64>>), {:f, 64}, {n})

  test "a shared tensor is mapped read-only by any worker, until released", %{pool: pool} do
    other =
      start_pool(:"segments_other_#{System.unique_integer([:positive])}", libraries: @libraries)

    tensor = f64(1000)

    assert {:ok, %ZeroCopyRef{kind: :shm, owner: "elixir", size: 8000} = handle} =
             SnakeBridge.share(tensor)

    assert handle.id in Segments.list()

    for p <- [pool, other] do
      assert call!(p, "sbbulk", "total", [handle]) == 500_500.0
      assert call!(p, "sbbulk", "mapped_from", [handle]) == "mmap"

      assert %{"writeable" => false, "nbytes" => 8000} =
               call!(p, "sbbulk", "view_facts", [handle])
    end

    assert SnakeBridge.to_tensor!(handle) == tensor
    assert :ok = SnakeBridge.release(handle)
    refute handle.id in Segments.list()

    assert {:error, %Error{type: :ref_lost, message: message}} =
             call(pool, "sbbulk", "total", [handle])

    assert message =~ "was placed by Elixir and removed since"
    assert :ok = SnakeBridge.release(handle)
  end

  test "a shared tensor goes when the process that shared it exits" do
    parent = self()

    {pid, monitor} =
      spawn_monitor(fn ->
        send(parent, {:handle, SnakeBridge.share!(f64(10))})
        receive do: (:stop -> :ok)
      end)

    assert_receive {:handle, handle}
    assert handle.id in Segments.list()
    send(pid, :stop)
    assert_receive {:DOWN, ^monitor, :process, ^pid, :normal}
    eventually(fn -> handle.id not in Segments.list() end)
  end

  test "placed/3 sends large tensor arguments through a segment for the call's duration",
       %{pool: pool} do
    large = f64(div(Bulk.segment_min(), 8))
    small = f64(10)
    before = Segments.list()

    {facts, during} =
      Bulk.placed([large, small], [weights: large], fn args, kwargs ->
        assert [%ZeroCopyRef{kind: :shm} = handle, ^small] = args
        assert [weights: %ZeroCopyRef{kind: :shm}] = kwargs

        facts =
          for arg <- [hd(args), small, kwargs[:weights]],
              do: call!(pool, "sbbulk", "mapped_from", [arg])

        {facts, handle.id in Segments.list()}
      end)

    # The small tensor came in the request frame's bytes.
    assert facts == ["mmap", "bytes", "mmap"]
    assert during
    assert Segments.list() == before

    # Keyword arguments as the call's wire carries them: a map with string keys.
    assert %{"weights" => %ZeroCopyRef{}, "n" => 1} =
             Bulk.placed([], %{"weights" => large, "n" => 1}, fn [], kwargs -> kwargs end)

    assert Segments.list() == before
  end

  test "placed/3 removes its segments when the call raises" do
    before = Segments.list()

    assert_raise RuntimeError, fn ->
      Bulk.placed([f64(div(Bulk.segment_min(), 8))], [], fn _args, _kwargs -> raise "boom" end)
    end

    assert Segments.list() == before
  end

  test "a large Arrow stream reaches from_arrow/3 through a segment", %{pool: pool} do
    column = call!(pool, "numpy", "arange", [600_000.0])
    big = call!(pool, "pandas", "DataFrame", [%{"x" => column}])
    stream = SnakeBridge.to_arrow!(big)
    assert byte_size(stream) >= Bulk.segment_min()
    before = Segments.list()
    table = SnakeBridge.from_arrow!(stream, "pyarrow", sb(pool))
    assert call!(pool, "builtins", "len", [table]) == 600_000
    assert Segments.list() == before
  end

  test "a killed server's reaper removes the segments; the next placement starts anew" do
    handle = SnakeBridge.share!(f64(10))
    server = GenServer.whereis(Segments)
    reaper = Segments.reaper_os_pid()
    Process.exit(server, :kill)
    eventually(fn -> handle.id not in Segments.list() and not alive?(reaper) end)

    fresh = SnakeBridge.share!(f64(10))
    assert fresh.id in Segments.list()
    assert Segments.reaper_os_pid() != reaper
    assert :ok = SnakeBridge.release(fresh)
  end

  # Another user's view: a process with uid and gid 65534 ("nobody"), no groups.
  defp as_nobody(args),
    do:
      System.cmd("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups" | args],
        stderr_to_stdout: true
      )

  test "segments are made inside a private directory of this BEAM, never beside it",
       %{pool: pool} do
    handle = SnakeBridge.share!(f64(1000))

    {placed_id, during} =
      Bulk.placed([f64(div(Bulk.segment_min(), 8))], [], fn [arg], _ ->
        {arg.id, Segments.list()}
      end)

    assert handle.id in during and placed_id in during

    # Under /dev/shm this BEAM has directories only, each 0700; its segments are in them.
    [dir] = Segments.entries()
    assert Path.join("/dev/shm", dir) == Segments.dir()
    assert {:ok, %File.Stat{type: :directory, mode: mode}} = File.lstat(Segments.dir())
    assert Bitwise.band(mode, 0o777) == 0o700
    assert Path.dirname(Segments.path(handle.id)) == Segments.dir()
    assert File.regular?(Segments.path(handle.id))

    # Even a segment whose own mode lets everyone read it (as the file is, for a moment,
    # when it is created) cannot be opened by another user: the directory stops them.
    :ok = File.chmod(Segments.path(handle.id), 0o644)
    assert {out, status} = as_nobody(["cat", Segments.path(handle.id)])
    assert status != 0 and out =~ "Permission denied"
    # The same user reads a 0644 file in an open directory: the refusal is the directory's.
    open = Path.join(System.tmp_dir!(), "sb_open_#{System.unique_integer([:positive])}")
    File.write!(open, "readable")
    File.chmod!(open, 0o644)
    assert {"readable", 0} = as_nobody(["cat", open])
    File.rm!(open)

    assert call!(pool, "sbbulk", "total", [handle]) == 500_500.0
    assert :ok = SnakeBridge.release(handle)
  end

  test "what share/2 refuses for a tensor" do
    assert {:error, %Error{type: :bad_argument, message: message}} =
             SnakeBridge.share(f64(2), as: :arrow)

    assert message =~ "as: :shm"

    assert {:error, %Error{type: :bad_argument, message: message}} =
             SnakeBridge.share(%Tensor{data: <<1, 2, 3>>, type: {:f, 64}, shape: {1}})

    assert message =~ "needs 8"
  end
end
