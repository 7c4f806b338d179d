defmodule SnakeBridge.Cluster.Agreement do
  @moduledoc """
  Whether two nodes may serve each other's calls for a library: the one comparison of
  their declarations (as `SnakeBridge.Cluster.Load` advertises them, each library's
  `snakebridge.lock` entry included) that both sides of a call make. The caller's node
  makes it before it sends a call (`SnakeBridge.Cluster.Router`), the serving node
  before it runs one (`SnakeBridge.Cluster.Guard`); each words the verdict from its
  own side, with the descriptions here.
  """

  @typedoc """
  `:same`; `:unknown` (the other node never advertised its declarations);
  `:missing_here` / `:missing_there` (one side does not declare the library); or how
  the two differ: the declaration itself, or only the lock entry.
  """
  @type verdict ::
          :same
          | :unknown
          | :missing_here
          | :missing_there
          | {:declared_apart, map, map}
          | {:locked_apart, map | nil, map | nil}

  @doc """
  Compares `here` (this node's spec of a library, nil when it does not declare it) with
  `there` (the other node's, as `SnakeBridge.Cluster.Load.declared/2` gives it: nil when
  it does not declare it, `:unknown` when it never advertised).
  """
  @spec compare(map | nil, map | nil | :unknown) :: verdict
  def compare(here, there) do
    cond do
      here != nil and here == there -> :same
      there == :unknown -> :unknown
      here == nil -> :missing_here
      there == nil -> :missing_there
      unlocked(here) == unlocked(there) -> {:locked_apart, here[:locked], there[:locked]}
      true -> {:declared_apart, unlocked(here), unlocked(there)}
    end
  end

  defp unlocked(spec), do: Map.delete(spec, :locked)

  @doc "A lock entry as the errors name it: its resolved version and the lock's Python."
  @spec resolved(map | nil) :: String.t()
  def resolved(nil), do: "no snakebridge.lock"
  def resolved(%{version: nil, python: python}), do: "not in the lock (Python #{python})"
  def resolved(%{version: version, python: python}), do: "#{version} (Python #{python})"

  @doc "A declaration (without its lock entry) as the errors show it."
  @spec describe(map) :: String.t()
  def describe(spec) do
    spec
    |> Enum.sort()
    |> Enum.map_join(", ", fn {key, value} -> "#{key}: #{inspect(value)}" end)
  end
end
