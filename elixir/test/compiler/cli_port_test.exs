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

  test "the CLI is the one from this checkout (PYTHONPATH)" do
    assert File.dir?(Path.join(CLIPort.python_src(), "snakebridge"))
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
