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

  @mean SnakeBridge.TestDescriptors.numpy_mean()

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

  @left_out Args.python_default()

  @shorten %{
    @mean
    | python_module: "textwrap",
      function: "shorten",
      kwargs: ["width", "placeholder"],
      positional: ["text", "width"],
      required: 2
  }

  # datetime.date(year, month, day): every required parameter is positional-or-keyword
  @date %{
    @mean
    | python_module: "datetime",
      function: "date",
      kwargs: ["year", "month", "day"],
      positional: ["year", "month", "day"],
      required: 3
  }

  test "opts left out: a trailing keyword list naming a required parameter's place is opts" do
    assert {:ok, ["some text"], [width: 12], []} =
             Args.shape(@shorten, ["some text", [width: 12]], @left_out)

    # a keyword list that does not name the parameter is its value
    assert {:ok, ["some text", [a: 1]], [], []} =
             Args.shape(@shorten, ["some text", [a: 1]], @left_out)
  end

  test "opts given: every argument is what it stands for (a keyword list as a value)" do
    assert {:ok, ["some text", [width: 12]], [], []} =
             Args.shape(@shorten, ["some text", [width: 12]], [])

    assert {:ok, [2024, [month: 1], [day: 2]], [], []} =
             Args.shape(@date, [2024, [month: 1], [day: 2]], [])
  end

  test "any trailing run of required parameters by keyword, down to f(opts)" do
    kw = [year: 2024, month: 1, day: 2]
    assert {:ok, [], ^kw, []} = Args.shape(@date, [kw, @left_out, @left_out], @left_out)

    assert {:ok, [2024], [month: 1, day: 2], []} =
             Args.shape(@date, [2024, [month: 1, day: 2], @left_out], @left_out)

    assert {:ok, [2024, 1], [day: 2], [timeout: 5]} =
             Args.shape(@date, [2024, 1, [day: 2, snakebridge: [timeout: 5]]], @left_out)

    assert {:ok, [2024, 1, 2], [], []} = Args.shape(@date, [2024, 1, 2], @left_out)
  end

  test "a keyword list below the required count must name every one left out" do
    assert {:error, message} = Args.shape(@date, [2024, [month: 1], @left_out], @left_out)
    assert message =~ "missing required argument(s) day: for datetime.date"
    assert message =~ "(month: ..., day: ...)"
    assert message =~ "give every argument and opts"

    # not a keyword list at all: it cannot be the year, month and day
    assert {:error, message} = Args.shape(@date, [2024, @left_out, @left_out], @left_out)
    assert message =~ "missing required argument(s) year:, month:, day:"

    assert {:error, message} = Args.shape(@date, [[], @left_out, @left_out], @left_out)
    assert message =~ "year:, month:, day:"
  end

  test "a required parameter both positionally and by keyword, or an unknown one, is refused" do
    assert {:error, message} =
             Args.shape(@date, [2024, [year: 2024, month: 1, day: 2], @left_out], @left_out)

    assert message =~ "year: given both positionally and as a keyword"

    assert {:error, message} =
             Args.shape(@date, [[year: 1, month: 1, day: 2, bogus: 1], @left_out], @left_out)

    assert message =~ "unknown keyword argument(s) bogus:"
  end

  test "through a flexible wrapper (optional positionals after the required ones)" do
    # power(base, /, exp, mod=None): base stays positional
    power = %{
      @mean
      | function: "power",
        kwargs: ["exp", "mod"],
        positional: ["base", "exp", "mod"],
        required: 2
    }

    {args, opts} = Args.split_varargs([2, [exp: 3, mod: 5]], [@left_out, @left_out])
    assert {:ok, [2], [exp: 3, mod: 5], []} = Args.shape(power, args, opts)

    {args, opts} = Args.split_varargs([2, 3], [[mod: 5], @left_out])
    assert {:ok, [2, 3], [mod: 5], []} = Args.shape(power, args, opts)

    # an optional positional given as a keyword list value, with opts given
    {args, opts} = Args.split_varargs([2, 3], [[a: 1], []])
    assert {:ok, [2, 3, [a: 1]], [], []} = Args.shape(power, args, opts)
  end
end
