defmodule PandasApp do
  @moduledoc "Calls as pandas' documentation writes them (pandas.pydata.org/docs/reference)."

  def cases do
    df = Pandas.DataFrame.new!(%{"col1" => [1, 2], "col2" => [3, 4]})
    cities = Pandas.DataFrame.new!(%{"city" => ["a", "b", "a"], "n" => [1, 2, 3]})

    [
      # pd.DataFrame(data=d); df.shape; df.columns.tolist()
      {"dataframe_shape", fn -> Pandas.DataFrame.shape!(df) end},
      {"dataframe_columns",
       fn -> df |> Pandas.DataFrame.columns!() |> Pandas.Index.tolist!() end},
      # pd.DataFrame(d, index=["x", "y"]) positionally, as the docs' examples do
      {"dataframe_index",
       fn ->
         Pandas.DataFrame.new!(%{"a" => [1, 2]}, ["x", "y"])
         |> Pandas.DataFrame.index!()
         |> Pandas.Index.tolist!()
       end},
      # df.assign(col3=[5, 6]): **kwargs documented by name
      {"assign",
       fn ->
         df |> Pandas.DataFrame.assign!(col3: [5, 6]) |> Pandas.DataFrame.to_dict!("list")
       end},
      # df.groupby("city").sum()
      {"groupby",
       fn ->
         cities
         |> Pandas.DataFrame.groupby!("city")
         |> SnakeBridge.method!("sum")
         |> Pandas.DataFrame.to_dict!()
       end},
      # pd.Timestamp("2024-01-02").day_name(); pd.Timestamp(2017, 1, 1, 12)
      {"timestamp",
       fn -> Pandas.Timestamp.new!("2024-01-02") |> Pandas.Timestamp.day_name!() end},
      {"timestamp_parts",
       fn -> Pandas.Timestamp.new!(2017, 1, 1, 12) |> Pandas.Timestamp.isoformat!() end},
      # pd.to_datetime("2018-10-26 12:00").isoformat()
      {"to_datetime",
       fn -> Pandas.to_datetime!("2018-10-26 12:00") |> Pandas.Timestamp.isoformat!() end},
      # pd.DateOffset(months=1); ts + DateOffset(...) is an operator: freqstr instead
      {"dateoffset", fn -> Pandas.DateOffset.new!(months: 1) |> Pandas.DateOffset.freqstr!() end},
      # pd.Series([1, 2, 3]).mean(); s.head(2).tolist()
      {"series_mean", fn -> Pandas.Series.new!([1, 2, 3]) |> Pandas.Series.mean!() end},
      {"series_head",
       fn ->
         Pandas.Series.new!([1, 2, 3]) |> Pandas.Series.head!(2) |> Pandas.Series.tolist!()
       end},
      # pd.date_range("2018-01-01", periods=3, freq="D").strftime("%Y-%m-%d").tolist()
      {"date_range",
       fn ->
         Pandas.date_range!("2018-01-01", periods: 3, freq: "D")
         |> Pandas.DatetimeIndex.strftime!("%Y-%m-%d")
         |> Pandas.Index.tolist!()
       end},
      # pd.concat([s1, s2], ignore_index=True).tolist()
      {"concat",
       fn ->
         Pandas.concat!([Pandas.Series.new!(["a", "b"]), Pandas.Series.new!(["c"])],
           ignore_index: true
         )
         |> Pandas.Series.tolist!()
       end},
      # pd.isna(None)
      {"isna", fn -> Pandas.isna!(nil) end},

      # df.sort_values(by="col1", ascending=False).to_dict("list")
      {"sort_values",
       fn ->
         df
         |> Pandas.DataFrame.sort_values!(by: "col1", ascending: false)
         |> Pandas.DataFrame.to_dict!("list")
       end},
      # pd.Series([1, 2, 3]).sum(); s.tolist() of pd.to_numeric(["1.0", "2"])
      {"series_sum", fn -> Pandas.Series.new!([1, 2, 3]) |> Pandas.Series.sum!() end},
      {"to_numeric",
       fn -> Pandas.to_numeric!(Pandas.Series.new!(["1.0", "2"])) |> Pandas.Series.tolist!() end},
      # df.describe().loc["mean"].tolist() -> via df.mean().tolist()
      {"dataframe_mean", fn -> Pandas.DataFrame.mean!(df) |> Pandas.Series.tolist!() end},
      # pd.merge(left, right, on="key")
      {"merge",
       fn ->
         left = Pandas.DataFrame.new!(%{"key" => ["a", "b"], "l" => [1, 2]})
         right = Pandas.DataFrame.new!(%{"key" => ["a", "b"], "r" => [3, 4]})
         Pandas.merge!(left, right, on: "key") |> Pandas.DataFrame.to_dict!("list")
       end},

      # pd.Series([1, 2, 3]).apply(lambda v: v * 2).tolist()
      {"series_apply",
       fn ->
         Pandas.Series.new!([1, 2, 3])
         |> Pandas.Series.apply!(fn v -> v * 2 end)
         |> Pandas.Series.tolist!()
       end},
      # cities.pivot_table(values="n", index="city", aggfunc="sum").to_dict()
      {"pivot_table",
       fn ->
         cities
         |> Pandas.DataFrame.pivot_table!(values: "n", index: "city", aggfunc: "sum")
         |> Pandas.DataFrame.to_dict!()
       end},
      # df.col1.tolist(): a column read as an attribute
      {"column_attribute", fn -> df |> Pandas.DataFrame.col1!() |> Pandas.Series.tolist!() end},
      # more calls as the library's documentation writes them
      {"pd_series_nan",
       fn ->
         Pandas.Series.new!([1, 3, 5, :nan, 6, 8])
         |> Pandas.Series.isna!()
         |> Pandas.Series.sum!()
       end},
      {"pd_date_range_periods",
       fn ->
         Pandas.date_range!("20130101", periods: 3)
         |> Pandas.DatetimeIndex.strftime!("%Y-%m-%d")
         |> Pandas.Index.tolist!()
       end},
      {"pd_describe",
       fn ->
         Pandas.DataFrame.new!(%{"A" => [1, 2, 3]})
         |> Pandas.DataFrame.describe!()
         |> Pandas.DataFrame.to_dict!()
       end},
      {"pd_T",
       fn ->
         Pandas.DataFrame.new!(%{"A" => [1, 2]})
         |> Pandas.DataFrame.py_T!()
         |> Pandas.DataFrame.to_dict!()
       end},
      {"pd_sort_index",
       fn ->
         Pandas.DataFrame.new!(%{"A" => [1], "B" => [2]})
         |> Pandas.DataFrame.sort_index!(axis: 1, ascending: false)
         |> Pandas.DataFrame.columns!()
         |> Pandas.Index.tolist!()
       end},
      {"pd_iloc",
       fn ->
         Pandas.DataFrame.new!(%{"A" => [1, 2, 3]})
         |> Pandas.DataFrame.iloc!()
         |> then(& &1[1])
         |> Pandas.Series.tolist!()
       end},
      {"pd_loc",
       fn ->
         Pandas.DataFrame.new!(%{"A" => [1, 2]}, ["x", "y"])
         |> Pandas.DataFrame.loc!()
         |> then(& &1["y"])
         |> Pandas.Series.to_dict!()
       end},
      {"pd_dropna",
       fn ->
         Pandas.DataFrame.new!(%{"A" => [1, nil, 3]})
         |> Pandas.DataFrame.dropna!(how: "any")
         |> Pandas.DataFrame.to_dict!("list")
       end},
      {"pd_fillna",
       fn ->
         Pandas.DataFrame.new!(%{"A" => [1.0, :nan]})
         |> Pandas.DataFrame.fillna!(value: 5)
         |> Pandas.DataFrame.to_dict!("list")
       end},
      {"pd_agg_list",
       fn ->
         Pandas.DataFrame.new!(%{"A" => [1, 5]})
         |> Pandas.DataFrame.agg!(["min", "max"])
         |> Pandas.DataFrame.to_dict!()
       end},
      {"pd_apply_fn",
       fn ->
         Pandas.DataFrame.new!(%{"A" => [1, 5]})
         |> Pandas.DataFrame.apply!(fn col ->
           Pandas.Series.max!(col) - Pandas.Series.min!(col)
         end)
         |> Pandas.Series.to_dict!()
       end},
      {"pd_value_counts",
       fn ->
         Pandas.Series.new!(["a", "b", "a"])
         |> Pandas.Series.value_counts!()
         |> Pandas.Series.to_dict!()
       end},
      {"pd_str_lower",
       fn ->
         Pandas.Series.new!(["A", "B"])
         |> Pandas.Series.str!()
         |> SnakeBridge.method!("lower", [])
         |> Pandas.Series.tolist!()
       end},
      {"pd_groupby_sum",
       fn ->
         Pandas.DataFrame.new!(%{"A" => ["x", "y", "x"], "C" => [1, 2, 3]})
         |> Pandas.DataFrame.groupby!("A")
         |> Pandas.Core.Groupby.DataFrameGroupBy.sum!()
         |> Pandas.DataFrame.to_dict!()
       end},
      {"pd_read_csv",
       fn ->
         Pandas.read_csv!(Io.StringIO.new!("a,b\n1,2\n3,4\n"))
         |> Pandas.DataFrame.to_dict!("list")
       end},
      {"pd_to_csv",
       fn -> Pandas.DataFrame.new!(%{"a" => [1]}) |> Pandas.DataFrame.to_csv!(index: false) end},
      {"pd_timedelta",
       fn -> Pandas.Timedelta.new!("1 days") |> Pandas.Timedelta.total_seconds!() end},
      {"pd_rolling",
       fn ->
         Pandas.Series.new!([1, 2, 3])
         |> Pandas.Series.rolling!(2)
         |> Pandas.Core.Window.Rolling.Rolling.mean!()
         |> Pandas.Series.tolist!()
         |> Enum.drop(1)
       end},
      {"pd_cumsum",
       fn ->
         Pandas.Series.new!([1, 2, 3]) |> Pandas.Series.cumsum!() |> Pandas.Series.tolist!()
       end},
      {"pd_shift",
       fn ->
         Pandas.Series.new!([1, 2, 3])
         |> Pandas.Series.shift!(1)
         |> Pandas.Series.tolist!()
         |> Enum.drop(1)
       end},
      {"pd_cut",
       fn -> Pandas.cut!([1, 2, 3, 4], bins: 2, labels: false) |> Numpy.Ndarray.tolist!() end},
      {"pd_astype",
       fn ->
         Pandas.Series.new!(["1", "2"])
         |> Pandas.Series.astype!("int64")
         |> Pandas.Series.tolist!()
       end},
      # python-dateutil (dateutil.readthedocs.io, examples), which pandas parses dates with
      {"du_parse",
       fn -> Dateutil.Parser.parse!("2003-09-25T10:49:41") |> NaiveDateTime.to_iso8601() end},
      {"du_parse_ignoretz",
       fn ->
         Dateutil.Parser.parse!("Thu Sep 25 10:36:28 BRST 2003", ignoretz: true)
         |> NaiveDateTime.to_iso8601()
       end},
      {"du_parse_dayfirst",
       fn ->
         Dateutil.Parser.parse!("10-09-2003", dayfirst: true) |> NaiveDateTime.to_iso8601()
       end},
      {"du_relativedelta_between",
       fn ->
         Dateutil.Relativedelta.Relativedelta.new!(
           ~N[2003-10-24 10:00:00],
           ~N[2003-09-17 00:00:00]
         )
         |> to_string()
       end},
      {"du_relativedelta_weekday",
       fn ->
         Dateutil.Relativedelta.Relativedelta.new!(weekday: Dateutil.Relativedelta.py_MO!(1))
         |> to_string()
       end},
      # relativedelta(weekday=MO): the callable object itself, read as a value
      {"du_relativedelta_weekday_value",
       fn ->
         {:ok, mo} = SnakeBridge.get("dateutil.relativedelta", "MO")
         Dateutil.Relativedelta.Relativedelta.new!(weekday: mo) |> to_string()
       end},
      {"du_weekday_negative", fn -> Dateutil.Relativedelta.py_FR!(-1) |> to_string() end},
      {"du_rrule",
       fn ->
         Dateutil.Rrule.rrule!(Dateutil.Rrule.py_DAILY!(),
           count: 3,
           dtstart: Dateutil.Parser.parse!("19970902T090000")
         )
         |> Enum.map(&NaiveDateTime.to_iso8601/1)
       end},
      {"du_easter", fn -> Dateutil.Easter.easter!(2024) |> Date.to_iso8601() end}
    ]
  end
end
