defmodule SnakeBridge.Slice do
  @moduledoc """
  A Python `slice(start, stop, step)`: build it with `SnakeBridge.slice/3` (`nil` for an
  open end) and use it as an index, `arr[SnakeBridge.slice(0, 2)]` is numpy's `arr[0:2]`.
  Python slices coming back from a call are this struct too.

  Elixir ranges are accepted where an index is expected (`Access` on a ref and
  `SnakeBridge.get_item/2`), with Elixir's meaning: a range is inclusive, as in
  `Enum.slice/2`, so `arr[1..3]` is `arr[1:4]` (three elements) and `arr[1..-1//1]`
  runs to the end (`arr[1:]`). Ranges with a negative step are refused (Elixir's
  `Enum.slice/2` has no such slice and Python's would read differently); write
  `SnakeBridge.slice(3, nil, -1)` for `arr[3::-1]`. Everywhere else a range is just a
  struct, not a slice.
  """
  defstruct start: nil, stop: nil, step: nil

  @type t :: %__MODULE__{start: term, stop: term, step: term}

  @doc "The slice an index range stands for (see the module doc), or an error naming the fix."
  @spec from_range(Range.t()) :: {:ok, t} | {:error, String.t()}
  def from_range(%Range{first: first, last: last, step: step}) when step > 0 do
    stop = if last == -1, do: nil, else: last + 1
    {:ok, %__MODULE__{start: first, stop: stop, step: if(step == 1, do: nil, else: step)}}
  end

  def from_range(%Range{} = range) do
    {:error,
     "the range #{inspect(range)} has a negative step and cannot be an index; Elixir " <>
       "ranges index inclusively like Enum.slice/2, which has no reversed slices: use " <>
       "SnakeBridge.slice(start, stop, step) for a Python slice with a negative step"}
  end

  @doc false
  # An index as Python receives it: ranges, at the top or in a tuple, become slices.
  @spec index(term) :: {:ok, term} | {:error, String.t()}
  def index(%Range{} = range), do: from_range(range)

  def index(key) when is_tuple(key) do
    key
    |> Tuple.to_list()
    |> Enum.reduce_while({:ok, []}, fn item, {:ok, acc} ->
      case index(item) do
        {:ok, converted} -> {:cont, {:ok, [converted | acc]}}
        error -> {:halt, error}
      end
    end)
    |> case do
      {:ok, items} -> {:ok, items |> Enum.reverse() |> List.to_tuple()}
      error -> error
    end
  end

  def index(key), do: {:ok, key}
end
