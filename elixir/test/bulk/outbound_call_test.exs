defmodule SnakeBridge.Bulk.OutboundCallTest do
  # A plain call's large tensor argument crosses through shared memory (Runtime's hook
  # into SnakeBridge.Bulk.placed/3); a small one, and one on another node, in the frame.
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.{Bulk, Tensor}
  alias SnakeBridge.Bulk.Segments

  setup do
    {:ok,
     pool:
       start_pool(:"outbound_#{System.unique_integer([:positive])}",
         libraries: [numpy: "~> 2.0", sbbulk: :stdlib]
       )}
  end

  defp f64(n),
    do: Tensor.new!(for(i <- 1..n, into: <<>>, do: <<i * 1.0::float-native-64>>), {:f, 64}, {n})

  test "large tensor arguments are mapped from a segment, removed after the call", %{pool: pool} do
    large = f64(div(Bulk.segment_min(), 8))
    sb = [snakebridge: [pool: pool]]
    before = Segments.list()
    assert SnakeBridge.call!("sbbulk", "mapped_from", [large], sb) == "mmap"
    assert SnakeBridge.call!("sbbulk", "mapped_from", [f64(10)], sb) == "bytes"
    assert %{"writeable" => false} = SnakeBridge.call!("sbbulk", "view_facts", [large], sb)

    assert SnakeBridge.call!("numpy", "sum", [large], sb) ==
             Enum.sum(1..div(Bulk.segment_min(), 8)) * 1.0

    assert Segments.list() == before
  end
end
