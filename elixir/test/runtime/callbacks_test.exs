defmodule SnakeBridge.Runtime.CallbacksTest do
  @moduledoc "Python calling back into Elixir, in real workers (see callbacks_scientific_test.exs for scipy/pandas)."
  use SnakeBridge.RuntimeCase, async: true

  alias SnakeBridge.{Error, Ref}
  alias SnakeBridge.Runtime.Pool
  alias SnakeBridge.TestTools

  @libraries [sbtest: :stdlib, numpy: "~> 2.0", builtins: :stdlib, operator: :stdlib]
  @registered [TestTools, {TestTools.Partial, [:allowed]}]

  setup do
    pool = :"cb_#{System.unique_integer([:positive])}"
    start_pool(pool, libraries: @libraries, callbacks: @registered)
    %{pool: pool, sb: [snakebridge: [pool: pool]]}
  end

  defp call(module, function, args, opts), do: SnakeBridge.call(module, function, args, opts)
  defp call!(module, function, args, opts), do: SnakeBridge.call!(module, function, args, opts)

  describe "Elixir functions reach Python as callables" do
    test "anonymous functions and captures, in args, lists, tuples, maps and keywords", %{sb: sb} do
      assert {:ok, 42} = call("sbtest", "call_with", [fn x -> x * 2 end, 21], sb)
      assert {:ok, 42} = call("sbtest", "call_with", [&TestTools.double/1, 21], sb)

      structure = [fn x -> x + 1 end, {&TestTools.double/1, 7}, %{"k" => [fn x -> -x end]}]

      assert {:ok, [11, {20, 7}, %{"k" => [-10]}]} =
               call("sbtest", "call_nested", [structure, 10], sb)

      assert {:ok, %{"a" => "a!", "b" => "b?"}} =
               call("sbtest", "call_kw", [], [a: &(&1 <> "!"), b: &(&1 <> "?")] ++ sb)

      assert {:ok, [3, 2, 1]} = call("builtins", "sorted", [[2, 3, 1]], [key: &(-&1)] ++ sb)
    end

    test "each function of a large map is its own (decode order matches the walk)", %{sb: sb} do
      # More than 32 keys: a hash map on the BEAM, encoded in its iteration order.
      funs = for i <- 1..40, into: %{}, do: {"k#{i}", fn _ -> i end}
      assert {:ok, results} = call("sbtest", "call_nested", [funs, nil], sb)
      assert results == for(i <- 1..40, into: %{}, do: {"k#{i}", i})
      kwargs = for i <- 1..40, do: {:"kw#{i}", fn name -> {name, i} end}
      assert {:ok, results} = call("sbtest", "call_kw", [], kwargs ++ sb)
      assert results == for(i <- 1..40, into: %{}, do: {"kw#{i}", {"kw#{i}", i}})
    end

    test "the function runs in the calling process: its dictionary and mailbox", %{sb: sb} do
      Process.put(:marker, :here)
      me = self()

      probe = fn _ ->
        send(me, {:ran_in, self()})
        Process.get(:marker)
      end

      assert {:ok, :here} = call("sbtest", "call_with", [probe, 0], sb)
      assert_received {:ran_in, ^me}
    end

    test "Python objects arrive as refs, usable in nested calls while the callback runs", %{
      sb: sb
    } do
      assert {:ok, 10} =
               call(
                 "sbtest",
                 "with_box",
                 [
                   fn %Ref{type: "sbtest.Box"} = box -> SnakeBridge.method!(box, "get") * 2 end,
                   5
                 ],
                 sb
               )

      # Such refs are borrowed: valid until the callback returns.
      {:ok, agent} = Agent.start_link(fn -> nil end)
      keep = fn box -> Agent.update(agent, fn _ -> box end) end
      assert {:ok, :ok} = call("sbtest", "with_box", [keep, 5], sb)
      box = Agent.get(agent, & &1)

      assert {:error, %Error{type: :ref_lost, message: message}} =
               SnakeBridge.method(box, "get", [], sb)

      assert message =~ "argument of an Elixir callback"
    end

    test "values cross back: containers, refs made in nested calls, atoms", %{sb: sb} do
      assert {:ok, [1, {2.5, nil}, %{"a" => [true]}]} =
               call("sbtest", "call_with", [fn _ -> [1, {2.5, nil}, %{"a" => [true]}] end, 0], sb)

      make_array = fn _ -> SnakeBridge.call!("numpy", "arange", [4], sb) end

      assert {:ok, %Ref{type: "numpy.ndarray"} = array} =
               call("sbtest", "call_with", [make_array, 0], sb)

      assert {:ok, [0, 1, 2, 3]} = SnakeBridge.method(array, "tolist", [], sb)
      # A pid cannot cross to Python: a Python TypeError, not a crash.
      assert {:error, %Error{type: :type_error, message: message}} =
               call("sbtest", "call_with", [fn _ -> self() end, 0], sb)

      assert message =~ "returned a pid"
    end

    test "an arity mismatch is a Python TypeError naming the function and both arities", %{
      sb: sb
    } do
      assert {:ok, ["TypeError", message]} =
               call("sbtest", "catch_any", [&TestTools.double/1, 1, 2], sb)

      assert message =~ "&SnakeBridge.TestTools.double/1"
      assert message =~ "takes 1 argument (arity 1), but was called with 2"

      assert {:error, %Error{type: :type_error, message: message}} =
               call("builtins", "sorted", [[1, 2]], [key: fn a, b -> a + b end] ++ sb)

      assert message =~ "fn/2 (defined in SnakeBridge.Runtime.CallbacksTest)"
      assert message =~ "arity 2"
      assert message =~ "called with 1"

      assert {:ok, ["TypeError", message]} = call("sbtest", "catch_any", [fn x -> x end], sb)
      assert message =~ "called with 0"

      assert {:ok, ["TypeError", message]} =
               call("sbtest", "catch_any", [&TestTools.lookup/2, "k"], sb)

      assert message =~ "&SnakeBridge.TestTools.lookup/2 takes 2 arguments"

      assert {:ok, ["TypeError", message]} =
               call("sbtest", "with_keywords", [&TestTools.double/1], sb)

      assert message =~ "positional arguments only; got keyword argument(s) x"
    end
  end

  describe "re-entrancy" do
    test "a nested numpy call inside a callback runs on the waiting worker", %{pool: pool, sb: sb} do
      [%{os_pid: os_pid}] = Pool.info(pool).workers

      sum = fn row ->
        {SnakeBridge.call!("numpy", "sum", [row], sb),
         SnakeBridge.call!("sbtest", "getpid", [], sb)}
      end

      assert {:ok, [{3, ^os_pid}, {7, ^os_pid}]} =
               call(
                 "builtins",
                 "list",
                 [call!("builtins", "map", [sum, [[1, 2], [3, 4]]], sb)],
                 sb
               )
    end

    test "nesting four deep: same worker, same Elixir process, no deadlock", %{pool: pool, sb: sb} do
      [%{os_pid: os_pid}] = Pool.info(pool).workers
      me = self()

      assert {:ok, [{3, true}, {2, true}, {1, true}, {:leaf, ^os_pid, true}]} =
               call("sbtest", "call_with", [fn _ -> nest(3, sb, me) end, nil], sb)

      assert [%{busy: false, depth: 0}] = Pool.info(pool).workers
    end

    test "a nested call in another session, release/1 and a stream inside a callback", %{sb: sb} do
      inner = fn _ ->
        other =
          SnakeBridge.with_session(fn -> SnakeBridge.call!("operator", "add", [1, 2], sb) end)

        {:ok, ref} = SnakeBridge.call("numpy", "zeros", [3], sb)
        :ok = SnakeBridge.release(ref)
        streamed = SnakeBridge.stream("builtins", "range", [3], sb) |> Enum.to_list()
        {other, streamed}
      end

      assert {:ok, {3, [0, 1, 2]}} = call("sbtest", "call_with", [inner, nil], sb)
    end
  end

  describe "errors both ways" do
    test "an Elixir exception is a snakebridge.ElixirError Python can catch", %{sb: sb} do
      assert {:ok, caught} =
               call("sbtest", "catch_elixir", [fn -> raise ArgumentError, "bad input" end], sb)

      assert %{"class" => "ElixirError", "type" => "ArgumentError", "kind" => "error"} = caught
      assert caught["message"] == "bad input"
      assert caught["str"] == "ArgumentError: bad input"
      assert caught["stacktrace"] =~ "callbacks_test.exs"

      assert {:ok, %{"kind" => "throw", "message" => "throw: :nope"}} =
               call("sbtest", "catch_elixir", [fn -> throw(:nope) end], sb)
    end

    test "a clause that cannot match a ref says what arrived and how to convert it", %{sb: sb} do
      # scipy passes x0 as a numpy array: `fn [x, y] ->` matches no clause
      pair = fn [x, y] -> x + y end
      array = call!("numpy", "array", [[1.0, 2.0]], sb)

      assert {:error, %Error{type: :elixir_error, exception: %FunctionClauseError{}} = error} =
               call("sbtest", "call_with", [pair, array], sb)

      assert error.message =~ "The following arguments were given to anonymous fn/1"
      assert error.message =~ "#SnakeBridge.Ref<numpy.ndarray"
      assert error.message =~ "Python passed numpy.ndarray as a SnakeBridge.Ref"
      assert error.message =~ "SnakeBridge.to_elixir!(x) (a numpy array gives a list)"
      # the bang variant re-raises the original, its message listing the arguments
      error =
        assert_raise FunctionClauseError, fn ->
          call!("sbtest", "call_with", [pair, array], sb)
        end

      assert Exception.message(error) =~ "#SnakeBridge.Ref<numpy.ndarray"
      # a clause mismatch on plain values gets no ref hint
      assert {:error, %Error{message: message}} = call("sbtest", "call_with", [pair, 3], sb)
      refute message =~ "SnakeBridge.Ref"
      # and to_elixir!/1 is the conversion that works
      assert {:ok, 3.0} =
               call("sbtest", "call_with", [&pair.(SnakeBridge.to_elixir!(&1)), array], sb)
    end

    test "uncaught, the outer call fails with the original exception", %{sb: sb} do
      boom = fn _ -> raise KeyError, key: :k, term: %{} end

      assert {:error, %Error{type: :elixir_error, exception: %KeyError{key: :k}} = error} =
               call("builtins", "sorted", [[2, 1]], [key: boom] ++ sb)

      assert error.message =~ "KeyError: key :k not found"
      assert error.python_type == "snakebridge.ElixirError"
      assert error.traceback =~ "snakebridge.ElixirError: KeyError"
      assert error.traceback =~ "Elixir stacktrace:"
      refute error.traceback =~ "callbacks.py"

      assert {:error, %Error{traceback: traceback}} = call("sbtest", "call_with", [boom, nil], sb)

      assert traceback =~ ~r/sbtest.py", line \d+, in call_with/
      assert Exception.message(error) =~ "key :k not found"
      # The bang variant re-raises the original, with its own stacktrace.
      try do
        call!("builtins", "sorted", [[2, 1]], [key: boom] ++ sb)
        flunk("expected a KeyError")
      rescue
        exception in KeyError ->
          assert exception.key == :k
          assert [{__MODULE__, _, _, location} | _] = __STACKTRACE__
          assert to_string(location[:file]) =~ "callbacks_test.exs"
      end

      assert catch_throw(call!("sbtest", "call_with", [fn -> throw(:up) end], sb)) == :up
      assert catch_exit(call!("sbtest", "call_with", [fn -> exit(:down) end], sb)) == :down
    end

    test "a Python exception in a nested call reaches the callback as {:error, _} or raises under bang",
         %{sb: sb} do
      soft = fn _ -> SnakeBridge.call("sbtest", "raise_custom", ["inner"], sb) end

      assert {:ok, {:error, %Error{python_type: "sbtest.CustomError", message: "inner"}}} =
               call("sbtest", "call_with", [soft, nil], sb)

      hard = fn _ -> SnakeBridge.call!("operator", "truediv", [1, 0], sb) end

      assert {:ok, %{"type" => "SnakeBridge.ZeroDivisionError", "message" => message}} =
               call("sbtest", "catch_elixir", [hard, nil], sb)

      assert message =~ "division by zero"
      # Uncaught on both sides: the outer call raises what the callback raised.
      assert_raise SnakeBridge.ZeroDivisionError, fn ->
        call!("sbtest", "call_with", [hard, nil], sb)
      end
    end
  end

  describe "lifetime" do
    test "a function Python kept works in later calls of its session, until it ends", %{sb: sb} do
      SnakeBridge.with_session(fn ->
        assert {:ok, true} = call("sbtest", "keep", ["triple", fn x -> x * 3 end], sb)
        assert {:ok, 9} = call("sbtest", "call_kept", ["triple", 3], sb)
        assert {:ok, 12} = call("sbtest", "call_kept", ["triple", 4], sb)
      end)

      # The session ended: the function is gone on both sides.
      assert {:error, %Error{python_type: "snakebridge.CallbackExpired", message: message}} =
               call("sbtest", "call_kept", ["triple", 3], sb)

      assert message =~ "can no longer be called"
      assert Process.get(:"$snakebridge_kept", %{}) == %{}
    end

    test "a kept function cannot be run by another session's call", %{sb: sb} do
      parent = self()

      task =
        Task.async(fn ->
          {:ok, true} = call("sbtest", "keep", ["mine", fn x -> x end], sb)
          send(parent, :kept)
          receive do: (:done -> :ok)
        end)

      assert_receive :kept, 10_000

      assert {:error, %Error{python_type: "snakebridge.CallbackExpired", message: message}} =
               call("sbtest", "call_kept", ["mine", 1], sb)

      assert message =~ "belongs to session"
      send(task.pid, :done)
      Task.await(task)
    end

    test "lazy Python iteration over an Elixir function (a stream of map)", %{sb: sb} do
      assert [2, 4, 6] =
               SnakeBridge.stream("builtins", "map", [fn x -> x * 2 end, [1, 2, 3]], sb)
               |> Enum.to_list()
    end
  end

  describe "a callback that raises, times out, or loses its caller or its worker" do
    test "a callback that outlives the call's timeout: :timeout, worker replaced", %{
      pool: pool,
      sb: sb
    } do
      [%{worker: old}] = Pool.info(pool).workers
      slow = fn _ -> Process.sleep(600) end

      assert {:error, %Error{type: :timeout, message: message}} =
               call("sbtest", "call_with", [slow, nil], snakebridge: [pool: pool, timeout: 200])

      assert message =~ "within 200 ms"
      assert message =~ "callbacks included"
      %{workers: [%{worker: new}]} = wait_ready(pool)
      assert new != old
      assert {:ok, 3} = call("operator", "add", [1, 2], sb)
    end

    test "a callback stuck in a slow nested call gets the timeout at the deadline", %{
      pool: pool
    } do
      opts = [snakebridge: [pool: pool, timeout: 300]]
      parent = self()

      slow = fn _ ->
        result = SnakeBridge.call("sbtest", "sleep", [30], opts)
        send(parent, {:nested, result})
        :done
      end

      assert {:error, %Error{type: :timeout}} = call("sbtest", "call_with", [slow, nil], opts)
      assert_received {:nested, {:error, %Error{type: :timeout}}}
      wait_ready(pool)
    end

    test "a callback that raises leaves the worker serving", %{pool: pool, sb: sb} do
      [%{os_pid: os_pid}] = Pool.info(pool).workers

      assert {:error, %Error{type: :elixir_error}} =
               call("sbtest", "call_with", [fn _ -> raise "x" end, 1], sb)

      assert {:ok, 3} = call("operator", "add", [1, 2], sb)
      assert [%{os_pid: ^os_pid, busy: false}] = Pool.info(pool).workers
    end

    test "a callback whose caller is killed: the worker unwinds and serves the next call", %{
      pool: pool,
      sb: sb
    } do
      [%{os_pid: os_pid}] = Pool.info(pool).workers
      parent = self()

      caller =
        spawn(fn ->
          hang = fn _ ->
            send(parent, :inside)
            Process.sleep(:infinity)
          end

          call("sbtest", "record_errors", [hang, nil], sb)
        end)

      assert_receive :inside, 10_000
      assert [%{in_callback: true}] = Pool.info(pool).workers
      Process.exit(caller, :kill)
      # Not replaced: Python got CallbackExpired, unwound, and the worker is free.
      assert {:ok, errors} = call("sbtest", "errors", [], sb)
      assert "CallbackExpired" in errors
      assert [%{os_pid: ^os_pid, busy: false}] = Pool.info(pool).workers
    end

    test "a caller killed during a nested call inside a callback", %{pool: pool, sb: sb} do
      parent = self()

      caller =
        spawn(fn ->
          nested = fn _ ->
            send(parent, :nested)
            SnakeBridge.call("sbtest", "sleep", [0.5], sb)
          end

          call("sbtest", "record_errors", [nested, nil], sb)
        end)

      assert_receive :nested, 10_000
      Process.exit(caller, :kill)
      eventually(fn -> match?([%{busy: false}], Pool.info(pool).workers) end)
      assert {:ok, 3} = call("operator", "add", [1, 2], sb)
    end

    test "kill -9 of the worker during a callback fails the call at once", %{pool: pool, sb: sb} do
      [%{os_pid: os_pid}] = Pool.info(pool).workers

      kill = fn _ ->
        System.cmd("kill", ["-9", Integer.to_string(os_pid)])
        eventually(fn -> not alive?(os_pid) end)
        # Nested calls after the kill fail fast too.
        {:error, %Error{}} =
          SnakeBridge.call("operator", "add", [1, 2], snakebridge: [pool: pool, timeout: 5_000])

        :returned
      end

      assert {:error, %Error{type: :worker_crash, message: message}} =
               call("sbtest", "call_with", [kill, nil], sb)

      assert message =~ "waiting on an Elixir callback"
      wait_ready(pool)
      assert {:ok, 3} = call("operator", "add", [1, 2], sb)
    end
  end

  describe "call_elixir and cast_elixir" do
    test "a registered module or function runs in the calling process", %{sb: sb} do
      Process.put({:tool, "colour"}, "blue")
      assert {:ok, 10} = call("sbtest", "call_elixir", ["SnakeBridge.TestTools", "double", 5], sb)

      assert {:ok, "blue"} =
               call("sbtest", "call_elixir", ["SnakeBridge.TestTools", "lookup", "colour"], sb)

      assert {:ok, "none"} =
               call(
                 "sbtest",
                 "call_elixir",
                 ["Elixir.SnakeBridge.TestTools", "lookup", "x", "none"],
                 sb
               )

      assert {:ok, 3} =
               call("sbtest", "call_elixir", ["SnakeBridge.TestTools.Partial", "allowed", 2], sb)

      # It may call Python again, on the same worker.
      assert {:ok, 8} = call("sbtest", "call_elixir", ["SnakeBridge.TestTools", "nested", 4], sb)
    end

    test "anything unregistered is refused, also when the worker's own check is skipped", %{
      sb: sb
    } do
      assert {:ok, ["CallbackNotAllowed", message]} =
               call("sbtest", "try_call_elixir", ["System", "cmd", "echo", ["hi"]], sb)

      assert message =~ "System is not registered"
      assert message =~ "callbacks:"

      assert {:ok, ["CallbackNotAllowed", message]} =
               call(
                 "sbtest",
                 "try_call_elixir",
                 ["SnakeBridge.TestTools.Partial", "secret", 1],
                 sb
               )

      assert message =~ "Partial.secret is not registered"
      # A worker that skips its check (a compromised one) is refused by Elixir.
      assert {:ok, ["CallbackNotAllowed", message]} =
               call("sbtest", "forge_named", ["System", "cmd", "echo", ["hi"]], sb)

      assert message =~ "System is not registered"

      assert {:ok, ["CallbackNotAllowed", _]} =
               call("sbtest", "forge_named", ["SnakeBridge.TestTools.Partial", "secret", 1], sb)

      # Nor can it run a function this call never sent.
      assert {:ok, ["CallbackExpired", _]} = call("sbtest", "forge_fun", [0, 1], sb)
      assert {:ok, ["CallbackExpired", _]} = call("sbtest", "forge_fun", [1, 1], sb)
    end

    test "errors of named calls: arity, unknown function, exceptions", %{sb: sb} do
      assert {:ok, ["TypeError", message]} =
               call("sbtest", "try_call_elixir", ["SnakeBridge.TestTools", "double", 1, 2], sb)

      assert message =~ "takes 1 argument(s), but was called with 2"

      assert {:ok, ["AttributeError", message]} =
               call("sbtest", "try_call_elixir", ["SnakeBridge.TestTools", "nope"], sb)

      assert message =~ "not a public function"

      assert {:ok, ["AttributeError", _]} =
               call("sbtest", "try_call_elixir", ["SnakeBridge.TestTools", "module_info"], sb)

      assert {:error, %Error{type: :elixir_error, exception: %ArgumentError{message: "told to"}}} =
               call("sbtest", "call_elixir", ["SnakeBridge.TestTools", "fail", "told to"], sb)
    end

    test "casts run registered functions in a new process, also from a Python thread", %{sb: sb} do
      Process.register(self(), :snakebridge_cast_probe)
      me = self()

      assert {:ok, ["ok", nil]} =
               call("sbtest", "cast_elixir", ["SnakeBridge.TestTools", "probe", [1, "a"]], sb)

      assert_receive {:cast, [1, "a"], runner}, 10_000
      assert runner != me

      assert {:ok, true} =
               call("sbtest", "cast_from_thread", ["SnakeBridge.TestTools", "probe", 2], sb)

      assert_receive {:cast, 2, _}, 10_000

      assert {:ok, ["CallbackNotAllowed", _]} =
               call("sbtest", "cast_elixir", ["System", "halt", 0], sb)
    end
  end

  describe "concurrency" do
    test "concurrent callers with their own callbacks share a pool", %{sb: _} do
      pool =
        start_pool(:"cb_shared_#{System.unique_integer([:positive])}",
          libraries: @libraries,
          size: 2
        )

      sb = [snakebridge: [pool: pool]]

      results =
        1..8
        |> Enum.map(fn n ->
          Task.async(fn ->
            key = fn x -> rem(x * n, 7) + SnakeBridge.call!("numpy", "sum", [[0, 0]], sb) end

            for _ <- 1..5,
                do: call!("builtins", "sorted", [Enum.to_list(1..20)], [key: key] ++ sb)
          end)
        end)
        |> Task.await_many(60_000)

      for {runs, n} <- Enum.zip(results, 1..8) do
        expected = Enum.sort_by(1..20, &rem(&1 * n, 7))
        assert Enum.all?(runs, &(&1 == expected))
      end

      assert Enum.all?(Pool.info(pool).workers, &(not &1.busy))
    end

    test "callbacks from Python threads are serialized and all answered", %{sb: sb} do
      assert {:ok, squares} = call("sbtest", "in_threads", [fn i -> i * i end, 20], sb)
      assert squares == Enum.map(0..19, &(&1 * &1))

      nested = fn i -> SnakeBridge.call!("operator", "add", [i, 1], sb) end
      assert {:ok, plus_one} = call("sbtest", "in_threads", [nested, 20], sb)
      assert plus_one == Enum.to_list(1..20)
    end
  end

  # Three levels of callbacks, each making a nested call that calls back again.
  defp nest(0, sb, me),
    do: [{:leaf, SnakeBridge.call!("sbtest", "getpid", [], sb), self() == me}]

  defp nest(n, sb, me) do
    [{n, self() == me} | call!("sbtest", "call_with", [fn _ -> nest(n - 1, sb, me) end, nil], sb)]
  end
end
