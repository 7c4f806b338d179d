import pandas as pd

df = pd.DataFrame({"col1": [1, 2], "col2": [3, 4]})
cities = pd.DataFrame({"city": ["a", "b", "a"], "n": [1, 2, 3]})
CASES = {
    "dataframe_shape": lambda: df.shape,
    "dataframe_columns": lambda: df.columns.tolist(),
    "dataframe_index": lambda: pd.DataFrame({"a": [1, 2]}, ["x", "y"]).index.tolist(),
    "assign": lambda: df.assign(col3=[5, 6]).to_dict("list"),
    "groupby": lambda: cities.groupby("city").sum().to_dict(),
    "timestamp": lambda: pd.Timestamp("2024-01-02").day_name(),
    "timestamp_parts": lambda: pd.Timestamp(2017, 1, 1, 12).isoformat(),
    "to_datetime": lambda: pd.to_datetime("2018-10-26 12:00").isoformat(),
    "dateoffset": lambda: pd.DateOffset(months=1).freqstr,
    "series_mean": lambda: pd.Series([1, 2, 3]).mean(),
    "series_head": lambda: pd.Series([1, 2, 3]).head(2).tolist(),
    "date_range": lambda: (
        pd.date_range("2018-01-01", periods=3, freq="D").strftime("%Y-%m-%d").tolist()
    ),
    "concat": lambda: pd.concat(
        [pd.Series(["a", "b"]), pd.Series(["c"])], ignore_index=True
    ).tolist(),
    "isna": lambda: pd.isna(None),
    "sort_values": lambda: df.sort_values(by="col1", ascending=False).to_dict("list"),
    "series_sum": lambda: pd.Series([1, 2, 3]).sum(),
    "to_numeric": lambda: pd.to_numeric(pd.Series(["1.0", "2"])).tolist(),
    "dataframe_mean": lambda: df.mean().tolist(),
    "merge": lambda: pd.merge(
        pd.DataFrame({"key": ["a", "b"], "l": [1, 2]}),
        pd.DataFrame({"key": ["a", "b"], "r": [3, 4]}),
        on="key",
    ).to_dict("list"),
    "series_apply": lambda: pd.Series([1, 2, 3]).apply(lambda v: v * 2).tolist(),
    "pivot_table": lambda: cities.pivot_table(values="n", index="city", aggfunc="sum").to_dict(),
    "column_attribute": lambda: df.col1.tolist(),
}
