defmodule SnakeBridge.Runtime.ArgsShapeTest do
  # Calls that give only runtime options (or no opts) and plain positionals take a
  # shorter path through Args.shape/3: every rule of the full path still holds on it.
  use ExUnit.Case, async: true

  alias SnakeBridge.Runtime.Args

  defmodule Binding do
    @moduledoc false
    def __functions__,
      do: [%{name: :sum, arities: [1], python: "numpy.sum", kind: :function}]

    def sum!(a), do: a
  end

  @mean %{
    call_type: :call,
    library: "numpy",
    python_module: "numpy",
    function: "mean",
    kwargs: ["axis", "dtype", "out", "keepdims", "where"],
    positional: ["a", "axis", "dtype", "out", "keepdims"],
    required: 1,
    positional_only: [],
    varargs: false,
    idempotent: false
  }

  @diff %{@mean | function: "diff", kwargs: :any, positional: ["f"], varargs: true}
  @sb [snakebridge: [pool: :p, timeout: 5]]

  test "plain positionals with runtime options only, or no opts" do
    assert {:ok, [[1, 2]], [], [pool: :p, timeout: 5]} = Args.shape(@mean, [[1, 2]], @sb)
    assert {:ok, [[1, 2], 0], [], []} = Args.shape(@mean, [[1, 2], 0], [])
    assert {:ok, [], [], []} = Args.shape(%{call_type: :stats, kwargs: :any}, [], [])
  end

  test "a splat, a binding capture and Elixir functions beside runtime options" do
    assert {:ok, ["f", 1, 2], [], [pool: :p, timeout: 5]} =
             Args.shape(@diff, ["f", SnakeBridge.splat([1, 2])], @sb)

    assert {:error, message} = Args.shape(@diff, [SnakeBridge.splat([1]), "f"], @sb)
    assert message =~ "can only be the last one"

    assert {:ok, [%SnakeBridge.PythonFunction{path: "numpy.sum"}], [], _} =
             Args.shape(@diff, [&Binding.sum!/1], @sb)

    fun = fn x -> x end
    assert {:ok, [^fun], [], []} = Args.shape(@diff, [fun], [])
  end

  test "refusals: improper lists, the left-out marker inside, too many positionals" do
    assert {:error, message} = Args.shape(@mean, [1 | 2], @sb)
    assert message =~ "proper list"

    assert {:error, message} = Args.shape(@mean, [[1], Args.python_default(), 0], @sb)
    assert message =~ "can only end the argument list"

    assert {:error, message} = Args.shape(@mean, Enum.to_list(1..6), [])
    assert message =~ "takes at most 5 positional argument(s)"
  end

  test "a trailing keyword list naming a required parameter's place is still opts" do
    shorten = %{
      @mean
      | python_module: "textwrap",
        function: "shorten",
        kwargs: ["width", "placeholder"],
        positional: ["text", "width"],
        required: 2
    }

    assert {:ok, ["some text"], [width: 12], []} =
             Args.shape(shorten, ["some text", [width: 12]], [])
  end
end
