defmodule SnakeBridge.Runtime.WorkerPort do
  @moduledoc """
  One Python worker OS process as an Erlang port: how it is spawned, told its
  configuration, stopped, and how its output reaches Logger. The pool owns the ports;
  this module owns the details of talking to one.
  """
  require Logger

  @last_words_bytes 16_384
  # The version of the frames this client and a worker exchange (the init and ready
  # frames, compact calls and registrations, reply marks, callbacks). A worker reports
  # its own in `{:ready, info}`; a worker of another version is never given a call.
  # Bump it with the Python side's `snakebridge.runtime.frames.PROTOCOL`.
  @protocol 1

  @doc """
  Spawns `python -m snakebridge.runtime.worker` and sends its `{:init, config}` frame.
  The repository's Python source (when present) goes first on PYTHONPATH so the worker
  always matches this client.
  """
  @spec open(map, [{charlist, charlist}], String.t(), atom, keyword) :: port
  def open(settings, env, worker_id, pool, opts \\ []) do
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
      # Refs carry it: calls on them find this worker from any node of a cluster.
      node: node(),
      # The worker enforces each library's exclude:/include: and allow: itself.
      libraries: Map.new(settings.libraries, fn {name, lib} -> {name, worker_library(lib)} end),
      ledger_path: settings[:ledger_path],
      max_inflated: settings[:max_inflated_bytes],
      callbacks: SnakeBridge.Runtime.Callbacks.worker_registry(settings[:callbacks]),
      # A spare imports every declared library before it reports ready.
      preload: Keyword.get(opts, :preload, false)
    }

    Port.command(port, :erlang.term_to_binary({:init, init}))
    port
  end

  @doc "The protocol version this client speaks (see `check_protocol/3`)."
  @spec protocol() :: pos_integer
  def protocol, do: @protocol

  @doc """
  Checks the `{:ready, info}` of worker `worker` started with `python`: `:ok` when it
  speaks this client's protocol, else `{:error, message}` naming both versions and the
  fix (the Python package and the Elixir library come from different releases).
  """
  @spec check_protocol(map, String.t(), String.t()) :: :ok | {:error, String.t()}
  def check_protocol(%{"protocol" => @protocol}, _worker, _python), do: :ok

  def check_protocol(info, worker, python) do
    theirs =
      case info do
        %{"protocol" => version} -> "protocol #{inspect(version)}"
        _ -> "no protocol version (its package predates the handshake)"
      end

    package = if is_binary(info["snakebridge"]), do: " #{info["snakebridge"]}", else: ""

    {:error,
     "Python worker #{worker} speaks #{theirs}, but this SnakeBridge (Elixir " <>
       "#{Application.spec(:snakebridge, :vsn)}) speaks protocol #{@protocol}: #{python} " <>
       "runs the snakebridge Python package#{package} from another release. Run " <>
       "`mix snakebridge.setup` to install the matching package into that environment, or " <>
       "point the pool's `python:` at the environment setup made; no call is sent to such a worker"}
  end

  defp worker_library(lib) do
    %{
      python_module: lib.python_module,
      python_module_declared: Map.get(lib, :python_module_declared, true),
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

  @doc """
  Why a worker's process ended, from its exit status (a port reports a death by signal
  N as 128 + N) and, for SIGKILL, the kernel's OOM-kill counter (`oom_kills/0` when the
  worker started, and now): `:segfault`, `:abort`, `:bus_error`, `:oom_killed`,
  `:killed` or `{:exit, status}`.
  """
  @spec crash_reason(non_neg_integer, non_neg_integer | nil) :: atom | {:exit, integer}
  def crash_reason(status, oom_kills_at_start) do
    case status do
      139 -> :segfault
      134 -> :abort
      135 -> :bus_error
      137 -> if oom_killed?(oom_kills_at_start), do: :oom_killed, else: :killed
      signal when signal > 128 and signal < 128 + 65 -> :killed
      status -> {:exit, status}
    end
  end

  defp oom_killed?(nil), do: false
  defp oom_killed?(before), do: (oom_kills() || before) > before

  @doc """
  The kernel's count of OOM kills in this machine's memory cgroup (v2 `memory.events`,
  v1 `memory.oom_control`), nil where it does not say.
  """
  @spec oom_kills() :: non_neg_integer | nil
  def oom_kills do
    Enum.find_value(
      ["/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"],
      fn path ->
        with {:ok, text} <- File.read(path),
             [_, count] <- Regex.run(~r/^oom_kill (\d+)$/m, text),
             do: String.to_integer(count),
             else: (_ -> nil)
      end
    )
  end

  @doc "What a crash reason means, and what to do about it, for error messages."
  @spec describe(atom | {:exit, integer}) :: String.t()
  def describe(:segfault),
    do: "crashed with a segmentation fault (SIGSEGV: a C extension failed, often on this input)"

  def describe(:abort),
    do: "aborted (SIGABRT: a C library hit a failed assertion or a fatal error)"

  def describe(:bus_error),
    do:
      "crashed with a bus error (SIGBUS: a bad memory access, e.g. a truncated memory-mapped file)"

  def describe(:oom_killed),
    do:
      "was killed by the kernel's OOM killer (memory ran out; make the call use less, or " <>
        "set the pool's max_memory_mb: to recycle workers that grow)"

  def describe(:killed), do: "was killed by a signal from outside (kill -9 or the like)"

  def describe(:protocol),
    do: "broke the frame protocol (something wrote to its protocol file descriptor)"

  def describe(:hang), do: "stopped answering heartbeats while idle (stuck holding the GIL)"

  def describe({:exit, status}),
    do: "exited with status #{status} (os._exit or exit() from C code)"

  def describe({:port, reason}), do: "lost its port (#{inspect(reason)})"

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
