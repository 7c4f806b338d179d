defmodule SnakeBridge.Circuits do
  @moduledoc """
  Which Python functions crash their workers, and which are refused now.

  Every pool counts worker crashes per function (`SnakeBridge.Runtime.Circuit`); a
  function that crashed its worker `crashes:` times within `window:` ms has its circuit
  opened and calls to it get `{:error, %SnakeBridge.Error{type: :circuit_open}}` until
  a probe call returns. `list/0` shows every counted function of every pool running in
  this VM, `open/0` only the refused ones:

      SnakeBridge.Circuits.open()
      #=> [%{pool: :default, function: "mylib.parse", state: :open, reason: :segfault,
      #      crashes: 3, retry_in_ms: 8_200, limits: %{crashes: 3, window: 60_000, ...}}]

  Limits are per pool (`config :snakebridge, pools: [default: [circuit: [...]]]`) and
  per library (`circuit: [crashes: 5, window: 30_000, cool_down: 5_000,
  max_cool_down: 300_000]` in the library's declaration in mix.exs), the library's
  winning.

  In `:dev` the pools also write what they counted to `.snakebridge/crashes.etf` under
  the project root each time a function crashes a worker, so `mix snakebridge.doctor`
  can show it after the app has stopped. A running node, in any environment, is asked
  directly: `mix snakebridge.doctor --node NAME` (`live_lines/1`).
  """

  alias SnakeBridge.Runtime.Pool

  @type circuit :: %{
          pool: atom,
          function: String.t(),
          state: :closed | :open | :half_open,
          reason: term,
          crashes: non_neg_integer,
          retry_in_ms: non_neg_integer | nil,
          limits: SnakeBridge.Runtime.Circuit.limits()
        }

  @doc "Every function with crashes on record, in every running pool."
  @spec list() :: [circuit]
  def list do
    for pool <- SnakeBridge.Runtime.pools(),
        circuit <- safe_circuits(pool),
        do: Map.put(circuit, :pool, pool)
  end

  @doc "The functions whose calls are refused now (open or probing)."
  @spec open() :: [circuit]
  def open, do: Enum.filter(list(), &(&1.state != :closed))

  defp safe_circuits(pool) do
    Pool.circuits(pool)
  catch
    :exit, _ -> []
  end

  @doc "Where a `:dev` project's pools record their circuits."
  @spec record_path(Path.t()) :: Path.t()
  def record_path(root), do: Path.join([root, ".snakebridge", "crashes.etf"])

  @doc false
  # Called by a pool after a crash was counted: in :dev, the pool's circuits replace its
  # entry in the record (string keys: the Python doctor reads it). Never fails the pool.
  @spec record(atom, [map], map) :: :ok
  def record(pool, report, %{mix_env: :dev, root: root}) when is_binary(root) do
    path = record_path(root)

    entry = %{
      "at" => System.system_time(:millisecond),
      "circuits" =>
        Enum.map(report, fn circuit ->
          %{
            "function" => circuit.function,
            "state" => Atom.to_string(circuit.state),
            "reason" => reason_text(circuit.reason),
            "crashes" => circuit.crashes,
            "retry_in_ms" => circuit.retry_in_ms
          }
        end)
    }

    pools = Map.put(read_pools(path), Atom.to_string(pool), entry)
    tmp = path <> ".tmp#{System.unique_integer([:positive])}"

    with :ok <- File.mkdir_p(Path.dirname(path)),
         :ok <- File.write(tmp, :erlang.term_to_binary(%{"pools" => pools})),
         :ok <- File.rename(tmp, path) do
      :ok
    else
      _ ->
        File.rm(tmp)
        :ok
    end
  end

  def record(_pool, _report, _settings), do: :ok

  @doc "The circuits a `:dev` run recorded under `root`, by pool name (`%{}` if none)."
  @spec recorded(Path.t()) :: %{String.t() => map}
  def recorded(root), do: read_pools(record_path(root))

  defp read_pools(path) do
    with {:ok, data} <- File.read(path),
         %{"pools" => %{} = pools} <- safe_decode(data) do
      pools
    else
      _ -> %{}
    end
  end

  defp safe_decode(data) do
    :erlang.binary_to_term(data, [:safe])
  rescue
    ArgumentError -> nil
  end

  @doc """
  The doctor's section: each library's circuit limits (from `config`, a
  `SnakeBridge.Config`), then what a `:dev` run recorded under its root (`:recorded`),
  or `{node_name, lines}` read from a running node (`live_lines/1`).
  """
  @spec doctor_lines(SnakeBridge.Config.t(), :recorded | {String.t(), [String.t()]}) ::
          [String.t()]
  def doctor_lines(config, counted \\ :recorded) do
    pool = SnakeBridge.Runtime.Circuit.defaults()

    limits =
      for lib <- config.libraries do
        own = if lib.circuit, do: "", else: " (the pool's)"
        l = SnakeBridge.Runtime.Circuit.limits(lib.circuit, pool)

        "  #{lib.name}: circuit opens after #{l.crashes} crashes in #{l.window} ms, " <>
          "cool-down #{l.cool_down} ms doubling to #{l.max_cool_down} ms#{own}"
      end

    ["Crash barrier:" | limits] ++ counted_lines(config, counted)
  end

  defp counted_lines(_config, {name, lines}), do: ["  circuits on #{name}:" | lines]

  defp counted_lines(config, :recorded) do
    recorded =
      for {pool_name, %{"circuits" => circuits, "at" => at}} <- Enum.sort(recorded(config.root)),
          %{"function" => function} = circuit <- circuits do
        when_ = at |> DateTime.from_unix!(:millisecond) |> DateTime.to_iso8601()

        line(circuit["state"], function, pool_name, circuit["crashes"], circuit["reason"]) <>
          ", recorded #{when_}"
      end

    if recorded == [],
      do: ["  no crashes recorded (#{Path.relative_to(record_path(config.root), config.root)})"],
      else: recorded
  end

  @doc """
  The doctor's section for a running node (`mix snakebridge.doctor --node NAME`): what
  `list/0` answers there, over Erlang distribution (`:erpc`), each with its limits.
  This VM must be connected to `node` already. `{:ok, lines}` or `{:error, message}`.
  """
  @spec live_lines(node) :: {:ok, [String.t()]} | {:error, String.t()}
  def live_lines(node) do
    circuits = :erpc.call(node, __MODULE__, :list, [], 10_000)

    lines =
      for c <- circuits do
        retry = if c.retry_in_ms, do: ", next probe in #{c.retry_in_ms} ms", else: ""

        line(c.state, c.function, c.pool, c.crashes, reason_text(c.reason)) <>
          "#{retry} (opens after #{c.limits.crashes} in #{c.limits.window} ms)"
      end

    if lines == [],
      do: {:ok, ["  no crashes counted by the pools running on #{node}"]},
      else: {:ok, lines}
  catch
    :error, {:erpc, :noconnection} ->
      {:error, "node #{node} cannot be reached"}

    :error, {:exception, :undef, _} ->
      {:error, "node #{node} does not run SnakeBridge (SnakeBridge.Circuits is not loaded there)"}

    kind, reason ->
      {:error, "node #{node} did not answer: #{Exception.format_banner(kind, reason)}"}
  end

  defp line(state, function, pool, crashes, reason),
    do: "  [#{state}] #{function} (pool #{pool}): #{crashes} crashes, last #{reason}"

  defp reason_text({:exit, status}), do: "exit status #{status}"
  defp reason_text(reason), do: to_string(reason)
end
