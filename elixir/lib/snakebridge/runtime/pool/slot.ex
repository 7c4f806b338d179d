defmodule SnakeBridge.Runtime.Pool.Slot do
  @moduledoc """
  One place for a worker in a pool: the worker serving it now (its port, id and OS pid)
  and the jobs bound to it (`current` in flight, `stack` under a nested call, `inflight`
  already written to its pipe, `queue` waiting).

  Why a module of its own: the rules that read a slot (is it free, can it take a
  pipelined job, is its worker due for rotation, how loaded is it) are pure functions of
  the slot, so they are tested here without a worker, and the pool process keeps only
  the effects (ports, replies, timers). A slot outlives its workers: a new worker gets
  the slot's queue, the per-worker fields start over (`fresh/2`).
  """

  alias SnakeBridge.Runtime.Pool.Job

  # What the slot keeps across its workers, and what each new worker starts over from
  # (the struct's defaults and `fresh/2` share this one list).
  @per_slot [
    port: nil,
    worker: nil,
    os_pid: nil,
    status: :down,
    inflight: [],
    queue: :queue.new(),
    failures: 0,
    last_error: nil,
    sessions: 0,
    oom_kills: nil,
    started: nil
  ]
  @per_worker [
    current: nil,
    stack: [],
    calls: 0,
    rss_kb: nil,
    draining: nil,
    suspects: MapSet.new(),
    tainted: nil,
    last: nil,
    registered: %{}
  ]

  defstruct @per_slot ++ @per_worker

  @type t :: %__MODULE__{}

  @doc """
  The slot with a new worker (`port`, `worker`, `os_pid`, `oom_kills`, `started`,
  `status`): everything the previous worker knew (its calls, memory, taint, which
  descriptors it has read) starts over; the queue and the slot's sessions stay.
  """
  @spec fresh(t, keyword) :: t
  def fresh(%__MODULE__{} = slot, worker), do: struct!(struct!(slot, @per_worker), worker)

  @doc "The slot without a worker: its jobs in flight are the caller's to answer first."
  @spec down(t) :: t
  def down(%__MODULE__{} = slot),
    do: %{slot | port: nil, status: :down, current: nil, stack: [], os_pid: nil}

  @doc "Whether a job handed over now would be written to the worker at once."
  @spec free?(t) :: boolean
  def free?(%__MODULE__{} = slot),
    do: slot.status == :ready and slot.current == nil and :queue.is_empty(slot.queue)

  @doc """
  Whether the worker can take one more pipelined job behind the one it runs: it is
  ready, nothing is nested (a job in a callback waits on its nested calls, which must
  come first) and fewer than `pipeline - 1` jobs are already written to it.
  """
  @spec pipeline_room?(t, pos_integer) :: boolean
  def pipeline_room?(%__MODULE__{} = slot, pipeline) do
    slot.status == :ready and slot.stack == [] and length(slot.inflight) < pipeline - 1 and
      match?(%Job{waiting: false}, slot.current)
  end

  @doc """
  Whether the slot's worker has served long enough, and why (nil: not yet). `limits`
  holds `max_calls`, `max_age` (ms) and `max_memory_kb`, each nil when unset.
  """
  @spec rotation_due(t, map, integer) ::
          nil | :draining | :taint | :max_calls | :max_age | :max_memory
  def rotation_due(%__MODULE__{} = slot, limits, now) do
    cond do
      slot.draining != nil -> :draining
      slot.tainted != nil -> :taint
      limits.max_calls && slot.calls >= limits.max_calls -> :max_calls
      limits.max_age && slot.started && now - slot.started >= limits.max_age -> :max_age
      limits.max_memory_kb && slot.rss_kb && slot.rss_kb >= limits.max_memory_kb -> :max_memory
      true -> nil
    end
  end

  @doc """
  How a new session ranks this slot (lower first): slots that drain or have no ready
  worker last, then by the jobs bound to it, then by sessions, then by index.
  """
  @spec load(t, pos_integer) :: tuple
  def load(%__MODULE__{} = slot, index) do
    {if(slot.draining, do: 1, else: 0), if(slot.status == :ready, do: 0, else: 1),
     if(slot.current, do: 1, else: 0) + length(slot.inflight) + :queue.len(slot.queue),
     slot.sessions, index}
  end

  @doc "Every job bound to the slot: in flight, pipelined, queued and stacked."
  @spec jobs(t) :: [Job.t()]
  def jobs(%__MODULE__{} = slot) do
    jobs = slot.inflight ++ :queue.to_list(slot.queue) ++ slot.stack
    if slot.current, do: [slot.current | jobs], else: jobs
  end

  @doc "Whether a job runs or waits on the slot (the pool's sweep is due while one does)."
  @spec active?(t) :: boolean
  def active?(%__MODULE__{} = slot), do: slot.current != nil or not :queue.is_empty(slot.queue)

  @doc """
  Records what a finished call of `key` means for this worker (`Circuit.verdict/2`): a
  function with crashes on record makes it a suspect, one whose circuit is open taints
  it (it is rotated when idle).
  """
  @spec suspect(t, String.t() | nil, :clean | :suspect | :tainted) :: t
  def suspect(slot, _key, :clean), do: slot
  def suspect(slot, key, :suspect), do: %{slot | suspects: MapSet.put(slot.suspects, key)}
  def suspect(slot, key, :tainted), do: %{slot | tainted: key}

  @doc """
  Jobs written to a worker that died never started (it runs them in order, and its exit
  reaches the pool after every reply it wrote): they go back to the front of the queue,
  no longer bound by a checkout deadline. Returns the slot and how many were requeued.
  """
  @spec requeue_inflight(t) :: {t, non_neg_integer}
  def requeue_inflight(%__MODULE__{inflight: inflight} = slot) do
    queue =
      inflight
      |> Enum.map(&%{&1 | checkout_by: nil})
      |> Enum.reverse()
      |> Enum.reduce(slot.queue, &:queue.in_r/2)

    {%{slot | inflight: [], queue: queue}, length(inflight)}
  end

  @doc "What `SnakeBridge.Runtime.Pool.info/1` reports of the slot."
  @spec report(t, pos_integer) :: map
  def report(%__MODULE__{} = slot, index) do
    %{
      index: index,
      worker: slot.worker,
      os_pid: slot.os_pid,
      status: slot.status,
      busy: slot.current != nil,
      in_callback: match?(%Job{waiting: true}, slot.current),
      depth: if(slot.current, do: length(slot.stack) + 1, else: 0),
      pipelined: length(slot.inflight),
      queued: :queue.len(slot.queue),
      registered: map_size(slot.registered),
      sessions: slot.sessions,
      calls: slot.calls,
      rss_kb: slot.rss_kb,
      draining: slot.draining != nil
    }
  end
end
