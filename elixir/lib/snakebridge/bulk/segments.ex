defmodule SnakeBridge.Bulk.Segments do
  @moduledoc """
  Shared-memory segments that this BEAM makes, so that bulk data it sends a worker
  (a `SnakeBridge.Tensor`, an Arrow stream) does not cross the worker's pipe: the BEAM
  writes the bytes into a file under `/dev/shm` and the worker maps that file
  read-only, without a copy. A pipe moves a few hundred MB/s; the write into fresh
  shared memory runs at 1-2.5 GB/s on the machine of bench/zerocopy.

  Names follow the workers' rule (`snakebridge-<os pid>-<process start>-<token>`, see
  the Python `snakebridge.runtime.bulk.lifetime`), with this BEAM as the owner. They
  live in a directory of this BEAM's own under `/dev/shm`, mode 0700, made (empty)
  before any segment: Erlang creates files with the umask's mode and has no `fchmod`,
  so a segment is readable by others for a moment after it is created; inside that
  directory no other user can reach it. The directory is named like a segment,
  `<stem><8 hex digits>`, and each segment in it `<directory name><24 hex digits>`, so a
  worker finds a segment from its name alone, and a worker's start-up sweep removes the
  directory too once this BEAM is gone.

  Who removes a segment, whatever way things end:

    * `remove/1`: the call that placed it, once it is done with it (`release/1` for a
      handle from `SnakeBridge.share/2`);
    * the process that placed it exits: this server monitors it and removes its
      segments;
    * the BEAM stops, or is killed with `kill -9`: a reaper, `/bin/sh` reading its
      stdin from a port of this server until EOF, then removing the directory with
      everything in it. The kernel closes that pipe however the BEAM ends.

  A worker that still maps an unlinked segment keeps reading it; its memory is freed
  when the last mapping goes.

  The server starts on first use, unlinked from its caller and registered under this
  module's name. Should it be killed, its port closes and the reaper removes its
  directory and every segment in it (calls using them then fail with `:ref_lost`);
  the next placement starts a new server, with a directory of its own.
  """
  use GenServer

  @shm "/dev/shm"
  @prefix "snakebridge"
  # Hex digits of the directory's token, and of each segment's after it (128 bits in all,
  # as the workers' names).
  @dir_token 4
  @segment_token 12
  # Reads stdin until EOF (the BEAM or this server ended), then removes the directory.
  # Hang-ups and interrupts sent to the BEAM's process group do not stop it.
  @reaper ~S(trap '' HUP INT TERM; cat >/dev/null; rm -rf -- "$0")

  @doc "The directory of this BEAM's segments (the running server's; made on first use)."
  @spec dir() :: String.t()
  def dir, do: GenServer.call(server!(), :dir)

  @doc """
  Writes `data` into a new segment owned by the process `owner` (it is removed when
  that process exits) and returns the segment's name. The space is taken when the
  bytes are written, so a full `/dev/shm` is an error here, not a crash later.
  """
  @spec place(iodata, pid) :: {:ok, String.t()} | {:error, String.t()}
  def place(data, owner \\ self()) do
    with {:ok, server} <- server(),
         {:ok, name} <- GenServer.call(server, {:register, owner}) do
      case write(path(name), data) do
        :ok ->
          {:ok, name}

        {:error, reason} ->
          remove(name)
          {:error, write_error(reason, IO.iodata_length(data))}
      end
    end
  end

  defp write(path, data) do
    with {:ok, file} <- :file.open(path, [:write, :exclusive, :raw, :binary]) do
      result = :file.write(file, data)
      :ok = :file.close(file)
      result
    end
  end

  @doc "Where the segment `name` of this BEAM lives: in the directory its name starts with."
  @spec path(String.t()) :: String.t()
  def path(name) do
    Path.join([@shm, binary_part(name, 0, byte_size(name) - 2 * @segment_token), name])
  end

  @doc "Removes a segment placed here (a segment already gone is fine)."
  @spec remove(String.t()) :: :ok
  def remove(name) do
    if own?(name) do
      _ = File.rm(path(name))
      GenServer.cast(__MODULE__, {:forget, name})
    end

    :ok
  end

  @doc "Whether `name` is a segment of this BEAM."
  @spec own?(String.t()) :: boolean
  def own?(name), do: String.starts_with?(name, stem())

  @doc "The names of this BEAM's segments that exist now, in all its directories."
  @spec list() :: [String.t()]
  def list do
    Enum.flat_map(entries(), fn dir ->
      case File.ls(Path.join(@shm, dir)) do
        {:ok, names} -> names
        {:error, _} -> []
      end
    end)
    |> Enum.sort()
  end

  @doc """
  The entries of `/dev/shm` that carry this BEAM's name stem: its directories (one per
  server that ran), never a segment.
  """
  @spec entries() :: [String.t()]
  def entries do
    case File.ls(@shm) do
      {:ok, names} -> names |> Enum.filter(&own?/1) |> Enum.sort()
      {:error, _} -> []
    end
  end

  @doc "The OS pid of the reaper (started with the server)."
  @spec reaper_os_pid() :: non_neg_integer
  def reaper_os_pid, do: GenServer.call(server!(), :reaper)

  @doc "The name stem of this BEAM's segments: `snakebridge-<os pid>-<start>-`."
  @spec stem() :: String.t()
  def stem do
    case :persistent_term.get({__MODULE__, :stem}, nil) do
      nil ->
        stem = "#{@prefix}-#{System.pid()}-#{process_start()}-"
        :persistent_term.put({__MODULE__, :stem}, stem)
        stem

      stem ->
        stem
    end
  end

  # The start time of this OS process in clock ticks since boot (field 22 of
  # /proc/self/stat), as the workers read it: a reused pid is another owner.
  defp process_start do
    stat = File.read!("/proc/self/stat")
    # The command name (field 2) may hold spaces and parentheses: split after it.
    {at, 1} = stat |> :binary.matches(")") |> List.last()
    stat |> binary_part(at + 2, byte_size(stat) - at - 2) |> String.split() |> Enum.at(19)
  end

  defp write_error(:enospc, size) do
    "no room in #{@shm} for #{size} bytes; release handles you no longer need " <>
      "(SnakeBridge.release/1), or enlarge #{@shm}"
  end

  defp write_error(reason, _size),
    do: "cannot write a shared memory segment in #{@shm}: #{:file.format_error(reason)}"

  defp server do
    case GenServer.whereis(__MODULE__) do
      nil ->
        case GenServer.start(__MODULE__, [], name: __MODULE__) do
          {:ok, pid} -> {:ok, pid}
          {:error, {:already_started, pid}} -> {:ok, pid}
          {:error, message} when is_binary(message) -> {:error, message}
        end

      pid ->
        {:ok, pid}
    end
  end

  defp server! do
    {:ok, pid} = server()
    pid
  end

  defp token(bytes), do: Base.encode16(:crypto.strong_rand_bytes(bytes), case: :lower)

  # ---------------------------------------------------------------- server

  @impl true
  def init([]) do
    dir = Path.join(@shm, stem() <> token(@dir_token))
    # The reaper first: should this BEAM die while the directory is being made, the
    # reaper removes it.
    {port, os_pid} = reaper(dir)

    case private_dir(dir) do
      :ok ->
        {:ok, %{dir: dir, port: port, reaper: os_pid, owners: %{}, names: %{}}}

      {:error, message} ->
        Port.close(port)
        {:stop, message}
    end
  end

  defp reaper(dir) do
    port =
      Port.open({:spawn_executable, "/bin/sh"}, [
        :binary,
        :exit_status,
        args: ["-c", @reaper, dir]
      ])

    {:os_pid, os_pid} = Port.info(port, :os_pid)
    {port, os_pid}
  end

  # Made with the umask's mode, then 0700 while still empty: a process of another user
  # that opened it meanwhile can look nothing up in it once the mode is set, and it
  # must still be empty then.
  defp private_dir(dir) do
    with :ok <- :file.make_dir(dir),
         :ok <- :file.change_mode(dir, 0o700),
         {:ok, []} <- File.ls(dir) do
      :ok
    else
      {:ok, names} ->
        {:error,
         "#{dir}, made for this BEAM's shared memory segments, was changed by another " <>
           "process before it became private (#{length(names)} entries in it); remove it " <>
           "and look for who writes into #{@shm}"}

      {:error, reason} ->
        {:error,
         "cannot make a private directory for shared memory segments in #{@shm}: " <>
           "#{:file.format_error(reason)}; it must be a writable tmpfs (docker: --shm-size)"}
    end
  end

  @impl true
  def handle_call({:register, owner}, _from, state) do
    name = Path.basename(state.dir) <> token(@segment_token)

    owners =
      Map.update(state.owners, owner, {Process.monitor(owner), MapSet.new([name])}, fn
        {ref, names} -> {ref, MapSet.put(names, name)}
      end)

    {:reply, {:ok, name}, %{state | owners: owners, names: Map.put(state.names, name, owner)}}
  end

  def handle_call(:reaper, _from, state), do: {:reply, state.reaper, state}
  def handle_call(:dir, _from, state), do: {:reply, state.dir, state}

  @impl true
  def handle_cast({:forget, name}, state), do: {:noreply, forget(state, name)}

  @impl true
  def handle_info({:DOWN, _ref, :process, owner, _reason}, state) do
    {{_ref, names}, owners} = Map.pop(state.owners, owner, {nil, MapSet.new()})
    for name <- names, do: File.rm(path(name))
    {:noreply, %{state | owners: owners, names: Map.drop(state.names, MapSet.to_list(names))}}
  end

  # The reaper ended while this BEAM runs (killed by hand): it has removed nothing, so
  # a new one takes over the directory; the segments in place stay.
  def handle_info({port, {:exit_status, _status}}, %{port: port} = state) do
    {port, os_pid} = reaper(state.dir)
    {:noreply, %{state | port: port, reaper: os_pid}}
  end

  defp forget(state, name) do
    case Map.pop(state.names, name) do
      {nil, _names} ->
        state

      {owner, names} ->
        owners =
          case Map.fetch!(state.owners, owner) do
            {ref, owned} ->
              owned = MapSet.delete(owned, name)

              if MapSet.size(owned) == 0 do
                Process.demonitor(ref, [:flush])
                Map.delete(state.owners, owner)
              else
                Map.put(state.owners, owner, {ref, owned})
              end
          end

        %{state | owners: owners, names: names}
    end
  end
end
