defmodule SnakeBridge.Runtime.WireTest do
  use SnakeBridge.RuntimeCase, async: true

  import Bitwise

  alias SnakeBridge.Runtime.{Pool, Wire}

  defp pool_name, do: :"wire_#{System.unique_integer([:positive])}"

  defp registered(pool), do: for(w <- Pool.info(pool).workers, do: w.registered)

  defp echo(pool), do: SnakeBridge.call("sbtest", "echo", [1], snakebridge: [pool: pool])

  test "a descriptor is registered once per worker and again with its replacement" do
    pool = start_pool(pool_name())
    assert registered(pool) == [0]
    assert {:ok, [[1], %{}]} = echo(pool)
    assert registered(pool) == [1]
    assert {:ok, [[1], %{}]} = echo(pool)
    assert registered(pool) == [1]

    # kill -9: the replacement starts knowing nothing, and learns it with its first call.
    [%{os_pid: os_pid}] = Pool.info(pool).workers
    System.cmd("kill", ["-9", Integer.to_string(os_pid)])

    eventually(fn ->
      match?([%{status: :ready, os_pid: p}] when p != os_pid, Pool.info(pool).workers)
    end)

    assert registered(pool) == [0]
    assert {:ok, [[1], %{}]} = echo(pool)
    assert registered(pool) == [1]
  end

  test "a swapped-in spare and a crash-replaced worker are registered anew" do
    pool = start_pool(pool_name(), spares: 1)
    eventually(fn -> match?([%{status: :ready}], Pool.info(pool).spares) end)
    assert {:ok, [[1], %{}]} = echo(pool)

    assert {:error, %SnakeBridge.Error{type: :worker_crash}} =
             SnakeBridge.call("sbtest", "crash", [], snakebridge: [pool: pool])

    wait_ready(pool)
    # crash was registered too before it crashed; the spare knows neither.
    assert registered(pool) == [0]
    assert {:ok, [[1], %{}]} = echo(pool)
    assert registered(pool) == [1]
  end

  test "a worker that does not know a descriptor gets the call in full" do
    pool = start_pool(pool_name())
    assert {:ok, [[1], %{}]} = echo(pool)
    # Make the pool believe the worker knows a descriptor it was never sent.
    descriptor = %{call_type: :call, library: "sbtest", python_module: "sbtest", function: "echo"}
    {id, frame} = Wire.registration(:call, Map.put(descriptor, :ledger, true))

    :sys.replace_state(Pool.process_name(pool), fn state ->
      slots =
        Map.new(state.slots, fn {index, slot} ->
          {index, %{slot | registered: Map.put(slot.registered, id, frame)}}
        end)

      %{state | slots: slots}
    end)

    assert {:ok, [[2], %{}]} =
             SnakeBridge.Runtime.call(
               Map.merge(descriptor, %{kwargs: :any, ledger: true}),
               [2],
               snakebridge: [pool: pool]
             )
  end

  test "a worker that last read another descriptor under the same id is sent the call's own" do
    pool = start_pool(pool_name())
    # SnakeBridge.call's descriptor (a dynamic call: the ledger records it).
    descriptor = %{call_type: :call, library: "sbtest", python_module: "sbtest", function: "echo"}
    {id, frame} = Wire.registration(:call, Map.put(descriptor, :ledger, true))
    # Another descriptor whose id collides with echo's, registered with the worker first.
    other = :erlang.term_to_binary({0, id, %{descriptor | function: "getpid"}})
    session = elem(SnakeBridge.Runtime.Session.current(), 0)
    planted = Wire.call(1, {id, other}, [], %{}, session, nil)

    assert {:reply, data, _} =
             Pool.request(pool, {:session, session, self()}, 1, planted, 5_000, nil, {id, other})

    assert {1, {:ok, pid}} = :erlang.binary_to_term(data)
    assert is_integer(pid)

    # echo's call under that id: the pool writes echo's registration again, so the
    # worker runs echo, not getpid.
    assert {:ok, [[1], %{}]} = echo(pool)

    assert [%{^id => ^frame}] =
             for({_, slot} <- :sys.get_state(Pool.process_name(pool)).slots, do: slot.registered)
  end

  test "a descriptor's id is a hash of it: the same on every node, whatever registered first" do
    d = %{call_type: :call, library: "m", python_module: "m", function: "id_check"}

    fields = %{
      call_type: :call,
      library: "m",
      python_module: "m",
      function: "id_check",
      ledger: false
    }

    assert {id, _frame} = Wire.registration(:call, d)
    assert id == :erlang.phash2(fields, 2_147_483_647) + 1
  end

  test "equal descriptors share one registration; different ones do not" do
    d = %{call_type: :call, library: "m", python_module: "m", function: "f"}
    assert Wire.registration(:call, d) == Wire.registration(:call, Map.put(d, :kwargs, ["x"]))
    refute Wire.registration(:call, d) == Wire.registration(:call, %{d | function: "g"})
    refute Wire.registration(:call, d) == Wire.registration(:method, d)
    {id, frame} = Wire.registration(:call, d)
    assert {0, ^id, %{function: "f", ledger: false}} = :erlang.binary_to_term(frame)
  end

  # The pool recognizes a reply by the request id's bytes as the request frame encodes
  # them: one byte (SMALL_INTEGER), four (INTEGER) or a bignum.
  test "replies route back whatever width the request id encodes to" do
    pool = start_pool(pool_name())
    {session, owner} = SnakeBridge.Runtime.Session.current()
    descriptor = %{call_type: :call, library: "sbtest", python_module: "sbtest", function: "echo"}

    for request_id <- [7, 70_000, 1 <<< 40] do
      frame = Wire.full(request_id, :call, descriptor, [request_id], %{}, session, nil)

      assert {:reply, data, _worker} =
               Pool.request(pool, {:session, session, owner}, request_id, frame, 5_000)

      assert {^request_id, {:ok, [[^request_id], %{}]}} = :erlang.binary_to_term(data)
    end
  end
end
