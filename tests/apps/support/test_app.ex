defmodule SnakeBridge.TestApp do
  @moduledoc """
  Runs a test app's cases and writes their outcomes as ETF for the pytest side, which
  compares them with the same calls made in Python (`tests/apps/expected.py`).

  A case is `{name, fun}`; its outcome is the value (refs as `{:ref, type, repr}`, the
  shape the Python side builds for objects that do not cross by value) or
  `{:raised, message}`.
  """

  def run(module, out) do
    results =
      Map.new(module.cases(), fn {name, fun} ->
        {name, outcome(fun)}
      end)

    File.write!(out, :erlang.term_to_binary(results))
  end

  defp outcome(fun) do
    normalize(fun.())
  rescue
    e -> {:raised, Exception.message(e)}
  end

  defp normalize(%SnakeBridge.Ref{type: type, repr: repr}), do: {:ref, type, repr}
  defp normalize(%SnakeBridge.Bytes{} = bytes), do: {:bytes, bytes.data}
  defp normalize(list) when is_list(list), do: Enum.map(list, &normalize/1)
  defp normalize(tuple) when is_tuple(tuple),
    do: tuple |> Tuple.to_list() |> Enum.map(&normalize/1) |> List.to_tuple()

  defp normalize(%{} = map), do: Map.new(map, fn {k, v} -> {normalize(k), normalize(v)} end)
  defp normalize(other), do: other
end
