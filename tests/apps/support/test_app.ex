defmodule SnakeBridge.TestApp do
  @moduledoc """
  Runs a test app's cases and writes their outcomes as ETF for the pytest side, which
  compares them with the same calls made in Python (`tests/apps/expected.py`).

  A case is `{name, fun}`; its outcome is the value (refs as `{:ref, type, repr}`, the
  shape the Python side builds for objects that do not cross by value) or
  `{:raised, message}`, where `message` is the exception message's first line: for a
  Python exception that is `"ValueError: math domain error"`, what Python prints, without
  the call and worker context SnakeBridge adds on the lines after it.
  """

  def run(module, out) do
    cases = module.cases()
    unique!(module, cases)
    results = Map.new(cases, fn {name, fun} -> {name, outcome(fun)} end)
    File.write!(out, :erlang.term_to_binary(results))
  end

  @doc """
  Raises when two cases share a name: the results are a map by name, so the second
  would silently replace the first and one call would go unchecked.
  """
  def unique!(module, cases) do
    case cases |> Enum.frequencies_by(&elem(&1, 0)) |> Enum.filter(&(elem(&1, 1) > 1)) do
      [] ->
        :ok

      dups ->
        names = dups |> Enum.map(&inspect(elem(&1, 0))) |> Enum.sort() |> Enum.join(", ")

        raise ArgumentError,
              "#{inspect(module)}.cases/0 names more than one case #{names}; each case " <>
                "needs its own name (expected.py keys its calls by the same names)"
    end
  end

  defp outcome(fun) do
    normalize(fun.())
  rescue
    e -> {:raised, e |> Exception.message() |> String.split("\n", parts: 2) |> hd()}
  end

  defp normalize(%SnakeBridge.Ref{type: type, repr: repr}), do: {:ref, type, repr}
  defp normalize(%SnakeBridge.Bytes{} = bytes), do: {:bytes, bytes.data}
  defp normalize(list) when is_list(list), do: Enum.map(list, &normalize/1)

  defp normalize(tuple) when is_tuple(tuple),
    do: tuple |> Tuple.to_list() |> Enum.map(&normalize/1) |> List.to_tuple()

  defp normalize(%{} = map), do: Map.new(map, fn {k, v} -> {normalize(k), normalize(v)} end)
  defp normalize(other), do: other
end
