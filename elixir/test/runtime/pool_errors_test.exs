defmodule SnakeBridge.Runtime.Pool.ErrorsTest do
  use ExUnit.Case, async: true

  alias SnakeBridge.Error
  alias SnakeBridge.Runtime.Pool.Errors

  test "refusals name the pool, the numbers and the options that fix them" do
    assert %Error{type: :pool_overloaded, message: full} = Errors.queue_full(:p, 3, 3)
    assert full =~ "pool :p already has 3 calls waiting (max_queue: 3)"
    assert full =~ "`max_queue:`"
    assert %Error{type: :pool_overloaded, message: late} = Errors.checkout(:p, 50, 2)
    assert late =~ "within 50 ms (2 calls still queued"
    assert late =~ "`checkout_timeout:`"
  end

  test "a timeout names the limit, the worker, and the callbacks it covered" do
    assert %Error{type: :timeout, message: plain} = Errors.timeout(100, "p:1:ab", false)
    assert plain =~ "within 100 ms; its worker p:1:ab was stopped"
    assert plain =~ "snakebridge: [timeout: ms]"
    assert Errors.timeout(100, "w", true).message =~ "its Elixir callbacks included"
  end

  test "a pipelined call lost with its worker says it was not rerun, as :killed" do
    error = Errors.pipelined_lost("p:1:ab", "was stopped")
    assert %Error{type: :worker_crash, worker: "p:1:ab"} = error
    assert error.message =~ "Python worker p:1:ab was stopped while the call ahead"
    assert error.message =~ "Mark the function idempotent"
  end

  test "a worker's exit is told by what it was doing" do
    assert Errors.exit_message("w", "crashed", {:ready, "m.f"}, "py") =~
             "Python worker w crashed while running m.f (refs"

    assert Errors.exit_message("w", "crashed", {:ready, nil}, "py") =~
             "Python worker w crashed (refs"

    assert Errors.exit_message("w", "crashed", :callback, "py") =~ "waiting on an Elixir callback"

    assert Errors.exit_message("w", "crashed", :starting, "/bin/py") =~
             "check that /bin/py can run"
  end

  test "an open circuit names the function, its crashes, the last reason and the next probe" do
    circuit = %{state: :open, total: 3, reason: {:exit, 139}}
    assert %Error{type: :circuit_open, message: message} = Errors.circuit_open("m.f", circuit, 40)

    assert message =~
             "m.f is refused: it crashed its Python worker 3 times (last: exit status 139)"

    assert message =~ "one probe call will be let through in 40 ms"

    half = Errors.circuit_open("m.f", %{circuit | state: :half_open, reason: :hang}, 5)
    assert half.message =~ "hang, the worker stopped answering"
    assert half.message =~ "a probe call is running now"
  end
end
