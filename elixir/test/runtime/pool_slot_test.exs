defmodule SnakeBridge.Runtime.Pool.SlotTest do
  use ExUnit.Case, async: true

  alias SnakeBridge.Runtime.Pool.{Job, Slot}

  @no_limits %{max_calls: nil, max_age: nil, max_memory_kb: nil}

  defp ready(fields \\ []), do: struct!(%Slot{status: :ready}, fields)
  defp queued(jobs), do: :queue.from_list(jobs)

  test "a slot is free only with a ready worker, nothing in flight and nothing queued" do
    assert Slot.free?(ready())
    refute Slot.free?(%Slot{status: :starting})
    refute Slot.free?(ready(current: %Job{}))
    refute Slot.free?(ready(queue: queued([%Job{}])))
  end

  test "pipelined jobs go only behind a running job that is not in a callback, up to pipeline - 1" do
    running = ready(current: %Job{request_id: 1})
    assert Slot.pipeline_room?(running, 2)
    refute Slot.pipeline_room?(running, 1)
    refute Slot.pipeline_room?(%{running | inflight: [%Job{}]}, 2)
    assert Slot.pipeline_room?(%{running | inflight: [%Job{}]}, 3)
    refute Slot.pipeline_room?(ready(current: %Job{waiting: true}), 2)
    refute Slot.pipeline_room?(%{running | stack: [%Job{}]}, 2)
    refute Slot.pipeline_room?(%{running | status: :starting}, 2)
    # Nothing running: the job is dispatched, not pipelined.
    refute Slot.pipeline_room?(ready(), 2)
  end

  test "rotation is due for draining, taint, then each limit in turn" do
    slot = ready(calls: 10, started: 0, rss_kb: 500)
    assert Slot.rotation_due(slot, @no_limits, 1_000) == nil
    assert Slot.rotation_due(slot, %{@no_limits | max_calls: 10}, 0) == :max_calls
    assert Slot.rotation_due(slot, %{@no_limits | max_calls: 11}, 0) == nil
    assert Slot.rotation_due(slot, %{@no_limits | max_age: 1_000}, 999) == nil
    assert Slot.rotation_due(slot, %{@no_limits | max_age: 1_000}, 1_000) == :max_age
    assert Slot.rotation_due(slot, %{@no_limits | max_memory_kb: 500}, 0) == :max_memory
    # A worker whose memory was never measured is not rotated for memory.
    assert Slot.rotation_due(%{slot | rss_kb: nil}, %{@no_limits | max_memory_kb: 1}, 0) == nil
    assert Slot.rotation_due(%{slot | tainted: "m.f"}, %{@no_limits | max_calls: 1}, 0) == :taint
    draining = %{slot | tainted: "m.f", draining: {:max_calls, 0}}
    assert Slot.rotation_due(draining, @no_limits, 0) == :draining
  end

  test "new sessions rank ready, undrained, less loaded slots first" do
    idle = Slot.load(ready(), 2)
    assert idle < Slot.load(ready(current: %Job{}), 1)
    assert Slot.load(ready(current: %Job{}), 1) < Slot.load(ready(%{status: :starting}), 1)
    assert Slot.load(ready(current: %Job{}), 1) < Slot.load(ready(draining: {:taint, 0}), 1)
    busy = ready(current: %Job{}, inflight: [%Job{}], queue: queued([%Job{}]))
    assert Slot.load(busy, 1) > Slot.load(ready(current: %Job{}, inflight: [%Job{}]), 2)
    assert Slot.load(ready(sessions: 1), 1) > Slot.load(ready(), 3)
    assert Slot.load(ready(), 1) < Slot.load(ready(), 2)
  end

  test "jobs lists every job bound to the slot, and active? sees a running or queued one" do
    a = %Job{request_id: :a}
    b = %Job{request_id: :b}
    c = %Job{request_id: :c}
    d = %Job{request_id: :d}
    slot = ready(current: a, inflight: [b], queue: queued([c]), stack: [d])
    assert Enum.map(Slot.jobs(slot), & &1.request_id) == [:a, :b, :c, :d]
    assert Slot.jobs(ready()) == []
    assert Slot.active?(ready(current: a))
    assert Slot.active?(ready(queue: queued([c])))
    refute Slot.active?(ready(inflight: []))
  end

  test "pipelined jobs of a dead worker go back to the front of the queue, in order, undeadlined" do
    slot = ready(inflight: [%Job{request_id: 1, checkout_by: 5}, %Job{request_id: 2}])
    slot = %{slot | queue: queued([%Job{request_id: 3, checkout_by: 9}])}
    {slot, 2} = Slot.requeue_inflight(slot)
    assert slot.inflight == []

    assert Enum.map(:queue.to_list(slot.queue), &{&1.request_id, &1.checkout_by}) ==
             [{1, nil}, {2, nil}, {3, 9}]
  end

  test "a new worker starts over; the queue and the slot's sessions stay" do
    old =
      ready(
        calls: 7,
        rss_kb: 9,
        tainted: "m.f",
        suspects: MapSet.new(["m.g"]),
        registered: %{1 => "x"},
        sessions: 3,
        queue: queued([%Job{request_id: 1}]),
        failures: 1
      )

    slot = Slot.fresh(old, port: :p, worker: "w", status: :starting, started: 5)
    assert %Slot{port: :p, worker: "w", status: :starting, started: 5, calls: 0} = slot
    assert {slot.rss_kb, slot.tainted, slot.registered} == {nil, nil, %{}}
    assert MapSet.size(slot.suspects) == 0
    assert {slot.sessions, :queue.len(slot.queue), slot.failures} == {3, 1, 1}
    assert_raise KeyError, fn -> Slot.fresh(old, prot: :p) end

    assert %Slot{port: nil, status: :down, current: nil, stack: [], os_pid: nil, calls: 7} =
             Slot.down(%{old | current: %Job{}, stack: [%Job{}], os_pid: 1})
  end

  test "a finished call's verdict makes its worker a suspect or taints it" do
    assert Slot.suspect(ready(), "m.f", :clean) == ready()
    assert MapSet.member?(Slot.suspect(ready(), "m.f", :suspect).suspects, "m.f")
    assert Slot.suspect(ready(), "m.f", :tainted).tainted == "m.f"
  end
end
