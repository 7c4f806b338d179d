defmodule SnakeBridge.ScannerTest do
  @moduledoc """
  Table-driven: Elixir source → the exact set of `{module, function, arity, line}` the
  scanner must report (positive and negative cases), plus a property test that renaming
  aliases never changes what is detected.
  """
  use ExUnit.Case, async: true

  alias SnakeBridge.Scanner

  @roots ["Numpy", "Sympy", "Pd", "Json"]

  defp detect(source) do
    {:ok, detections} = Scanner.scan_source(source, @roots, "lib/t.ex")

    detections
    |> Enum.map(&{&1.module, &1.function, &1.arity, &1.line})
    |> MapSet.new()
  end

  cases = [
    {"direct call and nested submodule",
     """
     defmodule A do
       def f(a, b) do
         Numpy.mean(a)
         Numpy.Linalg.solve(a, b)
       end
     end
     """, [{"Numpy", "mean", 1, 3}, {"Numpy.Linalg", "solve", 2, 4}]},
    {"class entry points",
     """
     x = Sympy.Symbol.new("x")
     Sympy.Symbol.simplify(x)
     """, [{"Sympy.Symbol", "new", 1, 1}, {"Sympy.Symbol", "simplify", 1, 2}]},
    {"zero arity without parens",
     """
     Numpy.pi
     Numpy.e()
     """, [{"Numpy", "pi", 0, 1}, {"Numpy", "e", 0, 2}]},
    {"keyword options count as one argument",
     """
     Numpy.mean(x, axis: 0, dtype: "float64")
     Numpy.sum(x, [axis: 1])
     """, [{"Numpy", "mean", 2, 1}, {"Numpy", "sum", 2, 2}]},
    {"bang variants map to the plain name",
     """
     Numpy.mean!(x)
     Numpy.Linalg.inv!(x, [])
     """, [{"Numpy", "mean", 1, 1}, {"Numpy.Linalg", "inv", 2, 2}]},
    {"alias",
     """
     defmodule A do
       alias Numpy
       alias Numpy.Linalg
       def f(x), do: {Numpy.mean(x), Linalg.det(x)}
     end
     """, [{"Numpy", "mean", 1, 4}, {"Numpy.Linalg", "det", 1, 4}]},
    {"alias as",
     """
     defmodule A do
       alias Numpy, as: Np
       alias Numpy.Linalg, as: LA
       def f(x), do: {Np.mean(x), LA.det(x), Np.Fft.fft(x)}
     end
     """, [{"Numpy", "mean", 1, 4}, {"Numpy.Linalg", "det", 1, 4}, {"Numpy.Fft", "fft", 1, 4}]},
    {"multi alias",
     """
     alias Numpy.{Linalg, Fft}
     Linalg.norm(x)
     Fft.ifft(x, 4)
     """, [{"Numpy.Linalg", "norm", 1, 2}, {"Numpy.Fft", "ifft", 2, 3}]},
    {"alias of an alias",
     """
     alias Numpy, as: Np
     alias Np.Linalg
     Linalg.eig(x)
     """, [{"Numpy.Linalg", "eig", 1, 3}]},
    {"alias inside a function body is scoped to it",
     """
     defmodule A do
       def f(x) do
         alias Numpy.Linalg, as: L
         L.det(x)
       end

       def g(x), do: L.det(x)
     end
     """, [{"Numpy.Linalg", "det", 1, 4}]},
    {"alias does not leak into a sibling module",
     """
     defmodule A do
       alias Numpy, as: N
       def f(x), do: N.mean(x)
     end

     defmodule B do
       def g(x), do: N.mean(x)
     end
     """, [{"Numpy", "mean", 1, 3}]},
    {"alias is inherited by nested modules",
     """
     defmodule A do
       alias Numpy, as: N

       defmodule Inner do
         def f(x), do: N.std(x)
       end

       def g(x), do: N.var(x)
     end
     """, [{"Numpy", "std", 1, 5}, {"Numpy", "var", 1, 8}]},
    {"alias inside case clause does not leak",
     """
     case x do
       1 ->
         alias Numpy, as: N
         N.one(x)
     end
     N.two(x)
     """, [{"Numpy", "one", 1, 4}]},
    {"alias applies only after it is declared",
     """
     N.before(x)
     alias Numpy, as: N
     N.after(x)
     """, [{"Numpy", "after", 1, 3}]},
    {"require as creates an alias",
     """
     require Numpy, as: N
     N.mean(x)
     """, [{"Numpy", "mean", 1, 2}]},
    {"import all",
     """
     defmodule A do
       import Numpy
       def f(x), do: mean(x) + std(x, ddof: 1)
     end
     """, [{"Numpy", "mean", 1, 3}, {"Numpy", "std", 2, 3}]},
    {"import only, at the right arity",
     """
     defmodule A do
       import Numpy, only: [mean: 1, std: 2]
       def f(x), do: {mean(x), mean(x, 1), std(x), std(x, 1)}
     end
     """, [{"Numpy", "mean", 1, 3}, {"Numpy", "std", 2, 3}]},
    {"import except",
     """
     import Numpy, except: [mean: 1]
     mean(x)
     median(x)
     """, [{"Numpy", "median", 1, 3}]},
    {"import: local functions of the same name win",
     """
     defmodule A do
       import Numpy
       def f(x), do: {mean(x), mean(x, 2), max(x, 2)}
       defp mean(x), do: x
     end
     """, [{"Numpy", "mean", 2, 3}]},
    {"import: local function with defaults covers every arity",
     """
     defmodule A do
       import Numpy
       def f(x), do: {norm(x), norm(x, 2), norm(x, 2, 3)}
       def norm(x, ord \\\\ 2), do: {x, ord}
     end
     """, [{"Numpy", "norm", 3, 3}]},
    {"import is lexical",
     """
     defmodule A do
       def f(x) do
         import Numpy, only: [mean: 1]
         mean(x)
       end

       def g(x), do: mean(x)
     end
     """, [{"Numpy", "mean", 1, 4}]},
    {"import of a nested module via alias",
     """
     alias Numpy.Linalg
     import Linalg, only: [det: 1]
     det(x)
     """, [{"Numpy.Linalg", "det", 1, 3}]},
    {"Kernel wins over a wholesale import",
     """
     import Numpy
     max(a, b)
     is_list(a)
     if a, do: b
     """, []},
    {"pipes add the piped value",
     """
     x |> Numpy.array() |> Numpy.std(ddof: 1)
     x |> Numpy.mean
     """, [{"Numpy", "array", 1, 1}, {"Numpy", "std", 2, 1}, {"Numpy", "mean", 1, 2}]},
    {"pipe into an imported function",
     """
     import Numpy, only: [mean: 1]
     x |> mean()
     """, [{"Numpy", "mean", 1, 2}]},
    {"captures",
     """
     f = &Numpy.mean/1
     g = &Numpy.mean!/2
     h = &Numpy.mean(&1, axis: 0)
     alias Numpy.Linalg, as: L
     k = &L.det/1
     """,
     [
       {"Numpy", "mean", 1, 1},
       {"Numpy", "mean", 2, 2},
       {"Numpy", "mean", 2, 3},
       {"Numpy.Linalg", "det", 1, 5}
     ]},
    {"capture of an imported function",
     """
     import Numpy, only: [mean: 1]
     Enum.map(xs, &mean/1)
     """, [{"Numpy", "mean", 1, 2}]},
    {"case, with, for, cond, fn, try",
     """
     case Numpy.a(x) do
       {:ok, v} -> Numpy.b(v)
     end
     with {:ok, v} <- Numpy.c(x), do: Numpy.d(v)
     for v <- Numpy.e(x), do: Numpy.f(v)
     cond do
       Numpy.g(x) -> Numpy.h(x)
     end
     fn v -> Numpy.i(v) end
     try do
       Numpy.j(x)
     rescue
       _ -> Numpy.k(x)
     end
     """,
     [
       {"Numpy", "a", 1, 1},
       {"Numpy", "b", 1, 2},
       {"Numpy", "c", 1, 4},
       {"Numpy", "d", 1, 4},
       {"Numpy", "e", 1, 5},
       {"Numpy", "f", 1, 5},
       {"Numpy", "g", 1, 7},
       {"Numpy", "h", 1, 7},
       {"Numpy", "i", 1, 9},
       {"Numpy", "j", 1, 11},
       {"Numpy", "k", 1, 13}
     ]},
    {"calls inside a macro body and as macro arguments",
     """
     defmodule A do
       defmacro m(x) do
         y = Numpy.mean(x)
         y
       end

       test "numpy" do
         Numpy.std(1)
       end
     end
     """, [{"Numpy", "mean", 1, 3}, {"Numpy", "std", 1, 8}]},
    {"defimpl and defprotocol bodies",
     """
     defprotocol P do
       def f(x)
     end

     defimpl P, for: List do
       alias Numpy, as: N
       def f(x), do: N.asarray(x)
     end
     """, [{"Numpy", "asarray", 1, 7}]},
    {"default arguments and module attributes",
     """
     defmodule A do
       @tol Numpy.finfo("float64")
       def f(x, tol \\\\ Numpy.eps()), do: {x, tol}
     end
     """, [{"Numpy", "finfo", 1, 2}, {"Numpy", "eps", 0, 3}]},
    {"defdelegate to a library module",
     """
     defmodule A do
       defdelegate mean(x), to: Numpy
       defdelegate avg(x, opts), to: Numpy, as: :average
     end
     """, [{"Numpy", "mean", 1, 2}, {"Numpy", "average", 2, 3}]},
    {"module_name override",
     """
     Pd.read_csv("a.csv")
     Pd.DataFrame.new(%{})
     """, [{"Pd", "read_csv", 1, 1}, {"Pd.DataFrame", "new", 1, 2}]},
    {"nested calls in arguments",
     """
     Json.dumps(Numpy.tolist(Numpy.arange(3)))
     """, [{"Json", "dumps", 1, 1}, {"Numpy", "tolist", 1, 1}, {"Numpy", "arange", 1, 1}]},
    {"calls inside string interpolation and sigils",
     """
     IO.puts("mean: \#{Numpy.mean(x)}")
     ~s(std: \#{Numpy.std(x)})
     """, [{"Numpy", "mean", 1, 1}, {"Numpy", "std", 1, 2}]},
    {"NOT detected: a nested module named like a library shadows it",
     """
     defmodule MyApp do
       defmodule Numpy do
         def mean(x), do: x
       end

       def f(x), do: Numpy.mean(x)
     end
     """, []},
    {"NOT detected: quote",
     """
     quote do
       Numpy.mean(x)
     end
     """, []},
    {"NOT detected: apply/3 and runtime modules",
     """
     apply(Numpy, :mean, [x])
     mod = Numpy
     mod.mean(x)
     Module.concat([Numpy, Linalg]).det(x)
     """, []},
    {"NOT detected: other modules, prefixes, bare aliases, typespecs",
     """
     NumpyHelpers.mean(x)
     MyApp.Numpy.mean(x)
     :numpy.mean(x)
     %NumpyHelpers.Thing{}
     Numpy
     @spec f(Numpy.t()) :: Numpy.ndarray()
     """, []},
    {"NOT detected: unqualified calls without an import",
     """
     mean(x)
     x |> std()
     """, []},
    {"NOT detected: def heads",
     """
     defmodule A do
       import Numpy
       def mean(x), do: x
     end
     """, []},
    {"NOT detected: the project's own modules under a library namespace",
     """
     defmodule Numpy.MyHelpers do
       def twice(x), do: Numpy.multiply(x, 2)
     end

     defmodule MyApp.User do
       def f(x), do: Numpy.MyHelpers.twice(x)
     end
     """, [{"Numpy", "multiply", 2, 2}]},
    {"NOT detected: binary modifiers",
     """
     import Numpy
     <<x::size(8), y::binary-size(2)>> = b
     """, []},
    {"exceptions named in try/rescue, also through an alias and in a list",
     """
     defmodule A do
       alias Numpy.Linalg

       def f(x) do
         try do
           Linalg.inv!(x)
         rescue
           Linalg.LinAlgError -> :singular
           e in [Sympy.PolynomialError, ArgumentError] -> e
           e in Numpy.Exceptions.AxisError -> Numpy.mean(e)
         end
       end
     end
     """,
     [
       {"Numpy.Linalg", "inv", 1, 6},
       {"Numpy.Linalg.LinAlgError", "exception", 1, 8},
       {"Sympy.PolynomialError", "exception", 1, 9},
       {"Numpy.Exceptions.AxisError", "exception", 1, 10},
       {"Numpy", "mean", 1, 10}
     ]},
    {"exceptions in a function-level rescue, struct patterns, raise and friends",
     """
     defmodule A do
       def f(x) do
         Numpy.Linalg.inv!(x)
       rescue
         e in Numpy.Linalg.LinAlgError -> e
       end

       def g(%Sympy.PolynomialError{error: e}), do: e
       def h(e), do: match?(%Sympy.GeneratorsError{}, e) or is_exception(e, Sympy.CoercionFailed)
       def i, do: raise(Sympy.OptionError, error: nil)
       def j(e, st), do: reraise(Sympy.ExactQuotientFailed, [error: e], st)
     end
     """,
     [
       {"Numpy.Linalg", "inv", 1, 3},
       {"Numpy.Linalg.LinAlgError", "exception", 1, 5},
       {"Sympy.PolynomialError", "exception", 1, 8},
       {"Sympy.GeneratorsError", "exception", 1, 9},
       {"Sympy.CoercionFailed", "exception", 1, 9},
       {"Sympy.OptionError", "exception", 1, 10},
       {"Sympy.ExactQuotientFailed", "exception", 1, 11}
     ]},
    {"NOT detected: exceptions outside the libraries, the project's own, a rescue keyword",
     """
     defmodule Numpy.MyError do
       defexception [:message]
     end

     defmodule A do
       def f do
         raise Numpy.MyError, message: "mine"
       rescue
         e in [ArgumentError, SnakeBridge.ValueError] -> e
       end

       def g, do: Keyword.get([rescue: :x], :rescue)
       def h(%Numpy.MyError{}), do: %URI{}
     end
     """, []}
  ]

  for {name, source, expected} <- cases do
    @source source
    @expected MapSet.new(expected)
    test name do
      assert detect(@source) == @expected
    end
  end

  test "columns are reported" do
    {:ok, [d]} = Scanner.scan_source("  x = Numpy.mean(y)", @roots, "lib/t.ex")
    assert {d.line, d.column, d.file} == {1, 7, "lib/t.ex"}
  end

  test "a file that does not parse gives the parser's message and line" do
    assert {:error, %{line: 3, message: message}} =
             Scanner.scan_source("Numpy.mean(x)\ndef f do\n  )\nend\n", @roots, "lib/bad.ex")

    assert message =~ "unexpected"
  end

  test "a file that never names a library is not parsed at all" do
    # Would not parse, but it cannot contain a library call, so it is skipped cheaply.
    assert Scanner.scan_source("def (((", @roots) == {:ok, []}
  end

  test "a wholesale import is blocked by another import that exports the name" do
    source = """
    import Numpy
    import Enum
    map(xs, f)
    mean(xs)
    """

    found = detect(source)
    assert found == MapSet.new([{"Numpy", "mean", 1, 4}])
  end

  test "blockers can be decided without loading code" do
    {:ok, findings} = Scanner.findings("import Numpy\nimport MyApp.Util\nhelper(x)\n", @roots)
    assert Scanner.resolve([{"f.ex", findings}], fn _, _, _ -> false end) |> length() == 1
    assert Scanner.resolve([{"f.ex", findings}], fn "MyApp.Util", :helper, 1 -> true end) == []
  end

  test "use ExUnit.Case: assertions and test macros stay ExUnit's under import Numpy" do
    source = """
    defmodule NumpyTest do
      use ExUnit.Case, async: true
      import Numpy

      test "mean" do
        assert mean([1, 2]) == 1.5
        refute is_nil(std([1]))
      end
    end
    """

    assert detect(source) == MapSet.new([{"Numpy", "mean", 1, 6}, {"Numpy", "std", 1, 7}])
  end

  describe "property: renaming aliases never changes the detected set" do
    @template """
    defmodule MyApp.Stats do
      alias Numpy, as: __A__
      alias Numpy.Linalg, as: __B__
      alias Sympy.{Symbol}

      def run(x, y) do
        m = __A__.mean(x)
        s = x |> __A__.std!(ddof: 1)
        f = &__B__.det/1
        sym = Symbol.new("x")
        {m, s, f, __B__.solve(x, y), sym}
      end

      defmodule Inner do
        def g(x), do: __A__.Fft.fft(x)
      end
    end
    """

    test "for random alias names" do
      reference =
        @template
        |> String.replace("__A__", "Np")
        |> String.replace("__B__", "La")
        |> detect()

      assert MapSet.size(reference) == 6

      for _ <- 1..200 do
        [a, b] = random_aliases()

        renamed =
          @template |> String.replace("__A__", a) |> String.replace("__B__", b) |> detect()

        assert renamed == reference, "aliases #{a} and #{b} changed the detected set"
      end
    end

    defp random_aliases do
      Stream.repeatedly(fn ->
        first = Enum.random(?A..?Z)

        rest =
          for _ <- 1..Enum.random(0..8), do: Enum.random(Enum.concat([?a..?z, ?A..?Z, ?0..?9]))

        List.to_string([first | rest])
      end)
      # An alias named like a library root or like `Symbol` would legitimately change
      # meaning; the property is about fresh names.
      |> Stream.reject(&(&1 in ["Numpy", "Sympy", "Pd", "Json", "Symbol", "Inner", "MyApp"]))
      |> Stream.uniq()
      |> Enum.take(2)
    end
  end
end
