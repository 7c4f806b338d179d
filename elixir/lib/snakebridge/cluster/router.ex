defmodule SnakeBridge.Cluster.Router do
  @moduledoc """
  Decides which node runs a call, by the rules in `SnakeBridge.Cluster`: a ref
  argument's node, else the session's node, else the routing policy (per call, the
  pool's, the project's, `:local`).

  `target/5` answers the pool itself (an atom) for a call that runs here, so a local
  call takes exactly the one-machine path: a lookup in the process dictionary and a
  `:persistent_term` read, no message. A call that runs elsewhere gets `{pool, node}`,
  which `SnakeBridge.Runtime.Pool` addresses on that node.

  A session's node is kept in the process dictionary of the process that calls, under
  `{#{inspect(:"$snakebridge_node")}, session, pool}`: it goes away with the process, and
  `end_session/1` clears it (and ends the session on the other nodes it used).
  """

  alias SnakeBridge.{Cluster, Error, Ref, ZeroCopyRef}
  alias SnakeBridge.Cluster.{Agreement, Load}

  @pin :"$snakebridge_node"

  @type target :: atom | {atom, node}

  @doc false
  # The pool's routing default, set when it starts on this node (a pool that does not
  # run here has none, and goes to a node that serves it).
  def put_policy(pool, policy) do
    case check_policy(policy) do
      :ok ->
        :persistent_term.put({__MODULE__, pool}, policy)

      {:error, message} ->
        raise ArgumentError, "pool #{inspect(pool)}: #{message}"
    end
  end

  @doc "Checks a routing policy: `:ok` or `{:error, message}`."
  @spec check_policy(term) :: :ok | {:error, String.t()}
  def check_policy(policy) when policy in [:local, :any], do: :ok
  def check_policy(fun) when is_function(fun, 1), do: :ok

  def check_policy({module, function}) when is_atom(module) and is_atom(function),
    do: :ok

  def check_policy(node) when is_atom(node) and node not in [nil, true, false] do
    if String.contains?(Atom.to_string(node), "@"),
      do: :ok,
      else: {:error, policy_message(node)}
  end

  def check_policy(other), do: {:error, policy_message(other)}

  defp policy_message(other),
    do:
      "node: must be :local, :any, a node name like :\"py@host\" or a function of the " <>
        "call (fun/1 or {module, function}), got #{inspect(other)}"

  @doc false
  # Where the call runs: the pool (here), {pool, node} (there) or {:error, error}.
  @spec target(atom, keyword, String.t(), list, map) :: target | {:error, Error.t()}
  def target(pool, sb, session, args, descriptor) when is_atom(pool) do
    case remote_ref(args) do
      nil -> session_target(pool, sb, session, args, descriptor)
      node -> ref_target(pool, node)
    end
  end

  # Only the call's own arguments are looked at (a method call's object comes first):
  # refs nested deeper belong to the session, which is placed already.
  defp remote_ref([]), do: nil
  defp remote_ref([%Ref{node: where} | _]) when where != node() and where != nil, do: where
  defp remote_ref([_ | rest]), do: remote_ref(rest)

  defp ref_target(pool, node) do
    if node in Node.list(),
      do: {pool, node},
      else: {:error, ref_lost(node)}
  end

  defp session_target(pool, sb, session, args, descriptor) do
    key = {@pin, session, pool}
    asked = Keyword.get(sb, :node)

    case Process.get(key) do
      nil ->
        place(pool, key, asked || :persistent_term.get({__MODULE__, pool}, nil), args, descriptor)

      pinned when pinned == node() ->
        if conflict?(asked, pinned), do: {:error, conflict(session, pinned, asked)}, else: pool

      pinned ->
        cond do
          pinned not in Node.list() ->
            # Its node went away, and the session's refs with it: place it anew.
            Process.delete(key)

            place(
              pool,
              key,
              asked || :persistent_term.get({__MODULE__, pool}, nil),
              args,
              descriptor
            )

          conflict?(asked, pinned) ->
            {:error, conflict(session, pinned, asked)}

          true ->
            remote(pool, pinned, args, descriptor)
        end
    end
  end

  defp conflict?(asked, pinned),
    do: is_atom(asked) and asked not in [nil, :local, :any] and asked != pinned

  defp conflict(session, pinned, asked) do
    Error.runtime(
      :bad_argument,
      "this call asks for node #{inspect(asked)}, but its session #{inspect(session)} runs " <>
        "on node #{inspect(pinned)} (its refs live there); make the call in another session " <>
        "(SnakeBridge.with_session/2, or another process) to run it elsewhere"
    )
  end

  # The first call of a session in this pool (from this process) fixes its node.
  defp place(pool, key, policy, args, descriptor) do
    case choose(pool, policy, args, descriptor, []) do
      {:ok, node} when node == node() ->
        Process.put(key, node)
        pool

      {:ok, node} ->
        with {pool, node} <- remote(pool, node, args, descriptor) do
          Process.put(key, node)
          {pool, node}
        end

      {:error, error} ->
        {:error, error}
    end
  end

  # nil: the pool does not run on this node.
  defp choose(pool, nil, _args, descriptor, exclude), do: least_loaded(pool, descriptor, exclude)

  defp choose(pool, :local, args, descriptor, exclude) do
    if :persistent_term.get({__MODULE__, pool}, nil) != nil,
      do: {:ok, node()},
      else: choose(pool, nil, args, descriptor, exclude)
  end

  defp choose(pool, :any, _args, descriptor, exclude),
    do: least_loaded(pool, descriptor, exclude)

  defp choose(pool, policy, args, descriptor, exclude)
       when is_function(policy, 1) or is_tuple(policy) do
    call = %{
      pool: pool,
      library: descriptor.library,
      python_module: descriptor.python_module,
      function: descriptor.function,
      call_type: descriptor.call_type,
      args: args
    }

    answer =
      try do
        case policy do
          {module, function} -> {:ok, apply(module, function, [call])}
          fun -> {:ok, fun.(call)}
        end
      catch
        kind, reason -> {:raised, Exception.format(kind, reason)}
      end

    case answer do
      {:ok, picked} when is_function(picked) or is_tuple(picked) ->
        {:error, bad_policy(policy, "returned #{inspect(picked)}")}

      {:ok, picked} ->
        case check_policy(picked) do
          :ok -> choose(pool, picked, args, descriptor, exclude)
          {:error, _} -> {:error, bad_policy(policy, "returned #{inspect(picked)}")}
        end

      {:raised, text} ->
        {:error, bad_policy(policy, "raised: " <> text)}
    end
  end

  defp choose(pool, node, _args, _descriptor, _exclude) when is_atom(node) do
    cond do
      node == node() -> {:ok, node}
      node in Node.list() or Node.connect(node) == true -> {:ok, node}
      true -> {:error, unreachable(node, pool)}
    end
  end

  defp choose(_pool, other, _args, _descriptor, _exclude),
    do: {:error, Error.runtime(:bad_argument, policy_message(other))}

  defp bad_policy(policy, what) do
    Error.runtime(
      :bad_argument,
      "the routing function #{inspect(policy)} #{what}; it must return :local, :any or " <>
        "a node name"
    )
  end

  # The least loaded node serving the pool, this node first when tied.
  defp least_loaded(pool, descriptor, exclude) do
    here = node()

    candidates =
      for node <- Cluster.members(pool),
          node not in exclude,
          node == here or agrees?(node, descriptor.library),
          do: node

    case candidates do
      [] ->
        {:error, no_member(pool, descriptor.library, exclude)}

      nodes ->
        node = Enum.min_by(nodes, &{Load.score(pool, &1), &1 != here, &1})
        Load.sent(pool, node)
        {:ok, node}
    end
  end

  # A call about to go to `node`: what it carries must be valid there.
  defp remote(pool, node, args, descriptor) do
    with :ok <- check_library(node, descriptor.library),
         :ok <- check_handles(node, args),
         do: {pool, node}
  end

  defp agrees?(_node, nil), do: true
  defp agrees?(node, library), do: check_library(node, library) == :ok

  defp check_library(_node, nil), do: :ok

  defp check_library(node, library) do
    case Agreement.compare(Load.declared(node(), library), Load.declared(node, library)) do
      :same ->
        :ok

      :unknown ->
        {:error,
         Error.runtime(
           :not_allowed,
           "node #{inspect(node)} has not told this node which libraries it declares " <>
             "(SnakeBridge is not running there, or not yet); #{library} calls are not sent there"
         )}

      :missing_here ->
        {:error,
         Error.runtime(
           :not_allowed,
           "#{library} is not declared on this node, so its calls are not sent to other nodes either"
         )}

      :missing_there ->
        {:error,
         Error.runtime(
           :not_allowed,
           "node #{inspect(node)} does not declare the library #{library}, so it refuses its " <>
             "calls; declare it in that node's mix.exs (libraries:) and redeploy it"
         )}

      {:locked_apart, here, there} ->
        {:error, locked_apart(node, library, here, there)}

      {:declared_apart, here, there} ->
        {:error, declared_apart(node, library, here, there)}
    end
  end

  defp declared_apart(node, library, here, there) do
    Error.runtime(
      :not_allowed,
      "nodes #{inspect(node())} and #{inspect(node)} declare #{library} differently " <>
        "(here #{Agreement.describe(here)}, there #{Agreement.describe(there)}), so they " <>
        "do not serve each other's #{library} calls; deploy the same declaration and lock on both"
    )
  end

  # The same declaration, another snakebridge.lock entry (SnakeBridge.Cluster.Lock).
  defp locked_apart(node, library, here, there) do
    Error.runtime(
      :not_allowed,
      "nodes #{inspect(node())} and #{inspect(node)} run different #{library}: " <>
        "#{Agreement.resolved(here)} here, #{Agreement.resolved(there)} on #{inspect(node)} " <>
        "(from each node's snakebridge.lock), so they do not serve each other's #{library} " <>
        "calls; deploy the same snakebridge.lock on both (run `mix snakebridge.setup` " <>
        "against it and redeploy)"
    )
  end

  defp check_handles(node, args) do
    name = Atom.to_string(node)

    case find_handle(args, name) do
      nil ->
        :ok

      %ZeroCopyRef{} = handle ->
        {:error,
         Error.runtime(
           :bad_argument,
           "a #{handle.kind} zero-copy handle made on node #{handle.node || node()} cannot " <>
             "be used on node #{node}: shared memory does not cross machines, and is never " <>
             "copied silently. Pass the data itself (SnakeBridge.ZeroCopyRef.materialize/1 " <>
             "gives a SnakeBridge.Tensor), or run the call on the handle's node " <>
             "(snakebridge: [node: ...])"
         )}
    end
  end

  defp find_handle(%ZeroCopyRef{node: here} = handle, there) do
    if (here || Atom.to_string(node())) == there, do: nil, else: handle
  end

  defp find_handle(list, there) when is_list(list),
    do: Enum.find_value(list, &find_handle(&1, there))

  defp find_handle(tuple, there) when is_tuple(tuple),
    do: tuple |> Tuple.to_list() |> find_handle(there)

  defp find_handle(%_{}, _there), do: nil

  defp find_handle(map, there) when is_map(map),
    do: Enum.find_value(map, fn {key, value} -> find_handle([key, value], there) end)

  defp find_handle(_other, _there), do: nil

  @doc false
  # An idempotent call's node went down mid-call: another node serving the pool, or nil.
  @spec retry_target(target, map, String.t()) :: target | nil
  def retry_target({pool, failed}, descriptor, session) do
    case least_loaded(pool, descriptor, [failed]) do
      {:ok, node} ->
        key = {@pin, session, pool}
        if Process.get(key) == failed, do: Process.put(key, node)
        if node == node(), do: pool, else: {pool, node}

      {:error, _} ->
        nil
    end
  end

  def retry_target(_pool, _descriptor, _session), do: nil

  @doc "The node a target runs on."
  @spec node_of(target) :: node
  def node_of({_pool, node}), do: node
  def node_of(_pool), do: node()

  @doc false
  # Where a ref's worker is: its pool here, or on its node.
  @spec ref_pool(Ref.t()) :: target
  def ref_pool(%Ref{pool: pool, node: node}) when node == node() or node == nil,
    do: pool || :default

  def ref_pool(%Ref{pool: pool, node: node}), do: {pool || :default, node}

  @doc false
  def end_session(session) do
    for {{@pin, ^session, pool} = key, node} <- Process.get() do
      Process.delete(key)
      if node != node(), do: SnakeBridge.Runtime.Pool.end_session({pool, node}, session)
    end

    :ok
  end

  @doc false
  # A call to a pool on another node exited (`reason` as GenServer.call exits).
  @spec exit_error({atom, node}, term) :: Error.t()
  def exit_error({pool, node}, {{:nodedown, node}, _}), do: node_down(node, pool)

  def exit_error({pool, node}, {:noproc, _}) do
    Error.runtime(
      :worker_crash,
      "SnakeBridge pool #{inspect(pool)} is not running on node #{inspect(node)}; configure " <>
        "it there under `config :snakebridge, pools: [...]`, or route the call elsewhere"
    )
  end

  def exit_error({pool, node}, reason) do
    Error.runtime(
      :worker_crash,
      "SnakeBridge pool #{inspect(pool)} on node #{inspect(node)} stopped during the call: " <>
        inspect(reason)
    )
  end

  @doc false
  def node_down(node, pool) do
    Error.runtime(
      :node_down,
      "node #{inspect(node)} went down or was cut off while it ran this call (pool " <>
        "#{inspect(pool)}); whether the call took effect there is unknown, and refs made " <>
        "there are lost. Idempotent calls are retried on another node serving the pool",
      node
    )
  end

  defp ref_lost(node) do
    Error.runtime(
      :ref_lost,
      "this ref lives on node #{inspect(node)}, which is down or cut off from this node; " <>
        "its object is gone (the node's pool released it), so create the object again",
      node
    )
  end

  defp unreachable(node, pool) do
    Error.runtime(
      :node_down,
      "node #{inspect(node)}, named to run this call (pool #{inspect(pool)}), cannot be " <>
        "reached (connected: #{inspect(Node.list())}); check that it runs with the same " <>
        "cookie, or route with node: :any",
      node
    )
  end

  defp no_member(pool, library, exclude) do
    case Cluster.members(pool) do
      [] ->
        Error.runtime(
          :worker_crash,
          "SnakeBridge pool #{inspect(pool)} is not running, on this node nor on any " <>
            "connected node; start the :snakebridge application, or configure the pool " <>
            "under `config :snakebridge, pools: [...]`"
        )

      serving ->
        Error.runtime(
          :worker_crash,
          "SnakeBridge pool #{inspect(pool)} runs on no node that can take this call " <>
            "(serving it: #{inspect(serving)}; left out: #{inspect(exclude)} as down" <>
            if(library, do: ", and the nodes that do not declare #{library} as this one", else: "") <>
            "); configure it under `config :snakebridge, pools: [...]` on this node or another"
        )
    end
  end
end
