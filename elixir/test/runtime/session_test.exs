defmodule SnakeBridge.Runtime.SessionTest do
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.{Error, Ref, Runtime}

  defp refs_held(pool, session) do
    {:ok, stats} = Runtime.stats(snakebridge: [pool: pool, session: session])
    stats["refs"]
  end

  setup do
    pool = start_pool(:"sessions_#{System.unique_integer([:positive])}", size: 2)
    {:ok, pool: pool}
  end

  test "refs are unguessable and bound to their session and worker", %{pool: pool} do
    {:ok, a} = SnakeBridge.call("sbtest", "Box", [1], snakebridge: [pool: pool])
    {:ok, b} = SnakeBridge.call("sbtest", "Box", [1], snakebridge: [pool: pool])
    assert %Ref{pool: ^pool} = a
    assert a.id != b.id
    assert byte_size(a.id) >= 22
    assert a.session == b.session
    assert a.worker == b.worker
  end

  test "a ref from another session gives a clear error", %{pool: pool} do
    {:ok, box} = SnakeBridge.call("sbtest", "Box", [1], snakebridge: [pool: pool])

    task = Task.async(fn -> SnakeBridge.method(box, "get", [], snakebridge: [pool: pool]) end)

    assert {:error, %Error{type: :ref_lost, message: message}} = Task.await(task)
    assert message =~ "belongs to session"

    assert {:error, %Error{type: :ref_lost}} =
             SnakeBridge.with_session(fn ->
               SnakeBridge.call("sbtest", "echo", [box], snakebridge: [pool: pool])
             end)

    # The owner can still use it.
    assert {:ok, 1} = SnakeBridge.method(box, "get")
  end

  test "a forged ref is refused", %{pool: pool} do
    {:ok, box} = SnakeBridge.call("sbtest", "Box", [1], snakebridge: [pool: pool])
    forged = %{box | id: "AAAAAAAAAAAAAAAAAAAAAA"}
    assert {:error, %Error{type: :ref_lost, message: message}} = SnakeBridge.method(forged, "get")
    assert message =~ "released"
  end

  test "release/1 drops the object; using it afterwards is a clear error", %{pool: pool} do
    {:ok, box} = SnakeBridge.call("sbtest", "Box", [1], snakebridge: [pool: pool])
    assert :ok = SnakeBridge.release(box)
    assert :ok = SnakeBridge.release(box)
    assert {:error, %Error{type: :ref_lost, message: message}} = SnakeBridge.method(box, "get")
    assert message =~ "was released"
  end

  test "with_session/2 releases its refs when it returns, even on raise", %{pool: pool} do
    {session, box} =
      SnakeBridge.with_session("named-#{System.unique_integer()}", fn ->
        {:ok, box} = SnakeBridge.call("sbtest", "Box", [1], snakebridge: [pool: pool])
        assert {:ok, 1} = SnakeBridge.method(box, "get")
        {box.session, box}
      end)

    assert session =~ "named-"
    eventually(fn -> refs_held(pool, session) == 0 end)

    assert {:error, %Error{type: :ref_lost}} =
             SnakeBridge.method(box, "get", [], snakebridge: [session: session])

    assert_raise RuntimeError, fn ->
      SnakeBridge.with_session("raising", fn ->
        {:ok, _} = SnakeBridge.call("sbtest", "Box", [1], snakebridge: [pool: pool])
        raise "boom"
      end)
    end

    eventually(fn -> refs_held(pool, "raising") == 0 end)
  end

  test "refs are released when their owner process exits", %{pool: pool} do
    parent = self()

    {pid, monitor} =
      spawn_monitor(fn ->
        for _ <- 1..5,
            do: {:ok, _} = SnakeBridge.call("sbtest", "Box", [1], snakebridge: [pool: pool])

        {session, _} = SnakeBridge.Runtime.Session.current()
        send(parent, {:session, session, refs_held(pool, session)})
      end)

    assert_receive {:session, session, 5}, 5_000
    assert_receive {:DOWN, ^monitor, :process, ^pid, :normal}
    eventually(fn -> refs_held(pool, session) == 0 end)
  end

  test "a ref whose worker died gives :ref_lost, and the pool keeps serving", %{pool: pool} do
    {:ok, box} = SnakeBridge.call("sbtest", "Box", [1], snakebridge: [pool: pool])

    assert {:error, %Error{type: :worker_crash}} =
             SnakeBridge.call("sbtest", "crash", [], snakebridge: [pool: pool])

    wait_ready(pool)
    assert {:error, %Error{type: :ref_lost, message: message}} = SnakeBridge.method(box, "get")
    assert message =~ "stopped or been replaced"

    assert {:ok, 3} =
             SnakeBridge.call("sbtest", "echo", [3], snakebridge: [pool: pool])
             |> then(fn {:ok, [[x], _]} -> {:ok, x} end)
  end

  test "sessions spread over the workers; a session sticks to its worker", %{pool: pool} do
    workers =
      for _ <- 1..4 do
        Task.async(fn ->
          {:ok, a} = SnakeBridge.call("sbtest", "Box", [1], snakebridge: [pool: pool])
          {:ok, b} = SnakeBridge.call("sbtest", "Box", [2], snakebridge: [pool: pool])
          assert a.worker == b.worker
          a.worker
        end)
      end
      |> Task.await_many()

    assert length(Enum.uniq(workers)) == 2
  end
end
