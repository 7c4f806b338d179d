import numpy as np
import polars as pl

df = pl.DataFrame({"a": [1, 2, 3], "b": [4, 5, 6]})


def _concat():
    d = pl.DataFrame({"a": [1]})
    return pl.concat([d, d]).height


CASES = {
    "shape": lambda: df.shape,
    "columns": lambda: df.columns,
    "select": lambda: df.select(pl.col("a")).to_dict(as_series=False),
    "select_names": lambda: df.select("b", "a").columns,
    "with_columns": lambda: df.with_columns((pl.col("a") * 2).alias("c")).to_dict(as_series=False),
    "with_columns_named": lambda: df.with_columns(c=pl.col("a") + 1).columns,
    "filter": lambda: df.filter(pl.col("a") > 1).to_dict(as_series=False),
    "group_by": lambda: (
        pl.DataFrame({"g": ["x", "y", "x"], "v": [1, 2, 3]})
        .group_by("g", maintain_order=True)
        .agg(pl.col("v").sum())
        .to_dict(as_series=False)
    ),
    "sort": lambda: df.sort("a", descending=True)["a"].to_list(),
    "series_sum": lambda: pl.Series("s", [1, 2, 3]).sum(),
    "series_mean": lambda: pl.Series("a", [1, 2, 3]).mean(),
    "head": lambda: df.head(1).to_dict(as_series=False),
    "rename": lambda: df.rename({"a": "x"}).columns,
    "sum": lambda: df.sum().to_dicts(),
    "get_column": lambda: df.get_column("b").to_list(),
    "col_sum": lambda: df.select(pl.col("a").sum()).item(),
    "lazy": lambda: df.lazy().filter(pl.col("a") > 1).collect().height,
    "series_to_tensor": lambda: (
        "f",
        64,
        [2],
        list(np.asarray(pl.Series("x", [1.5, 2.5])).tobytes()),
    ),
    "series_of_tensor": lambda: pl.Series("x", np.array([1, 2, 3], dtype=np.int64)).to_list(),
    "frame_of_tensors": lambda: pl.DataFrame({"a": np.array([1.0, 2.0])}).to_dict(as_series=False),
    "pl_select_mul": lambda: pl.DataFrame({"a": [1, 2]}).select(pl.col("a") * 2).to_dicts(),
    "pl_filter_gt": lambda: pl.DataFrame({"a": [1, 2, 3]}).filter(pl.col("a") > 1).height,
    "pl_series": lambda: pl.Series("a", [1, 2, 3]).to_list(),
    "pl_alias": lambda: pl.DataFrame({"a": [1]}).with_columns((pl.col("a") + 1).alias("b")).columns,
    "pl_join": lambda: (
        pl.DataFrame({"k": [1, 2], "v": [3, 4]})
        .join(pl.DataFrame({"k": [1], "w": [5]}), on="k")
        .to_dicts()
    ),
    "pl_concat": _concat,
    "pl_lit": lambda: pl.DataFrame({"a": [1, 2]}).select(pl.lit(7)).to_dicts(),
    "pl_agg_sort": lambda: (
        pl.DataFrame({"k": ["b", "a", "b"], "v": [1, 2, 3]})
        .group_by("k")
        .agg(pl.col("v").sum())
        .sort("k")
        .to_dicts()
    ),
}
