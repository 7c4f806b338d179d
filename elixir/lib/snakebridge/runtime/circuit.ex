defmodule SnakeBridge.Runtime.Circuit do
  @moduledoc """
  Taint: which Python functions crash their workers, and whether they may run now.

  One poisonous input must not cost a worker restart per call for ever. The pool
  records the function (or method) that was running when a worker crashed, timed out
  or hung. After `crashes` such deaths of one function within `window` ms its circuit
  opens: calls to it are refused at once (`:circuit_open`) for `cool_down` ms. Then
  one probe call goes through (half-open): if it returns, whatever it returns, the
  circuit closes; if it crashes too, the circuit opens again for twice as long, up to
  `max_cool_down`. Other functions are unaffected, and the counters live in the pool,
  so they survive worker replacement.

  Pure data: the pool owns the clock and the messages.
  """

  defstruct crashes: [], state: :closed, until: nil, cool_down: nil, reason: nil, total: 0

  @type key :: String.t()
  @type limits :: %{
          crashes: pos_integer,
          window: pos_integer,
          cool_down: pos_integer,
          max_cool_down: pos_integer
        }
  @type t :: %__MODULE__{}

  @defaults %{crashes: 3, window: 60_000, cool_down: 10_000, max_cool_down: 600_000}

  @doc "The default limits: #{inspect(@defaults)} (ms)."
  @spec defaults() :: limits
  def defaults, do: @defaults

  @doc "Limits from options (`crashes:`, `window:`, `cool_down:`, `max_cool_down:`)."
  @spec limits(keyword | map | nil, limits) :: limits
  def limits(nil, base), do: base

  def limits(opts, base),
    do: Map.merge(base, Map.new(Keyword.take(Enum.to_list(opts), Map.keys(@defaults))))

  @doc """
  Per-library limits: each library declared with `circuit: [...]` gets its options over
  `base` (the pool's), matched by its Python module. Longest module first.
  """
  @spec library_limits(%{optional(String.t()) => map}, limits) :: [{String.t(), limits}]
  def library_limits(libraries, base) do
    for {_name, %{python_module: module} = lib} <- libraries,
        opts = Map.get(lib, :circuit),
        opts not in [nil, []] do
      {module, limits(opts, base)}
    end
    |> Enum.sort_by(fn {module, _} -> -byte_size(module) end)
  end

  @doc "The limits for `key` (`\"module.function\"`): its library's, else `base`."
  @spec limits_for([{String.t(), limits}], key, limits) :: limits
  def limits_for([], _key, base), do: base

  def limits_for(by_module, key, base) do
    Enum.find_value(by_module, base, fn {module, limits} ->
      if String.starts_with?(key, module <> "."), do: limits
    end)
  end

  @doc """
  May a call of `key` run at `now`? `:ok`; `{:probe, circuits}` when this call is the
  half-open probe; `{:open, circuit}` when it must be refused.
  """
  @spec check(%{key => t}, key, integer) :: :ok | {:probe, %{key => t}} | {:open, t}
  def check(circuits, _key, _now) when map_size(circuits) == 0, do: :ok

  def check(circuits, key, now) do
    case circuits do
      %{^key => %__MODULE__{state: :closed}} ->
        :ok

      %{^key => %__MODULE__{until: until} = circuit} when now < until ->
        {:open, circuit}

      # Open and cooled down, or a probe that never reported back: one more probe.
      %{^key => %__MODULE__{} = circuit} ->
        probe = %{circuit | state: :half_open, until: now + circuit.cool_down}
        {:probe, Map.put(circuits, key, probe)}

      _ ->
        :ok
    end
  end

  @doc """
  A worker died running `key`. Returns the circuits and what changed: `:counted`,
  `:opened` (it just opened) or `:reopened` (the probe crashed).
  """
  @spec crash(%{key => t}, key, atom, integer, limits) :: {%{key => t}, atom, t}
  def crash(circuits, key, reason, now, limits) do
    circuit = Map.get(circuits, key, %__MODULE__{})
    circuit = %{circuit | reason: reason, total: circuit.total + 1}

    {circuit, event} =
      case circuit.state do
        :half_open ->
          cool_down = min(circuit.cool_down * 2, limits.max_cool_down)
          {%{circuit | state: :open, cool_down: cool_down, until: now + cool_down}, :reopened}

        _closed_or_open ->
          crashes = Enum.filter([now | circuit.crashes], &(now - &1 < limits.window))

          if length(crashes) >= limits.crashes do
            cool_down = circuit.cool_down || limits.cool_down

            {%{circuit | crashes: [], state: :open, cool_down: cool_down, until: now + cool_down},
             :opened}
          else
            {%{circuit | crashes: crashes}, :counted}
          end
      end

    {Map.put(circuits, key, circuit), event, circuit}
  end

  @doc "A call of `key` returned: a half-open circuit closes."
  @spec success(%{key => t}, key) :: %{key => t}
  def success(circuits, _key) when map_size(circuits) == 0, do: circuits

  def success(circuits, key) do
    case circuits do
      %{^key => %__MODULE__{state: :half_open}} -> Map.delete(circuits, key)
      _ -> circuits
    end
  end

  @doc """
  After a call of `key` returned on a worker: `:tainted` when its circuit is open (the
  worker ran a function that crashes workers: it is rotated), `:suspect` when the
  function crashed a worker before (the worker is rotated if its circuit opens), else
  `:clean`.
  """
  @spec verdict(%{key => t}, key | nil) :: :clean | :suspect | :tainted
  def verdict(circuits, _key) when map_size(circuits) == 0, do: :clean

  def verdict(circuits, key) do
    case circuits do
      %{^key => %__MODULE__{state: :closed}} -> :suspect
      %{^key => %__MODULE__{}} -> :tainted
      _ -> :clean
    end
  end

  @doc "What the pool reports: one map per tainted function."
  @spec report(%{key => t}, integer) :: [map]
  def report(circuits, now) do
    for {key, circuit} <- Enum.sort(circuits) do
      %{
        function: key,
        state: circuit.state,
        reason: circuit.reason,
        crashes: circuit.total,
        retry_in_ms: if(circuit.state == :closed, do: nil, else: max(circuit.until - now, 0))
      }
    end
  end
end
