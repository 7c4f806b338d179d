defmodule SnakeBridge.PythonFunctionTest do
  @moduledoc "Which captures reach Python as the Python object they bind (no worker needed)."
  use ExUnit.Case, async: true

  alias SnakeBridge.PythonFunction

  # The shape of a generated module's discovery data (`__functions__/0`).
  defmodule Binding do
    @moduledoc false
    def __functions__ do
      [
        %{name: :sum, arities: [1, 2], python: "numpy.sum", kind: :function},
        %{name: :lower, arities: [1], python: "builtins.str.lower", kind: :method},
        %{name: :new, arities: [0, 1], python: "collections.Counter", kind: :constructor},
        %{name: :int, arities: [0, 1], python: "builtins.int", kind: :class},
        %{name: :shape, arities: [1], python: "numpy.ndarray.shape", kind: :property}
      ]
    end

    def sum(a, b \\ nil), do: {a, b}
    def sum!(a, b \\ nil), do: {a, b}
    def lower!(s), do: s
    def new!(x \\ nil), do: x
    def int!(x \\ nil), do: x
    def shape!(a), do: a
  end

  test "a capture of a generated binding, bang or not, at an arity it has" do
    assert {:ok, %PythonFunction{path: "numpy.sum"}} = PythonFunction.from(&Binding.sum!/1)
    assert {:ok, %PythonFunction{path: "numpy.sum"}} = PythonFunction.from(&Binding.sum/2)
    assert {:ok, %{path: "builtins.str.lower"}} = PythonFunction.from(&Binding.lower!/1)
    assert {:ok, %{path: "collections.Counter"}} = PythonFunction.from(&Binding.new!/0)
    assert {:ok, %{path: "builtins.int"}} = PythonFunction.from(&Binding.int!/0)
  end

  test "anything else stays an Elixir callback" do
    assert :error = PythonFunction.from(fn x -> x end)
    assert :error = PythonFunction.from(&String.length/1)
    # a property is not a callable Python object
    assert :error = PythonFunction.from(&Binding.shape!/1)
  end

  test "swap replaces top-level arguments and keyword values only" do
    fun = fn x -> x end
    sum = %PythonFunction{path: "numpy.sum"}
    assert [^sum, 1, ^fun] = PythonFunction.swap([&Binding.sum!/1, 1, fun])
    assert [[f]] = PythonFunction.swap([[&Binding.sum!/1]])
    assert is_function(f)
    assert [key: ^sum, n: 2] = PythonFunction.swap_kwargs(key: &Binding.sum!/1, n: 2)
    args = [1, 2, 3]
    assert ^args = PythonFunction.swap(args)
  end

  test "a capture's binding follows a regenerated module, not the one first looked up" do
    module = SnakeBridge.PythonFunctionTest.Regenerated

    define = fn python ->
      :code.purge(module)
      :code.delete(module)

      Module.create(
        module,
        quote do
          def __functions__,
            do: [%{name: :f, arities: [1], python: unquote(python), kind: :function}]

          def f!(x), do: x
        end,
        Macro.Env.location(__ENV__)
      )
    end

    define.("lib.old")
    assert {:ok, %{path: "lib.old"}} = PythonFunction.from(&module.f!/1)
    assert {:ok, %{path: "lib.old"}} = PythonFunction.from(&module.f!/1)
    define.("lib.new")
    assert {:ok, %{path: "lib.new"}} = PythonFunction.from(&module.f!/1)
  end
end
