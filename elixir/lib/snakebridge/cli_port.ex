defmodule SnakeBridge.CLIPort do
  @moduledoc """
  Runs one Python CLI command (`python -m snakebridge port`) over an Erlang port.

  The Mix compiler and every `mix snakebridge.*` task that needs Python go through here:
  one `{command, payload}` ETF frame out; `{:log, level, message}` frames relayed to the
  Mix shell, `{:out, text}` frames printed as they come, and one
  `{:result, exit_code, map}` returned. Frames are decoded with `[:safe]`, so Python can
  never create atoms here. See `docs/internals.md`, "CLI port protocol".
  """

  alias SnakeBridge.{Config, PythonSource}

  @type result :: {:ok, non_neg_integer, map} | {:error, String.t()}

  @doc """
  Runs `command` with `payload` (the project context plus command fields) on `python`.

  Returns `{:ok, exit_code, data}` when Python answered (whatever the exit code), or
  `{:error, message}` when it could not start, crashed or broke the protocol.

  The process runs the snakebridge package of this Elixir package
  (`SnakeBridge.PythonSource`), with the project's `python_path:` directories (from the
  context's `"root"` and `"python_path"`) after it on `PYTHONPATH`, so the generator
  sees project-local modules the way the workers do.

  Options: `:verbose` (show debug log frames), `:timeout` (ms, default `:infinity`),
  `:shell` (defaults to `Mix.shell()`).
  """
  @spec run(String.t(), String.t(), map, keyword) :: result
  def run(python, command, payload, opts \\ []) when is_binary(command) and is_map(payload) do
    with :ok <- check_interpreter(python) do
      port = open(python, project_dirs(payload))
      send(port, {self(), {:command, :erlang.term_to_binary({command, payload})}})
      deadline = deadline(Keyword.get(opts, :timeout, :infinity))
      loop(port, python, command, opts, deadline)
    end
  end

  @doc """
  The body of a Mix task that is a thin shell over a Python command: loads the project
  config, sends its context plus `"argv"` and `extra_payload`, prints what Python prints,
  and exits with Python's exit code when it is not zero. Returns the result map.

  `python:` runs the command on another interpreter than the project's (setup runs on
  the bootstrap interpreter, since the managed one may not exist yet).
  """
  @spec run_task(String.t(), [String.t()], map, keyword) :: map
  def run_task(command, argv, extra_payload \\ %{}, opts \\ []) do
    config = Config.load!()

    payload =
      config
      |> Config.context()
      |> Map.put("argv", argv)
      |> Map.merge(extra_payload)

    case run(Keyword.get(opts, :python, config.python), command, payload, verbose: config.verbose) do
      {:ok, 0, data} ->
        data

      {:ok, code, data} ->
        report_failure(command, data)
        exit({:shutdown, code})

      {:error, message} ->
        Mix.shell().error(message)
        exit({:shutdown, 2})
    end
  end

  defp report_failure(command, data) do
    if message = data["error"], do: Mix.shell().error("snakebridge #{command}: #{message}")

    if traceback = data["traceback"],
      do: Mix.shell().error(String.trim_trailing(traceback))
  end

  defp check_interpreter(python) do
    cond do
      not is_binary(python) or python == "" ->
        {:error, "no Python interpreter configured; run `mix snakebridge.setup`"}

      not File.exists?(python) ->
        {:error,
         "Python interpreter #{python} does not exist; run `mix snakebridge.setup` to build " <>
           "the managed environment (or set SNAKEBRIDGE_PYTHON / `snakebridge: [python: ...]`)"}

      File.dir?(python) ->
        {:error, "Python interpreter #{python} is a directory; point it at the python executable"}

      true ->
        :ok
    end
  end

  defp open(python, dirs) do
    Port.open({:spawn_executable, python}, [
      :binary,
      {:packet, 4},
      :exit_status,
      :use_stdio,
      args: ["-m", "snakebridge", "port"],
      env: [
        {~c"PYTHONPATH", String.to_charlist(PythonSource.python_path(dirs))},
        {~c"PYTHONIOENCODING", ~c"utf-8"},
        {~c"PYTHONDONTWRITEBYTECODE", ~c"1"}
      ]
    ])
  end

  defp project_dirs(%{"root" => root, "python_path" => dirs}) when is_list(dirs),
    do: Enum.map(dirs, &Path.expand(&1, root))

  defp project_dirs(_payload), do: []

  defp deadline(:infinity), do: :infinity
  defp deadline(ms) when is_integer(ms), do: System.monotonic_time(:millisecond) + ms

  defp remaining(:infinity), do: :infinity
  defp remaining(deadline), do: max(deadline - System.monotonic_time(:millisecond), 0)

  defp loop(port, python, command, opts, deadline) do
    receive do
      {^port, {:data, binary}} ->
        case decode(binary) do
          {:ok, {:result, code, data}} when is_integer(code) and is_map(data) ->
            await_exit(port)
            {:ok, code, data}

          {:ok, {:log, level, message}} when is_binary(level) and is_binary(message) ->
            log(level, message, opts)
            loop(port, python, command, opts, deadline)

          {:ok, {:out, text}} when is_binary(text) ->
            shell(opts).info(String.trim_trailing(text, "\n"))
            loop(port, python, command, opts, deadline)

          {:ok, other} ->
            close(port)

            {:error,
             "Python CLI (#{python}) sent an unexpected frame for `#{command}`: " <>
               inspect(other, limit: 20, printable_limit: 200)}

          :error ->
            close(port)

            {:error,
             "Python CLI (#{python}) wrote something that is not a protocol frame for " <>
               "`#{command}` (#{byte_size(binary)} bytes: #{inspect(binary, limit: 40)}); " <>
               "is #{python} a Python with snakebridge importable?"}
        end

      {^port, {:exit_status, status}} ->
        {:error,
         "Python CLI (#{python}) exited with status #{status} before answering `#{command}`; " <>
           "its stderr is above. Run `mix snakebridge.doctor` if the environment is broken."}
    after
      remaining(deadline) ->
        close(port)
        {:error, "Python CLI (#{python}) did not answer `#{command}` in time"}
    end
  end

  defp decode(binary) do
    {:ok, :erlang.binary_to_term(binary, [:safe])}
  rescue
    ArgumentError -> :error
  end

  # The result is the last frame; wait briefly for the exit so no zombie is left behind.
  defp await_exit(port) do
    receive do
      {^port, {:exit_status, _}} -> :ok
    after
      5_000 -> close(port)
    end
  end

  defp close(port) do
    if Port.info(port) != nil, do: Port.close(port)
    :ok
  catch
    :error, _ -> :ok
  end

  defp shell(opts), do: Keyword.get_lazy(opts, :shell, &Mix.shell/0)

  defp log("debug", message, opts) do
    if Keyword.get(opts, :verbose, false), do: shell(opts).info("[debug] " <> message)
  end

  defp log("info", message, opts), do: shell(opts).info(message)

  defp log("warning", message, opts),
    do: shell(opts).info([:yellow, "warning: ", :reset, message])

  defp log(_error, message, opts), do: shell(opts).error("error: " <> message)
end
