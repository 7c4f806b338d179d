defmodule SnakeBridge.TensorTest do
  @moduledoc """
  Tensors without the call path: construction checks, the list functions, and the byte
  layout checked against numpy's own bytes for every type (a real Python process).
  """
  use ExUnit.Case, async: true

  alias SnakeBridge.Tensor

  doctest SnakeBridge.Tensor

  # numpy dtype, type, values: numpy writes them, Tensor.from_list must give the same bytes.
  @cases [
    {"int8", {:s, 8}, [-128, 0, 127]},
    {"int16", {:s, 16}, [-32768, 1, 32767]},
    {"int32", {:s, 32}, [-2_147_483_648, 7, 2_147_483_647]},
    {"int64", {:s, 64}, [-9_223_372_036_854_775_808, 9, 9_223_372_036_854_775_807]},
    {"uint8", {:u, 8}, [0, 200, 255]},
    {"uint16", {:u, 16}, [0, 300, 65535]},
    {"uint32", {:u, 32}, [0, 70000, 4_294_967_295]},
    {"uint64", {:u, 64}, [0, 1_099_511_627_776, 18_446_744_073_709_551_615]},
    {"float16", {:f, 16}, [0.5, -2.0, 65504.0, :nan, :infinity, :neg_infinity]},
    {"float32", {:f, 32}, [1.5, -0.25, 16_777_216.0, :nan, :infinity, :neg_infinity]},
    {"float64", {:f, 64}, [1.0, -2.5, 1.0e300, :nan, :infinity, :neg_infinity]},
    {"complex64", {:c, 64}, [{1.0, 2.0}, {-3.5, :nan}]},
    {"complex128", {:c, 128}, [{1.0, 2.0}, {:infinity, -0.5}]}
  ]

  defp numpy_bytes(dtype, values) do
    python = Application.fetch_env!(:snakebridge, :python)

    literal =
      Enum.map_join(values, ", ", fn
        {re, im} -> "complex(#{py(re)}, #{py(im)})"
        x -> py(x)
      end)

    script = "import numpy; print(numpy.array([#{literal}], dtype='#{dtype}').tobytes().hex())"
    {out, 0} = System.cmd(python, ["-c", script])
    out |> String.trim() |> Base.decode16!(case: :lower)
  end

  defp py(:nan), do: "float('nan')"
  defp py(:infinity), do: "float('inf')"
  defp py(:neg_infinity), do: "float('-inf')"
  defp py(x), do: to_string(x)

  test "from_list writes exactly numpy's bytes, for every type" do
    for {dtype, type, values} <- @cases do
      tensor = Tensor.from_list(values, type)
      assert tensor.data == numpy_bytes(dtype, values), "#{dtype} differs from numpy"
      assert tensor.shape == {length(values)}
      assert Tensor.to_flat_list(tensor) == values, "#{dtype} does not read back"
    end

    assert Enum.map(@cases, &elem(&1, 1)) == Tensor.types()
  end

  test "matrices are row-major: numpy's C order" do
    tensor = Tensor.from_list([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], {:f, 64})
    assert tensor.shape == {2, 3}
    python = Application.fetch_env!(:snakebridge, :python)
    script = "import numpy; print(numpy.arange(1.0, 7.0).reshape(2, 3).tobytes().hex())"
    {out, 0} = System.cmd(python, ["-c", script])
    assert tensor.data == out |> String.trim() |> Base.decode16!(case: :lower)
    assert Tensor.to_list(tensor) == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
  end

  test "shapes: scalars, empty dimensions, deep nesting" do
    scalar = Tensor.new!(<<2.5::float-native-64>>, {:f, 64}, {})
    assert Tensor.to_list(scalar) == 2.5
    assert Tensor.size(scalar) == 1
    empty = Tensor.new!(<<>>, {:s, 32}, {2, 0})
    assert Tensor.to_list(empty) == [[], []]
    cube = Tensor.from_list([[[1, 2], [3, 4]], [[5, 6], [7, 8]]], {:u, 8})
    assert cube.shape == {2, 2, 2} and cube.data == <<1, 2, 3, 4, 5, 6, 7, 8>>
    assert Tensor.to_list(cube) == [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]
  end

  test "new/3 checks that data, type and shape agree" do
    assert {:error, message} = Tensor.new(<<0::size(40)-unit(8)>>, {:f, 64}, {2, 3})
    assert message =~ "40 bytes" and message =~ "{2, 3}" and message =~ "needs 48"
    assert {:error, message} = Tensor.new(<<>>, {:bf, 16}, {0})
    assert message =~ "not a tensor type" and message =~ "{:f, 64}"
    assert {:error, message} = Tensor.new(<<>>, {:f, 64}, [0])
    assert message =~ "tuple of non-negative integers"
    assert {:error, _} = Tensor.new(<<>>, {:f, 64}, {-1})
    assert {:error, _} = Tensor.new([1.0], {:f, 64}, {1})
    assert_raise ArgumentError, ~r/needs 8/, fn -> Tensor.new!(<<1>>, {:f, 64}, {1}) end
  end

  test "from_list refuses values that do not fit the type" do
    assert_raise ArgumentError, ~r/not a value of type \{:u, 8\}/, fn ->
      Tensor.from_list([-1], {:u, 8})
    end

    assert_raise ArgumentError, ~r/not a value of type/, fn ->
      Tensor.from_list([:oops], {:f, 32})
    end

    assert_raise ArgumentError, ~r/different shapes/, fn ->
      Tensor.from_list([[1], [2, 3]], {:s, 8})
    end
  end

  test "inspect shows type, shape and size, never the bytes" do
    tensor = Tensor.from_list([1.0, 2.0], {:f, 32})
    assert inspect(tensor) == "#SnakeBridge.Tensor<{:f, 32} {2}, 8 bytes>"
  end

  test "the Nx adapter is compiled only when Nx is present" do
    refute Code.ensure_loaded?(Nx)
    refute Code.ensure_loaded?(SnakeBridge.Tensor.Nx)
  end
end
