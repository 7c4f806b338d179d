defmodule SnakeBridge.Protocols.ExceptionFamilyTest.LinAlgError do
  # What the generator writes for numpy.linalg.LinAlgError once the code names it.
  @moduledoc false
  defexception [:message, :error]

  @impl true
  def exception(opts), do: struct!(__MODULE__, SnakeBridge.Error.exception_fields(opts))
end

defmodule SnakeBridge.Protocols.ExceptionFamilyTest.PolynomialError do
  # What the generator writes for sympy's PolynomialError once the code names it.
  @moduledoc false
  defexception [:message, :error]

  @impl true
  def exception(opts), do: struct!(__MODULE__, SnakeBridge.Error.exception_fields(opts))
end

defmodule SnakeBridge.Exceptions.Sbfamily do
  # A registry like the generator's; it takes part only while the test declares its library.
  @moduledoc false
  alias SnakeBridge.Protocols.ExceptionFamilyTest.{LinAlgError, PolynomialError}

  def __exceptions__ do
    %{
      "numpy.linalg.LinAlgError" => LinAlgError,
      "sympy.polys.polyerrors.PolynomialError" => PolynomialError
    }
  end

  def __exception_mro__ do
    %{
      LinAlgError => ["numpy.linalg.LinAlgError", "ValueError", "Exception", "BaseException"],
      PolynomialError => [
        "sympy.polys.polyerrors.PolynomialError",
        "sympy.polys.polyerrors.BasePolynomialError",
        "Exception",
        "BaseException"
      ]
    }
  end
end

defmodule SnakeBridge.Exceptions.Sbstale do
  # A registry written before the generator recorded each module's MRO.
  @moduledoc false
  def __exceptions__, do: %{}
end

defmodule SnakeBridge.Protocols.ExceptionFamilyTest do
  @moduledoc """
  A library's exception family, with real numpy and sympy errors from real workers, both
  when the class has no generated module and when it has one: the raised struct is the
  most specific generated class along the MRO; `rescue SnakeBridge.ValueError` (an exact
  struct check) catches numpy's LinAlgError only in the first case, while the
  `is_python_error/2` guard and `python_class?/2` catch the family in both.

  Not async: the generated case declares one more library (its registry) for the length
  of a test, and every bang call reads the declared libraries.
  """
  use ExUnit.Case, async: false

  require SnakeBridge.Error

  alias SnakeBridge.Error
  alias SnakeBridge.Protocols.ExceptionFamilyTest.{LinAlgError, PolynomialError}

  @singular [[1.0, 2.0], [2.0, 4.0]]
  @key {SnakeBridge.Runtime, :libraries}

  defp inv!, do: SnakeBridge.call!("numpy.linalg", "inv", [@singular])

  # sympy.Poly(1/x, x) raises PolynomialError (an Exception, not a ValueError).
  defp poly! do
    x = SnakeBridge.call!("sympy", "Symbol", ["x"])
    SnakeBridge.call!("sympy", "Poly", [SnakeBridge.call!("sympy", "sympify", ["1/x"]), x])
  end

  defp rescue_value_error(fun) do
    fun.()
  rescue
    e in SnakeBridge.ValueError -> {:value_error, e.error.python_type}
  end

  defp rescue_error(fun) do
    fun.()
  rescue
    e in SnakeBridge.Error -> {:error, e.python_type}
  end

  defp family(fun, class) do
    fun.()
  catch
    :error, e when Error.is_python_error(e, class) -> {:family, e.__struct__}
  end

  # Compiled with the libraries declared when this file is: no registry has a module.
  defp rescue_family(fun) do
    fun.()
  rescue
    e in Error.family(SnakeBridge.ValueError) -> {:value_error, e.__struct__}
  end

  defp generated(_context), do: declare(Sbfamily)

  # The ValueError family as expanded now, without the sbproto test library's registry
  # (test/protocols/exceptions_test.exs), which exists when that file is loaded too.
  defp value_family do
    sbproto = SnakeBridge.Exceptions.Sbproto

    others = if Code.ensure_loaded?(sbproto), do: Map.keys(sbproto.__exception_mro__()), else: []

    Error.Family.expand(quote(do: SnakeBridge.ValueError), __ENV__) -- others
  end

  defp declare(module_name) do
    libraries = :persistent_term.get(@key, %{})
    numpy = Enum.find_value(libraries, fn {_name, lib} -> lib.python_module == "numpy" && lib end)
    extra = %{numpy | python_module: "sbfamily", module_name: module_name}
    :persistent_term.put(@key, Map.put(libraries, :sbfamily, extra))
    on_exit(fn -> :persistent_term.put(@key, libraries) end)
  end

  # A module that rescues by family, compiled now: its expansion sees the libraries
  # declared at this point (no Mix project declares them: the running runtime's).
  defp compile_rescuer(name, base, extra \\ "") do
    [{module, _beam}] =
      Code.compile_string("""
      defmodule #{name} do
        require SnakeBridge.Error

        def run(fun) do
          fun.()
        rescue
          e in SnakeBridge.Error.family(#{base}) -> {:family, e.__struct__}
        end

        #{extra}
      end
      """)

    on_exit(fn ->
      :code.purge(module)
      :code.delete(module)
    end)

    module
  end

  describe "no generated module" do
    test "numpy's LinAlgError is a SnakeBridge.ValueError: rescue catches it" do
      assert %SnakeBridge.ValueError{} = catch_error(inv!())
      assert {:value_error, "numpy.linalg.LinAlgError"} = rescue_value_error(&inv!/0)
      assert {:family, SnakeBridge.ValueError} = family(&inv!/0, "ValueError")
      assert {:family, SnakeBridge.ValueError} = family(&inv!/0, "numpy.linalg.LinAlgError")
    end

    test "sympy's PolynomialError has no builtin module: SnakeBridge.Error is raised" do
      assert {:error, "sympy.polys.polyerrors.PolynomialError"} = rescue_error(&poly!/0)
      assert {:family, Error} = family(&poly!/0, "Exception")
      assert {:family, Error} = family(&poly!/0, "sympy.polys.polyerrors.BasePolynomialError")
    end
  end

  describe "with generated modules" do
    setup :generated

    test "the generated LinAlgError is raised, and rescue SnakeBridge.ValueError misses it" do
      exception = catch_error(inv!())
      assert %LinAlgError{error: %Error{python_type: "numpy.linalg.LinAlgError"}} = exception
      assert_raise LinAlgError, ~r/Singular matrix/, &inv!/0
      assert catch_error(rescue_value_error(&inv!/0)) == exception
    end

    test "the guard catches the family whichever module was raised" do
      assert {:family, LinAlgError} = family(&inv!/0, "ValueError")
      assert {:family, LinAlgError} = family(&inv!/0, "numpy.linalg.LinAlgError")
      assert {:family, PolynomialError} = family(&poly!/0, "Exception")
      assert Error.python_class?(catch_error(inv!()), "ValueError")
      assert catch_error(family(&inv!/0, "KeyError")).__struct__ == LinAlgError
    end

    test "sympy's generated PolynomialError escapes rescue SnakeBridge.Error" do
      assert %PolynomialError{} = catch_error(rescue_error(&poly!/0))
    end

    test "a subclass without a module of its own still raises its builtin module" do
      # numpy's AxisError is a ValueError subclass; only LinAlgError is generated here.
      assert {:value_error, "numpy.exceptions.AxisError"} =
               rescue_value_error(fn -> SnakeBridge.call!("numpy", "sum", [[1, 2]], axis: 5) end)
    end
  end

  describe "rescue by family" do
    test "without generated modules the family is the builtin module" do
      assert value_family() == [SnakeBridge.ValueError]

      assert {:value_error, SnakeBridge.ValueError} = rescue_family(&inv!/0)
      assert %Error{} = catch_error(rescue_family(&poly!/0))
      everything = compile_rescuer(FamilyAll, "SnakeBridge.Error")
      assert {:family, Error} = everything.run(&poly!/0)
      assert {:family, SnakeBridge.ValueError} = everything.run(&inv!/0)
    end

    test "with generated modules the family holds each one whose MRO has the class" do
      declare(Sbfamily)

      assert value_family() == [SnakeBridge.ValueError, LinAlgError]

      values = compile_rescuer(FamilyValue, "SnakeBridge.ValueError")
      assert {:family, LinAlgError} = values.run(&inv!/0)
      axis = fn -> SnakeBridge.call!("numpy", "sum", [[1, 2]], axis: 5) end
      assert {:family, SnakeBridge.ValueError} = values.run(axis)
      # PolynomialError is no ValueError: not in the family.
      assert %PolynomialError{} = catch_error(values.run(&poly!/0))

      everything = compile_rescuer(FamilyEverything, "SnakeBridge.Error")
      assert {:family, PolynomialError} = everything.run(&poly!/0)
      assert {:family, LinAlgError} = everything.run(&inv!/0)
      # The same code compiled before the modules were generated misses them.
      assert %LinAlgError{} = catch_error(rescue_family(&inv!/0))
    end

    test "outside a module (IEx, eval) it expands the same" do
      declare(Sbfamily)

      {result, _binding} =
        Code.eval_string("""
        require SnakeBridge.Error

        try do
          SnakeBridge.call!("numpy.linalg", "inv", [[[1.0, 2.0], [2.0, 4.0]]])
        rescue
          e in SnakeBridge.Error.family(SnakeBridge.ValueError) -> e.__struct__
        end
        """)

      assert result == LinAlgError
    end

    test "anything but SnakeBridge.Error or a builtin module is a CompileError naming the fix" do
      for bad <- ["ArgumentError", ~s("ValueError"), "LinAlgError"] do
        error = assert_raise CompileError, fn -> compile_rescuer(FamilyBad, bad) end
        assert error.description =~ "SnakeBridge.Error.family/1 takes SnakeBridge.Error or"
        assert error.description =~ "got #{bad}"
        assert error.description =~ "is_python_error"
      end
    end

    @tag :tmp_dir
    test "in a Mix project it reads mix.exs and tracks each library's generated file",
         %{tmp_dir: dir} do
      File.write!(Path.join(dir, "mix.exs"), """
      defmodule FamilyProbe.MixProject do
        use Mix.Project

        def project do
          [
            app: :family_probe,
            version: "0.1.0",
            snakebridge: [
              libraries: [sbfamily: [python_module: "numpy", module_name: "Sbfamily"], json: :stdlib],
              generated_dir: "lib/gen"
            ]
          ]
        end
      end
      """)

      probe =
        Mix.Project.in_project(:family_probe, dir, fn _ ->
          compile_rescuer(
            FamilyProbe,
            "SnakeBridge.ValueError",
            """
            def files, do: @external_resource
            def members, do: SnakeBridge.Error.family(SnakeBridge.ValueError)
            """
          )
        end)

      # Sbfamily is declared only in that mix.exs, not in the running runtime.
      assert probe.members() == [SnakeBridge.ValueError, LinAlgError]
      gen = Path.join(dir, "lib/gen")

      assert Enum.sort(probe.files()) == [
               Path.join(gen, "json.ex"),
               Path.join(gen, "sbfamily.ex")
             ]
    end

    @tag :tmp_dir
    test "a real mix compile recompiles the caller when the generated registry changes",
         %{tmp_dir: dir} do
      File.mkdir_p!(Path.join(dir, "lib/gen"))

      File.write!(Path.join(dir, "mix.exs"), """
      defmodule FamilyRecompile.MixProject do
        use Mix.Project

        def project do
          [
            app: :family_recompile,
            version: "0.1.0",
            snakebridge: [
              libraries: [sbprobe: [python_module: "json", module_name: "Sbprobe", stdlib: true]],
              generated_dir: "lib/gen"
            ]
          ]
        end
      end
      """)

      File.write!(Path.join(dir, "lib/user.ex"), """
      defmodule User do
        require SnakeBridge.Error
        def members, do: SnakeBridge.Error.family(SnakeBridge.ValueError)
      end
      """)

      registry = fn mro ->
        File.write!(Path.join(dir, "lib/gen/sbprobe.ex"), """
        defmodule Sbprobe.E do
          defexception [:message, :error]
        end

        defmodule SnakeBridge.Exceptions.Sbprobe do
          def __exceptions__, do: %{"json.E" => Sbprobe.E}
          def __exception_mro__, do: %{Sbprobe.E => #{inspect(mro)}}
        end
        """)
      end

      # The compiled snakebridge app, for the project's compile-time macro call.
      env = [
        {"ERL_LIBS", Path.dirname(to_string(:code.lib_dir(:snakebridge)))},
        {"MIX_ENV", "dev"}
      ]

      members = fn ->
        {out, 0} = System.cmd("mix", ["compile"], cd: dir, env: env, stderr_to_stdout: true)
        args = ["run", "--no-compile", "--no-start", "-e", "IO.inspect(User.members())"]
        {printed, 0} = System.cmd("mix", args, cd: dir, env: env)
        {out, String.trim(printed)}
      end

      registry.(["json.E", "ValueError", "Exception", "BaseException"])
      assert {_out, "[SnakeBridge.ValueError, Sbprobe.E]"} = members.()
      # Mix compares modification times in whole seconds.
      Process.sleep(1100)
      registry.(["json.E", "Exception", "BaseException"])
      assert {_out, "[SnakeBridge.ValueError]"} = members.()
    end

    @tag :tmp_dir
    test "an invalid snakebridge: entry is a CompileError with the entry's message",
         %{tmp_dir: dir} do
      File.write!(Path.join(dir, "mix.exs"), """
      defmodule FamilyBadProbe.MixProject do
        use Mix.Project
        def project, do: [app: :family_bad_probe, version: "0.1.0", snakebridge: [libraries: 1]]
      end
      """)

      error =
        assert_raise CompileError, fn ->
          Mix.Project.in_project(:family_bad_probe, dir, fn _ ->
            compile_rescuer(FamilyBadProbe, "SnakeBridge.ValueError")
          end)
        end

      assert error.description =~ "SnakeBridge.Error.family/1 reads mix.exs `snakebridge:`: "
      assert error.description =~ "libraries"
    end

    test "a registry generated without MROs is a CompileError asking to regenerate" do
      declare(Sbstale)

      error =
        assert_raise CompileError, fn -> compile_rescuer(FamilyStale, "SnakeBridge.Error") end

      assert error.description =~ "SnakeBridge.Exceptions.Sbstale has no __exception_mro__/0"
      assert error.description =~ "mix snakebridge.generate"
    end
  end

  test "the guard is false for anything but a Python error, and works outside guards" do
    refute Error.is_python_error(catch_error(raise ArgumentError, "x"), "ValueError")
    refute Error.is_python_error(Function.identity(:badarg), "ValueError")
    refute Error.is_python_error(Function.identity(%{error: :none}), "ValueError")
    refute Error.is_python_error(Error.runtime(:timeout, "slow"), "ValueError")
    {:error, error} = SnakeBridge.call("numpy.linalg", "inv", [@singular])
    assert Error.is_python_error(error, "ValueError")
    refute Error.is_python_error(error, "IndexError")
  end
end
