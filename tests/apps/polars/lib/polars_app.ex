defmodule PolarsApp do
  @moduledoc "Calls as polars' documentation writes them (docs.pola.rs/api/python/stable)."
  # Expressions as polars writes them: pl.col("a") * 2, pl.col("a") > 1
  use SnakeBridge.Operators

  alias Polars.DataFrame
  alias Polars.Expr

  def cases do
    df = DataFrame.new!(%{"a" => [1, 2, 3], "b" => [4, 5, 6]})

    [
      # df.shape; df.columns; df.height
      {"shape", fn -> DataFrame.shape!(df) end},
      {"columns", fn -> DataFrame.columns!(df) end},
      # df.select(pl.col("a")).to_dict(as_series=False)
      {"select",
       fn -> df |> DataFrame.select!(Polars.col!("a")) |> DataFrame.to_dict!(as_series: false) end},
      # df.select("a", "b") — *exprs
      {"select_names", fn -> df |> DataFrame.select!("b", "a") |> DataFrame.columns!() end},
      # df.with_columns((pl.col("a") * 2).alias("c"))
      {"with_columns",
       fn ->
         c = Polars.col!("a") |> Expr.mul!(2) |> Expr.alias!("c")
         df |> DataFrame.with_columns!(c) |> DataFrame.to_dict!(as_series: false)
       end},
      # df.with_columns(c=pl.col("a") + 1) — **named_exprs
      {"with_columns_named",
       fn ->
         df
         |> DataFrame.with_columns!(c: Expr.add!(Polars.col!("a"), 1))
         |> DataFrame.columns!()
       end},
      # df.filter(pl.col("a") > 1)
      {"filter",
       fn ->
         df
         |> DataFrame.filter!(Expr.gt!(Polars.col!("a"), 1))
         |> DataFrame.to_dict!(as_series: false)
       end},
      # df.group_by("g", maintain_order=True).agg(pl.col("v").sum())
      {"group_by",
       fn ->
         DataFrame.new!(%{"g" => ["x", "y", "x"], "v" => [1, 2, 3]})
         |> DataFrame.group_by!("g", maintain_order: true)
         |> Polars.Dataframe.GroupBy.GroupBy.agg!(Expr.sum!(Polars.col!("v")))
         |> DataFrame.to_dict!(as_series: false)
       end},
      # df.sort("a", descending=True)["a"].to_list()
      {"sort",
       fn ->
         df
         |> DataFrame.sort!("a", descending: true)
         |> DataFrame.get_column!("a")
         |> Polars.Series.to_list!()
       end},
      # pl.Series("s", [1, 2, 3]).sum()
      {"series_sum", fn -> Polars.Series.new!("s", [1, 2, 3]) |> Polars.Series.sum!() end},

      # pl.Series("a", [1, 2, 3]).mean(); df.head(1).to_dict(as_series=False)
      {"series_mean", fn -> Polars.Series.new!("a", [1, 2, 3]) |> Polars.Series.mean!() end},
      {"head", fn -> df |> DataFrame.head!(1) |> DataFrame.to_dict!(as_series: false) end},
      # df.rename({"a": "x"}).columns; df.sum().to_dicts()
      {"rename", fn -> df |> DataFrame.rename!(%{"a" => "x"}) |> DataFrame.columns!() end},
      {"sum", fn -> df |> DataFrame.sum!() |> DataFrame.to_dicts!() end},
      # df.get_column("b").to_list()
      {"get_column", fn -> df |> DataFrame.get_column!("b") |> Polars.Series.to_list!() end},

      # df.select(pl.col("a").sum()).item(); df.lazy().filter(pl.col("a") > 1).collect().height
      {"col_sum",
       fn -> df |> DataFrame.select!(Polars.col!("a") |> Expr.sum!()) |> DataFrame.item!() end},
      {"lazy",
       fn ->
         df
         |> DataFrame.lazy!()
         |> Polars.LazyFrame.filter!(Polars.col!("a") |> Expr.gt!(1))
         |> Polars.LazyFrame.collect!()
         |> DataFrame.height!()
       end},

      # Bulk data: np.asarray(pl.Series("x", [1.5, 2.5])).tobytes(), dtype and shape
      {"series_to_tensor",
       fn ->
         %SnakeBridge.Tensor{type: {kind, bits}, shape: shape, data: data} =
           Polars.Series.new!("x", [1.5, 2.5]) |> SnakeBridge.to_tensor!()

         {Atom.to_string(kind), bits, Tuple.to_list(shape), :binary.bin_to_list(data)}
       end},
      # pl.Series("x", np.array([1, 2, 3], dtype=np.int64)).to_list(): a Tensor argument
      {"series_of_tensor",
       fn ->
         Polars.Series.new!("x", SnakeBridge.Tensor.from_list([1, 2, 3], {:s, 64}))
         |> Polars.Series.to_list!()
       end},
      # pl.DataFrame({"a": np.array([1.0, 2.0])}).to_dict(as_series=False)
      {"frame_of_tensors",
       fn ->
         DataFrame.new!(%{"a" => SnakeBridge.Tensor.from_list([1.0, 2.0], {:f, 64})})
         |> DataFrame.to_dict!(as_series: false)
       end},
      # more calls as the library's documentation writes them
      {"pl_select_mul",
       fn ->
         Polars.DataFrame.new!(%{"a" => [1, 2]})
         |> Polars.DataFrame.select!(Polars.col!("a") * 2)
         |> Polars.DataFrame.to_dicts!()
       end},
      {"pl_filter_gt",
       fn ->
         Polars.DataFrame.new!(%{"a" => [1, 2, 3]})
         |> Polars.DataFrame.filter!(Polars.col!("a") > 1)
         |> Polars.DataFrame.height!()
       end},
      {"pl_series", fn -> Polars.Series.new!("a", [1, 2, 3]) |> Polars.Series.to_list!() end},
      {"pl_alias",
       fn ->
         Polars.DataFrame.new!(%{"a" => [1]})
         |> Polars.DataFrame.with_columns!(Polars.Expr.alias!(Polars.col!("a") + 1, "b"))
         |> Polars.DataFrame.columns!()
       end},
      {"pl_join",
       fn ->
         Polars.DataFrame.new!(%{"k" => [1, 2], "v" => [3, 4]})
         |> Polars.DataFrame.join!(Polars.DataFrame.new!(%{"k" => [1], "w" => [5]}), on: "k")
         |> Polars.DataFrame.to_dicts!()
       end},
      {"pl_concat",
       fn ->
         d = Polars.DataFrame.new!(%{"a" => [1]})
         Polars.concat!([d, d]) |> Polars.DataFrame.height!()
       end},
      {"pl_lit",
       fn ->
         Polars.DataFrame.new!(%{"a" => [1, 2]})
         |> Polars.DataFrame.select!(Polars.lit!(7))
         |> Polars.DataFrame.to_dicts!()
       end},
      {"pl_agg_sort",
       fn ->
         Polars.DataFrame.new!(%{"k" => ["b", "a", "b"], "v" => [1, 2, 3]})
         |> Polars.DataFrame.group_by!("k")
         |> Polars.Dataframe.GroupBy.GroupBy.agg!(Polars.Expr.sum!(Polars.col!("v")))
         |> Polars.DataFrame.sort!("k")
         |> Polars.DataFrame.to_dicts!()
       end}
    ]
  end
end
