defmodule SnakeBridge.ZeroCopyRefTest do
  use ExUnit.Case, async: true

  alias SnakeBridge.ZeroCopyRef

  defp handle(fields) do
    struct!(
      ZeroCopyRef,
      Keyword.merge(
        [kind: :shm, id: "snakebridge-1-2-ab", owner: "default:0:ab", session: "s1"],
        fields
      )
    )
  end

  test "local? compares the owner's node with this node" do
    assert ZeroCopyRef.local?(handle(node: nil))
    assert ZeroCopyRef.local?(handle(node: Atom.to_string(node())))
    refute ZeroCopyRef.local?(handle(node: "other@elsewhere"))
  end

  test "inspect says what the handle holds and where" do
    shm = handle(type: {:f, 64}, shape: {1000}, size: 8000)

    assert inspect(shm) ==
             "#SnakeBridge.ZeroCopyRef<shm {:f, 64} {1000}, 8000 bytes in default:0:ab>"

    assert inspect(handle(kind: :arrow, size: 512)) =~ "<arrow table, 512 bytes in"
    assert inspect(handle(kind: :dlpack, type: {:s, 32}, shape: {2})) =~ "<dlpack {:s, 32} {2} in"
  end

  test "kind, id, owner and session are required" do
    assert_raise ArgumentError, fn -> struct!(ZeroCopyRef, kind: :shm) end
    assert ZeroCopyRef.kinds() == [:shm, :arrow, :dlpack]
  end
end
