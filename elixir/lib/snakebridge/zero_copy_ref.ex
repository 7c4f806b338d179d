defmodule SnakeBridge.ZeroCopyRef do
  @moduledoc """
  A handle to bulk data that stays where it is: pass it as an argument to any call and
  the worker that runs the call maps the data instead of receiving a copy of it.

    * `:shm`: a numeric array in POSIX shared memory (`/dev/shm`). Any worker on the same
      machine, in any pool, maps it read-only without a copy; handing it from one worker
      to another costs the same for 1 KB and 1 GB. `type` and `shape` describe it as in
      `SnakeBridge.Tensor`.
    * `:arrow`: a table, as an Arrow IPC stream in shared memory. It arrives as a
      `pyarrow.Table` whose columns point into that memory.
    * `:dlpack`: a tensor exported through DLPack inside its worker. DLPack shares memory
      between libraries (numpy, torch) of one process only, so this handle is valid only
      in the worker that made it (`owner`); elsewhere it is refused, saying so.

  The data lives as long as the session that made the handle, or until it is released;
  the owning worker removes it then and when it stops; a worker that dies any other
  way (a crash, `kill -9`, the BEAM killed) has its segments removed by a small reaper
  process it started with its first segment, which waits for exactly that. Using a handle after that gives a
  `:ref_lost` error. `host` names the machine: shared memory does not cross machines,
  so a handle from another machine is refused (bring the data over as a
  `SnakeBridge.Tensor` instead). `node` is the BEAM node of the owner's pool.

  `SnakeBridge.share/2` of a `SnakeBridge.Tensor` makes a `:shm` handle too, whose
  segment this BEAM wrote (`owner` `"elixir"`): it lives until `release/1` or the exit
  of the process that shared it, and never outlives the BEAM.

  `SnakeBridge.share/2` makes these handles, `SnakeBridge.release/1` releases them, and
  `SnakeBridge.to_tensor/2` / `SnakeBridge.to_arrow/2` (or `materialize/1`) read a
  `:shm` / `:arrow` handle's data here, without a worker. `pool` is the pool of the
  worker that made the handle.
  """

  @enforce_keys [:kind, :id, :owner, :session]
  defstruct [:kind, :id, :type, :shape, :size, :owner, :session, :host, :node, :pool]

  @type kind :: :shm | :arrow | :dlpack
  @type t :: %__MODULE__{
          kind: kind,
          id: String.t(),
          type: SnakeBridge.Tensor.tensor_type() | nil,
          shape: tuple | nil,
          size: non_neg_integer | nil,
          owner: String.t(),
          session: String.t(),
          host: String.t() | nil,
          node: String.t() | nil,
          pool: atom | nil
        }

  @kinds [:shm, :arrow, :dlpack]

  @doc "The handle kinds."
  @spec kinds() :: [kind]
  def kinds, do: @kinds

  @doc """
  Whether the handle was made by a worker of this BEAM node (a handle without a node is
  taken as local). A handle from another node must be materialized through its owner.
  """
  @spec local?(t) :: boolean
  def local?(%__MODULE__{node: nil}), do: true
  def local?(%__MODULE__{node: node}), do: node == Atom.to_string(Kernel.node())

  @shm_dir "/dev/shm"
  # <prefix>-<owner pid>-<owner start time>-<128-bit token>, as the worker names segments.
  @segment_name ~r/\A[A-Za-z0-9_]+-[0-9]+-[0-9]+-[0-9a-f]{32}\z/

  @doc """
  Reads the data of a `:shm` or `:arrow` handle straight from shared memory, without a
  worker: one copy, from the segment into a binary. A `:shm` handle gives a
  `SnakeBridge.Tensor`, an `:arrow` handle the Arrow IPC stream binary
  (`Explorer.DataFrame.load_ipc_stream/1` reads it).

  Works on the machine that made the handle (any BEAM node there); a handle from another
  machine, a released one, one whose worker stopped, and a `:dlpack` handle (valid only
  inside its worker) give `{:error, message}` saying which.
  """
  @spec materialize(t) :: {:ok, SnakeBridge.Tensor.t() | binary} | {:error, String.t()}
  def materialize(%__MODULE__{kind: :dlpack, owner: owner}) do
    {:error,
     "a :dlpack handle is valid only inside the worker that made it (#{owner}): DLPack " <>
       "shares memory within one process. Pass it to a call on that worker, or share it " <>
       "as :shm to read it from here"}
  end

  def materialize(%__MODULE__{kind: kind, id: id, size: size, host: host} = ref)
      when kind in [:shm, :arrow] do
    with :ok <- check_host(host),
         :ok <- check_name(id),
         {:ok, data} <- read_segment(segment_path(ref), id, size) do
      case kind do
        :arrow -> {:ok, data}
        :shm -> SnakeBridge.Tensor.new(data, ref.type, ref.shape)
      end
    end
  end

  @doc "This machine, as handles name it (host name and kernel boot id)."
  @spec this_host() :: String.t()
  def this_host do
    {:ok, name} = :inet.gethostname()

    boot =
      case File.read("/proc/sys/kernel/random/boot_id") do
        {:ok, text} -> String.trim(text)
        {:error, _} -> "unknown-boot"
      end

    "#{name}/#{boot}"
  end

  defp check_host(host) do
    if host == this_host(),
      do: :ok,
      else:
        {:error,
         "the handle was made on host #{host}, and shared memory does not cross machines; " <>
           "ask its node for the data with to_tensor/1 instead"}
  end

  @doc false
  # A forged handle (or reply) must not read anything but a segment.
  def check_name(id) when is_binary(id) do
    if Regex.match?(@segment_name, id),
      do: :ok,
      else: {:error, "#{inspect(id)} is not a shared memory segment name"}
  end

  def check_name(id), do: {:error, "#{inspect(id)} is not a shared memory segment name"}

  # A segment this BEAM (or another on this machine) placed lives in that BEAM's
  # private directory; a worker's, in /dev/shm itself.
  defp segment_path(%__MODULE__{owner: "elixir", id: id}), do: SnakeBridge.Bulk.Segments.path(id)
  defp segment_path(%__MODULE__{id: id}), do: Path.join(@shm_dir, id)

  defp read_segment(path, id, size) do
    case File.read(path) do
      {:ok, data} when byte_size(data) == size ->
        {:ok, data}

      {:ok, data} ->
        {:error,
         "segment #{id} holds #{byte_size(data)} bytes but its handle says #{inspect(size)}"}

      {:error, :enoent} ->
        {:error,
         "the shared memory behind this handle is gone: it was released (release/1, or " <>
           "its session ended) or its worker stopped; share the data again"}

      {:error, reason} ->
        {:error, "cannot read shared memory segment #{id}: #{:file.format_error(reason)}"}
    end
  end

  defimpl Inspect do
    def inspect(%{kind: kind, type: type, shape: shape, size: size, owner: owner}, _opts) do
      what =
        case kind do
          :shm -> "#{Kernel.inspect(type)} #{Kernel.inspect(shape)}, #{size} bytes"
          :arrow -> "table, #{size} bytes"
          _ -> "#{Kernel.inspect(type)} #{Kernel.inspect(shape)}"
        end

      "#SnakeBridge.ZeroCopyRef<#{kind} #{what} in #{owner}>"
    end
  end
end
