defmodule SnakeBridge.Runtime.Pool.Job do
  @moduledoc """
  One request in a pool, from the moment a caller hands it over until its reply.

  Why a struct of its own: everything the pool must know to keep a call's promises
  travels with it. `key` names the Python function it runs ("module.function", nil for
  bookkeeping requests): crashes are counted against it; `kind` is `:heartbeat` for the
  pool's own liveness probe. Queued: `checkout_by` is when it stops waiting (checked when
  dequeued and by the pool's sweep; nil: never). In flight: `prefix` is the reply's
  first bytes, `deadline` when it times out. Called back: `waiting` until the caller
  resumes it, the caller monitored (`caller`, `monitor`) until it ends; `caller: :gone`
  once that process died. `from` is nil for internal requests and while nobody waits on
  the reply. `registration` is the descriptor a compact `frame` refers to
  (`SnakeBridge.Runtime.Wire`; nil for map frames).
  """

  defstruct [
    :from,
    :request_id,
    :key,
    :frame,
    :registration,
    :timeout,
    :session,
    :checkout_by,
    :kind,
    :prefix,
    :deadline,
    :caller,
    :monitor,
    waiting: false
  ]

  @type t :: %__MODULE__{}

  @doc """
  The pool's liveness probe for an idle worker: a `:stats` request (its reply carries
  the worker's RSS) that must be answered within `timeout` ms.
  """
  @spec heartbeat(timeout) :: t
  def heartbeat(timeout) do
    internal(%{call_type: :stats, session: "", args: [], kwargs: %{}}, timeout, :heartbeat)
  end

  @doc "Releases the refs `session` holds in its worker (nobody waits on the reply)."
  @spec release_session(String.t(), timeout) :: t
  def release_session(session, timeout) do
    internal(
      %{call_type: :release_session, session: session, args: [], kwargs: %{}},
      timeout,
      nil
    )
  end

  defp internal(request, timeout, kind) do
    request_id = :erlang.unique_integer([:positive])

    %__MODULE__{
      request_id: request_id,
      frame: :erlang.term_to_binary({request_id, request}),
      timeout: timeout,
      kind: kind
    }
  end

  @doc """
  The bytes of the request id as the job's frame `{id, ...}` encodes it (right after
  the tuple's header), which is how the worker's reply to it starts too: the pool
  recognizes a reply by them without decoding it.
  """
  @spec reply_prefix(t) :: binary
  def reply_prefix(%__MODULE__{frame: <<131, 104, _arity, 97, _id, _::binary>> = frame}),
    do: binary_part(frame, 3, 2)

  def reply_prefix(%__MODULE__{frame: <<131, 104, _arity, 98, _id::32, _::binary>> = frame}),
    do: binary_part(frame, 3, 5)

  # An iolist frame (Wire.call/6 with large binaries) starts with its head's bytes.
  def reply_prefix(%__MODULE__{frame: [<<131, 104, _arity, 97, _id, _::binary>> = head | _]}),
    do: binary_part(head, 3, 2)

  def reply_prefix(%__MODULE__{frame: [<<131, 104, _arity, 98, _id::32, _::binary>> = head | _]}),
    do: binary_part(head, 3, 5)

  def reply_prefix(%__MODULE__{request_id: request_id}) do
    <<131, id::binary>> = :erlang.term_to_binary(request_id)
    id
  end
end
