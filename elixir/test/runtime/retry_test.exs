defmodule SnakeBridge.Runtime.RetryTest do
  use ExUnit.Case, async: true

  alias SnakeBridge.Runtime.Retry

  # uniform(n) -> n: always the longest backoff; uniform(_) -> 1: always 0 ms.
  defp longest(n), do: n
  defp shortest(_n), do: 1

  test "the series stops after `attempts` executions in all" do
    policy = %Retry{attempts: 3}
    assert {:retry, _} = Retry.next(policy, 1, :infinity)
    assert {:retry, _} = Retry.next(policy, 2, :infinity)
    assert :stop = Retry.next(policy, 3, :infinity)
    assert :stop = Retry.next(%Retry{attempts: 1}, 1, :infinity)
  end

  test "backoffs grow exponentially up to max, drawn from 0 to that bound (full jitter)" do
    policy = %Retry{attempts: 10, base: 10, max: 100}
    assert Enum.map(1..6, &Retry.cap(policy, &1)) == [10, 20, 40, 80, 100, 100]
    assert {:retry, 40} = Retry.next(policy, 3, :infinity, &longest/1)
    assert {:retry, 0} = Retry.next(policy, 3, :infinity, &shortest/1)

    for _ <- 1..200 do
      {:retry, ms} = Retry.next(policy, 2, :infinity)
      assert ms in 0..20
    end
  end

  test "no retry starts when its backoff alone would reach the deadline" do
    policy = %Retry{attempts: 5, base: 50, max: 50}
    assert {:retry, 50} = Retry.next(policy, 1, 51, &longest/1)
    assert :stop = Retry.next(policy, 1, 50, &longest/1)
    assert :stop = Retry.next(policy, 1, -5, &shortest/1)
    assert {:retry, 0} = Retry.next(policy, 1, 1, &shortest/1)
  end

  test "policies merge over a base and refuse what they cannot mean" do
    assert {:ok, %Retry{attempts: 3, base: 10, max: 1_000}} = Retry.policy(nil)
    base = %Retry{attempts: 5, base: 1, max: 7}
    assert {:ok, %Retry{attempts: 2, base: 1, max: 7}} = Retry.policy([attempts: 2], base)

    for bad <- [[attempts: 0], [tries: 2], [base: -1], [max: 1.5], :always, %{attempts: 2}] do
      assert {:error, message} = Retry.policy(bad)
      assert message =~ "retry: must be a keyword list"
      assert message =~ inspect(bad)
    end
  end
end
