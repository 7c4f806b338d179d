defmodule SnakeBridge.CLIPortTest do
  @moduledoc """
  The Elixir end of the CLI port against real processes: the real Python CLI, and
  interpreters that crash or speak garbage.
  """
  use ExUnit.Case, async: false

  alias SnakeBridge.CLIPort

  @python Path.expand("../../../.venv/bin/python", __DIR__)

  setup do
    Mix.shell(Mix.Shell.Process)
    on_exit(fn -> Mix.shell(Mix.Shell.IO) end)
    dir = Path.join(System.tmp_dir!(), "sb_cliport_#{System.unique_integer([:positive])}")
    File.mkdir_p!(dir)
    on_exit(fn -> File.rm_rf!(dir) end)
    {:ok, dir: dir}
  end

  defp script(dir, body) do
    path = Path.join(dir, "python")
    File.write!(path, "#!/bin/sh\n" <> body)
    File.chmod!(path, 0o755)
    path
  end

  defp context(dir), do: %{"root" => dir, "libraries" => [], "python" => @python}

  test "a real CLI answer: unknown command is a result with exit code 2", %{dir: dir} do
    assert {:ok, 2, %{"error" => error}} = CLIPort.run(@python, "frobnicate", context(dir))
    assert error =~ "unknown command 'frobnicate'"
  end

  test "the CLI runs the snakebridge package shipped in this package's priv/python" do
    dir = SnakeBridge.PythonSource.dir()
    assert String.ends_with?(dir, "/priv/python")
    assert File.regular?(Path.join(dir, "snakebridge/cli.py"))
    assert File.regular?(Path.join(dir, "pyproject.toml"))
  end

  test "the project's python_path: directories follow the package on PYTHONPATH", %{dir: dir} do
    local = Path.join(dir, "py")
    File.mkdir_p!(local)
    # A project-local module, importable only through python_path: it stands in for the
    # `ledger` command (the CLI imports snakebridge.commands.<name> on demand).
    File.write!(Path.join(local, "sb_local_cmd.py"), """
    import sys, types
    from snakebridge.cli import Reply, command

    sys.modules["snakebridge.commands.ledger"] = types.ModuleType("snakebridge.commands.ledger")

    @command("ledger")
    def run(project, payload, output):
        import snakebridge
        return Reply(0, {"snakebridge": snakebridge.__file__})
    """)

    # Imports the local module first, then runs `python -m snakebridge port` as usual.
    File.write!(Path.join(dir, "launcher.py"), """
    import runpy, sys
    import sb_local_cmd
    sys.argv = ["snakebridge", *sys.argv[3:]]
    runpy.run_module("snakebridge", run_name="__main__", alter_sys=True)
    """)

    script = script(dir, "exec #{@python} #{Path.join(dir, "launcher.py")} \"$@\"\n")

    payload = Map.merge(context(dir), %{"python_path" => ["py"]})
    assert {:ok, 0, %{"snakebridge" => file}} = CLIPort.run(script, "ledger", payload)
    assert file == Path.join(SnakeBridge.PythonSource.dir(), "snakebridge/__init__.py")
  end

  test "a missing interpreter names the path and the setup task", %{dir: dir} do
    missing = Path.join(dir, "nope/python")
    assert {:error, message} = CLIPort.run(missing, "generate", context(dir))
    assert message =~ missing
    assert message =~ "mix snakebridge.setup"
  end

  test "an interpreter that exits before answering", %{dir: dir} do
    python = script(dir, "exit 3\n")
    assert {:error, message} = CLIPort.run(python, "generate", context(dir))
    assert message =~ "exited with status 3 before answering `generate`"
  end

  test "an interpreter that writes garbage on stdout", %{dir: dir} do
    # A 4-byte length header followed by bytes that are not ETF.
    python = script(dir, "printf '\\000\\000\\000\\005hello'\ncat >/dev/null\n")
    assert {:error, message} = CLIPort.run(python, "generate", context(dir))
    assert message =~ "not a protocol frame"
  end

  test "frames Python may not send (a well-formed but unexpected term)", %{dir: dir} do
    term = :erlang.term_to_binary({:surprise, 1})
    size = byte_size(term)
    octal = for <<b <- <<size::32>> <> term>>, into: "", do: "\\" <> Integer.to_string(b, 8)
    python = script(dir, "printf '#{octal}'\ncat >/dev/null\n")
    assert {:error, message} = CLIPort.run(python, "generate", context(dir))
    assert message =~ "unexpected frame"
  end

  test "a timeout closes the port and says so", %{dir: dir} do
    python = script(dir, "cat >/dev/null\n")
    assert {:error, message} = CLIPort.run(python, "generate", context(dir), timeout: 200)
    assert message =~ "did not answer `generate` in time"
  end
end
