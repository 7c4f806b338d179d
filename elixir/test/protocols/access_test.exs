defmodule SnakeBridge.Protocols.AccessTest do
  @moduledoc """
  Indexing refs the way numpy's and pandas' docs index (`arr[0:2, ::2]`, `df["city"]`,
  `df[df["age"] > 30]`), in real workers.
  """
  use SnakeBridge.RuntimeCase, async: true
  use SnakeBridge.Operators

  alias SnakeBridge.{Error, Ref}

  setup_all do
    pool =
      start_pool(:"access_#{System.unique_integer([:positive])}",
        libraries:
          [numpy: "~> 2.0", pandas: "~> 2.2", builtins: :stdlib] ++
            [sbtest: :stdlib, sbproto: :stdlib]
      )

    {:ok, pool: pool}
  end

  defp np(fun, args, pool), do: SnakeBridge.call!("numpy", fun, args, snakebridge: [pool: pool])

  defp list(ref), do: SnakeBridge.method!(ref, "tolist")

  test "numpy: integers, tuples, slices, Ellipsis and newaxis", %{pool: pool} do
    arr = np("arange", [12], pool) |> SnakeBridge.method!("reshape", [3, 4])

    assert [4, 5, 6, 7] = list(arr[1])
    assert 6 = arr[{1, 2}]
    assert 11 = arr[{-1, -1}]
    # arr[0:2, ::2]
    assert [[0, 2], [4, 6]] = list(arr[{SnakeBridge.slice(0, 2), SnakeBridge.slice(nil, nil, 2)}])
    # arr[..., 0] and arr[:, newaxis, 1]
    assert [0, 4, 8] = list(arr[{SnakeBridge.ellipsis(), 0}])

    assert {3, 1} =
             SnakeBridge.attr!(
               arr[{SnakeBridge.slice(nil, nil), SnakeBridge.newaxis(), 1}],
               "shape"
             )

    # fancy indexing with a list, and get_in through two levels
    assert [[8, 9, 10, 11], [0, 1, 2, 3]] = list(arr[[2, 0]])
    assert 9 = get_in(arr, [2, 1])
  end

  test "a missing index is nil through Access; get_item!/2 raises IndexError", %{pool: pool} do
    arr = np("arange", [3], pool)
    assert arr[10] == nil
    assert {:error, %Error{type: :index_error}} = SnakeBridge.get_item(arr, 10)

    assert_raise SnakeBridge.IndexError, ~r/out of bounds/, fn ->
      SnakeBridge.get_item!(arr, 10)
    end

    # Only KeyError/IndexError mean "missing": any other Python error raises through Access.
    assert_raise SnakeBridge.IndexError, fn -> SnakeBridge.get_item!(arr, {0, 0}) end
    box = SnakeBridge.call!("sbproto", "box", [], snakebridge: [pool: pool])
    assert_raise SnakeBridge.TypeError, ~r/unhashable/, fn -> box[[1]] end
  end

  test "ranges index inclusively, like Enum.slice/2", %{pool: pool} do
    arr = np("arange", [10], pool)
    assert list(arr[1..3]) == Enum.slice(0..9, 1..3)
    assert list(arr[1..-1//1]) == Enum.slice(0..9, 1..-1//1)
    assert list(arr[-3..-1]) == Enum.slice(0..9, -3..-1)
    assert list(arr[0..9//3]) == Enum.slice(0..9, 0..9//3)
    assert list(arr[1..-2//1]) == Enum.slice(0..9, 1..-2//1)
    assert list(arr[5..3//1]) == []

    assert {:error, %Error{type: :bad_argument, message: message}} =
             SnakeBridge.get_item(arr, 5..1//-1)

    assert message =~ "SnakeBridge.slice"
    m = np("arange", [12], pool) |> SnakeBridge.method!("reshape", [3, 4])
    assert list(m[{0..1, 2..3}]) == [[2, 3], [6, 7]]
  end

  test "put_in and pop_in write through __setitem__ and __delitem__", %{pool: pool} do
    arr = np("zeros", [4], pool)
    assert %Ref{} = put_in(arr[1], 5.0)
    assert [0.0, 5.0, 0.0, 0.0] = list(arr)
    assert %Ref{} = put_in(arr[SnakeBridge.slice(2, nil)], 7.0)
    assert [0.0, 5.0, 7.0, 7.0] = list(arr)

    counter = SnakeBridge.call!("sbproto", "box", [%{"a" => 1}], snakebridge: [pool: pool])
    assert {1, ^counter} = pop_in(counter["a"])
    assert counter["a"] == nil
    assert {nil, ^counter} = Access.pop(counter, "missing")
    assert :ok = SnakeBridge.set_item(counter, "z", [1, 2])
    assert [1, 2] = counter["z"]
    assert {:error, %Error{type: :key_error}} = SnakeBridge.del_item(counter, "nope")
    assert_raise SnakeBridge.KeyError, fn -> SnakeBridge.get_item!(counter, "nope") end
    # update_in reads, then writes
    assert ^counter = update_in(counter["z"], &(&1 ++ [3]))
    assert [1, 2, 3] = counter["z"]
  end

  test "pandas: column access, boolean masks, .loc label slices", %{pool: pool} do
    df =
      SnakeBridge.call!(
        "pandas",
        "DataFrame",
        [%{"city" => ["Oslo", "Lima", "Pune"], "age" => [25, 40, 35]}],
        snakebridge: [pool: pool]
      )

    city = df["city"]
    assert %Ref{type: "pandas.Series"} = city
    assert ["Oslo", "Lima", "Pune"] = list(city)
    assert df["nope"] == nil

    older = df[df["age"] > 30]
    assert ["Lima", "Pune"] = list(older["city"])
    assert 2 = Enum.count(older)

    assert ^df = put_in(df["young"], df["age"] < 30)
    assert [true, false, false] = list(df["young"])

    loc = SnakeBridge.attr!(df, "loc")
    assert ["Lima", "Pune"] = list(loc[{SnakeBridge.slice(1, 2), "city"}])
  end

  test "Ellipsis, slices and None come back faithfully", %{pool: pool} do
    s = SnakeBridge.slice(1, nil, 2)

    assert {:ok, [[^s, :..., nil], %{}]} =
             SnakeBridge.call("sbtest", "echo", [s, :..., nil], snakebridge: [pool: pool])

    assert {:ok, "slice(1, None, 2)"} =
             SnakeBridge.call("builtins", "repr", [s], snakebridge: [pool: pool])
  end
end
