defmodule SnakeBridge.Runtime.NumericTest do
  use ExUnit.Case, async: true

  alias SnakeBridge.Runtime.Numeric

  defp packed(list), do: for(x <- list, into: <<>>, do: <<x::little-signed-64>>)

  test "int lists of 16 or more become int64 binaries, whatever their length mod 4" do
    for n <- 16..24 do
      list = Enum.to_list(-3..(n - 4))

      assert [%SnakeBridge.Bytes{data: data, dtype: "<i8", shape: nil}] =
               Numeric.pack_args([list])

      assert data == packed(list)
    end
  end

  test "int64's bounds and the VM's big integers inside them are packed" do
    edges = [-9_223_372_036_854_775_808, 9_223_372_036_854_775_807, 576_460_752_303_423_488]
    list = edges ++ Enum.to_list(1..13) ++ [-576_460_752_303_423_489]
    assert [%SnakeBridge.Bytes{data: data}] = Numeric.pack_args([list])
    assert data == packed(list)
  end

  test "short lists, values outside int64 and non-integers stay lists" do
    short = Enum.to_list(1..15)
    too_big = Enum.to_list(1..20) ++ [9_223_372_036_854_775_808]
    mixed = Enum.to_list(1..20) ++ [1.5]
    assert Numeric.pack_args([short, too_big, mixed]) == [short, too_big, mixed]
  end

  test "a matrix is packed row by row; keyword values too" do
    row = Enum.to_list(1..16)

    assert [[%SnakeBridge.Bytes{data: a}, %SnakeBridge.Bytes{data: b}]] =
             Numeric.pack_args([[row, row]])

    assert a == packed(row) and b == a
    assert [weights: %SnakeBridge.Bytes{}] = Numeric.pack_kwargs(weights: row)
  end
end
