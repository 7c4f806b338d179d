defmodule SnakeBridge.Bulk.PlacedTest do
  # placed/3 decides short argument lists in a guard: a large tensor in any position, with
  # or without kwargs, must still be placed, and anything else passed as it is.
  use ExUnit.Case, async: true

  alias SnakeBridge.{Bulk, Tensor, ZeroCopyRef}

  defp f64(n), do: Tensor.new!(:binary.copy(<<1.0::float-native-64>>, n), {:f, 64}, {n})

  defp seen(args, kwargs), do: Bulk.placed(args, kwargs, fn args, kwargs -> {args, kwargs} end)

  test "a large tensor is placed in every position of 1-3 arguments, kwargs or none" do
    large = f64(div(Bulk.segment_min(), 8))

    for count <- 1..3, at <- 0..(count - 1), kwargs <- [[], %{}, [k: 1], %{"k" => 1}] do
      args = for i <- 0..(count - 1), do: if(i == at, do: large, else: i)
      {passed, ^kwargs} = seen(args, kwargs)

      for {value, i} <- Enum.with_index(passed) do
        if i == at,
          do: assert(%ZeroCopyRef{kind: :shm} = value),
          else: assert(value == i)
      end
    end
  end

  test "small tensors, maps with a large :data and other terms pass unchanged" do
    big = :binary.copy(<<0>>, Bulk.segment_min())

    others = [
      [],
      [f64(10)],
      [1, f64(10)],
      [%{data: big}],
      [%{__struct__: :not_a_tensor, data: big}, big],
      [1, 2, 3, f64(10)]
    ]

    for args <- others, kwargs <- [[], %{}] do
      assert seen(args, kwargs) == {args, kwargs}
    end

    # A large tensor among kwargs only.
    large = f64(div(Bulk.segment_min(), 8))
    assert {[1], [t: %ZeroCopyRef{kind: :shm}]} = seen([1], t: large)
  end
end
