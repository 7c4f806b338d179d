defmodule ProtocolsApp do
  @moduledoc """
  Python objects as Elixir code uses them: numpy slicing and boolean masks, pandas column
  access and filtering, sympy arithmetic under `use SnakeBridge.Operators`, a Counter and
  a scipy.stats result keeping their identity, datetimes both ways, a library exception
  rescued by name, a library whose default module name would collide (`time`), and the
  app's own Python module (`priv/python/pricing.py`, declared `pricing: :local`).
  """
  use SnakeBridge.Operators

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
      {"local_error", fn -> negative_amount() end}
    ]
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
