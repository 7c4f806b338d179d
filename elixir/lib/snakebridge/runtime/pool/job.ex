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
end
