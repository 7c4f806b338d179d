defmodule SnakeBridge.Runtime.CallTest do
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.{Error, Ref, Runtime}

  @mean %{
    call_type: :call,
    library: "numpy",
    python_module: "numpy",
    function: "mean",
    kwargs: ["axis", "dtype", "out", "keepdims", "where"],
    optional_positional: [],
    idempotent: false
  }

  @solve %{@mean | python_module: "numpy.linalg", function: "solve", kwargs: []}

  describe "values cross by value" do
    test "scalars, strings, lists, tuples, maps, nil and booleans round trip" do
      value = [1, -7, 2 ** 70, 1.5, "héllo", [1, [2]], {1, "a"}, %{"k" => [nil, true, false]}]
      assert {:ok, [^value, %{}]} = SnakeBridge.call("sbtest", "echo", value)
    end

    test "NaN and infinities are atoms both ways" do
      assert {:ok, [[:nan, :infinity, :neg_infinity], %{}]} =
               SnakeBridge.call("sbtest", "echo", [:nan, :infinity, :neg_infinity])

      assert {:ok, :infinity} = SnakeBridge.call("math", "fsum", [[:infinity, 1.0]])

      assert {:ok, ["float", "float", "float"]} =
               SnakeBridge.call("sbtest", "kinds", [:nan, :infinity, 1.0])
    end

    test "bytes cross explicitly and come back as SnakeBridge.Bytes" do
      data = <<0, 255, 1, 2>>

      assert {:ok, [[%SnakeBridge.Bytes{data: ^data}], %{}]} =
               SnakeBridge.call("sbtest", "echo", [SnakeBridge.bytes(data)])

      assert {:ok, ["bytes", "str"]} =
               SnakeBridge.call("sbtest", "kinds", [SnakeBridge.bytes("abc"), "abc"])
    end

    test "a typed binary becomes a numpy array" do
      bin = for x <- [1.0, 2.0, 3.0, 4.0], into: <<>>, do: <<x::float-64-native>>

      assert {:ok, 10.0} =
               SnakeBridge.call("numpy", "sum", [
                 SnakeBridge.bytes(bin, dtype: "float64", shape: {2, 2})
               ])

      assert {:ok, {2, 2}} =
               SnakeBridge.call("numpy", "shape", [
                 SnakeBridge.bytes(bin, dtype: :float64, shape: {2, 2})
               ])

      # asarray returns the very array built from the binary: it is writable.
      reversed = for x <- [4.0, 3.0, 2.0, 1.0], into: <<>>, do: <<x::float-64-native>>

      {:ok, array} =
        SnakeBridge.call("numpy", "asarray", [SnakeBridge.bytes(reversed, dtype: "float64")])

      assert {:ok, nil} = SnakeBridge.method(array, "sort")
      assert {:ok, [1.0, 2.0, 3.0, 4.0]} = SnakeBridge.method(array, "tolist")
    end

    test "long numeric lists take the numpy fast path for numeric libraries only" do
      floats = Enum.map(1..10_000, &(&1 * 1.0))
      assert {:ok, 50_005_000.0} = Runtime.call(%{@mean | function: "sum"}, [floats])
      ints = Enum.to_list(1..1000)
      assert {:ok, 500_500} = Runtime.call(%{@mean | function: "sum"}, [ints])
      # Mixed-size ints (packed as int64 by the client), rows of a matrix too, big ints kept.
      assert {:ok, 20_100} =
               Runtime.call(%{@mean | function: "sum"}, [
                 [Enum.to_list(1..100), Enum.to_list(101..200)]
               ])

      assert {:ok, {2, 100}} =
               SnakeBridge.call("numpy", "shape", [[Enum.to_list(1..100), Enum.to_list(101..200)]])

      assert {:ok, "int64"} =
               SnakeBridge.call("numpy", "asarray", [Enum.to_list(-20..300)])
               |> then(fn {:ok, a} -> SnakeBridge.attr(a, "dtype") end)
               |> then(fn {:ok, d} -> {:ok, to_string(d)} end)

      huge = [2 ** 70 | Enum.to_list(1..20)]

      assert {:ok, sum} =
               SnakeBridge.call("operator", "add", [huge, []])
               |> then(fn {:ok, l} -> {:ok, Enum.sum(l)} end)

      assert sum == 2 ** 70 + 210
      # json is not numeric: the list stays a list.
      assert {:ok, "[1, 2, 3" <> _} = SnakeBridge.call("json", "dumps", [Enum.to_list(1..100)])
      assert {:ok, "[1.0, 2.0" <> _} = SnakeBridge.call("json", "dumps", [Enum.take(floats, 50)])
    end

    test "long numeric results come back exactly (numpy-encoded on the way out)" do
      floats = Enum.map(1..1000, &(&1 / 7))
      {:ok, ref} = SnakeBridge.call("numpy", "array", [floats])
      assert {:ok, ^floats} = SnakeBridge.method(ref, "tolist")
      ints = Enum.to_list(-500..499)
      {:ok, ref} = SnakeBridge.call("numpy", "array", [ints])
      assert {:ok, ^ints} = SnakeBridge.method(ref, "tolist")
      big = Enum.map(1..100, &(&1 * 4_000_000_000))
      {:ok, ref} = SnakeBridge.call("numpy", "array", [big])
      assert {:ok, ^big} = SnakeBridge.method(ref, "tolist")
      {:ok, ref} = SnakeBridge.call("numpy", "array", [[:nan | Enum.map(1..100, &(&1 * 1.0))]])
      assert {:ok, [:nan, 1.0 | _]} = SnakeBridge.method(ref, "tolist")
    end

    test "Elixir terms that cannot cross are refused, naming the argument" do
      assert {:error, %Error{type: :encode_error, message: message}} =
               SnakeBridge.call("sbtest", "echo", [1, [self()]])

      assert message =~ "argument 2"
      assert message =~ "pid"

      assert {:error, %Error{type: :encode_error, message: message}} =
               SnakeBridge.call("sbtest", "echo", [], f: make_ref())

      assert message =~ "keyword argument f"
      assert message =~ "reference"
    end
  end

  describe "generated-code API" do
    test "call/3 with keyword arguments" do
      assert {:ok, ref} = SnakeBridge.call("numpy", "array", [[[1.0, 2.0], [3.0, 4.0]]])
      assert {:ok, 2.5} = Runtime.call(@mean, [ref])
      assert {:ok, %Ref{type: "numpy.ndarray"} = means} = Runtime.call(@mean, [ref], axis: 0)
      assert {:ok, [2.0, 3.0]} = SnakeBridge.method(means, "tolist")
    end

    test "generated method, attribute and constructor descriptors" do
      tolist = %{@mean | call_type: :method, function: "ndarray.tolist", kwargs: []}
      shape = %{@mean | call_type: :get_attr, function: "shape", kwargs: []}

      symbol = %{
        @mean
        | call_type: :new,
          library: "sympy",
          python_module: "sympy",
          function: "Symbol",
          kwargs: :any
      }

      {:ok, ref} = SnakeBridge.call("numpy", "array", [[1.0, 2.0]])
      assert {:ok, [1.0, 2.0]} = Runtime.call(tolist, [ref])
      assert {:ok, {2}} = Runtime.call(shape, [ref])

      assert {:ok, %Ref{type: "sympy.core.symbol.Symbol"} = x} =
               Runtime.call(symbol, ["x"], positive: true)

      assert to_string(x) == "x"
    end

    test "unknown keyword names are rejected before the call, listing the valid ones" do
      assert {:error, %Error{type: :bad_argument, message: message}} =
               Runtime.call(@mean, [[1, 2]], axes: 0)

      assert message =~ "axes:"
      assert message =~ "valid: axis, dtype, out, keepdims, where"

      assert {:error, %Error{type: :bad_argument, message: message}} =
               Runtime.call(@solve, [[[1]], [1]], x: 1)

      assert message =~ "takes no keyword arguments"
    end

    test "optional positional-only parameters move from opts into args" do
      round = %{
        @mean
        | library: "math",
          python_module: "math",
          function: "log",
          kwargs: [],
          optional_positional: ["base"]
      }

      assert {:ok, 3.0} = Runtime.call(round, [8], base: 2)
      assert {:ok, log} = Runtime.call(round, [8])
      assert_in_delta log, 2.0794, 0.001
    end

    test "call!/3 returns the value or raises the mapped exception" do
      assert 2.0 = Runtime.call!(@mean, [[1, 2, 3]])

      error =
        assert_raise SnakeBridge.ValueError, fn ->
          Runtime.call!(@solve, [[[1.0, 2.0], [2.0, 4.0]], [1.0, 2.0]])
        end

      assert error.error.python_type == "numpy.linalg.LinAlgError"
      assert error.message =~ "Singular matrix"
      assert error.message =~ "numpy.linalg.solve"
    end

    test "improper argument lists are refused before the call" do
      assert {:error, %Error{type: :bad_argument, message: message}} =
               Runtime.call(%{@mean | function: "sum"}, [1 | 2])

      assert message =~ "proper list"
    end

    test "runtime options are validated" do
      assert {:error, %Error{type: :bad_argument, message: message}} =
               Runtime.call(@mean, [[1]], snakebridge: [tiemout: 5])

      assert message =~ "tiemout"

      for {bad, says} <- [
            {[pool: :default, timeout: -1], "timeout: must be a positive integer"},
            {[timeout: 5_000, retry: [attempts: 0]], "attempts"},
            {[node: :nowhere], "node: must be"},
            {:oops, "must be a keyword list"},
            {[{"timeout", 5}], "must be a keyword list"}
          ] do
        assert {:error, %Error{type: :bad_argument, message: message, call: %{function: "mean"}}} =
                 Runtime.call(@mean, [[1]], snakebridge: bad)

        assert message =~ says
      end
    end

    test "runtime options: the first of a repeated key counts, as in Keyword.get/3" do
      sum = %{@mean | function: "sum"}
      assert {:ok, 3} = Runtime.call(sum, [[1, 2]], snakebridge: [timeout: 5_000, timeout: :bad])
      assert {:ok, 3} = Runtime.call(sum, [[1, 2]], snakebridge: [pool: :default, pool: :nope])

      assert {:error, %Error{type: :bad_argument}} =
               Runtime.call(sum, [[1, 2]], snakebridge: [timeout: :bad, timeout: 5_000])
    end
  end

  describe "errors" do
    test "Python exceptions carry type, message, traceback and the call" do
      assert {:error, %Error{} = error} = SnakeBridge.call("json", "loads", ["{bad"])
      assert error.type == :value_error
      assert error.python_type == "json.decoder.JSONDecodeError"
      assert error.message =~ "Expecting property name"
      assert error.traceback =~ "Traceback (most recent call last)"

      assert error.call == %{
               call_type: :call,
               library: "json",
               python_module: "json",
               function: "loads"
             }

      assert is_binary(error.worker)
    end

    test "common exceptions map to their own types and exception modules" do
      cases = [
        {"operator", "truediv", [1, 0], :zero_division_error, SnakeBridge.ZeroDivisionError},
        {"operator", "getitem", [%{}, "missing"], :key_error, SnakeBridge.KeyError},
        {"operator", "getitem", [[1], 5], :index_error, SnakeBridge.IndexError},
        {"operator", "add", [1, "a"], :type_error, SnakeBridge.TypeError},
        {"math", "sqrt", [-1], :value_error, SnakeBridge.ValueError}
      ]

      for {module, function, args, type, exception} <- cases do
        assert {:error, %Error{type: ^type} = error} = SnakeBridge.call(module, function, args)
        assert Error.exception_module(error) == exception
        assert_raise exception, fn -> SnakeBridge.call!(module, function, args) end
      end
    end

    test "a dynamic call given a ref, an Elixir module or a list names the call meant" do
      {:ok, %Ref{} = array} = SnakeBridge.call("numpy", "arange", [3])

      assert {:error, %Error{type: :bad_argument, message: message}} =
               SnakeBridge.call(array, [1])

      assert message =~ ~s{SnakeBridge.method(ref, "__call__", args, opts)}

      assert_raise Error, ~r/got the Elixir module Numpy/, fn ->
        SnakeBridge.call!(Numpy, "mean", [[1, 2]])
      end

      assert {:error, %Error{type: :bad_argument, message: message}} =
               SnakeBridge.get("math", ["pi"])

      assert message =~ ~s{got "math" and ["pi"]}
      assert_raise Error, ~r/got nil/, fn -> SnakeBridge.stream(nil, "range", [3]) end
      assert {:ok, 2.0} = SnakeBridge.call(:math, :sqrt, [4.0])
    end

    test "a str where Python wants bytes names SnakeBridge.bytes/1 as the fix" do
      assert {:error, %Error{type: :type_error} = error} =
               SnakeBridge.call("numpy", "frombuffer", ["hello"], dtype: "uint8")

      assert Exception.message(error) =~ "pass bytes as SnakeBridge.bytes(data)"

      assert {:ok, %Ref{}} =
               SnakeBridge.call("numpy", "frombuffer", [SnakeBridge.bytes("hello")],
                 dtype: "uint8"
               )

      # hashlib's wording for the same mistake
      hashed = %Error{
        type: :type_error,
        python_type: "TypeError",
        message: "Strings must be encoded before hashing"
      }

      assert Exception.message(hashed) =~ "SnakeBridge.bytes(data)"

      assert {:error, error} = SnakeBridge.call("operator", "add", [1, "a"])
      refute Exception.message(error) =~ "SnakeBridge.bytes"
    end

    test "unmapped Python exceptions are :python_error and raise SnakeBridge.Error" do
      assert {:error,
              %Error{type: :python_error, python_type: "sbtest.CustomError", message: "boom"}} =
               SnakeBridge.call("sbtest", "raise_custom", ["boom"])

      assert_raise Error, ~r/sbtest.CustomError: boom/, fn ->
        SnakeBridge.call!("sbtest", "raise_custom", ["boom"])
      end
    end
  end

  describe "refs" do
    test "a numpy array comes back as a ref usable in the next call" do
      {:ok, a} = SnakeBridge.call("numpy", "array", [[[3.0, 1.0], [1.0, 2.0]]])
      {:ok, b} = SnakeBridge.call("numpy", "array", [[9.0, 8.0]])
      assert %Ref{type: "numpy.ndarray"} = a
      assert {:ok, x} = Runtime.call(@solve, [a, b])
      assert {:ok, [2.0, 3.0]} = SnakeBridge.method(x, "tolist")
    end

    test "containers keep their shape; only leaves that cannot cross become refs" do
      assert {:ok,
              [
                %Ref{type: "numpy.ndarray"},
                1,
                %{"k" => %{__struct__: Complex, re: 1.0, im: 2.0}},
                {2.5, 0.5, 7}
              ]} = SnakeBridge.call("sbtest", "mixed")

      # A namedtuple (numpy's EigResult) keeps its identity: a ref with its fields by name.
      assert {:ok, %Ref{} = eig} =
               SnakeBridge.call("numpy", "linalg.eig", [[[2.0, 0.0], [0.0, 3.0]]])

      assert [2.0, 3.0] = SnakeBridge.method!(eig["eigenvalues"], "tolist")

      assert {%Ref{type: "numpy.ndarray"}, %Ref{type: "numpy.ndarray"}} =
               SnakeBridge.to_elixir!(eig)
    end

    test "Inspect, String.Chars and Enumerable" do
      {:ok, ref} = SnakeBridge.call("numpy", "array", [[1.0, 2.0, 3.0]])
      assert inspect(ref) == "#SnakeBridge.Ref<numpy.ndarray array([1., 2., 3.])>"
      assert to_string(ref) == "[1. 2. 3.]"
      assert Enum.to_list(ref) == [1.0, 2.0, 3.0]
      assert Enum.count(ref) == 3
      assert Enum.map(ref, &(&1 * 2)) == [2.0, 4.0, 6.0]

      {:ok, box} = SnakeBridge.call("sbtest", "Box", [7])
      assert to_string(box) == "Box(7)"
      assert Enum.to_list(box) == [7, 7, 7]
      assert {:ok, 7} = SnakeBridge.attr(box, "value")
      assert :ok = SnakeBridge.set_attr(box, "value", 9)
      assert {:ok, 9} = SnakeBridge.method(box, "get")
    end

    test "module attributes" do
      assert {:ok, pi} = SnakeBridge.get("math", "pi")
      assert_in_delta pi, 3.14159, 0.0001
    end
  end
end
