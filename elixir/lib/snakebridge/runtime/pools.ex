defmodule SnakeBridge.Runtime.Pools do
  @moduledoc """
  The pools running on this node, each with the Elixir callbacks its workers may call
  (the pool's `callbacks:` setting, keyed by the name Python uses).

  A `Registry` started by `SnakeBridge.Application`: a pool registers itself as it
  starts, and its entry goes with its process, however that process ends (a pool that is
  killed runs no `terminate/2`).

  Why not `:persistent_term`: pools start and stop at run time (tests, rotations,
  user-started pools), and every update or erase of a persistent term makes the VM
  release the old value's literal area by scanning every process. Beside the cost, a
  read-modify-write of one shared list from several pool processes loses updates, and
  on OTP 25.2 it aborted the whole VM (`size_object: bad tag`): a pool built its update
  from a list whose literal area had already been released.
  """

  @registry __MODULE__

  @type callbacks :: %{String.t() => {module, :all | [String.t()]}}

  @doc false
  def child_spec(_opts), do: Registry.child_spec(keys: :unique, name: @registry)

  @doc """
  Registers the calling process as pool `name`, with its callback registry. A pool
  process calls it once, from `init/1`.
  """
  @spec register(atom, callbacks) :: :ok
  def register(name, callbacks) do
    {:ok, _owner} = Registry.register(@registry, name, callbacks)
    :ok
  end

  @doc "Removes the calling pool's entry before it stops its workers."
  @spec unregister(atom) :: :ok
  def unregister(name), do: Registry.unregister(@registry, name)

  @doc "The names of the running pools."
  @spec names() :: [atom]
  def names do
    Registry.select(@registry, [{{:"$1", :_, :_}, [], [:"$1"]}])
  rescue
    # The application is not running (a Mix task, a script): no pools either.
    ArgumentError -> []
  end

  @doc "The callback registry of pool `name` on this node, or nil when it is not running."
  @spec callbacks(atom) :: callbacks | nil
  def callbacks(name) do
    case Registry.lookup(@registry, name) do
      [{_pid, callbacks}] -> callbacks
      [] -> nil
    end
  rescue
    ArgumentError -> nil
  end
end
