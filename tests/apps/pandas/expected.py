import io
from datetime import datetime

import numpy as np
import pandas as pd
from dateutil.easter import easter
from dateutil.parser import parse
from dateutil.relativedelta import FR, MO, relativedelta
from dateutil.rrule import DAILY, rrule

df = pd.DataFrame({"col1": [1, 2], "col2": [3, 4]})
cities = pd.DataFrame({"city": ["a", "b", "a"], "n": [1, 2, 3]})


def _df(d, index=None):
    return pd.DataFrame(d, index=index)


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
    "pd_series_nan": lambda: pd.Series([1, 3, 5, np.nan, 6, 8]).isna().sum(),
    "pd_date_range_periods": lambda: (
        pd.date_range("20130101", periods=3).strftime("%Y-%m-%d").tolist()
    ),
    "pd_describe": lambda: _df({"A": [1, 2, 3]}).describe().to_dict(),
    "pd_T": lambda: _df({"A": [1, 2]}).T.to_dict(),
    "pd_sort_index": lambda: (
        _df({"A": [1], "B": [2]}).sort_index(axis=1, ascending=False).columns.tolist()
    ),
    "pd_iloc": lambda: _df({"A": [1, 2, 3]}).iloc[1].tolist(),
    "pd_loc": lambda: _df({"A": [1, 2]}, ["x", "y"]).loc["y"].to_dict(),
    "pd_dropna": lambda: _df({"A": [1, None, 3]}).dropna(how="any").to_dict("list"),
    "pd_fillna": lambda: _df({"A": [1.0, np.nan]}).fillna(value=5).to_dict("list"),
    "pd_agg_list": lambda: _df({"A": [1, 5]}).agg(["min", "max"]).to_dict(),
    "pd_apply_fn": lambda: _df({"A": [1, 5]}).apply(lambda col: col.max() - col.min()).to_dict(),
    "pd_value_counts": lambda: pd.Series(["a", "b", "a"]).value_counts().to_dict(),
    "pd_str_lower": lambda: pd.Series(["A", "B"]).str.lower().tolist(),
    "pd_groupby_sum": lambda: (
        _df({"A": ["x", "y", "x"], "C": [1, 2, 3]}).groupby("A").sum().to_dict()
    ),
    "pd_read_csv": lambda: pd.read_csv(io.StringIO("a,b\n1,2\n3,4\n")).to_dict("list"),
    "pd_to_csv": lambda: _df({"a": [1]}).to_csv(index=False),
    "pd_timedelta": lambda: pd.Timedelta("1 days").total_seconds(),
    "pd_rolling": lambda: pd.Series([1, 2, 3]).rolling(2).mean().tolist()[1:],
    "pd_cumsum": lambda: pd.Series([1, 2, 3]).cumsum().tolist(),
    "pd_shift": lambda: pd.Series([1, 2, 3]).shift(1).tolist()[1:],
    "pd_cut": lambda: pd.cut([1, 2, 3, 4], bins=2, labels=False).tolist(),
    "pd_astype": lambda: pd.Series(["1", "2"]).astype("int64").tolist(),
    "du_parse": lambda: parse("2003-09-25T10:49:41").isoformat(),
    "du_parse_ignoretz": lambda: parse("Thu Sep 25 10:36:28 BRST 2003", ignoretz=True).isoformat(),
    "du_parse_dayfirst": lambda: parse("10-09-2003", dayfirst=True).isoformat(),
    "du_relativedelta_between": lambda: str(
        relativedelta(datetime(2003, 10, 24, 10, 0), datetime(2003, 9, 17))
    ),
    "du_relativedelta_weekday": lambda: str(relativedelta(weekday=MO(+1))),
    "du_relativedelta_weekday_value": lambda: str(relativedelta(weekday=MO)),
    "du_weekday_negative": lambda: str(FR(-1)),
    "du_rrule": lambda: [
        d.isoformat() for d in rrule(DAILY, count=3, dtstart=parse("19970902T090000"))
    ],
    "du_easter": lambda: easter(2024).isoformat(),
}
