defmodule SnakeBridge.Cluster.Guard do
  @moduledoc """
  The serving node's half of the cluster allowlist. A caller's node does not send a
  call for a library that the two nodes declare or lock differently
  (`SnakeBridge.Cluster.Router`); a pool asks this module again before it runs a call
  that comes from a process on another node, so a node that does not check (an older
  SnakeBridge, a request made by hand to the pool) cannot make it run a library at
  another version than the caller's own.

  Cheap by construction. A call from a process on this node costs one comparison of
  two node names. A call from elsewhere compares this node's declaration of the call's
  library with what the caller's node advertised (`SnakeBridge.Cluster.Load`), read
  from the local table: no file is read and no other node is asked.

  A process that runs on this node is this node's, whoever spawned it (`:erpc`, a
  remote shell): its calls are local, and run this node's own declaration.
  """

  alias SnakeBridge.Cluster.{Agreement, Load}
  alias SnakeBridge.Error

  @doc false
  # nil, or the error a pool answers instead of running the call. `from` is the pool's
  # GenServer caller; `key` is nil for requests that run no library function (release,
  # stats); the descriptor, and its library, is in `registration` (compact calls) or in
  # the `frame` itself (the map form).
  @spec refusal(GenServer.from(), String.t() | nil, {pos_integer, binary} | nil, binary) ::
          Error.t() | nil
  def refusal({pid, _tag}, _key, _registration, _frame) when node(pid) == node(), do: nil
  def refusal(_from, nil, _registration, _frame), do: nil

  def refusal({pid, _tag}, _key, registration, frame) do
    case library(registration, frame) do
      # No library named: the worker's own allowlist decides, as for a local call.
      nil -> nil
      library -> check(node(pid), library)
    end
  end

  defp check(caller, library) do
    case Agreement.compare(Load.declared(node(), library), Load.declared_now(caller, library)) do
      :same ->
        nil

      verdict ->
        Error.runtime(
          :not_allowed,
          "node #{inspect(node())} refuses this #{library} call from node " <>
            "#{inspect(caller)}: " <> why(verdict, caller, library)
        )
    end
  end

  # Decoded once per descriptor in the process that asks (the pool): kept under its id
  # with the registration itself, which two descriptors sharing an id never have alike.
  defp library({id, registration}, _frame) do
    case Process.get({__MODULE__, id}) do
      {^registration, library} ->
        library

      _ ->
        library =
          case :erlang.binary_to_term(registration) do
            {0, _id, %{library: library}} -> library
            _ -> nil
          end

        Process.put({__MODULE__, id}, {registration, library})
        library
    end
  end

  defp library(nil, frame) do
    case :erlang.binary_to_term(frame) do
      {_request_id, %{library: library}} -> library
      _ -> nil
    end
  end

  defp why(:unknown, caller, library) do
    "#{inspect(caller)} has not told this node which libraries it declares (SnakeBridge " <>
      "is not running there, or is a version that does not advertise them), so nothing " <>
      "says both run the same #{library}; make the call through SnakeBridge on a node of " <>
      "the cluster"
  end

  defp why(:missing_here, _caller, library) do
    "#{library} is not declared on this node; declare it in this node's mix.exs " <>
      "(libraries:) and redeploy it"
  end

  defp why(:missing_there, caller, library) do
    "#{inspect(caller)} does not declare #{library}, so this node does not run it for " <>
      "that node; declare it there too (the same declaration and snakebridge.lock)"
  end

  defp why({:locked_apart, here, there}, caller, library) do
    "the two run different #{library}: #{Agreement.resolved(here)} here, " <>
      "#{Agreement.resolved(there)} on #{inspect(caller)} (from each node's " <>
      "snakebridge.lock); deploy the same snakebridge.lock on both (run " <>
      "`mix snakebridge.setup` against it and redeploy)"
  end

  defp why({:declared_apart, here, there}, caller, library) do
    "the two declare #{library} differently (here #{Agreement.describe(here)}, on " <>
      "#{inspect(caller)} #{Agreement.describe(there)}); deploy the same declaration and " <>
      "lock on both"
  end
end
