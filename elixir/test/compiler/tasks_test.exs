Code.require_file("project_helper.exs", __DIR__)

defmodule SnakeBridge.PrepassTasksTest do
  @moduledoc "`mix snakebridge.scan` and `mix snakebridge.generate` in real temp projects."
  use ExUnit.Case, async: false

  alias SnakeBridge.Test.Project

  @python Path.expand("../../../.venv/bin/python", __DIR__)

  @app """
  defmodule MyApp.Stats do
    alias Numpy.Linalg

    def run(x, y) do
      {Numpy.mean(x), Linalg.solve(x, y)}
    end

    def name, do: Json.dumps("é \\"quoted\\"")
  end
  """

  setup do
    Mix.shell(Mix.Shell.Process)
    # The project's own interpreter must be the one used, whatever the caller exported.
    vars = ~w(SNAKEBRIDGE_STRICT SNAKEBRIDGE_SKIP SNAKEBRIDGE_VERBOSE SNAKEBRIDGE_PYTHON)
    saved = Map.new(vars, &{&1, System.get_env(&1)})
    Enum.each(vars, &System.delete_env/1)

    on_exit(fn ->
      Mix.shell(Mix.Shell.IO)

      Enum.each(saved, fn {k, v} -> if v, do: System.put_env(k, v), else: System.delete_env(k) end)
    end)

    root =
      Project.create("tasks", %{"lib/stats.ex" => @app},
        libraries: [numpy: "~> 2.0", json: :stdlib]
      )

    Project.write(
      root,
      "lib/snakebridge_generated/numpy.ex",
      "defmodule Numpy do\n  def mean(x), do: x\nend\n"
    )

    on_exit(fn -> File.rm_rf!(root) end)
    {:ok, root: root}
  end

  defp messages do
    receive do
      # Mix's "==> app" banner appears because the test switches projects in one VM.
      {:mix_shell, _kind, ["==> " <> _]} -> messages()
      {:mix_shell, _kind, [message]} -> [message | messages()]
    after
      0 -> []
    end
  end

  test "scan lists every call with file:line and a total, without Python", %{root: root} do
    Project.in_project(root, fn -> Mix.Tasks.Snakebridge.Scan.run([]) end)

    assert messages() == [
             "lib/stats.ex:5: Numpy.mean/1",
             "lib/stats.ex:5: Numpy.Linalg.solve/2",
             "lib/stats.ex:8: Json.dumps/1",
             "3 calls (3 distinct symbols, 2 calls without a binding) in 1 files"
           ]

    assert Project.python_starts(root) == 0
  end

  test "scan --verbose says which calls are bound", %{root: root} do
    Project.in_project(root, fn -> Mix.Tasks.Snakebridge.Scan.run(["--verbose"]) end)
    output = messages()
    assert "lib/stats.ex:5: Numpy.mean/1  (bound)" in output
    assert "lib/stats.ex:8: Json.dumps/1  (no binding yet)" in output
  end

  test "scan --format json is one valid JSON document", %{root: root} do
    Project.in_project(root, fn -> Mix.Tasks.Snakebridge.Scan.run(["--format", "json"]) end)
    [json] = messages()

    # Elixir writes it; Python (which owns JSON in this project) checks it parses.
    check = """
    import json, sys
    doc = json.loads(sys.stdin.read())
    assert doc["total"] == 3 and doc["missing"] == 2 and doc["files"] == 1, doc
    d = doc["detections"][2]
    assert d == {"module": "Json", "function": "dumps", "arity": 1, "file": "lib/stats.ex",
                 "line": 8, "column": 17, "bound": False}, d
    print("ok")
    """

    path = Path.join(root, "doc.json")
    File.write!(path, json)
    assert {"ok\n", 0} = System.cmd("sh", ["-c", "#{@python} -c '#{check}' < #{path}"])
  end

  test "generate runs even when nothing is missing, and passes --force", %{root: root} do
    Project.in_project(root, fn -> Mix.Tasks.Snakebridge.Generate.run([]) end)
    assert Project.python_starts(root) == 1
    assert Project.last_request(root)["force"] == false

    Project.in_project(root, fn -> Mix.Tasks.Snakebridge.Generate.run(["--force"]) end)
    assert Project.python_starts(root) == 2
    assert Project.last_request(root)["force"] == true
    assert "snakebridge: bindings are up to date" in messages()
  end

  test "generate exits non-zero when generation fails", %{root: root} do
    Project.set_mode(root, "crash")

    assert catch_exit(Project.in_project(root, fn -> Mix.Tasks.Snakebridge.Generate.run([]) end)) ==
             {:shutdown, 1}
  end
end
