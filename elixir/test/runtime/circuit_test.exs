defmodule SnakeBridge.Runtime.CircuitTest do
  use ExUnit.Case, async: true

  alias SnakeBridge.Runtime.Circuit

  @limits %{crashes: 3, window: 60_000, cool_down: 1_000, max_cool_down: 3_000}

  defp crash(circuits, at, key \\ "m.f"), do: Circuit.crash(circuits, key, :segfault, at, @limits)

  test "opens after N crashes within the window, for the cool-down" do
    {c, :counted, _} = crash(%{}, 0)
    {c, :counted, _} = crash(c, 10)
    assert Circuit.check(c, "m.f", 20) == :ok
    {c, :opened, circuit} = crash(c, 20)
    assert %Circuit{state: :open, until: 1_020, total: 3, reason: :segfault} = circuit
    assert {:open, ^circuit} = Circuit.check(c, "m.f", 1_019)
    # Other functions are unaffected.
    assert Circuit.check(c, "m.g", 30) == :ok
  end

  test "crashes older than the window do not count" do
    {c, :counted, _} = crash(%{}, 0)
    {c, :counted, _} = crash(c, 10)
    {c, :counted, _} = crash(c, 60_005)
    assert Circuit.check(c, "m.f", 60_006) == :ok
  end

  test "after the cool-down one probe runs: success closes, a crash doubles the cool-down up to the max" do
    c = Enum.reduce([0, 1, 2], %{}, fn t, c -> c |> crash(t) |> elem(0) end)
    assert {:probe, c} = Circuit.check(c, "m.f", 1_002)
    # While the probe runs, others are refused.
    assert {:open, %Circuit{state: :half_open}} = Circuit.check(c, "m.f", 1_003)
    assert Circuit.success(c, "m.f") == %{}

    {c, :reopened, %Circuit{until: 3_002, cool_down: 2_000}} = crash(c, 1_002)
    assert {:probe, c} = Circuit.check(c, "m.f", 3_002)
    {c, :reopened, %Circuit{cool_down: 3_000}} = crash(c, 3_002)
    assert {:probe, c} = Circuit.check(c, "m.f", 6_002)
    {_c, :reopened, %Circuit{cool_down: 3_000}} = crash(c, 6_002)
  end

  test "a probe that never reports back lets another probe through later" do
    c = Enum.reduce([0, 1, 2], %{}, fn t, c -> c |> crash(t) |> elem(0) end)
    assert {:probe, c} = Circuit.check(c, "m.f", 1_002)
    assert {:open, _} = Circuit.check(c, "m.f", 2_001)
    assert {:probe, _} = Circuit.check(c, "m.f", 2_002)
  end

  test "success on a closed circuit keeps its count; report lists every tainted function" do
    {c, :counted, _} = crash(%{}, 0)
    assert Circuit.success(c, "m.f") == c

    assert [%{function: "m.f", state: :closed, crashes: 1, reason: :segfault, retry_in_ms: nil}] =
             Circuit.report(c, 5)
  end

  test "limits merge options over defaults" do
    assert Circuit.limits([crashes: 5], Circuit.defaults()).crashes == 5
    assert Circuit.limits(nil, @limits) == @limits
  end

  test "each crashing probe doubles the cool-down: the series up to the maximum, then flat" do
    limits = Circuit.defaults()

    c =
      Enum.reduce([0, 1, 2], %{}, fn t, c ->
        c |> Circuit.crash("m.f", :abort, t, limits) |> elem(0)
      end)

    {series, _c} =
      Enum.reduce(1..9, {[], c}, fn _, {series, c} ->
        %Circuit{until: until} = c["m.f"]
        # Refused right up to the end of the cool-down, then one probe, which crashes.
        assert {:open, _} = Circuit.check(c, "m.f", until - 1)
        assert [%{retry_in_ms: 1}] = Circuit.report(c, until - 1)
        assert {:probe, c} = Circuit.check(c, "m.f", until)
        {c, :reopened, circuit} = Circuit.crash(c, "m.f", :abort, until, limits)
        {series ++ [circuit.cool_down], c}
      end)

    assert series == [
             20_000,
             40_000,
             80_000,
             160_000,
             320_000,
             600_000,
             600_000,
             600_000,
             600_000
           ]
  end

  test "verdict: a function with crashes on record is suspect, an open one taints" do
    assert Circuit.verdict(%{}, "m.f") == :clean
    {c, :counted, _} = crash(%{}, 0)
    assert Circuit.verdict(c, "m.f") == :suspect
    assert Circuit.verdict(c, "m.g") == :clean
    c = Enum.reduce([1, 2], c, fn t, c -> c |> crash(t) |> elem(0) end)
    assert Circuit.verdict(c, "m.f") == :tainted
  end
end
