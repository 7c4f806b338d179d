defmodule SnakeBridge.Runtime.Pool.Errors do
  @moduledoc """
  The errors a pool answers calls with when it cannot run them: refused (queue full,
  circuit open), waited too long, timed out, lost with their worker.

  Why a module of its own: each message names the problem, what happened to the call
  and the fix, and those texts are the pool's contract with its users; kept apart from
  the scheduling code they are read, reviewed and tested as what they are, and the
  pool module keeps to deciding when they apply.
  """

  alias SnakeBridge.Error

  @doc "A call refused because `queued` calls already wait (`max_queue:`)."
  @spec queue_full(atom, non_neg_integer, non_neg_integer) :: Error.t()
  def queue_full(pool, queued, max_queue) do
    Error.runtime(
      :pool_overloaded,
      "pool #{inspect(pool)} already has #{queued} calls waiting " <>
        "(max_queue: #{max_queue}); the call was refused at once instead of piling up. " <>
        "Raise the pool's `size:` or `max_queue:`, or apply backpressure upstream"
    )
  end

  @doc "A queued call that got no worker within `checkout_timeout` ms."
  @spec checkout(atom, timeout, non_neg_integer) :: Error.t()
  def checkout(pool, checkout_timeout, still_queued) do
    Error.runtime(
      :pool_overloaded,
      "no Python worker of pool #{inspect(pool)} became free within " <>
        "#{checkout_timeout} ms (#{still_queued} calls still queued for it); " <>
        "raise `size:` or `checkout_timeout:` of the pool, or send fewer concurrent calls"
    )
  end

  @doc """
  A call that ran past `timeout` ms on `worker`; `callbacks?` when it had called back
  into Elixir (the limit covers those too).
  """
  @spec timeout(timeout, String.t(), boolean) :: Error.t()
  def timeout(timeout, worker, callbacks?) do
    callbacks =
      if callbacks?,
        do: " (the timeout covers the whole call, its Elixir callbacks included)",
        else: ""

    Error.runtime(
      :timeout,
      "the Python call did not finish within #{timeout} ms#{callbacks}; its worker " <>
        "#{worker} was stopped and replaced (refs it held are gone). Raise the " <>
        "limit with `snakebridge: [timeout: ms]` in the call's opts or " <>
        "`config :snakebridge, timeout: ms`",
      :timeout
    )
  end

  @doc """
  A pipelined call already written to `worker` when the pool stopped it (`why`): it may
  have started, so it is not run again.
  """
  @spec pipelined_lost(String.t(), String.t()) :: Error.t()
  def pipelined_lost(worker, why) do
    message =
      "Python worker #{worker} #{why} while the call ahead of this one ran; this " <>
        "call had already been sent to it and may have started, so it was not run " <>
        "again (refs the worker held are gone). Mark the function idempotent to have " <>
        "such calls retried"

    %{Error.runtime(:worker_crash, message, :killed) | worker: worker}
  end

  @doc """
  Why `worker` is gone when it exited (`why`, from `WorkerPort.describe/1`). `stage` is
  `:callback` (a call waited on an Elixir callback), `{:ready, running}` (it served calls;
  `running` names the one in flight, or nil) or `:starting` (it never became ready:
  `python` could not run the worker module).
  """
  @spec exit_message(
          String.t(),
          String.t(),
          :callback | {:ready, String.t() | nil} | :starting,
          String.t()
        ) :: String.t()
  def exit_message(worker, why, :callback, _python) do
    "Python worker #{worker} #{why} while this call was waiting on an " <>
      "Elixir callback (refs it held are gone; the worker is being replaced)"
  end

  def exit_message(worker, why, {:ready, running}, _python) do
    "Python worker #{worker} #{why}#{running(running)} " <>
      "(refs it held are gone; the worker is being replaced)"
  end

  def exit_message(worker, why, :starting, python) do
    "Python worker #{worker} #{why} before it was ready; check that " <>
      "#{python} can run `python -m snakebridge.runtime.worker` " <>
      "(run `mix snakebridge.setup`), and see the worker's last words above"
  end

  @doc "` while running <function>` for a worker's job in flight (`\"\"` when idle)."
  @spec running(String.t() | nil | false) :: String.t()
  def running(nil), do: ""
  def running(function), do: " while running #{function}"

  @doc "A call routed to `worker` (a ref's), which no longer exists."
  @spec ref_lost(String.t()) :: Error.t()
  def ref_lost(worker) do
    Error.runtime(
      :ref_lost,
      "worker #{worker} no longer exists (it crashed, timed out or its pool restarted); " <>
        "refs die with their worker, so create the object again"
    )
  end

  @doc "A `resume/4` or nested call for `worker`, stopped while its caller was in a callback."
  @spec callback_gone(String.t()) :: Error.t()
  def callback_gone(worker) do
    Error.runtime(
      :worker_crash,
      "Python worker #{worker} stopped while this call was waiting on an Elixir " <>
        "callback (refs it held are gone; the worker is being replaced)"
    )
  end

  @doc """
  A call of `key` refused while its circuit is open (`SnakeBridge.Runtime.Circuit`);
  `retry_in` ms until the next probe may run.
  """
  @spec circuit_open(String.t(), map, non_neg_integer) :: Error.t()
  def circuit_open(key, circuit, retry_in) do
    probe =
      if circuit.state == :half_open,
        do: "a probe call is running now; the next one is allowed in #{retry_in} ms",
        else: "one probe call will be let through in #{retry_in} ms"

    Error.runtime(
      :circuit_open,
      "#{key} is refused: it crashed its Python worker #{circuit.total} times (last: " <>
        "#{reason_name(circuit.reason)}), so its circuit is open; #{probe}. Other functions are " <>
        "unaffected. Fix the input that crashes it, or raise the `circuit:` limits (the " <>
        "library's in mix.exs, or the pool's); " <>
        "SnakeBridge.Circuits.list/0 lists tainted functions",
      circuit.reason
    )
  end

  defp reason_name({:exit, status}), do: "exit status #{status}"
  defp reason_name(:timeout), do: "timeout, the worker was stopped"
  defp reason_name(:hang), do: "hang, the worker stopped answering"
  defp reason_name(reason), do: to_string(reason)
end
