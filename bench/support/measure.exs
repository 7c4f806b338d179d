# What the call-path benchmarks share: the trivial wrapper they time and how they read
# CPU time and percentiles. Each script loads it with
# `Code.require_file("../support/measure.exs", __DIR__)`.
defmodule Bench.Operator do
  @moduledoc false
  # The exact shape the generator emits for a wrapper (see lib/snakebridge_generated/).
  @d_add %{
    call_type: :call,
    library: "operator",
    python_module: "operator",
    function: "add",
    kwargs: [],
    optional_positional: [],
    idempotent: false
  }
  def add(a, b, opts \\ []), do: SnakeBridge.Runtime.call(@d_add, [a, b], opts)

  @d_concat %{@d_add | function: "concat"}
  def concat(a, b, opts \\ []), do: SnakeBridge.Runtime.call(@d_concat, [a, b], opts)
end

defmodule Bench.Measure do
  @moduledoc false

  def median(xs), do: xs |> Enum.sort() |> Enum.at(div(length(xs), 2))

  def percentile(sorted, p),
    do: Enum.at(sorted, min(length(sorted) - 1, trunc(length(sorted) * p)))

  # CPU time (ns) an OS process has run, all its threads, from schedstat; a thread that
  # ends between the listing and the read counts as 0.
  def cpu_ns(os_pid) do
    "/proc/#{os_pid}/task/*/schedstat"
    |> Path.wildcard()
    |> Enum.reduce(0, fn file, acc ->
      case File.read(file) do
        {:ok, text} -> acc + (text |> String.split() |> hd() |> String.to_integer())
        _ -> acc
      end
    end)
  end
end
