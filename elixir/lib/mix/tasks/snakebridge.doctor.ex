defmodule Mix.Tasks.Snakebridge.Doctor do
  @shortdoc "Says whether the project is ready, and how to fix what is not"
  @moduledoc """
  One screen: the declared libraries and their installed versions, the Python
  interpreter and uv, whether `snakebridge.lock` matches the environment, and whether the
  generated code matches the manifest, with the command that fixes each problem. Exits
  non-zero when something needs fixing. Last, the crash barrier: each library's
  circuit limits and the crashes a `:dev` run recorded (`SnakeBridge.Circuits`).

      mix snakebridge.doctor

  When the project's Python interpreter does not exist yet, this task says so itself
  (the fix is `mix snakebridge.setup`); otherwise it is a thin shell over the Python
  command `snakebridge doctor`.
  """
  use Mix.Task

  alias SnakeBridge.Config

  @impl Mix.Task
  def run(argv) do
    Mix.Project.get!()
    config = Config.load!()

    if File.exists?(config.python) do
      payload = Mix.Tasks.Snakebridge.Verify.bindings_payload(config)

      try do
        SnakeBridge.CLIPort.run_task("doctor", argv, payload)
      after
        crash_barrier(config)
      end

      :ok
    else
      shell = Mix.shell()
      shell.info("SnakeBridge doctor: #{config.root}")
      shell.info("")

      shell.error(
        "  [fail] Python: #{config.python} does not exist (#{source(config.python_source)})"
      )

      shell.info("         fix: mix snakebridge.setup")

      for lib <- config.libraries do
        shell.info(
          "  [ -- ] #{lib.name} #{lib.version || if(lib.local, do: "(local)", else: "(stdlib)")}: " <>
            "not checked without Python"
        )
      end

      crash_barrier(config)
      exit({:shutdown, 1})
    end
  end

  defp crash_barrier(config) do
    Mix.shell().info("")
    Enum.each(SnakeBridge.Circuits.doctor_lines(config), &Mix.shell().info/1)
  end

  defp source(:env), do: "from SNAKEBRIDGE_PYTHON"
  defp source(:config), do: "from `python:` in mix.exs"
  defp source(:default), do: "the managed environment"
end
