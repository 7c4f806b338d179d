defmodule SnakeBridge.DiscoveryTest do
  use ExUnit.Case, async: true

  # Two modules shaped like generated ones (data plus one-line delegates), compiled to
  # .beam files on disk so Code.fetch_docs/1 reads a real docs chunk, as it does for
  # generated bindings.
  @source ~S'''
  defmodule DiscoveryFixture do
    @moduledoc "Fixture."
    @sb_functions [
      %{
        name: :mean,
        arities: [1, 2],
        python: "numpy.mean",
        python_name: "mean",
        kind: :function,
        streaming: false,
        summary: "Compute the arithmetic mean."
      },
      %{
        name: :py_N,
        arities: [1, 2],
        python: "sympy.N",
        python_name: "N",
        kind: :function,
        streaming: false,
        summary: "Numerical evaluation."
      },
      %{
        name: :meshgrid,
        arities: [0, 1, 2],
        python: "numpy.meshgrid",
        python_name: "meshgrid",
        kind: :function,
        streaming: false,
        summary: "Coordinate matrices."
      },
      %{
        name: :undocumented,
        arities: [0, 1],
        python: "numpy.undocumented",
        python_name: "undocumented",
        kind: :function,
        streaming: false,
        summary: "Only a summary."
      }
    ]
    @sb_classes [%{module: DiscoveryFixture.Nested, python: "numpy.Nested", summary: "A class."}]
    @sb_nested [DiscoveryFixture.Nested]

    def __functions__, do: @sb_functions
    def __classes__, do: @sb_classes
    def __search__(query), do: SnakeBridge.Discovery.search(__MODULE__, @sb_nested, query)
    def doc(name), do: SnakeBridge.Discovery.doc(__MODULE__, name)

    @doc "The full mean doc."
    def mean(_a, _opts \\ []), do: :ok

    @doc "The doc of N."
    def py_N(_a, _opts \\ []), do: :ok

    @doc "Short."
    def meshgrid, do: :ok
    @doc "The long, full meshgrid doc, on the lowest arity."
    def meshgrid(_a), do: :ok
    @doc false
    def meshgrid(_a, _b), do: :ok

    @doc false
    def undocumented(_opts \\ []), do: :ok
  end

  defmodule DiscoveryFixture.Nested do
    @moduledoc "Fixture class."
    @sb_functions [
      %{
        name: :eigvals,
        arities: [1, 2],
        python: "numpy.Nested.eigvals",
        python_name: "eigvals",
        kind: :method,
        streaming: false,
        summary: "Eigenvalues of a MEAN matrix."
      }
    ]

    def __functions__, do: @sb_functions
    def __classes__, do: []
    def __search__(query), do: SnakeBridge.Discovery.search(__MODULE__, [], query)
    def doc(name), do: SnakeBridge.Discovery.doc(__MODULE__, name)

    @doc "Eigenvalues, in full."
    def eigvals(_ref, _opts \\ []), do: :ok
  end
  '''

  setup_all do
    dir = Path.join(System.tmp_dir!(), "sb_discovery_#{System.unique_integer([:positive])}")
    File.mkdir_p!(dir)
    file = Path.join(dir, "fixture.ex")
    File.write!(file, @source)

    # `mix test` compiles without docs; generated bindings are compiled with them.
    docs = Code.get_compiler_option(:docs)
    Code.put_compiler_option(:docs, true)

    {:ok, modules, _} =
      Kernel.ParallelCompiler.compile_to_path([file], dir, return_diagnostics: true)

    Code.put_compiler_option(:docs, docs)

    # Reload from disk so the docs chunk is found through the code path.
    for mod <- modules do
      :code.purge(mod)
      :code.delete(mod)
    end

    true = :code.add_patha(String.to_charlist(dir))
    Enum.each(modules, &Code.ensure_loaded!/1)

    on_exit(fn ->
      :code.del_path(String.to_charlist(dir))
      File.rm_rf!(dir)
    end)

    :ok
  end

  # Through functions, so the compiler does not look for the fixtures before they exist.
  defp fixture, do: DiscoveryFixture
  defp nested, do: DiscoveryFixture.Nested

  test "search matches Elixir names, Python names and summaries, case-insensitively" do
    assert [%{name: :py_N, module: DiscoveryFixture}] =
             fixture().__search__("n")
             |> Enum.filter(&(&1.name == :py_N))

    assert Enum.map(fixture().__search__("MEAN"), &{&1.module, &1.name}) == [
             {DiscoveryFixture, :mean},
             {DiscoveryFixture.Nested, :eigvals}
           ]

    assert [%{python: "sympy.N", summary: "Numerical evaluation."}] =
             fixture().__search__("numerical")

    assert fixture().__search__("no such thing") == []
  end

  test "search results are the __functions__ entries plus :module" do
    [entry] = fixture().__search__("coordinate")
    original = Enum.find(fixture().__functions__(), &(&1.name == :meshgrid))
    assert entry == Map.put(original, :module, DiscoveryFixture)
  end

  test "doc finds a function by Elixir name (atom or string) or Python name" do
    assert fixture().doc(:mean) == "The full mean doc."
    assert fixture().doc("mean") == "The full mean doc."
    assert fixture().doc(:py_N) == "The doc of N."
    assert fixture().doc("N") == "The doc of N."
    assert nested().doc(:eigvals) == "Eigenvalues, in full."
  end

  test "doc takes the longest doc among arities, the summary when none, nil when unknown" do
    assert fixture().doc(:meshgrid) == "The long, full meshgrid doc, on the lowest arity."
    assert fixture().doc(:undocumented) == "Only a summary."
    assert fixture().doc(:nope) == nil
    assert fixture().doc("eigvals") == nil
  end

  test "doc falls back to the summary when the module has no docs chunk" do
    # A module compiled in memory only: Code.fetch_docs/1 finds no docs.
    [{mod, _}] =
      Code.compile_string("""
      defmodule DiscoveryFixture.InMemory do
        def __functions__, do: [%{name: :f, python: "m.f", python_name: "f", summary: "S."}]
        def f, do: :ok
      end
      """)

    assert SnakeBridge.Discovery.doc(mod, :f) == "S."

    assert SnakeBridge.Discovery.search(mod, [], "s.") == [
             %{name: :f, python: "m.f", python_name: "f", summary: "S.", module: mod}
           ]
  end

  test "bad arguments fail at the call, naming the function" do
    assert_raise FunctionClauseError, fn -> fixture().__search__(:mean) end
    assert_raise FunctionClauseError, fn -> fixture().doc(42) end
  end
end
