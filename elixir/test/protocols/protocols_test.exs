defmodule SnakeBridge.Protocols.ProtocolsTest do
  @moduledoc "len, in, bool, hash, str/repr, iteration and `with` on refs, in real workers."
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.{Error, Ref}

  setup_all do
    pool =
      start_pool(:"protocols_#{System.unique_integer([:positive])}",
        libraries: [numpy: "~> 2.0", builtins: :stdlib, sbproto: :stdlib, collections: :stdlib]
      )

    {:ok, pool: pool}
  end

  defp call(module, fun, args, pool, opts \\ []),
    do: SnakeBridge.call!(module, fun, args, opts ++ [snakebridge: [pool: pool]])

  test "len, in, bool, hash, str and repr", %{pool: pool} do
    box = call("sbproto", "box", [%{"a" => 1, "b" => 2}], pool)
    assert {:ok, 2} = SnakeBridge.len(box)
    assert SnakeBridge.contains!(box, "a")
    refute SnakeBridge.contains!(box, "zz")
    assert Enum.member?(box, "b")
    assert 2 = Enum.count(box)

    falsy = call("sbproto", "Falsy", [], pool)
    assert {:ok, false} = SnakeBridge.bool(falsy)
    assert 42 = SnakeBridge.hash!(falsy)
    assert "falsy!" = SnakeBridge.str!(falsy)
    assert "falsy!" = to_string(falsy)
    assert SnakeBridge.repr!(falsy) =~ "sbproto.Falsy object"

    arr = call("numpy", "arange", [5], pool)
    assert 5 = SnakeBridge.len!(arr)
    assert SnakeBridge.contains!(arr, 3)
    assert [0, 1, 2, 3, 4] = Enum.to_list(arr)
    # numpy refuses the truth value of an array: the error says so.
    assert {:error, %Error{type: :value_error, message: message}} = SnakeBridge.bool(arr)
    assert message =~ "ambiguous"
    assert {:error, %Error{type: :type_error}} = SnakeBridge.hash(arr)

    assert {:error, %Error{type: :type_error}} =
             SnakeBridge.len(call("sbproto", "Falsy", [], pool))
  end

  test "a dict subclass enumerates {key, value} pairs like a map, anything else as iter()",
       %{pool: pool} do
    box = call("sbproto", "box", [%{"a" => 1}], pool)
    # Box is not a Mapping: Python iteration, keys.
    assert ["a"] = Enum.to_list(box)
    assert %Ref{} = counter = call("sbproto", "counter", ["abracadabra"], pool)
    assert {"a", 5} in Enum.to_list(counter)
    # member? agrees with the enumeration: a pair, not a key (Python's `in` is contains/2)
    assert Enum.member?(counter, {"a", 5})
    refute Enum.member?(counter, "a")
    assert SnakeBridge.contains!(counter, "a")

    ordered = call("collections", "OrderedDict", [[{"b", 1}, {"a", 2}]], pool)
    assert [{"b", 1}, {"a", 2}] = Enum.to_list(ordered)

    # A ChainMap is a Mapping but not a dict: Python's iter() gives its keys.
    chain = call("collections", "ChainMap", [%{"a" => 1}, %{"b" => 2}], pool)
    assert ["a", "b"] = Enum.sort(Enum.to_list(chain))
    assert Enum.member?(chain, "b")
  end

  test "with_context: value, __exit__ always runs, exceptions reach __exit__", %{pool: pool} do
    manager = call("sbproto", "Manager", [], pool)
    assert :ok = SnakeBridge.with_context(manager, fn "the value" -> :ok end)
    assert ["enter", {"exit", nil, nil}] = SnakeBridge.attr!(manager, "events")

    manager = call("sbproto", "Manager", [], pool)

    assert_raise ArgumentError, "bad", fn ->
      SnakeBridge.with_context(manager, fn _ -> raise ArgumentError, "bad" end)
    end

    assert ["enter", {"exit", "ElixirError", "ArgumentError: bad"}] =
             SnakeBridge.attr!(manager, "events")

    # A Python error inside the block reaches __exit__ as that Python exception.
    manager = call("sbproto", "Manager", [], pool)

    assert_raise SnakeBridge.KeyError, fn ->
      SnakeBridge.with_context(manager, fn _ ->
        SnakeBridge.get_item!(call("sbproto", "box", [], pool), "missing")
      end)
    end

    assert ["enter", {"exit", "KeyError", _}] = SnakeBridge.attr!(manager, "events")

    # throw and exit run __exit__ too, and propagate.
    manager = call("sbproto", "Manager", [], pool)
    assert catch_throw(SnakeBridge.with_context(manager, fn _ -> throw(:out) end)) == :out
    assert catch_exit(SnakeBridge.with_context(manager, fn _ -> exit(:bye) end)) == :bye

    assert [_, {"exit", "ElixirError", _}, _, {"exit", "ElixirError", _}] =
             SnakeBridge.attr!(manager, "events")
  end

  test "with_context: a suppressing __exit__ is honoured", %{pool: pool} do
    manager = call("sbproto", "Manager", [], pool, suppress: true)
    assert nil == SnakeBridge.with_context(manager, fn _ -> raise "swallowed" end)

    assert ["enter", {"exit", "ElixirError", "RuntimeError: swallowed"}] =
             SnakeBridge.attr!(manager, "events")

    # Suppression only applies to errors: a normal result comes back.
    assert 7 = SnakeBridge.with_context(manager, fn _ -> 7 end)
  end

  test "with_context: a failing __enter__ raises and the block never runs", %{pool: pool} do
    manager = call("sbproto", "Manager", [], pool, fail_enter: true)

    assert_raise SnakeBridge.RuntimeError, ~r/enter failed/, fn ->
      SnakeBridge.with_context(manager, fn _ -> flunk("ran") end)
    end

    not_a_manager = call("sbproto", "Falsy", [], pool)

    assert_raise SnakeBridge.TypeError, ~r/context manager protocol/, fn ->
      SnakeBridge.with_context(not_a_manager, fn _ -> flunk("ran") end)
    end
  end

  test "with_context on numpy.errstate (numpy docs)", %{pool: pool} do
    # with np.errstate(divide="raise"): np.divide(1.0, 0.0)  -> FloatingPointError
    errstate = call("numpy", "errstate", [], pool, divide: "raise")

    error =
      assert_raise SnakeBridge.Error, fn ->
        SnakeBridge.with_context(errstate, fn _ -> call("numpy", "divide", [1.0, 0.0], pool) end)
      end

    assert error.python_type == "FloatingPointError"
    # The state is restored by each __exit__: under "ignore", division by zero is infinity.
    ignore = call("numpy", "errstate", [], pool, divide: "ignore")

    assert :infinity =
             SnakeBridge.with_context(ignore, fn _ ->
               call("numpy", "divide", [1.0, 0.0], pool)
             end)
  end

  test "protocol dunders are reachable only as protocol operations", %{pool: pool} do
    box = call("sbproto", "box", [], pool)

    assert {:error, %Error{type: :bad_argument, message: message}} =
             SnakeBridge.Runtime.Ops.run("__class__", [box])

    assert message =~ "unknown protocol operation"

    assert {:error, %Error{type: :bad_argument}} =
             SnakeBridge.Runtime.Ops.run("getitem", [box, "a", "extra"])
  end
end
