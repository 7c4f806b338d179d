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
  the owning worker removes it then, when it stops, and a worker that crashed has its
  segments removed by the next worker to start. Using a handle after that gives a
  `:ref_lost` error. `host` names the machine: shared memory does not cross machines,
  so a handle from another machine is refused (bring the data over as a
  `SnakeBridge.Tensor` instead). `node` is the BEAM node of the owner's pool.

  `SnakeBridge.share/1`, which makes these handles, comes with its runtime wiring; until
  then this module is the data type.
  """

  @enforce_keys [:kind, :id, :owner, :session]
  defstruct [:kind, :id, :type, :shape, :size, :owner, :session, :host, :node]

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
          node: String.t() | nil
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
