defmodule SnakeBridge.Runtime.ArgsTest do
  # The call-time half of the generator's arity rule (codegen/emit/shape.py), without a
  # worker: what reaches Python, and what is refused before anything is sent.
  use ExUnit.Case, async: true

  alias SnakeBridge.Runtime.Args

  @default Args.python_default()

  @mean SnakeBridge.TestDescriptors.numpy_mean()

  # builtins.int(x=0, /, base=10)
  @int %{
    @mean
    | python_module: "builtins",
      function: "int",
      kwargs: ["base"],
      positional: ["x", "base"],
      required: 0,
      positional_only: ["x"]
  }

  # a wrapper's arguments: required ones, then the optional ones as the clause got them
  defp wrap(descriptor, required, extra) do
    {args, opts} = Args.split_varargs(required, extra)
    Args.shape(descriptor, args, opts)
  end

  test "left-out arguments are dropped; a trailing keyword list is opts" do
    assert {:ok, [[1, 2]], [], []} = wrap(@mean, [[1, 2]], [@default, @default, @default])
    assert {:ok, [[1, 2], 0], [], []} = wrap(@mean, [[1, 2]], [0, @default, @default])

    assert {:ok, [[1, 2], 0], [dtype: "f"], [timeout: 5]} =
             wrap(@mean, [[1, 2]], [0, [dtype: "f", snakebridge: [timeout: 5]], @default])

    # `[]` ends the positionals too, exactly as for *args
    assert {:ok, [[1, 2], 0], [], []} = wrap(@mean, [[1, 2]], [0, [], @default])
    # a list that is not a keyword list is a positional value
    assert {:ok, [[1, 2], [0, 1]], [], []} = wrap(@mean, [[1, 2]], [[0, 1], @default])
  end

  test "too many positionals are refused, naming the parameters" do
    assert {:error, message} = wrap(@mean, [[1]], [0, nil, nil, false, :extra, [where: true]])
    assert message =~ "numpy.mean takes at most 5 positional argument(s) (a, axis"
    assert message =~ "got 6"
  end

  test "a parameter given both positionally and as a keyword is refused before the call" do
    assert {:error, message} = wrap(@mean, [[1]], [0, [axis: 1], @default])
    assert message =~ "axis: given both positionally and as a keyword argument to numpy.mean"
  end

  test "optional positional-only parameters given in opts move into place" do
    assert {:ok, ["42"], [base: 2], []} = wrap(@int, [], ["42", [base: 2], @default])
    assert {:ok, ["42"], [], []} = wrap(@int, [], [[x: "42"], @default, @default])
    assert {:ok, [], [], []} = wrap(@int, [], [@default, @default, @default])
  end

  test "the left-out marker cannot stand in the middle" do
    assert {:error, message} = wrap(@mean, [[1]], [@default, 0, @default])
    assert message =~ "stands for an argument left out"
  end

  test "*args wrappers take any number of positionals after the named ones" do
    diff = %{@mean | function: "diff", kwargs: :any, positional: ["f"], varargs: true}

    assert {:ok, ["f", "x", "y"], [evaluate: false], []} =
             wrap(diff, ["f"], ["x", "y", [evaluate: false], @default])
  end

  test "a splat as the last positional is Python's *items, however many items it holds" do
    diff = %{@mean | function: "diff", kwargs: :any, positional: ["f"], varargs: true}
    many = Enum.to_list(1..20)
    splat = SnakeBridge.splat(many)

    assert {:ok, ["f", "x" | ^many], [evaluate: false], []} =
             wrap(diff, ["f"], ["x", splat, [evaluate: false], @default])

    assert {:ok, ["f" | ^many], [], []} = wrap(diff, ["f"], [splat, @default, @default])
    assert {:ok, ["f"], [], []} = wrap(diff, ["f"], [SnakeBridge.splat([]), @default])
    # its items stay positional: a keyword list inside is a value, not opts
    assert {:ok, ["f", [a: 1]], [], []} = wrap(diff, ["f"], [SnakeBridge.splat([[a: 1]])])
    # dynamic calls take it too
    assert {:ok, [1, 2, 3], [], []} = Args.shape(diff, [1, SnakeBridge.splat([2, 3])], [])
  end

  test "a splat anywhere but last, or into no *args, is refused before the call" do
    diff = %{@mean | function: "diff", kwargs: :any, positional: ["f"], varargs: true}

    assert {:error, message} = wrap(diff, ["f"], [SnakeBridge.splat(["x"]), "y", @default])
    assert message =~ "SnakeBridge.splat/1 stands for the rest of the positional arguments"
    assert message =~ "argument 2 of 3 in a call to numpy.diff"

    assert {:error, message} = Args.shape(diff, [%SnakeBridge.Splat{items: :x}], [])
    assert message =~ "SnakeBridge.splat/1 takes a list, got :x"

    # numpy.mean has no *args: the splat's items are counted like any positionals
    assert {:ok, [[1], 0], [], []} = wrap(@mean, [[1]], [SnakeBridge.splat([0]), @default])
    assert {:error, message} = wrap(@mean, [[1]], [SnakeBridge.splat(Enum.to_list(1..5))])
    assert message =~ "numpy.mean takes at most 5 positional argument(s)"
  end

  test "a required parameter written by name is a keyword (textwrap.shorten(text, width=12))" do
    shorten = %{
      @mean
      | python_module: "textwrap",
        function: "shorten",
        kwargs: ["width", "placeholder"],
        positional: ["text", "width"],
        required: 2
    }

    assert {:ok, ["Hello"], [width: 12], [timeout: 9]} =
             Args.shape(shorten, ["Hello", [width: 12, snakebridge: [timeout: 9]]], @default)

    # a keyword list that does not name the parameter is its value
    assert {:ok, ["Hello", [a: 1]], [], []} = Args.shape(shorten, ["Hello", [a: 1]], @default)
  end

  test "unknown keywords are refused, listing the valid ones" do
    assert {:error, message} = wrap(@mean, [[1]], [[bogus: 1], @default])
    assert message =~ "unknown keyword argument(s) bogus:"
    assert message =~ "valid: axis, dtype, out, keepdims, where"
  end
end
