defmodule SnakeBridge.Protocols.ValuesTest do
  @moduledoc """
  Values that keep their meaning, in real workers: dict and tuple subclasses stay Python
  objects (a Counter's methods, a scipy.stats result's field names), dates and times
  are Elixir's, sets are MapSets, decimals and complex numbers have their packages'
  layouts, numpy scalars are numbers.
  """
  use SnakeBridge.RuntimeCase, async: true
  use SnakeBridge.Operators

  alias SnakeBridge.{Duration, Error, Ref}

  setup_all do
    pool =
      start_pool(:"values_#{System.unique_integer([:positive])}",
        libraries:
          [numpy: "~> 2.0", scipy: "~> 1.13", collections: :stdlib, datetime: :stdlib] ++
            [decimal: :stdlib, fractions: :stdlib, builtins: :stdlib, sbproto: :stdlib]
      )

    {:ok, pool: pool}
  end

  defp call(module, fun, args, pool, opts \\ []),
    do: SnakeBridge.call!(module, fun, args, opts ++ [snakebridge: [pool: pool]])

  test "a value that came back by value is refused by ref functions with the reason", %{
    pool: pool
  } do
    # np.unique(x, return_counts=True) is a plain tuple of two arrays
    pair = call("numpy", "unique", [[1, 1, 2]], pool, return_counts: true)
    assert {%Ref{}, %Ref{}} = pair

    assert {:error, %Error{type: :bad_argument, message: message}} = SnakeBridge.to_elixir(pair)
    assert message =~ "SnakeBridge.to_elixir/1 takes a Python object"
    assert message =~ "call it on those"

    assert_raise Error, ~r/SnakeBridge.len!\/1 takes a Python object .* got \[1, 2\]/, fn ->
      SnakeBridge.len!([1, 2])
    end

    assert [1, 2] = pair |> elem(0) |> SnakeBridge.to_elixir!()
  end

  test "Counter keeps its methods: Counter(\"abracadabra\").most_common(2)", %{pool: pool} do
    counter = call("collections", "Counter", ["abracadabra"], pool)
    assert %Ref{type: "collections.Counter"} = counter
    assert [{"a", 5}, {"b", 2}] = SnakeBridge.method!(counter, "most_common", [2])
    assert 5 = counter["a"]
    # A Counter answers 0 for a missing key: Python's semantics, through Access too.
    assert 0 = counter["z"]
    assert {"r", 2} in Enum.to_list(counter)
    assert 5 = Enum.count(counter)
    assert %{"a" => 5, "b" => 2, "r" => 2, "c" => 1, "d" => 1} = SnakeBridge.to_elixir!(counter)

    ordered = call("collections", "OrderedDict", [[{"b", 1}, {"a", 2}]], pool)
    assert %Ref{type: "collections.OrderedDict"} = ordered
    assert [{"b", 1}, {"a", 2}] = Enum.to_list(ordered)
    SnakeBridge.method!(ordered, "move_to_end", ["b"])
    assert ["a", "b"] = SnakeBridge.method!(ordered, "keys") |> Enum.to_list()

    assert %Ref{type: "collections.defaultdict"} = call("collections", "defaultdict", [], pool)
    # A plain dict is still a map.
    assert %{"a" => 1} = call("builtins", "dict", [], pool, a: 1)
  end

  test "scipy.stats results keep their field names", %{pool: pool} do
    result =
      call("scipy.stats", "ttest_ind", [[1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0, 10.0]], pool)

    assert %Ref{} = result
    pvalue = result["pvalue"]
    assert is_float(pvalue) and pvalue > 0 and pvalue < 1
    assert ^pvalue = SnakeBridge.attr!(result, "pvalue")
    assert ^pvalue = result[1]
    assert {statistic, ^pvalue} = SnakeBridge.to_elixir!(result)
    assert statistic < 0
    assert is_float(result["df"])
    # collections.namedtuple too
    point = call("sbproto", "point", [1, 2], pool)
    assert %Ref{type: "sbproto.Point"} = point

    assert 2 = point["y"]
    assert [1, 2] = Enum.to_list(point)
  end

  test "OptimizeResult: a dict subclass with fields by name", %{pool: pool} do
    result = call("scipy.optimize", "minimize_scalar", [fn x -> (x - 2.0) * (x - 2.0) end], pool)
    assert %Ref{type: "scipy.optimize._optimize.OptimizeResult"} = result
    assert_in_delta result["x"], 2.0, 1.0e-6
    assert result["success"] == true
    assert %{"x" => x} = SnakeBridge.to_elixir!(result)
    assert_in_delta x, 2.0, 1.0e-6
  end

  test "dates, times and datetimes are Elixir's, both ways", %{pool: pool} do
    assert ~D[2024-02-29] = call("datetime", "date", [2024, 2, 29], pool)
    assert ~D[2024-03-01] = Date.add(call("datetime", "date", [2024, 2, 29], pool), 1)
    assert ~T[10:20:30.000005] = call("datetime", "time", [10, 20, 30, 5], pool)
    assert ~T[10:20:30] = call("datetime", "time", [10, 20, 30], pool)

    assert ~N[2024-01-01 12:00:00.000005] =
             call("datetime", "datetime", [2024, 1, 1, 12, 0, 0, 5], pool)

    {:ok, utc} = SnakeBridge.get("datetime", "timezone.utc", snakebridge: [pool: pool])
    now = call("datetime", "datetime.now", [utc], pool)
    assert %DateTime{time_zone: "Etc/UTC", utc_offset: 0} = now
    assert DateTime.diff(DateTime.utc_now(), now, :second) in 0..60

    assert ["datetime", "2024-01-01T00:00:00.000001+00:00"] =
             call("sbproto", "describe", [~U[2024-01-01 00:00:00.000001Z]], pool)

    assert ["date", "0001-01-01"] = call("sbproto", "describe", [~D[0001-01-01]], pool)
    assert ["time", "23:59:59.999999"] = call("sbproto", "describe", [~T[23:59:59.999999]], pool)

    assert {:error, %Error{type: :bad_argument, message: message}} =
             SnakeBridge.call("sbproto", "describe", [~D[0000-12-31]], snakebridge: [pool: pool])

    assert message =~ "argument 1: %Date{}"
    assert message =~ "year 0 is out of range"
  end

  test "time zones: offsets, DST folds and IANA names cross", %{pool: pool} do
    zone = call("sbproto", "zone", ["Europe/Oslo"], pool)
    summer = call("datetime", "datetime", [2024, 7, 1, 12, 0], pool, tzinfo: zone)

    assert %DateTime{
             time_zone: "Europe/Oslo",
             zone_abbr: "CEST",
             utc_offset: 3600,
             std_offset: 3600
           } = summer

    assert ~U[2024-07-01 10:00:00Z] = DateTime.shift_zone!(summer, "Etc/UTC")
    assert ["datetime", "2024-07-01T12:00:00+02:00"] = call("sbproto", "describe", [summer], pool)
    # An Elixir DateTime in a zone Elixir itself cannot shift (no tz database) still
    # reaches Python with its zone.
    assert ["ZoneInfo", "zoneinfo.ZoneInfo(key='Europe/Oslo')"] =
             call("sbproto", "tz_of", [summer], pool)

    fixed = %DateTime{
      summer
      | time_zone: "Mars/Base",
        zone_abbr: "MBT",
        utc_offset: -3600,
        std_offset: 0
    }

    assert ["datetime", "2024-07-01T12:00:00-01:00"] = call("sbproto", "describe", [fixed], pool)
  end

  test "timedelta is a SnakeBridge.Duration", %{pool: pool} do
    assert %Duration{microseconds: 86_400_000_003} =
             call("datetime", "timedelta", [], pool, days: 1, microseconds: 3)

    assert ["timedelta", "datetime.timedelta(seconds=90)"] =
             call("sbproto", "describe", [Duration.new(90, :second)], pool)

    assert ["timedelta", "datetime.timedelta(days=-2)"] =
             call("sbproto", "describe", [Duration.new(-2, :day)], pool)

    assert {:error, %Error{type: :bad_argument}} =
             SnakeBridge.call("sbproto", "describe", [Duration.new(Integer.pow(10, 20), :day)],
               snakebridge: [pool: pool]
             )
  end

  test "sets are MapSets, both ways", %{pool: pool} do
    assert MapSet.new([1, 2, 3]) == call("builtins", "set", [[1, 2, 3, 3]], pool)
    assert MapSet.new() == call("builtins", "set", [], pool)
    assert MapSet.new(["a"]) == call("builtins", "frozenset", [["a"]], pool)
    assert ["set", _] = call("sbproto", "describe", [MapSet.new([1])], pool)
    assert MapSet.member?(call("builtins", "set", [[1]], pool), 1)
  end

  test "Decimal, Fraction and complex by their rules", %{pool: pool} do
    decimal = call("decimal", "Decimal", ["-1.10"], pool)
    assert %{__struct__: Decimal, sign: -1, coef: 110, exp: -2} = decimal
    assert ["Decimal", "Decimal('-1.10')"] = call("sbproto", "describe", [decimal], pool)
    assert %{coef: :NaN} = call("decimal", "Decimal", ["NaN"], pool)
    assert %{coef: :inf, sign: -1} = call("decimal", "Decimal", ["-Infinity"], pool)

    third = call("fractions", "Fraction", [1, 3], pool)
    assert %Ref{type: "fractions.Fraction"} = third
    assert "1/2" = to_string(third + call("fractions", "Fraction", [1, 6], pool))

    assert %{__struct__: Complex, re: 1.0, im: -2.0} = call("builtins", "complex", [1, -2], pool)

    assert ["complex", "(3+4j)"] =
             call("sbproto", "describe", [%{__struct__: Complex, re: 3, im: 4}], pool)

    assert %{__struct__: Complex, re: 0.0, im: 1.0} =
             call("numpy", "complex128", [%{__struct__: Complex, re: 0, im: 1}], pool)
  end

  test "numpy scalars are numbers even when numpy is not declared" do
    pool =
      start_pool(:"pandas_only_#{System.unique_integer([:positive])}",
        libraries: [pandas: "~> 2.2"]
      )

    df =
      SnakeBridge.call!("pandas", "DataFrame", [%{"age" => [25, 40, 35]}],
        snakebridge: [pool: pool]
      )

    assert 100 = SnakeBridge.method!(df["age"], "sum")
    assert 33.333333333333336 = SnakeBridge.method!(df["age"], "mean")
    assert true = SnakeBridge.method!(df["age"] > 20, "all")
  end

  test "random Elixir dates and times round trip through Python", %{pool: pool} do
    :rand.seed(:exsss, {1, 2, 3})

    values =
      for _ <- 1..300 do
        date = Date.add(~D[0001-01-01], :rand.uniform(3_652_058) - 1)
        us = Enum.random([0, :rand.uniform(999_999)])
        micro = if us == 0, do: {0, 0}, else: {us, 6}

        time = %Time{
          hour: :rand.uniform(24) - 1,
          minute: :rand.uniform(60) - 1,
          second: :rand.uniform(60) - 1,
          microsecond: micro
        }

        naive = NaiveDateTime.new!(date, time)

        Enum.random([
          date,
          time,
          naive,
          DateTime.from_naive!(naive, "Etc/UTC"),
          Duration.new(:rand.uniform(10_000_000_000_000) - 5_000_000_000_000),
          MapSet.new(Enum.take_random(1..50, 5))
        ])
      end

    assert ^values = call("sbproto", "echo", [values], pool) |> hd()
  end
end
