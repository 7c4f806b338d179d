defmodule SnakeBridge.RuntimeCase do
  @moduledoc """
  Helpers for runtime tests: start an extra pool with its own allowlist, wait for its
  workers, and list the Python worker processes alive on this machine.
  """
  use ExUnit.CaseTemplate

  using do
    quote do
      import SnakeBridge.RuntimeCase
    end
  end

  @support_python Path.expand("../support/python", __DIR__)

  def support_python, do: @support_python

  def python do
    Application.get_env(:snakebridge, :python) ||
      Path.expand("../../../.venv/bin/python", __DIR__)
  end

  @doc "Starts a supervised extra pool named `name` (test-scoped) and waits until it is ready."
  def start_pool(name, opts \\ []) do
    libraries = Keyword.get(opts, :libraries, sbtest: :stdlib, json: :stdlib, numpy: "~> 2.0")

    settings = %{
      python: {:ok, python()},
      libraries: SnakeBridge.Runtime.Settings.normalize_libraries(libraries),
      root: File.cwd!(),
      mix_env: :test,
      ledger_path: Keyword.get(opts, :ledger_path),
      python_path: Path.expand("../../../src", __DIR__),
      callbacks:
        SnakeBridge.Config.runtime_overrides!(callbacks: Keyword.get(opts, :callbacks, [])).callbacks
    }

    pool_opts =
      [name: name, settings: settings, size: 1, env: %{"PYTHONPATH" => @support_python}]
      |> Keyword.merge(Keyword.drop(opts, [:libraries, :ledger_path, :callbacks]))

    ExUnit.Callbacks.start_supervised!({SnakeBridge.Runtime.Pool, pool_opts})
    wait_ready(name)
    name
  end

  @doc """
  Blocks until every worker of `pool` has reported ready.

  A worker imports numpy before it is ready; on a loaded two-core machine that has taken
  more than 4 s, so the wait allows a minute: it is a readiness wait, not a timing check.
  """
  def wait_ready(pool, attempts \\ 3000) do
    info = SnakeBridge.Runtime.Pool.info(pool)

    cond do
      Enum.all?(info.workers, &(&1.status == :ready)) ->
        info

      attempts == 0 ->
        flunk("pool #{inspect(pool)} never became ready: #{inspect(info)}")

      true ->
        Process.sleep(20)
        wait_ready(pool, attempts - 1)
    end
  end

  @doc "OS pids of live processes running the SnakeBridge worker module."
  def worker_os_pids do
    {out, 0} = System.cmd("ps", ["-eo", "pid=,args="])

    for line <- String.split(out, "\n", trim: true),
        String.contains?(line, "snakebridge.runtime.worker"),
        not String.contains?(line, "ps -eo"),
        do: line |> String.trim() |> String.split(" ", parts: 2) |> hd() |> String.to_integer()
  end

  def alive?(os_pid), do: File.exists?("/proc/#{os_pid}")

  @doc "Polls `fun` until it returns truthy (no timing assertions: bounded retries)."
  def eventually(fun, attempts \\ 250) do
    case fun.() do
      falsy when falsy in [nil, false] ->
        if attempts == 0, do: flunk("condition never became true"), else: Process.sleep(20)
        eventually(fun, attempts - 1)

      value ->
        value
    end
  end
end
