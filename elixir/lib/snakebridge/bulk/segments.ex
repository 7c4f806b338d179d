defmodule SnakeBridge.Bulk.Segments do
  @moduledoc """
  Shared-memory segments that this BEAM makes, so that bulk data it sends a worker
  (a `SnakeBridge.Tensor`, an Arrow stream) does not cross the worker's pipe: the BEAM
  writes the bytes into a file under `/dev/shm` and the worker maps that file
  read-only, without a copy. A pipe moves a few hundred MB/s; the write into fresh
  shared memory runs at 1-2.5 GB/s on the machine of bench/zerocopy.

  Names follow the workers' rule (`snakebridge-<os pid>-<process start>-<token>`, see
  the Python `snakebridge.runtime.bulk.lifetime`), with this BEAM as the owner, so a
  worker's start-up sweep removes them too once this BEAM is gone.

  Who removes a segment, whatever way things end:

    * `remove/1`: the call that placed it, once it is done with it (`release/1` for a
      handle from `SnakeBridge.share/2`);
    * the process that placed it exits: this server monitors it and removes its
      segments;
    * the BEAM stops, or is killed with `kill -9`: a reaper, `/bin/sh` reading its
      stdin from a port of this server until EOF, then removing every segment of this
      BEAM's name stem. The kernel closes that pipe however the BEAM ends.

  A worker that still maps an unlinked segment keeps reading it; its memory is freed
  when the last mapping goes.

  The server starts on first use, unlinked from its caller and registered under this
  module's name. Should it be killed, its port closes and the reaper removes every
  segment this BEAM has placed (calls using them then fail with `:ref_lost`); the next
  placement starts a new one.
  """
  use GenServer

  @dir "/dev/shm"
  @prefix "snakebridge"
  # Reads stdin until EOF (the BEAM or this server ended), then removes the stem's
  # segments. Hang-ups and interrupts sent to the BEAM's process group do not stop it.
  @reaper ~S(trap '' HUP INT TERM; cat >/dev/null; rm -f -- "$0/$1"*)

  @doc "The directory segments live in."
  @spec dir() :: String.t()
  def dir, do: @dir

  @doc """
  Writes `data` into a new segment owned by the process `owner` (it is removed when
  that process exits) and returns the segment's name. The space is taken when the
  bytes are written, so a full `/dev/shm` is an error here, not a crash later.
  """
  @spec place(iodata, pid) :: {:ok, String.t()} | {:error, String.t()}
  def place(data, owner \\ self()) do
    name = stem() <> Base.encode16(:crypto.strong_rand_bytes(16), case: :lower)
    :ok = GenServer.call(server(), {:register, owner, name})
    path = Path.join(@dir, name)

    # Made empty, then private (as the workers' are: 0600), then filled: the bytes are
    # never readable by another user.
    with {:ok, file} <- :file.open(path, [:write, :exclusive, :raw, :binary]),
         :ok <- private(path, file),
         :ok <- write_close(file, data) do
      {:ok, name}
    else
      {:error, reason} ->
        remove(name)
        {:error, write_error(reason, IO.iodata_length(data))}
    end
  end

  defp private(path, file) do
    with {:error, reason} <- File.chmod(path, 0o600) do
      :file.close(file)
      {:error, reason}
    end
  end

  defp write_close(file, data) do
    result = :file.write(file, data)
    :ok = :file.close(file)
    result
  end

  @doc "Removes a segment placed here (a segment already gone is fine)."
  @spec remove(String.t()) :: :ok
  def remove(name) do
    if String.starts_with?(name, stem()) do
      _ = File.rm(Path.join(@dir, name))
      GenServer.cast(server(), {:forget, name})
    end

    :ok
  end

  @doc "Whether `name` is a segment of this BEAM."
  @spec own?(String.t()) :: boolean
  def own?(name), do: String.starts_with?(name, stem())

  @doc "The names of this BEAM's segments that exist now."
  @spec list() :: [String.t()]
  def list do
    prefix = stem()

    case File.ls(@dir) do
      {:ok, names} -> names |> Enum.filter(&String.starts_with?(&1, prefix)) |> Enum.sort()
      {:error, _} -> []
    end
  end

  @doc "The OS pid of the reaper (started with the server)."
  @spec reaper_os_pid() :: non_neg_integer
  def reaper_os_pid, do: GenServer.call(server(), :reaper)

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
    "no room in #{@dir} for #{size} bytes; release handles you no longer need " <>
      "(SnakeBridge.release/1), or enlarge #{@dir}"
  end

  defp write_error(reason, _size),
    do: "cannot write a shared memory segment in #{@dir}: #{:file.format_error(reason)}"

  defp server do
    case GenServer.whereis(__MODULE__) do
      nil ->
        case GenServer.start(__MODULE__, [], name: __MODULE__) do
          {:ok, pid} -> pid
          {:error, {:already_started, pid}} -> pid
        end

      pid ->
        pid
    end
  end

  # ---------------------------------------------------------------- server

  @impl true
  def init([]) do
    port =
      Port.open({:spawn_executable, "/bin/sh"}, [
        :binary,
        :exit_status,
        args: ["-c", @reaper, @dir, stem()]
      ])

    {:os_pid, os_pid} = Port.info(port, :os_pid)
    {:ok, %{port: port, reaper: os_pid, owners: %{}, names: %{}}}
  end

  @impl true
  def handle_call({:register, owner, name}, _from, state) do
    owners =
      Map.update(state.owners, owner, {Process.monitor(owner), MapSet.new([name])}, fn
        {ref, names} -> {ref, MapSet.put(names, name)}
      end)

    {:reply, :ok, %{state | owners: owners, names: Map.put(state.names, name, owner)}}
  end

  def handle_call(:reaper, _from, state), do: {:reply, state.reaper, state}

  @impl true
  def handle_cast({:forget, name}, state), do: {:noreply, forget(state, name)}

  @impl true
  def handle_info({:DOWN, _ref, :process, owner, _reason}, state) do
    {{_ref, names}, owners} = Map.pop(state.owners, owner, {nil, MapSet.new()})
    for name <- names, do: File.rm(Path.join(@dir, name))
    {:noreply, %{state | owners: owners, names: Map.drop(state.names, MapSet.to_list(names))}}
  end

  # The reaper ended while this BEAM runs (killed by hand): it has removed nothing, so
  # a new one takes over; the segments in place stay.
  def handle_info({port, {:exit_status, _status}}, %{port: port} = state) do
    {:ok, fresh} = init([])
    {:noreply, %{state | port: fresh.port, reaper: fresh.reaper}}
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
