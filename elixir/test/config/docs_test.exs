defmodule SnakeBridge.DocsTest do
  @moduledoc """
  Docs and search for symbols not generated yet, from each source. The index files are
  the demo's committed ones (numpy 2.4.6, sympy 1.14.0); where Python must not be
  needed, SNAKEBRIDGE_PYTHON names an interpreter that does not exist.
  """
  use ExUnit.Case, async: false

  import ExUnit.CaptureIO

  alias SnakeBridge.Docs

  @demo_docs Path.expand("../../../examples/demo/.snakebridge/docs", __DIR__)
  @keys [:libraries, :docs, :root, :python]

  defmodule SbDocsFake do
    @moduledoc false
    # What a generated module answers: one function has a binding, the rest do not.
    def __functions__,
      do: [%{name: :mean, python: "sbfake.mean", python_name: "mean", summary: "The mean."}]

    def __search__(query), do: SnakeBridge.Discovery.search(__MODULE__, [], query)
  end

  setup do
    root = Path.join(System.tmp_dir!(), "sb_docs_#{System.unique_integer([:positive])}")
    File.mkdir_p!(Path.join(root, ".snakebridge/docs"))

    for file <- ~w(numpy.tsv sympy.tsv),
        do: File.cp!(Path.join(@demo_docs, file), Path.join(root, ".snakebridge/docs/#{file}"))

    saved = Enum.map(@keys, &{&1, Application.fetch_env(:snakebridge, &1)})
    # test_helper.exs moved the interpreter into the app env.
    python = Application.fetch_env!(:snakebridge, :python)
    variable = System.get_env("SNAKEBRIDGE_PYTHON")

    on_exit(fn ->
      for {key, value} <- saved do
        case value do
          {:ok, v} -> Application.put_env(:snakebridge, key, v)
          :error -> Application.delete_env(:snakebridge, key)
        end
      end

      if variable,
        do: System.put_env("SNAKEBRIDGE_PYTHON", variable),
        else: System.delete_env("SNAKEBRIDGE_PYTHON")

      File.rm_rf!(root)
    end)

    {:ok, root: root, python: python}
  end

  defp configure(root, source, python) do
    Application.put_env(:snakebridge, :libraries, numpy: "~> 2.0", sympy: "~> 1.13")
    Application.put_env(:snakebridge, :docs, source: source)
    Application.put_env(:snakebridge, :root, root)
    Application.put_env(:snakebridge, :python, python)
  end

  defp no_python(root, source) do
    configure(root, source, "/nonexistent/bin/python")
    System.put_env("SNAKEBRIDGE_PYTHON", "/nonexistent/bin/python")
  end

  defp pythons(entries), do: Enum.map(entries, & &1.python)

  test "metadata: search ranks numpy and sympy without Python", %{root: root} do
    no_python(root, :metadata)

    assert {:ok, [%{python: "numpy.linalg.inv"} = inv | _]} =
             Docs.search("inverse matrix", libraries: ["numpy"])

    assert inv.elixir == "Numpy.Linalg.inv(a)"
    assert {:ok, both} = Docs.search("inverse matrix", limit: 3)
    assert "numpy.linalg.inv" in pythons(both)

    assert {:ok, solve} = Docs.search("solve linear system", limit: 3)
    assert "numpy.linalg.solve" in pythons(solve)
    assert "sympy.solve_linear_system" in pythons(solve)

    assert {:ok, diff} = Docs.search("differentiate", libraries: ["sympy"], limit: 3)
    assert "sympy.diff" in pythons(diff)

    assert {:ok, eig} = Docs.search("eigenvalues", limit: 1)
    assert pythons(eig) == ["numpy.linalg.eig"]
    assert {:ok, []} = Docs.search("zzzz qqqq")
  end

  test "metadata: doc/2 by Elixir or Python name, and a clear error", %{root: root} do
    no_python(root, :metadata)

    assert {:ok, entry} = Docs.doc(Numpy.Linalg, :inv)
    assert %{python: "numpy.linalg.inv", summary: "Compute the inverse of a matrix."} = entry
    assert %{source: :metadata, doc: nil, signature: "(a)"} = entry
    assert {:ok, ^entry} = Docs.doc("numpy.linalg", "inv")
    assert {:ok, %{kind: "class", python: "numpy.ndarray"}} = Docs.doc(Numpy, "ndarray")

    assert {:error, message} = Docs.doc(Numpy.Linalg, :no_such_thing)
    assert message =~ "numpy has no public symbol no_such_thing in Numpy.Linalg"
    assert {:error, message} = Docs.doc(Pandas, :read_csv)
    assert message =~ "Pandas belongs to no declared library (declared: numpy, sympy)"
  end

  test "metadata: a method a class inherits from an indexed base is found under the class",
       %{root: root} do
    no_python(root, :metadata)

    # sympy.Matrix (MutableDenseMatrix) inherits inv from sympy.MatrixBase.
    assert {:ok, entry} = Docs.doc("sympy.Matrix", "inv")
    assert %{python: "sympy.Matrix.inv", elixir: "Sympy.Matrix.inv(ref, opts)"} = entry
    assert entry.summary =~ "Return the inverse of a matrix"
    assert {:ok, ^entry} = Docs.doc(Sympy.Matrix, :inv)
    # Methods of private bases are listed under the class itself.
    assert {:ok, %{python: "sympy.Matrix.det"}} = Docs.doc(Sympy.Matrix, :det)
    assert {:error, message} = Docs.doc(Sympy.Matrix, :no_such_method)
    assert message =~ "sympy has no public symbol no_such_method in Sympy.Matrix"
  end

  test "metadata: a missing index names the command that writes it", %{root: root} do
    no_python(root, :metadata)
    File.rm!(Path.join(root, ".snakebridge/docs/sympy.tsv"))
    assert {:error, message} = Docs.search("solve")
    assert message =~ "sympy has no docs index"
    assert message =~ "mix snakebridge.generate"
  end

  test "hybrid without Python: the index answers", %{root: root} do
    no_python(root, :hybrid)
    assert {:ok, %{source: :metadata, doc: nil}} = Docs.doc(Numpy.Linalg, :inv)

    assert {:ok, [%{python: "numpy.linalg.inv"} | _]} =
             Docs.search("inverse matrix", libraries: ["numpy"])
  end

  test "python without Python: a clear error", %{root: root} do
    no_python(root, :python)
    assert {:error, message} = Docs.doc(Numpy.Linalg, :inv)
    assert message =~ "/nonexistent/bin/python does not exist"
  end

  @tag timeout: 300_000
  test "python: live introspection gives the full docstring; hybrid asks Python for what the index lacks",
       %{root: root, python: python} do
    configure(root, :python, python)
    assert {:ok, entry} = Docs.doc(Numpy.Linalg, :inv)
    assert %{source: :python, python: "numpy.linalg.inv", signature: "(a)"} = entry
    assert entry.doc =~ "Given a square matrix `a`"

    # An index without numpy.linalg.inv: hybrid finds it through Python.
    index = Path.join(root, ".snakebridge/docs/numpy.tsv")

    kept =
      index
      |> File.read!()
      |> String.split("\n")
      |> Enum.reject(&String.starts_with?(&1, "numpy.linalg.inv\t"))

    File.write!(index, Enum.join(kept, "\n"))
    configure(root, :hybrid, python)
    assert {:ok, %{source: :python, python: "numpy.linalg.inv"}} = Docs.doc(Numpy.Linalg, :inv)
    # What the index has comes from it, with the full text from Python.
    assert {:ok, %{source: :python, doc: doc}} = Docs.doc(Numpy, :mean)
    assert doc =~ "Compute the arithmetic mean"
  end

  test "__search__ lists symbols without a binding once, under their closest generated module",
       %{root: root} do
    no_python(root, :metadata)

    Application.put_env(:snakebridge, :libraries,
      sbfake: [module_name: SnakeBridge.DocsTest.SbDocsFake]
    )

    File.write!(Path.join(root, ".snakebridge/docs/sbfake.tsv"), """
    # snakebridge docs index v1: sbfake 1.0
    sbfake.linalg.inv\tfunction\tSnakeBridge.DocsTest.SbDocsFake.Linalg.inv(a)\t(a)\tInverse of a matrix.
    sbfake.mean\tfunction\tSnakeBridge.DocsTest.SbDocsFake.mean(a)\t(a)\tThe mean.
    sbfake.median\tfunction\tSnakeBridge.DocsTest.SbDocsFake.median(a)\t(a)\tThe median.
    """)

    results = SbDocsFake.__search__("me")
    assert [%{name: :mean, module: SbDocsFake}, %{name: "median", generated: false}] = results

    assert [%{name: "inv", module: "SnakeBridge.DocsTest.SbDocsFake.Linalg"}] =
             SbDocsFake.__search__("inverse")
  end

  test "h/1 prints the docs, or the closest matches", %{root: root} do
    no_python(root, :metadata)
    out = capture_io(fn -> SnakeBridge.h("numpy.linalg.inv") end)
    assert out =~ "Numpy.Linalg.inv(a)"
    assert out =~ "Compute the inverse of a matrix."
    assert capture_io(fn -> SnakeBridge.h("Numpy.Linalg.inv") end) == out

    out = capture_io(fn -> SnakeBridge.h("numpy.linalg.inverse") end)
    assert out =~ "numpy has no public symbol inverse"
    assert out =~ "Closest matches:"
    assert out =~ "Numpy.Linalg.inv(a)"
  end

  test "mix snakebridge.search prints ranked Elixir spellings", %{root: root} do
    no_python(root, :metadata)

    out =
      capture_io(fn ->
        Mix.Tasks.Snakebridge.Search.run([
          "inverse",
          "matrix",
          "--library",
          "numpy",
          "--limit",
          "2"
        ])
      end)

    assert [first, _second] = String.split(out, "\n", trim: true)
    assert first =~ "Numpy.Linalg.inv(a)  (numpy.linalg.inv)  Compute the inverse of a matrix."
  end
end
