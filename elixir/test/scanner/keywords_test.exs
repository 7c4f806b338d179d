defmodule SnakeBridge.Scanner.KeywordsTest do
  # The scanner's half of the compile-time keyword check: literal keyword names at call
  # sites (Walker, `keywords: true`), and the strict-mode check against committed
  # descriptors (Bindings.keyword_errors/3), which needs no Python.
  use ExUnit.Case, async: true

  alias SnakeBridge.Scanner.{Bindings, Walker}

  defp calls(source) do
    {:ok, ast} = Code.string_to_quoted(source, columns: true)

    for {:call, m, f, a, _line, _col, kw} <- Walker.walk(ast, ["Numpy"], keywords: true),
        do: {m, f, a, kw}
  end

  test "the literal keyword list a call ends with, without snakebridge:" do
    assert calls("""
           Numpy.mean(x, axis: 0, snakebridge: [timeout: 5])
           x |> Numpy.std(ddof: 1)
           Numpy.where(c, x, y)
           Numpy.array([1, 2])
           Numpy.sum(x, opts)
           """) == [
             {"Numpy", "mean", 2, ["axis"]},
             {"Numpy", "std", 2, ["ddof"]},
             {"Numpy", "where", 3, nil},
             {"Numpy", "array", 1, nil},
             {"Numpy", "sum", 2, nil}
           ]
  end

  test "detections carry the keywords of a call that ends with a literal keyword list" do
    {:ok, detections} =
      SnakeBridge.Scanner.scan_source(
        "Numpy.mean(x, axis: 0)\nNumpy.std(x, opts)\nNumpy.var(x, [])",
        ["Numpy"],
        "lib/a.ex"
      )

    assert [%{function: "mean", keywords: ["axis"]}, std, var] = detections
    refute Map.has_key?(std, :keywords) or Map.has_key?(var, :keywords)
  end

  test "without the option, findings keep their shape" do
    {:ok, ast} = Code.string_to_quoted("Numpy.mean(x, axis: 0)", columns: true)
    assert [{:call, "Numpy", "mean", 2, 1, _}] = Walker.walk(ast, ["Numpy"])
  end

  test "strict mode: unknown keywords against the committed descriptors" do
    root = Path.join(System.tmp_dir!(), "sb_kw_#{System.unique_integer([:positive])}")
    File.mkdir_p!(Path.join(root, "lib/snakebridge_generated"))

    File.write!(Path.join(root, "lib/snakebridge_generated/numpy.ex"), ~S'''
    defmodule Numpy do
      def mean(a, axis \\ :__python_default__, dtype \\ :__python_default__, opts \\ :__python_default__) do
        SnakeBridge.Runtime.varargs(
          :call,
          %{
            call_type: :call,
            library: "numpy",
            python_module: "numpy",
            function: "mean",
            kwargs: ["a", "axis", "dtype"],
            positional: ["a", "axis", "dtype"],
            required: 1,
            positional_only: [],
            varargs: false,
            idempotent: false
          },
          [a],
          [axis, dtype, opts]
        )
      end

      def solve(a, b, opts \\ []) do
        SnakeBridge.Runtime.call(
          %{
            call_type: :call,
            library: "numpy",
            python_module: "numpy.linalg",
            function: "solve",
            kwargs: ["a", "b"],
            positional: ["a", "b"],
            required: 2,
            positional_only: [],
            varargs: false,
            idempotent: false
          },
          [a, b],
          opts
        )
      end
    end
    ''')

    detection = fn fun, arity, kw, line ->
      %{module: "Numpy", function: fun, arity: arity, keywords: kw, file: "lib/a.ex", line: line}
    end

    errors =
      Bindings.keyword_errors(
        [
          detection.("mean", 2, ["axes"], 3),
          detection.("mean", 2, ["axis"], 4),
          detection.("solve", 2, ["x"], 5),
          detection.("solve", 3, ["x"], 6),
          detection.("mean", 1, nil, 7),
          # mean(x, 0, dtype: ..., bogus: 1): opts after an optional positional
          detection.("mean", 3, ["dtype", "bogus"], 8)
        ],
        root,
        "lib/snakebridge_generated"
      )

    assert [%{line: 3, message: m3}, %{line: 6, message: m6}, %{line: 8, message: m8}] = errors
    assert m3 =~ "unknown keyword argument(s) axes: for numpy.mean; valid: a, axis, dtype"
    assert m6 =~ "x:"
    assert m8 =~ "bogus:" and not (m8 =~ "dtype:")
    File.rm_rf!(root)
  end

  test "strict mode: a literal keyword list that leaves a required parameter unnamed" do
    root = Path.join(System.tmp_dir!(), "sb_kw_#{System.unique_integer([:positive])}")
    File.mkdir_p!(Path.join(root, "lib/snakebridge_generated"))

    # as generated for datetime.date(year, month, day) (every required one by name too)
    File.write!(Path.join(root, "lib/snakebridge_generated/datetime.ex"), ~S'''
    defmodule Datetime.Date do
      def new(
            year,
            month \\ :__python_default__,
            day \\ :__python_default__,
            opts \\ :__python_default__
          ) do
        SnakeBridge.Runtime.call(
          %{
            call_type: :call,
            library: "datetime",
            python_module: "datetime",
            function: "date",
            kwargs: ["year", "month", "day"],
            positional: ["year", "month", "day"],
            required: 3,
            positional_only: [],
            varargs: false,
            idempotent: false
          },
          [year, month, day],
          opts
        )
      end
    end
    ''')

    detection = fn arity, kw, line ->
      %{
        module: "Datetime.Date",
        function: "new",
        arity: arity,
        keywords: kw,
        file: "lib/a.ex",
        line: line
      }
    end

    errors =
      Bindings.keyword_errors(
        [
          # date(year: 2024, month: 1, day: 2), date(2024, month: 1, day: 2): fine
          detection.(1, ["year", "month", "day"], 3),
          detection.(2, ["month", "day"], 4),
          # date(year: 2024, month: 1): day is missing
          detection.(1, ["year", "month"], 5),
          # date(2024, 1, day: 2, snakebridge: ...) and the last one by name: fine
          detection.(3, ["day"], 6),
          # date(2024, 1, 2, bogus: 1): opts given, an unknown keyword
          detection.(4, ["bogus"], 7),
          # date(2024, month: 1, bogus: 1): both problems, the missing day first
          detection.(2, ["month", "bogus"], 8)
        ],
        root,
        "lib/snakebridge_generated"
      )

    assert [%{line: 5, message: m5}, %{line: 7, message: m7}, %{line: 8, message: m8}] = errors
    assert m5 =~ "missing required argument(s) day: for datetime.date"
    assert m5 =~ "(year: ..., month: ..., day: ...)"
    assert m7 =~ "unknown keyword argument(s) bogus:"
    assert m8 =~ "missing required argument(s) day:"
    File.rm_rf!(root)
  end
end
