defmodule SnakeBridge.Bulk.ArrowTest do
  # Tables cross as Arrow IPC streams, in real workers with real pandas, pyarrow, polars.
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.{Error, Tensor}

  @libraries [
    numpy: "~> 2.0",
    pandas: "~> 3.0",
    pyarrow: "~> 26.0",
    polars: "~> 2.0",
    sbbulk: :stdlib,
    builtins: :stdlib
  ]

  setup do
    pool = start_pool(:"arrow_#{System.unique_integer([:positive])}", libraries: @libraries)
    # polars imported by a call of its own (the helpers below build polars frames).
    SnakeBridge.call!("polars", "DataFrame", [], snakebridge: [pool: pool])
    {:ok, pool: pool}
  end

  defp sb(pool), do: [snakebridge: [pool: pool]]

  defp call!(pool, module, function, args, kwargs \\ []),
    do: SnakeBridge.call!(module, function, args, kwargs ++ sb(pool))

  # An Arrow IPC stream starts with a continuation marker and a schema message.
  defp ipc_stream?(<<0xFF, 0xFF, 0xFF, 0xFF, _size::little-32, _::binary>>), do: true
  defp ipc_stream?(_), do: false

  test "pandas: dtypes, nulls, strings, timestamps and categoricals round trip", %{pool: pool} do
    df = call!(pool, "sbbulk", "pandas_sample", [])
    assert {:ok, stream} = SnakeBridge.to_arrow(df)
    assert ipc_stream?(stream)

    back = SnakeBridge.from_arrow!(stream, "pandas", sb(pool))
    assert %SnakeBridge.Ref{type: "pandas.DataFrame"} = back
    assert call!(pool, "sbbulk", "frames_equal", [df, back]) == true

    assert call!(pool, "sbbulk", "dtypes", [back]) == %{
             "i" => "int64",
             "f" => "float64",
             "s" => "str",
             "t" => "datetime64[ns]",
             "tz" => "datetime64[us, Europe/Paris]",
             "c" => "category",
             "b" => "bool"
           }

    schema =
      call!(pool, "sbbulk", "schema", [SnakeBridge.from_arrow!(stream, "pyarrow", sb(pool))])

    assert schema["f"] == "double" and schema["s"] == "large_string"
    assert schema["c"] =~ "dictionary<values=large_string"
    assert schema["t"] == "timestamp[ns]" and schema["tz"] == "timestamp[us, tz=Europe/Paris]"

    assert call!(pool, "sbbulk", "null_counts", [
             SnakeBridge.from_arrow!(stream, "pyarrow", sb(pool))
           ]) ==
             %{"i" => 0, "f" => 1, "s" => 1, "t" => 1, "tz" => 0, "c" => 1, "b" => 0}
  end

  test "polars and pyarrow round trip, and a table changes library on the way", %{pool: pool} do
    pl = call!(pool, "sbbulk", "polars_sample", [])
    stream = SnakeBridge.to_arrow!(pl)
    back = SnakeBridge.from_arrow!(stream, "polars", sb(pool))
    assert call!(pool, "sbbulk", "frames_equal", [pl, back]) == true
    # The oldest compatibility level: large_string, which every Arrow reader (Explorer too) reads.
    schema =
      call!(pool, "sbbulk", "schema", [SnakeBridge.from_arrow!(stream, "pyarrow", sb(pool))])

    assert schema["s"] == "large_string"
    assert schema["c"] =~ "dictionary<values=large_string"

    table = call!(pool, "sbbulk", "pyarrow_sample", [])
    back = SnakeBridge.from_arrow!(SnakeBridge.to_arrow!(table), "pyarrow", sb(pool))
    assert call!(pool, "sbbulk", "frames_equal", [table, back]) == true

    as_pandas = SnakeBridge.from_arrow!(SnakeBridge.to_arrow!(pl), "pandas", sb(pool))
    assert call!(pool, "builtins", "len", [as_pandas]) == 3
    assert %SnakeBridge.Ref{type: "pandas.DataFrame"} = as_pandas
  end

  test "a large frame crosses through shared memory, and back", %{pool: pool} do
    df = call!(pool, "sbbulk", "pandas_rows", [200_000])
    stream = SnakeBridge.to_arrow!(df)
    assert byte_size(stream) > 1_000_000 and ipc_stream?(stream)
    back = SnakeBridge.from_arrow!(stream, "pandas", sb(pool))
    assert call!(pool, "sbbulk", "frames_equal", [df, back]) == true
  end

  test "one column as a tensor", %{pool: pool} do
    df = call!(pool, "sbbulk", "pandas_sample", [])
    assert %Tensor{type: {:s, 64}, shape: {3}} = t = SnakeBridge.column!(df, "i")
    assert Tensor.to_flat_list(t) == [1, 2, 3]
    assert Tensor.to_flat_list(SnakeBridge.column!(df, "f")) == [1.5, :nan, 3.5]
    assert %Tensor{type: {:u, 8}, data: <<1, 0, 1>>} = SnakeBridge.column!(df, "b")

    pl = call!(pool, "sbbulk", "polars_sample", [])
    assert Tensor.to_flat_list(SnakeBridge.column!(pl, "f")) == [1.5, :nan, 3.5]
    table = call!(pool, "sbbulk", "pyarrow_sample", [])
    assert Tensor.to_flat_list(SnakeBridge.column!(table, "i")) == [1, 2, 3]

    assert {:error, %Error{type: :encode_error, message: message}} = SnakeBridge.column(df, "s")
    assert message =~ "column 's'" and message =~ "no tensor layout"
    assert {:error, %Error{type: :encode_error, message: message}} = SnakeBridge.column(pl, "i")
    assert message =~ "null(s)" and message =~ "fill_null"
    assert {:error, %Error{type: :encode_error, message: message}} = SnakeBridge.column(df, "zz")
    assert message =~ "no column 'zz'"
  end

  test "bad input is a clear error and loses nothing", %{pool: pool} do
    assert {:error, %Error{type: :encode_error, message: message}} =
             SnakeBridge.from_arrow("not arrow at all", "pandas", sb(pool))

    assert message =~ "not an Arrow IPC stream"

    assert {:error, %Error{type: :bad_argument, message: message}} =
             SnakeBridge.from_arrow(<<>>, "excel", sb(pool))

    assert message =~ "\"pandas\", \"pyarrow\", \"polars\""
    assert {:error, %Error{type: :bad_argument}} = SnakeBridge.from_arrow(42, "pandas", sb(pool))

    array = call!(pool, "numpy", "ones", [3])
    assert {:error, %Error{type: :encode_error, message: message}} = SnakeBridge.to_arrow(array)
    assert message =~ "is not a table"
    assert [%{status: :ready}] = wait_ready(pool).workers
  end

  test "without pyarrow declared, Arrow calls say what to add" do
    pool =
      start_pool(:"arrow_np_#{System.unique_integer([:positive])}",
        libraries: [numpy: "~> 2.0", pandas: "~> 3.0", sbbulk: :stdlib]
      )

    df = SnakeBridge.call!("pandas", "DataFrame", [%{"a" => [1, 2]}], sb(pool))
    assert {:error, %Error{type: :not_allowed, message: message}} = SnakeBridge.to_arrow(df)
    assert message =~ "pyarrow, which is not declared"
    assert {:error, %Error{type: :not_allowed}} = SnakeBridge.from_arrow(<<>>, "polars", sb(pool))
  end
end
