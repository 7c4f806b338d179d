defmodule SnakeBridge.Runtime.WorkerPort do
  @moduledoc """
  One Python worker OS process as an Erlang port: how it is spawned, told its
  configuration, stopped, and how its output reaches Logger. The pool owns the ports;
  this module owns the details of talking to one.
  """
  require Logger

  @last_words_bytes 16_384

  @doc """
  Spawns `python -m snakebridge.runtime.worker` and sends its `{:init, config}` frame.
  The repository's Python source (when present) goes first on PYTHONPATH so the worker
  always matches this client.
  """
  @spec open(map, [{charlist, charlist}], String.t(), atom) :: port
  def open(settings, env, worker_id, pool) do
    {:ok, python} = settings.python
    File.mkdir_p(Path.dirname(last_words_path(worker_id)))

    port =
      Port.open({:spawn_executable, python}, [
        :binary,
        {:packet, 4},
        :exit_status,
        :use_stdio,
        {:args, ["-m", "snakebridge.runtime.worker"]},
        {:env,
         [
           {~c"SNAKEBRIDGE_LAST_WORDS", to_charlist(last_words_path(worker_id))}
           | with_python_path(env, settings[:python_path])
         ]}
      ])

    init = %{
      worker_id: worker_id,
      pool: pool,
      # The worker enforces each library's exclude:/include: and allow: itself.
      libraries: Map.new(settings.libraries, fn {name, lib} -> {name, worker_library(lib)} end),
      ledger_path: settings[:ledger_path],
      callbacks: SnakeBridge.Runtime.Callbacks.worker_registry(settings[:callbacks])
    }

    Port.command(port, :erlang.term_to_binary({:init, init}))
    port
  end

  defp worker_library(lib) do
    %{
      python_module: lib.python_module,
      include: Map.get(lib, :include, []),
      exclude: Map.get(lib, :exclude, []),
      allow: Map.get(lib, :allow, [])
    }
  end

  @doc """
  Stops a worker. An idle worker exits on stdin EOF; a busy one may be stuck in C code
  holding the GIL and never look, so it is killed. `os_pid` is what `os_pid/1` said when
  the port opened: the only process the pool may signal is the one it started.
  """
  @spec close(port, integer | nil, boolean) :: :ok
  def close(port, os_pid, busy?) do
    try do
      Port.close(port)
    rescue
      ArgumentError -> :ok
    end

    if busy? and is_integer(os_pid), do: :os.cmd(~c"kill -9 #{os_pid}")
    :ok
  end

  @doc """
  Where a worker writes its last words (a fatal traceback, a fault's report): a port
  has one output channel, and it carries frames.
  """
  @spec last_words_path(String.t()) :: Path.t()
  def last_words_path(worker_id) do
    name = String.replace(worker_id, ~r/[^A-Za-z0-9_.-]/, "_")
    Path.join([System.tmp_dir!(), "snakebridge-#{System.pid()}", name <> ".last"])
  end

  @doc """
  After a worker is gone: the end of its last words, if it wrote any. The file is
  removed either way.
  """
  @spec take_last_words(String.t()) :: String.t() | nil
  def take_last_words(worker_id) do
    path = last_words_path(worker_id)

    text =
      with {:ok, %{size: size}} when size > 0 <- File.stat(path),
           {:ok, file} <- File.open(path, [:read, :binary]) do
        at = max(size - @last_words_bytes, 0)
        data = :file.pread(file, at, @last_words_bytes)
        File.close(file)
        with {:ok, bytes} <- data, do: String.trim(bytes), else: (_ -> "")
      else
        _ -> ""
      end

    File.rm(path)
    if text == "", do: nil, else: text
  end

  @doc "Sends a worker's `{:log, level, text}` frame to Logger, tagged with its id."
  @spec forward_log(binary, String.t(), atom) :: :ok
  def forward_log(data, worker, pool) do
    case safe_decode(data) do
      {:log, level, message} when is_binary(message) ->
        Logger.log(level(level), fn -> "[python #{worker}] " <> message end,
          snakebridge_worker: worker,
          snakebridge_pool: pool
        )

      _ ->
        :ok
    end
  end

  defp level("debug"), do: :debug
  defp level("info"), do: :info
  defp level("warning"), do: :warning
  defp level("error"), do: :error
  defp level(_), do: :info

  @doc false
  # A frame from a worker (or a caller's answer), decoded without creating atoms;
  # `:undecodable` when it names an unknown atom or is not a term.
  @spec safe_decode(binary) :: term
  def safe_decode(data) do
    :erlang.binary_to_term(data, [:safe])
  rescue
    ArgumentError -> :undecodable
  end

  @doc "The OS pid of the process a port started (nil once the port is closed)."
  @spec os_pid(port) :: integer | nil
  def os_pid(port) do
    case Port.info(port, :os_pid) do
      {:os_pid, pid} -> pid
      _ -> nil
    end
  end

  defp with_python_path(env, nil), do: env

  defp with_python_path(env, dir) do
    {given, rest} = List.keytake(env, ~c"PYTHONPATH", 0) || {nil, env}
    base = if given, do: to_string(elem(given, 1)), else: System.get_env("PYTHONPATH")
    path = if base in [nil, ""], do: dir, else: dir <> ":" <> base
    [{~c"PYTHONPATH", to_charlist(path)} | rest]
  end
end
