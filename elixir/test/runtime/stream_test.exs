defmodule SnakeBridge.Runtime.StreamTest do
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.Runtime

  test "a generator becomes a lazy Stream" do
    stream = SnakeBridge.stream("itertools", "count", [1])
    # count() is infinite: only laziness makes this return.
    assert Enum.take(stream, 3) == [1, 2, 3]
    assert stream |> Stream.map(&(&1 * 2)) |> Enum.take(2) == [2, 4]
  end

  test "batches fetch several items per round trip" do
    assert SnakeBridge.stream("sbtest", "tracked", [10], snakebridge: [batch: 4])
           |> Enum.to_list() ==
             Enum.to_list(0..9)
  end

  test "halting early closes the Python generator" do
    SnakeBridge.with_session(fn ->
      assert SnakeBridge.stream("sbtest", "tracked", [1000]) |> Enum.take(2) == [0, 1]
      assert {:ok, closed} = SnakeBridge.call("sbtest", "closed")
      assert 1000 in closed
    end)
  end

  test "an error inside the generator raises from the stream" do
    assert_raise SnakeBridge.ValueError, ~r/stopped after 2/, fn ->
      SnakeBridge.stream("sbtest", "fail_after", [2]) |> Enum.to_list()
    end
  end

  test "generated descriptors stream too" do
    descriptor = %{
      call_type: :stream,
      library: "itertools",
      python_module: "itertools",
      function: "islice",
      kwargs: [],
      optional_positional: [],
      idempotent: false
    }

    assert Runtime.stream(descriptor, [[5, 6, 7, 8], 2]) |> Enum.to_list() == [5, 6]
  end

  test "a stream that cannot start raises a clear error" do
    assert_raise SnakeBridge.Error, ~r/allowlist/, fn ->
      SnakeBridge.stream("os", "walk", ["/"]) |> Enum.take(1)
    end
  end
end
