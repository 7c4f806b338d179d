defmodule SnakeBridge.Bulk.CallPathTest do
  # Real workers with real numpy, pandas, pyarrow, polars and torch.
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.{Error, Ref, Tensor, ZeroCopyRef}

  @libraries [
    numpy: "~> 2.0",
    pandas: "~> 3.0",
    pyarrow: "~> 26.0",
    polars: "~> 2.0",
    torch: "~> 2.13",
    sbbulk: :stdlib,
    builtins: :stdlib,
    array: :stdlib
  ]

  setup do
    pool = start_pool(:"bulk_#{System.unique_integer([:positive])}", libraries: @libraries)
    {:ok, pool: pool}
  end

  defp sb(pool), do: [snakebridge: [pool: pool]]

  defp call!(pool, module, function, args, kwargs \\ []),
    do: SnakeBridge.call!(module, function, args, kwargs ++ sb(pool))

  defp f64(values), do: for(x <- values, into: <<>>, do: <<x * 1.0::float-native-64>>)

  defp segments_of(os_pid) do
    prefix = "snakebridge-#{os_pid}-"
    "/dev/shm" |> File.ls!() |> Enum.filter(&String.starts_with?(&1, prefix))
  end

  defp replaced?(pool, os_pid) do
    match?(
      %{workers: [%{status: :ready, os_pid: new}]} when new != os_pid,
      SnakeBridge.Runtime.Pool.info(pool)
    )
  end

  defp os_pid(pool) do
    [%{os_pid: os_pid} | _] = wait_ready(pool).workers
    os_pid
  end

  describe "to_tensor" do
    test "an array comes back as Nx's binary layout, small and large", %{pool: pool} do
      ref = call!(pool, "numpy", "arange", [6.0])
      assert {:ok, tensor} = SnakeBridge.to_tensor(ref)
      assert %Tensor{type: {:f, 64}, shape: {6}} = tensor
      assert tensor.data == f64(0..5)

      # 8 MB: through the worker's reusable shared-memory segment, read here and handed
      # back; the same segment serves the next reply.
      big = call!(pool, "numpy", "arange", [1_000_000.0])
      assert %Tensor{shape: {1_000_000}, data: data} = SnakeBridge.to_tensor!(big)
      assert byte_size(data) == 8_000_000
      assert binary_part(data, 8 * 999_999, 8) == <<999_999.0::float-native-64>>
      assert [slot] = segments_of(os_pid(pool))
      assert SnakeBridge.to_tensor!(big).data == data
      assert segments_of(os_pid(pool)) == [slot]

      # Callers at once: while the segment is lent, a reply gets a one-shot segment.
      session = big.session

      results =
        1..4
        |> Task.async_stream(
          fn _ -> SnakeBridge.to_tensor!(big, snakebridge: [session: session]) end,
          max_concurrency: 4
        )
        |> Enum.map(fn {:ok, tensor} -> tensor.data end)

      assert Enum.all?(results, &(&1 == data))
      assert segments_of(os_pid(pool)) == [slot]
    end

    test "every dtype byte for byte", %{pool: pool} do
      cases = [
        {"int8", {:s, 8}, [-128, 0, 127]},
        {"int16", {:s, 16}, [-32768, 1, 32767]},
        {"int32", {:s, 32}, [-2_147_483_648, 2, 2_147_483_647]},
        {"int64", {:s, 64}, [-9_223_372_036_854_775_808, 3, 9_223_372_036_854_775_807]},
        {"uint8", {:u, 8}, [0, 1, 255]},
        {"uint16", {:u, 16}, [0, 2, 65535]},
        {"uint32", {:u, 32}, [0, 3, 4_294_967_295]},
        {"uint64", {:u, 64}, [0, 4, 18_446_744_073_709_551_615]},
        {"float16", {:f, 16}, [-1.5, 0.0, 65504.0]},
        {"float32", {:f, 32}, [-1.5, 0.25, 1.0e10]},
        {"float64", {:f, 64}, [-1.5, 0.1, 1.0e308]}
      ]

      for {dtype, type, values} <- cases do
        ref = call!(pool, "numpy", "array", [values], dtype: dtype)
        tensor = SnakeBridge.to_tensor!(ref)
        assert tensor.type == type, dtype
        assert tensor.data == Tensor.from_list(values, type).data, dtype
        assert Tensor.to_flat_list(tensor) == values, dtype
      end

      # complex: real and imaginary parts interleaved.
      ref = call!(pool, "numpy", "array", [[1, 2]], dtype: "complex128")
      ref = call!(pool, "numpy", "multiply", [ref, 1.5])
      assert %Tensor{type: {:c, 128}} = tensor = SnakeBridge.to_tensor!(ref)
      assert tensor.data == f64([1.5, 0.0, 3.0, 0.0])
      ref = call!(pool, "numpy", "array", [[1, 2]], dtype: "complex64")
      assert Tensor.to_flat_list(SnakeBridge.to_tensor!(ref)) == [{1.0, 0.0}, {2.0, 0.0}]

      # bool: one byte per element, as Nx's {:u, 8}.
      ref = call!(pool, "numpy", "array", [[true, false, true]])
      assert %Tensor{type: {:u, 8}, data: <<1, 0, 1>>} = SnakeBridge.to_tensor!(ref)

      # NaN and infinities keep their bit patterns.
      ref = call!(pool, "numpy", "array", [[:nan, :infinity, :neg_infinity]])
      assert [:nan, :infinity, :neg_infinity] = Tensor.to_flat_list(SnakeBridge.to_tensor!(ref))
    end

    test "shapes, 0-d and empty arrays, non-contiguous and big-endian input", %{pool: pool} do
      m = call!(pool, "numpy", "reshape", [call!(pool, "numpy", "arange", [6.0]), {2, 3}])
      assert %Tensor{shape: {2, 3}} = t = SnakeBridge.to_tensor!(m)
      assert Tensor.to_list(t) == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]

      # A transposed view (Fortran order) is made contiguous once, in C order.
      transposed = call!(pool, "numpy", "transpose", [m])

      assert Tensor.to_list(SnakeBridge.to_tensor!(transposed)) == [
               [0.0, 3.0],
               [1.0, 4.0],
               [2.0, 5.0]
             ]

      every_other =
        SnakeBridge.get_item!(m, {SnakeBridge.slice(nil, nil), SnakeBridge.slice(nil, nil, 2)})

      assert Tensor.to_list(SnakeBridge.to_tensor!(every_other)) == [[0.0, 2.0], [3.0, 5.0]]

      swapped = call!(pool, "numpy", "array", [[1, 256]], dtype: ">i4")
      assert %Tensor{type: {:s, 32}} = t = SnakeBridge.to_tensor!(swapped)
      assert Tensor.to_flat_list(t) == [1, 256]

      scalar = call!(pool, "numpy", "array", [7], dtype: "int16")
      assert %Tensor{shape: {}, data: <<7::signed-native-16>>} = SnakeBridge.to_tensor!(scalar)
      empty = call!(pool, "numpy", "zeros", [{0, 3}])
      assert %Tensor{shape: {0, 3}, data: ""} = SnakeBridge.to_tensor!(empty)
    end

    test "anything with __array__ or the buffer protocol", %{pool: pool} do
      series = call!(pool, "pandas", "Series", [[1.5, 2.5]])
      assert Tensor.to_flat_list(SnakeBridge.to_tensor!(series)) == [1.5, 2.5]
      torch = call!(pool, "torch", "ones", [2, 2])
      assert %Tensor{type: {:f, 32}, shape: {2, 2}} = SnakeBridge.to_tensor!(torch)
      buffer = call!(pool, "array", "array", ["d", [1.5, 2.5]])
      assert %Tensor{type: {:f, 64}, data: data} = SnakeBridge.to_tensor!(buffer)
      assert data == f64([1.5, 2.5])
    end

    test "a dtype without a tensor layout is an error that names the fix", %{pool: pool} do
      objects = call!(pool, "numpy", "array", [[1, "a"]], dtype: "object")

      assert {:error, %Error{type: :encode_error, message: message}} =
               SnakeBridge.to_tensor(objects)

      assert message =~ "dtype object has no tensor layout"
      assert message =~ "astype('float64')"

      strings = call!(pool, "numpy", "array", [["a", "b"]])

      assert {:error, %Error{type: :encode_error, message: message}} =
               SnakeBridge.to_tensor(strings)

      assert message =~ "holds strings"

      dict =
        call!(pool, "builtins", "dict", [], a: 1) |> then(&call!(pool, "builtins", "iter", [&1]))

      assert {:error, %Error{type: :encode_error, message: message}} = SnakeBridge.to_tensor(dict)
      assert message =~ "is not an array"

      assert {:error, %Error{type: :bad_argument}} = SnakeBridge.to_tensor([1, 2])

      assert_raise SnakeBridge.Error, ~r/no tensor layout/, fn ->
        SnakeBridge.to_tensor!(objects)
      end
    end
  end

  describe "a Tensor argument" do
    test "arrives as a read-only numpy array viewing the request's bytes", %{pool: pool} do
      tensor = Tensor.from_list([[1.0, 2.0], [3.0, 4.0]], {:f, 64})
      assert call!(pool, "numpy", "sum", [tensor]) == 10.0
      assert call!(pool, "numpy", "shape", [tensor]) == {2, 2}

      facts = call!(pool, "sbbulk", "view_facts", [tensor])
      assert %{"writeable" => false, "owndata" => false, "root" => "bytes"} = facts
      # No copy: the array's memory is the frame's bytes, which hold the whole request.
      assert facts["root_bytes"] > facts["nbytes"]

      # Every type, back unchanged.
      for type <- Tensor.types() do
        values = if elem(type, 0) == :c, do: [{1.0, -2.0}], else: [1, 2, 3]
        tensor = Tensor.from_list(values, type)
        echoed = call!(pool, "numpy", "asarray", [tensor])
        assert SnakeBridge.to_tensor!(echoed) == tensor, inspect(type)
      end

      # A writable copy: numpy.array copies (in place operations need one).
      copy = call!(pool, "numpy", "array", [tensor])

      assert %{"writeable" => true, "owndata" => true} =
               call!(pool, "sbbulk", "view_facts", [copy])
    end

    test "a malformed tensor is a bad argument naming its position", %{pool: pool} do
      bad = %Tensor{data: <<1, 2, 3>>, type: {:f, 64}, shape: {1}}

      assert {:error, %Error{type: :bad_argument, message: message}} =
               SnakeBridge.call("numpy", "sum", [1, bad], sb(pool))

      assert message =~ "argument 2"
      assert message =~ "has 3 bytes"
      assert message =~ "needs 8"

      bad = %Tensor{data: <<0::64>>, type: {:f, 8}, shape: {8}}

      assert {:error, %Error{type: :bad_argument, message: message}} =
               SnakeBridge.call("numpy", "sum", [bad], sb(pool))

      assert message =~ "{:f, 8} is not a tensor type"
      assert [_ | _] = wait_ready(pool).workers
    end
  end

  describe "share" do
    test "another worker in another pool maps the array without a copy", %{pool: pool} do
      other =
        start_pool(:"bulk_other_#{System.unique_integer([:positive])}", libraries: @libraries)

      array = call!(pool, "numpy", "arange", [1000.0])

      assert {:ok, %ZeroCopyRef{kind: :shm, type: {:f, 64}, shape: {1000}} = handle} =
               SnakeBridge.share(array)

      assert handle.size == 8000 and handle.pool == pool
      assert handle.node == Atom.to_string(node())
      owner = os_pid(pool)
      assert [segment] = segments_of(owner)
      assert segment == handle.id

      assert call!(other, "sbbulk", "total", [handle]) == 499_500.0
      assert call!(other, "sbbulk", "mapped_from", [handle]) == "mmap"
      facts = call!(other, "sbbulk", "view_facts", [handle])
      assert facts["writeable"] == false

      # Read here too, straight from shared memory, without a worker.
      assert SnakeBridge.to_tensor!(handle) == SnakeBridge.to_tensor!(array)

      assert :ok = SnakeBridge.release(handle)
      assert segments_of(owner) == []

      assert {:error, %Error{type: :ref_lost, message: message}} =
               SnakeBridge.call("sbbulk", "total", [handle], sb(other))

      assert message =~ "was released"
      assert {:error, %Error{type: :ref_lost}} = SnakeBridge.to_tensor(handle)
      assert :ok = SnakeBridge.release(handle)
    end

    test "a handle from another machine is refused, saying why", %{pool: pool} do
      handle = SnakeBridge.share!(call!(pool, "numpy", "ones", [4]))
      foreign = %{handle | host: "elsewhere/0000", node: "other@elsewhere"}

      assert {:error, %Error{type: :ref_lost, message: message}} =
               SnakeBridge.call("sbbulk", "total", [foreign], sb(pool))

      assert message =~ "shared memory does not cross machines"
      assert {:error, %Error{type: :ref_lost, message: message}} = SnakeBridge.to_tensor(foreign)
      assert message =~ "does not cross machines"
      assert call!(pool, "sbbulk", "total", [handle]) == 4.0
    end

    test "the session's end removes its segments", %{pool: pool} do
      owner = os_pid(pool)

      SnakeBridge.with_session(fn ->
        array = call!(pool, "numpy", "ones", [100])
        SnakeBridge.share!(array)
        SnakeBridge.share!(array)
        assert length(segments_of(owner)) == 2
      end)

      eventually(fn -> segments_of(owner) == [] end)
    end

    test "a crashed worker leaves no segment", %{pool: pool} do
      owner = os_pid(pool)
      handle = SnakeBridge.share!(call!(pool, "numpy", "ones", [100_000]))
      # And its reusable reply segment, made by a large to_tensor.
      SnakeBridge.to_tensor!(call!(pool, "numpy", "ones", [1_000_000]))
      assert [_, _] = segments_of(owner)
      System.cmd("kill", ["-9", Integer.to_string(owner)])
      eventually(fn -> segments_of(owner) == [] end)
      # The segment goes before the pool sees its port close: a call sent in between
      # would reach the dying worker. The handle's question is for the replacement.
      eventually(fn -> replaced?(pool, owner) end)

      assert {:error, %Error{type: :ref_lost, message: message}} =
               SnakeBridge.call("sbbulk", "total", [handle], sb(pool))

      assert message =~ "has stopped"
    end

    test "a stopped pool leaves no segment" do
      name = :"bulk_stop_#{System.unique_integer([:positive])}"
      pool = start_pool(name, libraries: @libraries)
      owner = os_pid(pool)
      SnakeBridge.share!(call!(pool, "numpy", "ones", [10]))
      SnakeBridge.to_tensor!(call!(pool, "numpy", "ones", [1_000_000]))
      assert [_, _] = segments_of(owner)
      :ok = stop_supervised({SnakeBridge.Runtime.Pool, name})
      eventually(fn -> segments_of(owner) == [] end)
    end

    test "a table is shared as an Arrow stream", %{pool: pool} do
      df = call!(pool, "pandas", "DataFrame", [%{"a" => [1, 2], "b" => ["x", "y"]}])
      assert {:ok, %ZeroCopyRef{kind: :arrow, size: size} = handle} = SnakeBridge.share(df)
      assert size > 0
      table = call!(pool, "builtins", "type", [handle])
      assert inspect(table) =~ "pyarrow"
      frame = SnakeBridge.from_arrow!(handle, "polars", sb(pool))
      assert call!(pool, "builtins", "len", [frame]) == 2
      assert {:ok, stream} = SnakeBridge.to_arrow(handle)
      assert binary_part(stream, 0, 4) == <<255, 255, 255, 255>>
    end

    test "as: :dlpack stays inside its worker, and other uses say so", %{pool: pool} do
      other = start_pool(:"bulk_dl_#{System.unique_integer([:positive])}", libraries: @libraries)
      tensor = call!(pool, "torch", "zeros", [3])
      handle = SnakeBridge.share!(tensor, as: :dlpack)
      assert %ZeroCopyRef{kind: :dlpack, type: {:f, 32}, shape: {3}} = handle

      assert {:error, %Error{type: :ref_lost, message: message}} =
               SnakeBridge.call("sbbulk", "total", [handle], sb(other))

      assert message =~ "valid only inside the worker that made it"
      assert {:error, %Error{type: :ref_lost, message: message}} = SnakeBridge.to_tensor(handle)
      assert message =~ "valid only inside the worker that made it"
      assert {:error, %Error{message: message}} = SnakeBridge.to_arrow(handle)
      assert message =~ "to_arrow/2 takes"
      assert :ok = SnakeBridge.release(handle)
    end

    test "bad options and values are refused", %{pool: pool} do
      array = call!(pool, "numpy", "ones", [2])

      assert {:error, %Error{type: :bad_argument, message: message}} =
               SnakeBridge.share(array, as: :gpu)

      assert message =~ ":shm, :arrow, :dlpack"
      assert {:error, %Error{type: :bad_argument}} = SnakeBridge.share("no ref")
      objects = call!(pool, "numpy", "array", [[1, "a"]], dtype: "object")
      assert {:error, %Error{type: :encode_error}} = SnakeBridge.share(objects)
    end
  end

  describe "DLPack" do
    test "numpy and torch share one buffer: a write on either side shows on the other",
         %{pool: pool} do
      array = call!(pool, "numpy", "zeros", [4])
      assert {:ok, %Ref{type: "torch.Tensor"} = tensor} = SnakeBridge.from_dlpack(array, "torch")
      :ok = SnakeBridge.set_item(tensor, 1, 5.0)
      assert SnakeBridge.get_item!(array, 1) == 5.0
      :ok = SnakeBridge.set_item(array, 2, 7.0)
      assert call!(pool, "builtins", "float", [SnakeBridge.get_item!(tensor, 2)]) == 7.0

      back = SnakeBridge.from_dlpack!(tensor, "numpy")
      :ok = SnakeBridge.set_item(back, 3, 9.0)
      assert Tensor.to_flat_list(SnakeBridge.to_tensor!(array)) == [0.0, 5.0, 7.0, 9.0]

      handle = SnakeBridge.share!(tensor, as: :dlpack)
      view = SnakeBridge.from_dlpack!(handle, "numpy")
      :ok = SnakeBridge.set_item(view, 0, 1.0)
      assert SnakeBridge.get_item!(array, 0) == 1.0
    end

    test "a read-only array cannot be shared that way, and says why", %{pool: pool} do
      ro = call!(pool, "numpy", "asarray", [Tensor.from_list([1.0], {:f, 64})])

      assert {:error, %Error{type: :encode_error, message: message}} =
               SnakeBridge.from_dlpack(ro, "torch")

      assert message =~ "read-only"
      assert {:error, %Error{message: message}} = SnakeBridge.from_dlpack(ro, "jax")
      assert message =~ "numpy or torch object, not 'jax'"
    end
  end
end
