defmodule SnakeBridge.Test.Project do
  @moduledoc """
  Real Mix projects in temp dirs for the pre-pass tests.

  Each project gets a "managed interpreter" at `.snakebridge/venv/bin/python`: a shell
  wrapper around the repo's real Python that records every start in `python.log` and
  puts a `sitecustomize.py` on the path registering a `generate` command. That command
  is a real command on the real CLI port (same registry, same framing), standing in for
  the lead's generator: it writes one binding per detection, stores the request it got
  (as ETF, so the test reads it without JSON) and answers with a diagnostic.
  """

  @repo_python Path.expand("../../../.venv/bin/python", __DIR__)

  @sitecustomize ~S'''
  import os, sys, types
  from pathlib import Path
  from snakebridge import cli, etf
  from snakebridge.cli import Reply, command

  HERE = Path(__file__).resolve().parent
  module = types.ModuleType("snakebridge.commands.generate")
  sys.modules["snakebridge.commands.generate"] = module

  @command("generate")
  def generate(project, payload, output):
      (HERE / "request.etf").write_bytes(etf.encode(payload))
      print("a stray print from an imported library")
      mode = (HERE / "mode").read_text().strip() if (HERE / "mode").exists() else "ok"
      if mode == "crash":
          raise RuntimeError("generator exploded")
      by_module = {}
      for d in payload["detections"]:
          if d["function"] in ("bogus", "no_such_fn"):
              continue
          by_module.setdefault(d["module"], set()).add((d["function"], d["arity"]))
      lines = []
      for mod, funs in sorted(by_module.items()):
          lines.append(f"defmodule {mod} do")
          for fun, arity in sorted(funs):
              args = ", ".join(f"_a{i}" for i in range(arity))
              lines.append(f"  def {fun}({args}), do: :ok")
          lines.append("end")
      out = project.generated_dir / "numpy.ex"
      out.parent.mkdir(parents=True, exist_ok=True)
      out.write_text("\n".join(lines) + "\n")
      (project.root / "snakebridge.lock").write_text("lock " + str(len(lines)) + "\n")
      output.out("generated " + str(len(by_module)) + " modules")
      diagnostics = [
          {"severity": "warning", "message": f"Numpy has no attribute {d['function']!r}",
           "file": d["file"], "line": d["line"]}
          for d in payload["detections"] if d["function"] == "bogus"
      ] + [
          {"severity": "error", "message": f"numpy has no public member named {d['function']}",
           "file": d["file"], "line": d["line"]}
          for d in payload["detections"] if d["function"] == "no_such_fn"
      ]
      failed = any(d["severity"] == "error" for d in diagnostics)
      return Reply(1 if failed else 0, {"written": ["lib/snakebridge_generated/numpy.ex"],
                                        "diagnostics": diagnostics})
  '''

  @doc "Creates a project; `files` maps relative paths to contents."
  def create(name, files, snakebridge_opts \\ []) do
    root =
      Path.join(System.tmp_dir!(), "sb_prepass_#{name}_#{System.unique_integer([:positive])}")

    File.rm_rf!(root)
    File.mkdir_p!(root)
    write_mix_exs(root, snakebridge_opts)
    Enum.each(files, fn {rel, content} -> write(root, rel, content) end)
    install_python(root)
    root
  end

  def write_mix_exs(root, snakebridge_opts) do
    opts =
      Keyword.merge([libraries: [numpy: "~> 2.0"]], snakebridge_opts)
      |> inspect(limit: :infinity)

    # A fresh module name each time: Mix loads mix.exs as code.
    mod = "SbPrepassTest#{System.unique_integer([:positive])}.MixProject"

    write(root, "mix.exs", """
    defmodule #{mod} do
      use Mix.Project

      def project do
        [app: :sb_prepass_app, version: "0.1.0", build_path: Path.join(__DIR__, "_build"),
         snakebridge: #{opts}]
      end
    end
    """)
  end

  def install_python(root) do
    bin = Path.join(root, ".snakebridge/venv/bin")
    File.mkdir_p!(bin)
    File.mkdir_p!(Path.join(root, ".snakebridge/venv/lib/python3.11/site-packages"))
    File.write!(Path.join(bin, "sitecustomize.py"), @sitecustomize)
    python = Path.join(bin, "python")

    File.write!(python, """
    #!/bin/sh
    here=$(dirname "$0")
    echo start >> "$here/python.log"
    PYTHONPATH="$here:$PYTHONPATH" exec #{@repo_python} "$@"
    """)

    File.chmod!(python, 0o755)
    python
  end

  def write(root, rel, content) do
    path = Path.join(root, rel)
    File.mkdir_p!(Path.dirname(path))
    File.write!(path, content)
  end

  @doc "How many times the project's Python was started."
  def python_starts(root) do
    case File.read(Path.join(root, ".snakebridge/venv/bin/python.log")) do
      {:ok, log} -> log |> String.split("\n", trim: true) |> length()
      {:error, _} -> 0
    end
  end

  @doc "The last request the fake generator received."
  def last_request(root) do
    root
    |> Path.join(".snakebridge/venv/bin/request.etf")
    |> File.read!()
    |> :erlang.binary_to_term([:safe])
  end

  def set_mode(root, mode),
    do: File.write!(Path.join(root, ".snakebridge/venv/bin/mode"), mode)

  @doc """
  Runs `fun` with the project as Mix's current project. Returns `fun`'s result.

  Unlike `Mix.Project.in_project/4` this does not change the working directory (other
  test files may still be loading by relative path); the project's `build_path` is
  absolute, and everything the pre-pass derives comes from the project file's location.
  """
  def in_project(root, fun) do
    file = Path.join(root, "mix.exs")
    previous = Code.compiler_options()[:ignore_module_conflict]
    Code.compiler_options(ignore_module_conflict: true)

    # Compiling a mix.exs pushes its project (`use Mix.Project` does it after compile).
    try do
      Code.compile_file(file)
    after
      Code.compiler_options(ignore_module_conflict: previous)
    end

    try do
      fun.()
    after
      Mix.Project.pop()
    end
  end

  @doc "Runs the compiler task in the project and returns `{status, diagnostics}`."
  def compile(root, argv \\ []) do
    in_project(root, fn -> Mix.Tasks.Compile.Snakebridge.run(argv) end)
  end

  @doc """
  Runs `fun` and returns `{result, ports_opened}`: every `erlang:open_port/2` call made
  by any process while it ran (which is how any OS process gets started from the BEAM).
  """
  def count_open_ports(fun) do
    parent = self()
    tracer = spawn_link(fn -> tracer_loop(parent, 0) end)
    :erlang.trace_pattern({:erlang, :open_port, 2}, true, [:global])
    :erlang.trace(:all, true, [:call, {:tracer, tracer}])

    try do
      fun.()
    after
      :erlang.trace(:all, false, [:call])
      :erlang.trace_pattern({:erlang, :open_port, 2}, false, [:global])
    end
    |> then(fn result ->
      ref = :erlang.trace_delivered(:all)

      receive do
        {:trace_delivered, :all, ^ref} -> :ok
      end

      send(tracer, {:done, self()})

      receive do
        {:ports, n} -> {result, n}
      end
    end)
  end

  defp tracer_loop(parent, n) do
    receive do
      {:trace, _pid, :call, {:erlang, :open_port, _}} -> tracer_loop(parent, n + 1)
      {:done, ^parent} -> send(parent, {:ports, n})
    end
  end
end
