Code.require_file("project_helper.exs", __DIR__)

defmodule Mix.Tasks.Compile.SnakebridgeTest do
  @moduledoc """
  The pre-pass compiler against real temp Mix projects and the real CLI port: when it
  starts Python and when it must not, strict mode, diagnostics, --force, clean, and the
  stamp (declarations, lock, interpreter environment).
  """
  use ExUnit.Case, async: false

  alias Mix.Task.Compiler.Diagnostic
  alias SnakeBridge.Test.Project

  @app """
  defmodule MyApp.Stats do
    alias Numpy.Linalg

    def run(x, y) do
      {Numpy.mean(x), Linalg.solve(x, y), x |> Numpy.std!(ddof: 1)}
    end
  end
  """

  setup do
    Mix.shell(Mix.Shell.Process)
    vars = ~w(SNAKEBRIDGE_STRICT SNAKEBRIDGE_SKIP SNAKEBRIDGE_VERBOSE SNAKEBRIDGE_PYTHON)
    saved = Map.new(vars, &{&1, System.get_env(&1)})
    Enum.each(vars, &System.delete_env/1)

    on_exit(fn ->
      Mix.shell(Mix.Shell.IO)
      # The compiler bakes each temp project's declaration into this VM: unload it, or
      # later tests read that project's settings.
      baked = SnakeBridge.Config.Bake.module()
      :code.purge(baked)
      :code.delete(baked)
      :code.purge(baked)

      Enum.each(saved, fn
        {k, nil} -> System.delete_env(k)
        {k, v} -> System.put_env(k, v)
      end)
    end)

    :ok
  end

  defp project(files \\ %{"lib/stats.ex" => @app}, opts \\ []) do
    root = Project.create("compiler", files, opts)
    on_exit(fn -> File.rm_rf!(root) end)
    root
  end

  defp generated(root), do: File.read!(Path.join(root, "lib/snakebridge_generated/numpy.ex"))

  test "missing bindings: one generate request with every detection, then a no-op" do
    root = project()

    assert {:ok, []} = Project.compile(root)
    assert Project.python_starts(root) == 1

    request = Project.last_request(root)
    assert request["root"] == root
    assert request["force"] == false
    assert [%{"name" => "numpy", "module_name" => "Numpy"}] = request["libraries"]

    assert Enum.sort_by(request["detections"], & &1["module"]) == [
             %{
               "module" => "Numpy",
               "function" => "mean",
               "arity" => 1,
               "file" => "lib/stats.ex",
               "line" => 5
             },
             %{
               "module" => "Numpy",
               "function" => "std",
               "arity" => 2,
               "file" => "lib/stats.ex",
               "line" => 5
             },
             %{
               "module" => "Numpy.Linalg",
               "function" => "solve",
               "arity" => 2,
               "file" => "lib/stats.ex",
               "line" => 5
             }
           ]

    assert generated(root) =~ "def solve(_a0, _a1)"
    # Output frames and stray prints from Python reach the Mix shell.
    assert_received {:mix_shell, :info, ["generated 2 modules"]}
    assert_received {:mix_shell, :info, ["a stray print from an imported library"]}

    # Nothing changed: no OS process at all.
    {result, ports} = Project.count_open_ports(fn -> Project.compile(root) end)
    assert result == {:noop, []}
    assert ports == 0
    assert Project.python_starts(root) == 1
  end

  test "a new call in an edited file triggers generation; an unrelated edit does not" do
    root = project()
    assert {:ok, _} = Project.compile(root)

    Project.write(root, "lib/other.ex", "defmodule MyApp.Other do\n  def f, do: 1\nend\n")
    assert {:noop, []} = Project.compile(root)
    assert Project.python_starts(root) == 1

    Project.write(
      root,
      "lib/other.ex",
      "defmodule MyApp.Other do\n  def f(x), do: Numpy.median(x)\nend\n"
    )

    assert {:ok, []} = Project.compile(root)
    assert Project.python_starts(root) == 2
    assert generated(root) =~ "def median(_a0)"
  end

  test "incremental: only changed files are parsed again; deleted files drop their calls" do
    root =
      project(%{
        "lib/stats.ex" => @app,
        "lib/b.ex" => "defmodule B do\n  def f(x), do: Numpy.var(x)\nend\n"
      })

    scan = fn ->
      Project.in_project(root, fn ->
        config = SnakeBridge.Config.load!()
        path = SnakeBridge.Scanner.Cache.path()
        cache = SnakeBridge.Scanner.Cache.load(path, {["Numpy"], false})
        {scan, cache, _} = SnakeBridge.Scanner.Prepass.scan(config, cache)
        SnakeBridge.Scanner.Cache.save(cache, path)
        {scan.reparsed, Enum.map(scan.detections, &{&1.file, &1.function})}
      end)
    end

    assert {["lib/b.ex", "lib/stats.ex"], found} = scan.()
    assert {"lib/b.ex", "var"} in found

    # Same bytes, new mtime: read and hashed again, not parsed.
    File.touch!(Path.join(root, "lib/b.ex"), System.os_time(:second) + 10)
    assert {[], ^found} = scan.()

    Project.write(root, "lib/b.ex", "defmodule B do\n  def f(x), do: Numpy.ptp(x)\nend\n")
    File.touch!(Path.join(root, "lib/b.ex"), System.os_time(:second) + 20)
    assert {["lib/b.ex"], found} = scan.()
    assert {"lib/b.ex", "ptp"} in found
    refute {"lib/b.ex", "var"} in found

    File.rm!(Path.join(root, "lib/b.ex"))
    assert {[], found} = scan.()
    refute Enum.any?(found, &match?({"lib/b.ex", _}, &1))
    assert length(found) == 3
  end

  test "a wholesale import of a project module not compiled yet still shadows the library" do
    root =
      project(%{
        "lib/util.ex" =>
          "defmodule MyApp.Util do\n  def helper(x), do: x\n  def scale!(x, k), do: x * k\nend\n",
        "lib/a.ex" => """
        defmodule MyApp.A do
          import Numpy
          import MyApp.Util

          def f(x), do: {helper(x), scale!(x, 2), scale(x, 3), mean(x)}
        end
        """
      })

    refute Code.ensure_loaded?(MyApp.Util)
    assert {:ok, []} = Project.compile(root)

    # helper/1 and scale!/2 are MyApp.Util's; scale/2 (no bang) and mean/1 are Numpy's.
    assert [{"mean", 1}, {"scale", 2}] =
             Project.last_request(root)["detections"]
             |> Enum.map(&{&1["function"], &1["arity"]})
             |> Enum.sort()
  end

  test "python diagnostics become Mix diagnostics with file:line, and are not retried" do
    root =
      project(%{
        "lib/stats.ex" => @app,
        "lib/bad.ex" => "defmodule B do\n  def f(x),\n    do: Numpy.bogus(x)\nend\n"
      })

    assert {:ok, [diagnostic]} = Project.compile(root)

    assert %Diagnostic{
             compiler_name: "snakebridge",
             severity: :warning,
             position: 3,
             message: "Numpy has no attribute 'bogus'"
           } = diagnostic

    assert diagnostic.file == Path.join(root, "lib/bad.ex")
    # Python said it cannot bind it: the next compile does not ask again.
    assert {:noop, _} = Project.compile(root)
    assert Project.python_starts(root) == 1
  end

  test "a generation error fails every compile the same way until its cause changes" do
    bad = "defmodule B do\n  def f(x),\n    do: Numpy.no_such_fn([x])\nend\n"
    root = project(%{"lib/stats.ex" => @app, "lib/bad.ex" => bad})

    assert {:error, [first]} = Project.compile(root)
    assert first.severity == :error
    assert first.message == "numpy has no public member named no_such_fn"
    assert first.file == Path.join(root, "lib/bad.ex") and first.position == 3

    # Nothing it depends on changed: the same error, and Python is not asked again.
    for _ <- 1..2 do
      {result, ports} = Project.count_open_ports(fn -> Project.compile(root) end)
      assert {:error, [^first]} = result
      assert ports == 0
    end

    assert Project.python_starts(root) == 1

    # An edit that moves the call: Python is asked again, the error follows the call.
    Project.write(root, "lib/bad.ex", "\n" <> bad)
    assert {:error, [moved]} = Project.compile(root)
    assert moved.position == 4
    assert Project.python_starts(root) == 2

    # The cause fixed: the call is gone, the compile passes, and stays passing.
    Project.write(root, "lib/bad.ex", "defmodule B do\n  def f(x), do: Numpy.mean(x)\nend\n")
    assert {status, []} = Project.compile(root)
    assert status in [:ok, :noop]
    assert {:noop, []} = Project.compile(root)
  end

  test "a changed stamp retries a failed generation" do
    root =
      project(%{"lib/bad.ex" => "defmodule B do\n  def f(x), do: Numpy.no_such_fn(x)\nend\n"})

    assert {:error, [_]} = Project.compile(root)
    assert {:error, [_]} = Project.compile(root)
    assert Project.python_starts(root) == 1

    # Installing a library (site-packages changes) may have fixed it: ask Python again.
    site = Path.join(root, ".snakebridge/venv/lib/python3.11/site-packages")
    File.touch!(site, System.os_time(:second) + 5)
    assert {:error, [_]} = Project.compile(root)
    assert Project.python_starts(root) == 2
  end

  describe "a damaged manifest" do
    @manifest ~s({\n"snakebridge_manifest": 1,\n"symbols": {\n) <>
                ~s("Numpy.mean": {"arities": [1], "checksum": "sha256:00", ) <>
                ~s("elixir_module": "Numpy", "kind": "function", "library": "numpy", ) <>
                ~s("name": "mean", "python": "numpy.mean"},\n"~": "end of symbols"\n}\n}\n)

    defp with_manifest(opts \\ []) do
      root = project(%{"lib/stats.ex" => @app}, opts)
      Project.write(root, ".snakebridge/manifest.json", @manifest)

      Project.write(
        root,
        "lib/snakebridge_generated/numpy.ex",
        "defmodule Numpy do\n  def mean(a), do: a\n  def std(a, b), do: {a, b}\nend\n" <>
          "defmodule Numpy.Linalg do\n  def solve(a, b), do: {a, b}\nend\n"
      )

      root
    end

    test "a sound manifest passes, and a no-op compile still starts no process" do
      root = with_manifest()
      assert {:noop, []} = Project.compile(root)
      {result, ports} = Project.count_open_ports(fn -> Project.compile(root) end)
      assert {result, ports} == {{:noop, []}, 0}
      assert Project.python_starts(root) == 0
    end

    defp damage(:truncated, text), do: binary_part(text, 0, div(byte_size(text), 2))
    defp damage(:empty, _text), do: ""

    defp damage(:conflict, text),
      do: String.replace(text, ~s("Numpy.mean"), "<<<<<<< HEAD\n\"Numpy.mean\"")

    defp damage(:invalid, text), do: String.replace(text, ~s("arities": [1]), ~s("arities": [1}))

    for name <- [:truncated, :empty, :conflict, :invalid] do
      test "#{name}: every compile fails naming the repair, strict or not, without Python" do
        root = with_manifest()
        assert {:noop, []} = Project.compile(root)
        path = Path.join(root, ".snakebridge/manifest.json")
        File.write!(path, damage(unquote(name), File.read!(path)))

        for strict <- [nil, "1", nil] do
          if strict, do: System.put_env("SNAKEBRIDGE_STRICT", strict)
          assert {:error, [error]} = Project.compile(root)
          System.delete_env("SNAKEBRIDGE_STRICT")
          assert error.severity == :error
          assert error.file == path
          assert error.message =~ ".snakebridge/manifest.json is damaged"
          assert error.message =~ "mix snakebridge.repair"
          assert error.message =~ "git checkout -- .snakebridge/manifest.json"
        end

        assert Project.python_starts(root) == 0
        File.write!(path, @manifest)
        assert {:noop, []} = Project.compile(root)
      end
    end

    test "the layout rules agree with the ones Python writes and reads" do
      python = Path.expand("../../../.venv/bin/python", __DIR__)

      script = """
      from snakebridge.state import manifest as m
      e = m.SymbolEntry("numpy", "Numpy", "f", (0, 2), 'numpy."q"\\\\x\\u00e9\\t', "function", "")
      x = m.with_files(m.with_promoted(m.build([e]), {"Numpy.f": "numpy.f/0"}),
                       {"lib/snakebridge_generated/numpy.ex": "sha256:" + "a" * 64})
      import sys; sys.stdout.buffer.write(m.render(x) + b"\\0" + m.render(m.Manifest()))
      """

      {out, 0} =
        System.cmd(python, ["-c", script],
          env: [{"PYTHONPATH", SnakeBridge.PythonSource.python_path()}]
        )

      for rendered <- String.split(out, <<0>>) do
        assert SnakeBridge.Scanner.Manifest.layout_problem(rendered) == nil
      end
    end
  end

  test "a crash in Python is an error diagnostic with the exception, and is retried" do
    root = project()
    Project.set_mode(root, "crash")
    assert {:error, [diagnostic]} = Project.compile(root)
    assert diagnostic.severity == :error
    assert diagnostic.message =~ "RuntimeError: generator exploded"
    assert diagnostic.message =~ "Traceback"

    Project.set_mode(root, "ok")
    assert {:ok, []} = Project.compile(root)
    assert Project.python_starts(root) == 2
  end

  test "a missing interpreter is an error naming the path and mix snakebridge.setup" do
    root = project()
    File.rm_rf!(Path.join(root, ".snakebridge/venv"))
    assert {:error, [diagnostic]} = Project.compile(root)
    assert diagnostic.message =~ Path.join(root, ".snakebridge/venv/bin/python")
    assert diagnostic.message =~ "mix snakebridge.setup"
  end

  test "--force rescans and asks Python to regenerate even when nothing is missing" do
    root = project()
    assert {:ok, _} = Project.compile(root)
    assert {:ok, []} = Project.compile(root, ["--force"])
    assert Project.python_starts(root) == 2
    assert Project.last_request(root)["force"] == true
  end

  test "mix clean removes the cache; complete bindings then need no Python" do
    root = project()
    assert {:ok, _} = Project.compile(root)
    cache = Project.in_project(root, &SnakeBridge.Scanner.Cache.path/0)
    assert File.exists?(cache)

    Project.in_project(root, fn -> Mix.Tasks.Compile.Snakebridge.clean() end)
    refute File.exists?(cache)
    assert Project.in_project(root, &Mix.Tasks.Compile.Snakebridge.manifests/0) == [cache]

    assert {:noop, []} = Project.compile(root)
    assert Project.python_starts(root) == 1
  end

  test "changed library declarations in mix.exs trigger generation" do
    root = project()
    assert {:ok, _} = Project.compile(root)
    Project.write_mix_exs(root, libraries: [numpy: [version: "~> 2.0", exclude: ["eval"]]])
    assert {:ok, _} = Project.compile(root)
    assert Project.python_starts(root) == 2
    assert [%{"exclude" => ["eval"]}] = Project.last_request(root)["libraries"]
  end

  test "a changed lock file or site-packages directory triggers generation" do
    root = project()
    assert {:ok, _} = Project.compile(root)

    File.write!(Path.join(root, "snakebridge.lock"), "edited by hand\n")
    assert {:ok, _} = Project.compile(root)
    assert Project.python_starts(root) == 2

    # A library upgrade adds and removes entries in site-packages.
    site = Path.join(root, ".snakebridge/venv/lib/python3.11/site-packages")
    File.touch!(site, System.os_time(:second) + 5)
    assert {:ok, _} = Project.compile(root)
    assert Project.python_starts(root) == 3
    assert {:noop, []} = Project.compile(root)
  end

  test "a file that does not parse is a warning with file:line and is skipped" do
    root =
      project(%{
        "lib/stats.ex" => @app,
        "lib/broken.ex" => "Numpy.mean(x)\n\ndef f do\n  )\nend\n"
      })

    assert {:ok, [warning]} = Project.compile(root)
    assert warning.severity == :warning
    assert warning.file == Path.join(root, "lib/broken.ex")
    assert {4, _col} = warning.position
    assert warning.message =~ "does not parse"
  end

  test "the generated directory is never scanned, and excludes/paths are honoured" do
    root =
      project(
        %{
          "lib/stats.ex" => @app,
          "lib/legacy/old.ex" => "Numpy.old(1)",
          "src/extra.ex" => "Numpy.extra(1)",
          "lib/snakebridge_generated/numpy.ex" =>
            "defmodule Numpy do\n  def x, do: Numpy.inner(1)\nend\n"
        },
        scan: [paths: ["lib", "src"], exclude: ["lib/legacy"]]
      )

    assert {:ok, _} = Project.compile(root)
    functions = Enum.map(Project.last_request(root)["detections"], & &1["function"])
    assert Enum.sort(functions) == ["extra", "mean", "solve", "std"]
  end

  test "generated bindings that do not parse are reported and regenerated" do
    root = project()

    Project.write(
      root,
      "lib/snakebridge_generated/numpy.ex",
      "<<<<<<< HEAD\ndefmodule Numpy do\n"
    )

    assert {:ok, [warning]} = Project.compile(root)
    assert warning.severity == :warning
    assert warning.file == Path.join(root, "lib/snakebridge_generated/numpy.ex")
    assert warning.message =~ "generated bindings do not parse"
    assert generated(root) =~ "defmodule Numpy do"
    assert {:noop, []} = Project.compile(root)
  end

  test "SNAKEBRIDGE_SKIP=1 skips the pre-pass" do
    root = project()
    System.put_env("SNAKEBRIDGE_SKIP", "1")
    assert {:noop, []} = Project.compile(root)
    assert Project.python_starts(root) == 0
  end

  test "SNAKEBRIDGE_VERBOSE=1 explains the decision" do
    root = project()
    System.put_env("SNAKEBRIDGE_VERBOSE", "1")
    assert {:ok, _} = Project.compile(root)

    assert_received {:mix_shell, :info,
                     ["snakebridge: scanned 1 files (1 parsed), 3 calls, 3 without a binding"]}

    assert_received {:mix_shell, :info,
                     ["snakebridge: generating: 3 call(s) without a binding" <> _]}

    assert {:noop, _} = Project.compile(root)
    assert_received {:mix_shell, :info, ["snakebridge: nothing to generate; Python not started"]}
  end

  describe "strict mode" do
    test "fails with one diagnostic per missing symbol, never starting Python" do
      root =
        project(
          %{
            "lib/stats.ex" => @app,
            "lib/more.ex" => "defmodule M do\n  def f(x), do: Numpy.mean(x)\nend\n"
          },
          strict: true
        )

      Project.write(
        root,
        "lib/snakebridge_generated/numpy.ex",
        "defmodule Numpy do\n  def std(a, b), do: {a, b}\nend\n"
      )

      {result, ports} = Project.count_open_ports(fn -> Project.compile(root) end)
      assert ports == 0
      assert Project.python_starts(root) == 0
      assert {:error, diagnostics} = result

      assert [mean, solve] = diagnostics
      assert mean.severity == :error

      assert mean.file == Path.join(root, "lib/more.ex") or
               mean.file == Path.join(root, "lib/stats.ex")

      assert mean.message =~ "Numpy.mean/1 has no committed binding (also used at"
      assert mean.message =~ "mix snakebridge.generate"
      assert mean.message =~ "lib/snakebridge_generated/numpy.ex"
      assert solve.file == Path.join(root, "lib/stats.ex")
      assert {5, _} = solve.position
      assert solve.message =~ "Numpy.Linalg.solve/2"
    end

    test "passes when every call has a committed binding (SNAKEBRIDGE_STRICT=1)" do
      root = project()
      assert {:ok, _} = Project.compile(root)
      File.rm_rf!(Project.in_project(root, &SnakeBridge.Scanner.Cache.path/0) |> Path.dirname())
      File.rm_rf!(Path.join(root, ".snakebridge/venv"))
      System.put_env("SNAKEBRIDGE_STRICT", "1")
      assert {:noop, []} = Project.compile(root)
    end

    test "a file that does not parse is an error" do
      root = project(%{"lib/broken.ex" => "Numpy.mean(x\n"}, strict: true)
      assert {:error, [error]} = Project.compile(root)
      assert error.severity == :error
      assert error.message =~ "cannot parse"
    end

    test "changed library declarations fail instead of regenerating" do
      root = project()
      assert {:ok, _} = Project.compile(root)
      Project.write_mix_exs(root, strict: true, libraries: [numpy: "~> 2.1"])
      assert {:error, [error]} = Project.compile(root)
      assert error.file == Path.join(root, "mix.exs")
      assert error.message =~ "declarations in mix.exs changed"
      assert Project.python_starts(root) == 1
    end
  end

  test "invalid configuration is an error diagnostic on mix.exs" do
    root = project(%{}, libraries: [numpy: [verion: "~> 2.0"]])
    assert {:error, [error]} = Project.compile(root)
    assert error.file == Path.join(root, "mix.exs")
    assert error.message =~ "unknown option(s) [:verion]"
  end
end
