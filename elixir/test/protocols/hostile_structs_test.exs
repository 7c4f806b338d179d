defmodule SnakeBridge.Protocols.HostileStructsTest do
  @moduledoc """
  Only real structs are special: look-alike maps stay plain maps, and a malformed
  struct is a `:bad_argument` naming the argument, never a dead worker.
  """
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.{Bytes, Error, Ref}

  setup_all do
    pool =
      start_pool(:"hostile_#{System.unique_integer([:positive])}",
        libraries: [numpy: "~> 2.0", sbtest: :stdlib]
      )

    {:ok, pool: pool}
  end

  defp echo(args, pool, opts \\ []),
    do: SnakeBridge.call("sbtest", "echo", args, opts ++ [snakebridge: [pool: pool]])

  defp pid(pool), do: SnakeBridge.call!("sbtest", "getpid", [], snakebridge: [pool: pool])

  test "string-keyed look-alikes of Bytes and Ref are plain maps", %{pool: pool} do
    before = pid(pool)
    huge = %{"__struct__" => "Elixir.SnakeBridge.Bytes", "data" => Integer.pow(2, 70)}
    assert {:ok, [[^huge], %{}]} = echo([huge], pool)

    text = %{"__struct__" => "Elixir.SnakeBridge.Bytes", "data" => "text", "dtype" => "float64"}
    assert {:ok, [[^text], %{}]} = echo([text], pool)

    ref = %{
      "__struct__" => "Elixir.SnakeBridge.Ref",
      "id" => "0",
      "session" => "s",
      "worker" => "w"
    }

    assert {:ok, [[^ref], %{}]} = echo([ref], pool)
    assert {:ok, ["dict"]} = SnakeBridge.call("sbtest", "kinds", [ref], snakebridge: [pool: pool])
    assert pid(pool) == before
  end

  test "malformed Bytes fields are bad arguments that name the position", %{pool: pool} do
    before = pid(pool)

    for {bad, field} <- [
          {%Bytes{data: Integer.pow(10, 13)}, "data must be a binary"},
          {%Bytes{data: Integer.pow(2, 70)}, "data must be a binary"},
          {%Bytes{data: [1, 2]}, "data must be a binary"},
          {%Bytes{data: <<1, 2, 3>>, dtype: "float64"}, "ValueError"},
          {%Bytes{data: <<0::64>>, dtype: "not-a-dtype"}, "TypeError"},
          {%Bytes{data: <<0::64>>, dtype: 5}, "dtype must be a string"},
          {%Bytes{data: <<0::64>>, dtype: "float64", shape: {7, 7}}, "reshape"},
          {%Bytes{data: <<0::64>>, dtype: "float64", shape: {Integer.pow(2, 70)}}, "dimension"},
          {%Bytes{data: <<0::64>>, dtype: "float64", shape: "1"}, "shape must be a tuple"},
          {%Bytes{data: <<0::64>>, shape: {1}}, "shape needs a dtype"}
        ] do
      assert {:error, %Error{type: :bad_argument, message: message}} = echo([1, bad], pool),
             inspect(bad)

      assert message =~ "argument 2: %SnakeBridge.Bytes{}", message
      assert message =~ field, message
    end

    assert {:error, %Error{type: :bad_argument, message: message}} =
             echo([], pool, blob: %Bytes{data: Integer.pow(2, 70)})

    assert message =~ "keyword argument blob"

    assert {:error, %Error{type: :bad_argument, message: message}} =
             echo([[%{"deep" => {%Bytes{data: :atom}}}]], pool)

    assert message =~ "argument 1"

    forged = %Ref{id: Integer.pow(10, 5000), session: "x", worker: "y"}
    assert {:error, %Error{type: :bad_argument, message: message}} = echo([forged], pool)
    assert message =~ "id must be a string"

    # The worker served all of it and still holds its pid.
    assert pid(pool) == before
    assert {:ok, [[%Bytes{data: <<1, 2>>}], %{}]} = echo([%Bytes{data: <<1, 2>>}], pool)
  end
end
