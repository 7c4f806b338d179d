defmodule ProtocolsApp do
  @moduledoc """
  Python objects as Elixir code uses them: numpy slicing and boolean masks, pandas column
  access and filtering, sympy arithmetic under `use SnakeBridge.Operators`, a Counter and
  a scipy.stats result keeping their identity, datetimes both ways, a library exception
  rescued by name, a library whose default module name would collide (`time`), and the
  app's own Python module (`priv/python/pricing.py`, declared `pricing: :local`).
  """
  use SnakeBridge.Operators
  require SnakeBridge.Error

  def cases do
    arr = Numpy.arange!(12) |> Numpy.reshape!({3, 4})
    df = Pandas.DataFrame.new!(%{"city" => ["Oslo", "Lima", "Pune"], "age" => [25, 40, 35]})
    x = Sympy.Symbol.new!("x")

    [
      # arr[1]; arr[0:2, ::2]; arr[..., -1]; arr[arr > 6]; arr[(arr % 2 == 0) & (arr > 2)]
      {"numpy_row", fn -> list(arr[1]) end},
      {"numpy_slice",
       fn -> list(arr[{SnakeBridge.slice(0, 2, nil), SnakeBridge.slice(nil, nil, 2)}]) end},
      {"numpy_ellipsis", fn -> list(arr[{:..., -1}]) end},
      {"numpy_mask", fn -> list(arr[arr > 6]) end},
      {"numpy_mask_and", fn -> list(arr[band(mod(arr, 2) == 0, arr > 2)]) end},
      {"numpy_arith", fn -> list(arr * 2 + 1) |> hd() end},
      # df["city"]; df[df["age"] > 30]; df[df["age"] > 30]["city"]; len(df)
      {"pandas_column", fn -> list(df["city"]) end},
      {"pandas_filter", fn -> list(df[df["age"] > 30]["city"]) end},
      {"pandas_column_math", fn -> list(df["age"] + 1) end},
      {"pandas_len", fn -> SnakeBridge.len!(df) end},
      # x**2 + 2*x + 1; expand((x + 1)**3); (x + 1) == (1 + x)
      {"sympy_ops", fn -> to_string(x ** 2 + 2 * x + 1) end},
      {"sympy_expand", fn -> to_string(Sympy.expand!((x + 1) ** 3)) end},
      {"sympy_eq", fn -> x + 1 == 1 + x end},
      {"kernel_untouched", fn -> {1 + 2, 7 / 2, 2 ** 10, 3 == 3.0} end},
      # Counter("abracadabra").most_common(2); Counter(...)["a"]
      {"counter_most_common",
       fn ->
         Collections.Counter.new!("abracadabra") |> Collections.Counter.most_common!(2)
       end},
      {"counter_item", fn -> Collections.Counter.new!("abracadabra")["a"] end},
      # scipy.stats.ttest_ind(a, b).pvalue; .statistic
      {"ttest_pvalue",
       fn -> Scipy.Stats.ttest_ind!([1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 9.0])["pvalue"] end},
      {"ttest_fields",
       fn ->
         result = Scipy.Stats.ttest_ind!([1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 9.0])
         {result["statistic"], SnakeBridge.attr!(result, "df")}
       end},
      # datetime(2024, 1, 2, 3, 4, 5, 6); datetime.fromisoformat(...) with an offset
      {"datetime_naive",
       fn ->
         Datetime.Datetime.new!(2024, 1, 2, 3, 4, 5, 6) |> NaiveDateTime.to_iso8601()
       end},
      {"datetime_aware",
       fn ->
         Datetime.Datetime.fromisoformat!("2024-01-02T03:04:05+02:00") |> DateTime.to_iso8601()
       end},
      {"date", fn -> Datetime.Date.new!(2024, 2, 29) |> Date.to_iso8601() end},
      # Elixir values into Python: date.isoformat(d), (d2 - d1).days, dt.tzname()
      {"elixir_date_in", fn -> Datetime.Date.isoformat!(~D[2024-02-29]) end},
      {"elixir_datetime_in",
       fn -> Datetime.Datetime.isoformat!(~U[2024-01-02 03:04:05.000006Z]) end},
      {"elixir_naive_weekday", fn -> Datetime.Datetime.weekday!(~N[2024-01-02 03:04:05]) end},
      # numpy.linalg.inv(singular) raises LinAlgError
      {"linalg_error", fn -> singular() end},
      {"py_time", fn -> is_float(PyTime.monotonic!()) and match?(%Time{}, Time.utc_now()) end},
      # the app's own module (priv/python/pricing.py): pricing.with_tax(100.0),
      # with_tax(100.0, 0.1), with_tax(99.99, places=0)
      {"local_function",
       fn ->
         {Pricing.with_tax!(100.0), Pricing.with_tax!(100.0, 0.1),
          Pricing.with_tax!(99.99, places: 0)}
       end},
      # pen = Item("pen", 1.5, 4); pen.total(); subtotal([pen, Item("pad", 3.0)])
      {"local_class",
       fn ->
         pen = Pricing.Item.new!("pen", 1.5, 4)
         {Pricing.Item.total!(pen), Pricing.subtotal!([pen, Pricing.Item.new!("pad", 3.0)])}
       end},
      {"local_error", fn -> negative_amount() end},
      # Access: arr[99] and df["nope"] are nil (as a map's missing key), Counter()["zz"]
      # is 0 as in Python; get_item!/2 raises Python's IndexError/KeyError
      {"access_missing", fn -> {arr[99], df["nope"], Collections.Counter.new!("ab")["zz"]} end},
      {"access_bang",
       fn ->
         {rescued(fn -> SnakeBridge.get_item!(arr, 99) end),
          rescued(fn -> SnakeBridge.get_item!(df, "nope") end)}
       end},
      # od = OrderedDict(a=1, b=2); od.pop("a"), dict(od)
      {"pop_in",
       fn ->
         od = Collections.OrderedDict.new!([{"a", 1}, {"b", 2}])
         {value, od} = pop_in(od["a"])
         {value, SnakeBridge.to_elixir!(od)}
       end},
      # a = np.zeros(3); a[1] = 5.0; a[2] += 1
      {"put_in",
       fn ->
         a = Numpy.zeros!(3)
         a = put_in(a[1], 5.0)
         list(update_in(a[2], &(&1 + 1)))
       end},
      # ranges index inclusively: arr[0, 1:3]; v[-3:]; v[0:9:3]
      {"range_index",
       fn ->
         v = Numpy.arange!(10)
         {list(arr[{0, 1..2}]), list(v[-3..-1]), list(v[0..8//3])}
       end},
      # np.arange(3)[None, ...].shape; np.arange(3)[..., np.newaxis].shape
      {"newaxis",
       fn ->
         v = Numpy.arange!(3)

         {SnakeBridge.attr!(v[{nil, :...}], "shape"),
          SnakeBridge.attr!(v[{:..., SnakeBridge.newaxis()}], "shape")}
       end},
      # 10 - arr; -arr; arr @ np.ones((4, 1)); ~((arr > 8) | (arr < 2))
      {"reflected_ops",
       fn ->
         {hd(list(10 - arr)), hd(list(-arr)), list(matmul(arr, Numpy.ones!({4, 1}))),
          hd(list(bnot(bor(arr > 8, arr < 2))))}
       end},
      # Fraction(1, 3) + Fraction(1, 6); 1 + Fraction(1, 3): a ref, exact in Python
      {"fraction_ops",
       fn ->
         third = Fractions.Fraction.new!(1, 3)
         {to_string(third + Fractions.Fraction.new!(1, 6)), to_string(1 + third)}
       end},
      # defaultdict(int)["missing"]; a scipy.stats result by index, by name, as a tuple
      {"defaultdict", fn -> Collections.Defaultdict.new!(&Builtins.int!/0)["missing"] end},
      {"result_by_index",
       fn ->
         result = Scipy.Stats.ttest_ind!([1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 9.0])
         {result[1] == result["pvalue"], tuple_size(SnakeBridge.to_elixir!(result))}
       end},
      # set([1, 2, 2]) is a MapSet; sorted({3, 1}) from a MapSet
      {"sets",
       fn ->
         set = Builtins.set!([1, 2, 2])
         {match?(%MapSet{}, set), Enum.sort(set), Builtins.sorted!(MapSet.new([3, 1]))}
       end},
      # Decimal("1.50") is %Decimal{sign, coef, exp}, and back: repr; complex(1, 2); abs(3+4j)
      {"decimal_complex",
       fn ->
         d = PyDecimal.Decimal.new!("1.50")
         c = Builtins.complex!(1, 2)

         {{d.__struct__, d.sign, d.coef, d.exp}, Builtins.repr!(d), {c.__struct__, c.re, c.im},
          Builtins.abs!(Builtins.complex!(3, 4))}
       end},
      # datetime(2024, 7, 1, 12, tzinfo=ZoneInfo("Europe/Oslo")) and back: isoformat, tzname
      {"zoned_datetime",
       fn ->
         oslo = Zoneinfo.ZoneInfo.new!("Europe/Oslo")
         dt = Datetime.Datetime.new!(2024, 7, 1, 12, 0, 0, tzinfo: oslo)

         {DateTime.to_iso8601(dt), dt.time_zone, dt.zone_abbr, Datetime.Datetime.isoformat!(dt),
          Datetime.Datetime.tzname!(dt)}
       end},
      # df.apply(np.sum); sorted(words, key=str.lower): a generated binding's capture is
      # the Python function itself; an Elixir fn is a callback
      {"function_values",
       fn ->
         nums = Pandas.DataFrame.new!(%{"a" => [1, 2], "b" => [3, 4]})

         {list(Pandas.DataFrame.apply!(nums, &Numpy.sum!/1)),
          Builtins.sorted!(["b", "A", "c"], key: &Builtins.Str.lower!/1),
          Builtins.sorted!(["bb", "a", "ccc"], key: &String.length/1)}
       end},
      {"function_identity",
       fn ->
         {Builtins.repr!(&Numpy.sum!/1) =~ ~r/^<function sum at /,
          Builtins.repr!(&Builtins.Str.lower!/1),
          Builtins.repr!(fn x -> x end) =~ ~r/^<Elixir function /}
       end},
      # except ValueError (LinAlgError, whose module this app generates, and AxisError,
      # which it never names); except BasePolynomialError (Poly(1/x, x))
      {"exception_family",
       fn ->
         singular = fn -> Numpy.Linalg.inv!([[1.0, 2.0], [2.0, 4.0]]) end
         axis = fn -> Numpy.sum!([1, 2], axis: 5) end
         poly = fn -> Sympy.Poly.new!(Sympy.sympify!("1/x"), x) end

         {family(singular, "ValueError"), family(axis, "ValueError"),
          family(poly, "sympy.polys.polyerrors.BasePolynomialError"),
          value_error_rescued(singular), value_error_rescued(axis)}
       end},
      # except ValueError, by rescue: the family holds the generated LinAlgError; except
      # Exception (family(SnakeBridge.Error)) for Poly(1/x, x), which is no ValueError
      {"exception_family_by_rescue",
       fn ->
         singular = fn -> Numpy.Linalg.inv!([[1.0, 2.0], [2.0, 4.0]]) end
         axis = fn -> Numpy.sum!([1, 2], axis: 5) end
         poly = fn -> Sympy.Poly.new!(Sympy.sympify!("1/x"), x) end

         {value_family(singular), value_family(axis), value_family(poly), any_family(poly)}
       end}
    ]
  end

  # The whole ValueError family, whichever of its modules this app generated.
  defp value_family(fun) do
    fun.()
  rescue
    e in SnakeBridge.Error.family(SnakeBridge.ValueError) -> {:caught, inspect(e.__struct__)}
    e -> {:other, inspect(e.__struct__)}
  end

  defp any_family(fun) do
    fun.()
  rescue
    e in SnakeBridge.Error.family(SnakeBridge.Error) -> {:caught, inspect(e.__struct__)}
  end

  # The raised struct is the closest generated (else builtin) module along the MRO; the
  # guard catches the Python family whichever it is.
  defp family(fun, class) do
    fun.()
  catch
    :error, e when SnakeBridge.Error.is_python_error(e, class) ->
      {:caught, inspect(e.__struct__), SnakeBridge.Error.python_class?(e, "IndexError")}
  end

  # rescue SnakeBridge.ValueError is an exact struct check: it misses the generated
  # Numpy.Linalg.LinAlgError and catches AxisError, which has no module of its own.
  defp value_error_rescued(fun) do
    fun.()
  rescue
    e in SnakeBridge.ValueError -> {:value_error, e.error.python_type}
    e -> {:other, inspect(e.__struct__)}
  end

  defp rescued(fun) do
    fun.()
  rescue
    e in [SnakeBridge.IndexError, SnakeBridge.KeyError] -> {:rescued, e.error.python_type}
  end

  defp negative_amount do
    Pricing.with_tax!(-1.0)
  rescue
    e in SnakeBridge.ValueError -> {:rescued, e.error.python_type, e.error.message}
  end

  defp singular do
    Numpy.Linalg.inv!([[1.0, 2.0], [2.0, 4.0]])
  rescue
    e in Numpy.Linalg.LinAlgError -> {:rescued, e.error.python_type, e.error.message}
  end

  defp list(ref), do: SnakeBridge.method!(ref, "tolist")
end
